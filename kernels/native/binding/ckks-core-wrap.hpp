// CkksCore: the N-API class over an hlp_ckks_context (hlp/kernels.h). Its methods are defined
// by concern: ckks-core.cpp (the class, keys, encoding, encryption, decryption),
// ckks-core-evaluate.cpp (element-wise and plaintext operations, products, level drops) and
// ckks-core-kswitch.cpp (key-switching keys, relinearization, rotations).
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "ckks-core.hpp"
#include "convert.hpp"
#include "hlp/kernels.h"

namespace hlp_binding {

class CkksCoreWrap : public Napi::ObjectWrap<CkksCoreWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit CkksCoreWrap(const Napi::CallbackInfo &info);

  SharedCkksContext Share(Napi::Env env) const {
    Ctx(env);
    return SharedCkksContext{ctx_, n_};
  }

 private:
  hlp_ckks_context *Ctx(Napi::Env env) const {
    if (!ctx_) throw_invalid(env, "CkksCore used after dispose()");
    return ctx_.get();
  }

  std::size_t Poly(uint32_t level) const { return static_cast<std::size_t>(level) * n_; }
  std::size_t KeyWords() const { return static_cast<std::size_t>(k_) * 2 * (k_ + 1) * n_; }

  // Levels run from 1 (or `min`) to k; out of that range is the C ABI's INVALID_ARGUMENT,
  // checked here before a result is allocated.
  void CheckLevel(Napi::Env env, uint32_t level, uint32_t min, const char *what) const {
    if (level < min || level > k_)
      throw_status(env, HLP_E_INVALID_ARGUMENT, std::string(what) + ": level out of range");
  }

  uint32_t Level(Napi::Env env, const Napi::Value &v, uint32_t min, const char *what) const {
    const uint32_t level = to_u32(v, "level");
    CheckLevel(env, level, min, what);
    return level;
  }

  // ckks-core.cpp
  Napi::Value RandomnessBytes(const Napi::CallbackInfo &info);
  Napi::Value Encode(const Napi::CallbackInfo &info);
  Napi::Value Decode(const Napi::CallbackInfo &info);
  Napi::Value SampleUniform(const Napi::CallbackInfo &info);
  Napi::Value KeygenSecret(const Napi::CallbackInfo &info);
  Napi::Value KeygenPublic(const Napi::CallbackInfo &info);
  Napi::Value RunEncrypt(const Napi::CallbackInfo &info, bool encode, bool async);
  Napi::Value EncryptPublic(const Napi::CallbackInfo &info);
  Napi::Value EncryptPublicAsync(const Napi::CallbackInfo &info);
  Napi::Value EncodeEncryptPublic(const Napi::CallbackInfo &info);
  Napi::Value EncodeEncryptPublicAsync(const Napi::CallbackInfo &info);
  Napi::Value RunSeeded(const Napi::CallbackInfo &info, bool async);
  Napi::Value EncodeEncryptSeeded(const Napi::CallbackInfo &info);
  Napi::Value EncodeEncryptSeededAsync(const Napi::CallbackInfo &info);
  Napi::Value EncryptSymmetric(const Napi::CallbackInfo &info);
  Napi::Value Decrypt(const Napi::CallbackInfo &info);
  Napi::Value DecryptDecodeAsync(const Napi::CallbackInfo &info);
  Napi::Value Dispose(const Napi::CallbackInfo &info);

  // ckks-core-evaluate.cpp
  Napi::Value AddSub(const Napi::CallbackInfo &info);
  Napi::Value Negate(const Napi::CallbackInfo &info);
  Napi::Value PlainOp(const Napi::CallbackInfo &info);
  Napi::Value MultiplyPlainAccumulate(const Napi::CallbackInfo &info);
  Napi::Value MultiplyPlainAccumulateGroups(const Napi::CallbackInfo &info);
  Napi::Value PlainRepeat(const Napi::CallbackInfo &info);
  Napi::Value Multiply(const Napi::CallbackInfo &info);
  Napi::Value DropLevel(const Napi::CallbackInfo &info);
  Napi::Value MultiplyPlainRescale(const Napi::CallbackInfo &info);

  // ckks-core-kswitch.cpp
  Napi::Value GaloisElement(const Napi::CallbackInfo &info);
  Napi::Value CheckKswitchKey(const Napi::CallbackInfo &info);
  Napi::Value KeygenKswitch(const Napi::CallbackInfo &info);
  Napi::Value Relinearize(const Napi::CallbackInfo &info);
  Napi::Value ApplyGalois(const Napi::CallbackInfo &info);
  Napi::Value RotateSum(const Napi::CallbackInfo &info);
  Napi::Value HoistingKey(const Napi::CallbackInfo &info);
  Napi::Value MultiplyRelinRescale(const Napi::CallbackInfo &info);

  std::shared_ptr<hlp_ckks_context> ctx_;
  uint32_t n_ = 0;
  uint32_t k_ = 0;
};

}  // namespace hlp_binding
