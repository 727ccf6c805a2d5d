#include "cuda-encryptor.hpp"

#include <memory>
#include <string>
#include <vector>

#include "batch-args.hpp"
#include "batch-worker.hpp"
#include "ckks-core.hpp"
#include "convert.hpp"
#include "hlp/cuda.h"

namespace hlp_binding {
namespace {

Napi::Error cuda_error(Napi::Env env, hlp_status st, const std::string &context) {
  const char *reason = st == HLP_E_VARIANT_UNAVAILABLE ? hlp_cuda_unavailable_reason() : nullptr;
  return status_error(env, st, context, reason == nullptr ? std::string() : std::string(reason));
}

void cuda_check(Napi::Env env, hlp_status st, const std::string &context) {
  if (st != HLP_OK) throw cuda_error(env, st, context);
}

// A batch public-key encryption with the encryptor's key and level.
struct CudaEncryptArgs {
  EncryptBatch b;

  hlp_status Run(hlp_cuda_encryptor *encryptor) const {
    if (b.encode) {
      return hlp_cuda_encode_encrypt_public(encryptor, b.values, b.values_per_plain, b.count, b.scale, b.rand,
                                            b.rand_bytes, b.out, b.out_words, b.flags);
    }
    return hlp_cuda_encrypt_public(encryptor, b.plains, b.plain_words, b.count, b.rand, b.rand_bytes, b.out,
                                   b.out_words, b.flags);
  }
};

class CudaEncryptorWrap : public Napi::ObjectWrap<CudaEncryptorWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "CudaEncryptor",
                       {InstanceMethod("encryptPublic", &CudaEncryptorWrap::EncryptPublic),
                        InstanceMethod("encryptPublicAsync", &CudaEncryptorWrap::EncryptPublicAsync),
                        InstanceMethod("encodeEncryptPublic", &CudaEncryptorWrap::EncodeEncryptPublic),
                        InstanceMethod("encodeEncryptPublicAsync", &CudaEncryptorWrap::EncodeEncryptPublicAsync),
                        InstanceMethod("dispose", &CudaEncryptorWrap::Dispose)});
  }

  // (core: CkksCore, publicKey, level, flags)
  explicit CudaEncryptorWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<CudaEncryptorWrap>(info) {
    Napi::Env env = info.Env();
    SharedCkksContext core = share_ckks_context(env, info[0]);
    Napi::TypedArrayOf<uint64_t> pk = to_u64_array(info[1], "publicKey");
    const uint32_t level = to_u32(info[2], "level");
    const uint32_t flags = to_u32(info[3], "flags");
    hlp_cuda_encryptor *raw = nullptr;
    cuda_check(env, hlp_cuda_encryptor_create(core.ctx.get(), pk.Data(), pk.ElementLength(), level, flags, &raw),
               "CudaEncryptor(level=" + std::to_string(level) + ")");
    ctx_ = std::move(core.ctx);
    encryptor_ = EncryptorPtr(raw, hlp_cuda_encryptor_destroy);
    n_ = core.n;
    level_ = level;
  }

 private:
  using EncryptorPtr = std::shared_ptr<hlp_cuda_encryptor>;

  // encrypt: (plains | null, count, randomness, flags)
  // encode:  (values, valuesPerPlain, count, scale, randomness, flags)
  Napi::Value Run(const Napi::CallbackInfo &info, bool encode, bool async) {
    Napi::Env env = info.Env();
    if (!encryptor_) throw_invalid(env, "CudaEncryptor used after dispose()");
    std::vector<Napi::Value> keep;
    CudaEncryptArgs a;
    read_encrypt_batch(info, 0, encode, false, "cuda encodeEncryptPublic", a.b, keep);
    check_batch_count(env, a.b.count, "cuda encryptPublic");
    auto out = new_u64(env, static_cast<std::size_t>(a.b.count) * 2 * level_ * n_);
    a.b.out = out.Data();
    a.b.out_words = out.ElementLength();
    if (!async) {
      cuda_check(env, a.Run(encryptor_.get()), encode ? "cuda encodeEncryptPublic" : "cuda encryptPublic");
      return out;
    }
    return queue(new BatchWorker<hlp_cuda_encryptor, CudaEncryptArgs>(env, {ctx_, encryptor_}, encryptor_.get(), a,
                                                                      keep, out, cuda_error, "cuda encrypt (async)"));
  }

  Napi::Value EncryptPublic(const Napi::CallbackInfo &info) { return Run(info, false, false); }
  Napi::Value EncryptPublicAsync(const Napi::CallbackInfo &info) { return Run(info, false, true); }
  Napi::Value EncodeEncryptPublic(const Napi::CallbackInfo &info) { return Run(info, true, false); }
  Napi::Value EncodeEncryptPublicAsync(const Napi::CallbackInfo &info) { return Run(info, true, true); }

  Napi::Value Dispose(const Napi::CallbackInfo &info) {
    // In-flight async work holds its own references, so the device state outlives it.
    encryptor_.reset();
    ctx_.reset();
    return info.Env().Undefined();
  }

  std::shared_ptr<hlp_ckks_context> ctx_;
  EncryptorPtr encryptor_;
  uint32_t n_ = 0;
  uint32_t level_ = 0;
};

}  // namespace

Napi::Function DefineCudaEncryptor(Napi::Env env) { return CudaEncryptorWrap::Define(env); }

Napi::Value CudaUnavailableReason(const Napi::CallbackInfo &info) {
  const char *reason = hlp_cuda_unavailable_reason();
  return Napi::String::New(info.Env(), reason == nullptr ? "" : reason);
}

// The raw counters; the JS side derives the efficiency.
Napi::Value CudaPoolStats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  hlp_cuda_memory_stats s{};
  cuda_check(env, hlp_cuda_pool_stats(&s), "cudaPoolStats");
  Napi::Object o = Napi::Object::New(env);
  o.Set("allocations", static_cast<double>(s.allocations));
  o.Set("frees", static_cast<double>(s.frees));
  o.Set("hits", static_cast<double>(s.hits));
  o.Set("misses", static_cast<double>(s.misses));
  o.Set("bytesInUse", static_cast<double>(s.bytes_in_use));
  o.Set("bytesReserved", static_cast<double>(s.bytes_reserved));
  o.Set("peakBytesInUse", static_cast<double>(s.peak_bytes_in_use));
  o.Set("peakBytesReserved", static_cast<double>(s.peak_bytes_reserved));
  return o;
}

Napi::Value CudaPoolTrim(const Napi::CallbackInfo &info) {
  cuda_check(info.Env(), hlp_cuda_pool_trim(), "cudaPoolTrim");
  return info.Env().Undefined();
}

}  // namespace hlp_binding
