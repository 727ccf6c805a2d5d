#include "ntt-context.hpp"

#include <memory>
#include <string>

#include "batch-worker.hpp"
#include "convert.hpp"
#include "hlp/kernels.h"

namespace hlp_binding {
namespace {

using ContextPtr = std::shared_ptr<hlp_ntt_context>;

// (data, firstModulus, modulusCount, variant, flags); data is the caller's array.
struct TransformArgs {
  uint64_t *data;
  std::size_t words;
  uint32_t first;
  uint32_t count;
  hlp_variant variant;
  uint32_t flags;
  bool forward;

  hlp_status Run(hlp_ntt_context *ctx) const {
    return forward ? hlp_ntt_forward(ctx, data, words, first, count, variant, flags)
                   : hlp_ntt_inverse(ctx, data, words, first, count, variant, flags);
  }
  const char *What() const { return forward ? "ntt forward" : "ntt inverse"; }
};

class NttContextWrap : public Napi::ObjectWrap<NttContextWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "NttContext",
        {InstanceMethod("forward", &NttContextWrap::Forward), InstanceMethod("inverse", &NttContextWrap::Inverse),
         InstanceMethod("forwardAsync", &NttContextWrap::ForwardAsync),
         InstanceMethod("inverseAsync", &NttContextWrap::InverseAsync),
         InstanceMethod("eltwise", &NttContextWrap::Eltwise), InstanceMethod("dispose", &NttContextWrap::Dispose),
         InstanceAccessor("n", &NttContextWrap::N, nullptr),
         InstanceAccessor("moduli", &NttContextWrap::Moduli, nullptr),
         InstanceAccessor("roots", &NttContextWrap::Roots, nullptr)});
  }

  explicit NttContextWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<NttContextWrap>(info) {
    Napi::Env env = info.Env();
    const uint32_t n = to_u32(info[0], "n");
    Napi::TypedArrayOf<uint64_t> moduli = to_u64_array(info[1], "moduli");
    if (moduli.ElementLength() == 0 || moduli.ElementLength() > 1024) {
      throw_invalid(env, "moduli must hold between 1 and 1024 primes");
    }
    hlp_ntt_context *raw = nullptr;
    const hlp_status st = hlp_ntt_create(n, moduli.Data(), static_cast<uint32_t>(moduli.ElementLength()), &raw);
    if (st != HLP_OK) throw_status(env, st, "NttContext(n=" + std::to_string(n) + ")");
    ctx_ = ContextPtr(raw, hlp_ntt_destroy);
  }

 private:
  hlp_ntt_context *Ctx(Napi::Env env) const {
    if (!ctx_) throw_invalid(env, "NttContext used after dispose()");
    return ctx_.get();
  }

  static TransformArgs Args(const Napi::CallbackInfo &info, Napi::TypedArrayOf<uint64_t> &data, bool forward) {
    return TransformArgs{data.Data(),
                         data.ElementLength(),
                         to_u32(info[1], "firstModulus"),
                         to_u32(info[2], "modulusCount"),
                         to_variant(info[3]),
                         to_u32(info[4], "flags"),
                         forward};
  }

  Napi::Value Run(const Napi::CallbackInfo &info, bool forward) {
    Napi::Env env = info.Env();
    hlp_ntt_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint64_t> data = to_u64_array(info[0], "data");
    const TransformArgs a = Args(info, data, forward);
    const hlp_status st = a.Run(ctx);
    if (st != HLP_OK) throw_status(env, st, a.What());
    return env.Undefined();
  }

  Napi::Value RunAsync(const Napi::CallbackInfo &info, bool forward) {
    Napi::Env env = info.Env();
    Ctx(env);
    Napi::TypedArrayOf<uint64_t> data = to_u64_array(info[0], "data");
    const TransformArgs a = Args(info, data, forward);
    // The context goes with the work, so dispose() meanwhile leaves the tables in place.
    return queue(new BatchWorker<hlp_ntt_context, TransformArgs>(env, {ctx_}, ctx_.get(), a, {data}, env.Undefined(),
                                                                 status_error, a.What()));
  }

  Napi::Value Forward(const Napi::CallbackInfo &info) { return Run(info, true); }
  Napi::Value Inverse(const Napi::CallbackInfo &info) { return Run(info, false); }
  Napi::Value ForwardAsync(const Napi::CallbackInfo &info) { return RunAsync(info, true); }
  Napi::Value InverseAsync(const Napi::CallbackInfo &info) { return RunAsync(info, false); }

  Napi::Value Eltwise(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ntt_context *ctx = Ctx(env);
    const std::string op = to_string(info[0], "op");
    Napi::TypedArrayOf<uint64_t> out = to_u64_array(info[1], "out");
    Napi::TypedArrayOf<uint64_t> a = to_u64_array(info[2], "a");
    Napi::TypedArrayOf<uint64_t> b = to_u64_array(info[3], "b");
    if (out.ElementLength() != a.ElementLength() || b.ElementLength() != a.ElementLength()) {
      throw_status(env, HLP_E_LENGTH_MISMATCH, "eltwise " + op + ": out, a and b differ in length");
    }
    const uint32_t first = to_u32(info[4], "firstModulus");
    const uint32_t count = to_u32(info[5], "modulusCount");
    const hlp_variant variant = to_variant(info[6]);
    const uint32_t flags = to_u32(info[7], "flags");
    decltype(&hlp_eltwise_add_mod) fn;
    if (op == "add") {
      fn = hlp_eltwise_add_mod;
    } else if (op == "sub") {
      fn = hlp_eltwise_sub_mod;
    } else if (op == "mul") {
      fn = hlp_eltwise_mul_mod;
    } else {
      throw_invalid(env, "unknown element-wise op \"" + op + "\"");
    }
    const hlp_status st = fn(ctx, out.Data(), a.Data(), b.Data(), a.ElementLength(), first, count, variant, flags);
    if (st != HLP_OK) throw_status(env, st, "eltwise " + op);
    return env.Undefined();
  }

  Napi::Value Dispose(const Napi::CallbackInfo &info) {
    // In-flight async work holds its own reference, so the tables outlive it.
    ctx_.reset();
    return info.Env().Undefined();
  }

  Napi::Value N(const Napi::CallbackInfo &info) {
    return Napi::Number::New(info.Env(), hlp_ntt_degree(Ctx(info.Env())));
  }

  Napi::Value Moduli(const Napi::CallbackInfo &info) { return Column(info, hlp_ntt_modulus); }
  Napi::Value Roots(const Napi::CallbackInfo &info) { return Column(info, hlp_ntt_root); }

  Napi::Value Column(const Napi::CallbackInfo &info, uint64_t (*get)(const hlp_ntt_context *, uint32_t)) {
    Napi::Env env = info.Env();
    hlp_ntt_context *ctx = Ctx(env);
    const uint32_t k = hlp_ntt_modulus_count(ctx);
    auto arr = Napi::TypedArrayOf<uint64_t>::New(env, k, napi_biguint64_array);
    for (uint32_t i = 0; i < k; ++i) arr[i] = get(ctx, i);
    return arr;
  }

  ContextPtr ctx_;
};

}  // namespace

Napi::Function DefineNttContext(Napi::Env env) { return NttContextWrap::Define(env); }

}  // namespace hlp_binding
