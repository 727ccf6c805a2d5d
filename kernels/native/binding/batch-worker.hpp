// Work moved off the event loop: one C call on a libuv pool thread, settling a promise.
#pragma once

#include <napi.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "convert.hpp"
#include "hlp/kernels.h"
#include "worker-priority.hpp"

namespace hlp_binding {

using ErrorFactory = Napi::Error (*)(Napi::Env, hlp_status, const std::string &);

// Runs args.Run(target) on a pool thread and resolves with `out` (undefined when `out` is
// undefined). `owners` keep the native objects alive until then (an encryptor points into
// its context, and dispose() may come first); the references keep the JS buffers that
// args points into from being collected or moved meanwhile.
template <class Target, class Args>
class BatchWorker : public Napi::AsyncWorker {
 public:
  BatchWorker(Napi::Env env, std::vector<std::shared_ptr<void>> owners, Target *target, Args args,
              const std::vector<Napi::Value> &keep, Napi::Value out, ErrorFactory error, const char *what)
      : Napi::AsyncWorker(env),
        owners_(std::move(owners)),
        target_(target),
        deferred_(Napi::Promise::Deferred::New(env)),
        args_(std::move(args)),
        error_(error),
        what_(what) {
    for (const auto &v : keep) keep_.push_back(Napi::Persistent(v.As<Napi::Object>()));
    if (!out.IsUndefined()) out_ = Napi::Persistent(out.As<Napi::Object>());
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    hlp_binding::apply_worker_nice();
    status_ = args_.Run(target_);
  }

  void OnOK() override {
    if (status_ != HLP_OK) {
      deferred_.Reject(error_(Env(), status_, what_).Value());
    } else if (out_.IsEmpty()) {
      deferred_.Resolve(Env().Undefined());
    } else {
      deferred_.Resolve(out_.Value());
    }
  }

  void OnError(const Napi::Error &e) override { deferred_.Reject(e.Value()); }

 private:
  std::vector<std::shared_ptr<void>> owners_;
  Target *target_;
  Napi::Promise::Deferred deferred_;
  Args args_;
  ErrorFactory error_;
  const char *what_;
  std::vector<Napi::ObjectReference> keep_;
  Napi::ObjectReference out_;
  hlp_status status_ = HLP_E_INTERNAL;
};

// Queues the worker (which deletes itself once settled) and returns its promise.
template <class Worker>
Napi::Promise queue(Worker *worker) {
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace hlp_binding
