#include "ckks-core.hpp"

#include <string>
#include <vector>

#include "batch-args.hpp"
#include "batch-worker.hpp"
#include "ckks-core-wrap.hpp"
#include "convert.hpp"

namespace hlp_binding {
namespace {

hlp_ckks_randomness to_randomness_kind(const Napi::Value &v) {
  const std::string k = to_string(v, "randomness kind");
  if (k == "ternary") return HLP_CKKS_RANDOMNESS_TERNARY;
  if (k == "noise") return HLP_CKKS_RANDOMNESS_NOISE;
  if (k == "uniform") return HLP_CKKS_RANDOMNESS_UNIFORM;
  if (k == "encryptPublic") return HLP_CKKS_RANDOMNESS_ENCRYPT_PUBLIC;
  if (k == "secretKey") return HLP_CKKS_RANDOMNESS_SECRET_KEY;
  throw_invalid(v.Env(), "unknown randomness kind \"" + k + "\" (ternary, noise, uniform, encryptPublic, secretKey)");
}

}  // namespace

Napi::Function CkksCoreWrap::Define(Napi::Env env) {
  return DefineClass(env, "CkksCore",
                     {InstanceMethod("randomnessBytes", &CkksCoreWrap::RandomnessBytes),
                      InstanceMethod("encode", &CkksCoreWrap::Encode),
                      InstanceMethod("decode", &CkksCoreWrap::Decode),
                      InstanceMethod("keygenSecret", &CkksCoreWrap::KeygenSecret),
                      InstanceMethod("sampleUniform", &CkksCoreWrap::SampleUniform),
                      InstanceMethod("keygenPublic", &CkksCoreWrap::KeygenPublic),
                      InstanceMethod("encryptPublic", &CkksCoreWrap::EncryptPublic),
                      InstanceMethod("encryptPublicAsync", &CkksCoreWrap::EncryptPublicAsync),
                      InstanceMethod("encodeEncryptPublic", &CkksCoreWrap::EncodeEncryptPublic),
                      InstanceMethod("encodeEncryptPublicAsync", &CkksCoreWrap::EncodeEncryptPublicAsync),
                      InstanceMethod("encryptSymmetric", &CkksCoreWrap::EncryptSymmetric),
                      InstanceMethod("encodeEncryptSeeded", &CkksCoreWrap::EncodeEncryptSeeded),
                      InstanceMethod("encodeEncryptSeededAsync", &CkksCoreWrap::EncodeEncryptSeededAsync),
                      InstanceMethod("decrypt", &CkksCoreWrap::Decrypt),
                      InstanceMethod("decryptDecodeAsync", &CkksCoreWrap::DecryptDecodeAsync),
                      InstanceMethod("addSub", &CkksCoreWrap::AddSub),
                      InstanceMethod("negate", &CkksCoreWrap::Negate),
                      InstanceMethod("plainOp", &CkksCoreWrap::PlainOp),
                      InstanceMethod("multiplyPlainAccumulate", &CkksCoreWrap::MultiplyPlainAccumulate),
                      InstanceMethod("multiplyPlainAccumulateGroups", &CkksCoreWrap::MultiplyPlainAccumulateGroups),
                      InstanceMethod("plainRepeat", &CkksCoreWrap::PlainRepeat),
                      InstanceMethod("multiply", &CkksCoreWrap::Multiply),
                      InstanceMethod("dropLevel", &CkksCoreWrap::DropLevel),
                      InstanceMethod("multiplyPlainRescale", &CkksCoreWrap::MultiplyPlainRescale),
                      InstanceMethod("galoisElement", &CkksCoreWrap::GaloisElement),
                      InstanceMethod("checkKswitchKey", &CkksCoreWrap::CheckKswitchKey),
                      InstanceMethod("keygenKswitch", &CkksCoreWrap::KeygenKswitch),
                      InstanceMethod("relinearize", &CkksCoreWrap::Relinearize),
                      InstanceMethod("applyGalois", &CkksCoreWrap::ApplyGalois),
                      InstanceMethod("hoistingKey", &CkksCoreWrap::HoistingKey),
                      InstanceMethod("rotateSum", &CkksCoreWrap::RotateSum),
                      InstanceMethod("multiplyRelinRescale", &CkksCoreWrap::MultiplyRelinRescale),
                      InstanceMethod("dispose", &CkksCoreWrap::Dispose)});
}

CkksCoreWrap::CkksCoreWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<CkksCoreWrap>(info) {
  Napi::Env env = info.Env();
  const uint32_t n = to_u32(info[0], "n");
  Napi::TypedArrayOf<uint64_t> moduli = to_u64_array(info[1], "moduli");
  if (moduli.ElementLength() < 2 || moduli.ElementLength() > HLP_CKKS_MAX_DATA_PRIMES + 1) {
    throw_invalid(env, "moduli must hold 2 to " + std::to_string(HLP_CKKS_MAX_DATA_PRIMES + 1) +
                           " primes (data primes, then the special prime)");
  }
  hlp_ckks_context *raw = nullptr;
  check(env, hlp_ckks_create(n, moduli.Data(), static_cast<uint32_t>(moduli.ElementLength()), &raw),
        "CkksCore(n=" + std::to_string(n) + ")");
  ctx_ = std::shared_ptr<hlp_ckks_context>(raw, hlp_ckks_destroy);
  n_ = n;
  k_ = hlp_ckks_data_prime_count(raw);
}

Napi::Value CkksCoreWrap::RandomnessBytes(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::size_t out = 0;
  check(env, hlp_ckks_randomness_bytes(Ctx(env), to_randomness_kind(info[0]), to_u32(info[1], "level"), &out),
        "randomnessBytes");
  return Napi::Number::New(env, static_cast<double>(out));
}

// encode(values: Float64Array, scale, level, complex: boolean, out?)
Napi::Value CkksCoreWrap::Encode(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  hlp_ckks_context *ctx = Ctx(env);
  Napi::TypedArrayOf<double> values = to_f64_array(info[0], "values");
  const double scale = to_f64(info[1], "scale");
  const uint32_t level = Level(env, info[2], 1, "encode");
  const bool complex = info[3].ToBoolean().Value();
  if (complex && values.ElementLength() % 2 != 0) {
    throw_status(env, HLP_E_LENGTH_MISMATCH, "encode: complex values come as (re, im) pairs");
  }
  auto out = out_u64(env, info[4], Poly(level));
  const hlp_status st = complex ? hlp_ckks_encode_complex(ctx, values.Data(), values.ElementLength() / 2, scale, level,
                                                          out.Data(), out.ElementLength())
                                : hlp_ckks_encode(ctx, values.Data(), values.ElementLength(), scale, level, out.Data(),
                                                  out.ElementLength());
  check(env, st, "encode");
  return out;
}

// decode(plain, level, scale, count, complex, flags)
Napi::Value CkksCoreWrap::Decode(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  hlp_ckks_context *ctx = Ctx(env);
  Napi::TypedArrayOf<uint64_t> plain = to_u64_array(info[0], "plain");
  const uint32_t level = to_u32(info[1], "level");
  const double scale = to_f64(info[2], "scale");
  const uint32_t count = to_u32(info[3], "count");
  const bool complex = info[4].ToBoolean().Value();
  const uint32_t flags = to_u32(info[5], "flags");
  if (count > n_ / 2) throw_status(env, HLP_E_LENGTH_MISMATCH, "decode: more slots than n/2");
  auto out = Napi::Float64Array::New(env, complex ? 2 * static_cast<std::size_t>(count) : count);
  const hlp_status st =
      complex
          ? hlp_ckks_decode_complex(ctx, plain.Data(), plain.ElementLength(), level, scale, out.Data(), count, flags)
          : hlp_ckks_decode(ctx, plain.Data(), plain.ElementLength(), level, scale, out.Data(), count, flags);
  check(env, st, "decode");
  return out;
}

Napi::Value CkksCoreWrap::SampleUniform(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  hlp_ckks_context *ctx = Ctx(env);
  Napi::TypedArrayOf<uint8_t> rand = to_u8_array(info[0], "randomness");
  const uint32_t level = to_u32(info[1], "level");
  if (level < 1 || level > k_ + 1) throw_invalid(env, "level must be in [1, k + 1]");
  auto out = out_u64(env, info[2], Poly(level));
  check(env, hlp_ckks_sample_uniform(ctx, rand.Data(), rand.ElementLength(), level, out.Data(), out.ElementLength()),
        "sampleUniform");
  return out;
}

Napi::Value CkksCoreWrap::KeygenSecret(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  hlp_ckks_context *ctx = Ctx(env);
  Napi::TypedArrayOf<uint8_t> rand = to_u8_array(info[0], "randomness");
  auto out = new_u64(env, Poly(k_ + 1));
  check(env, hlp_ckks_keygen_secret(ctx, rand.Data(), rand.ElementLength(), out.Data(), out.ElementLength()),
        "keygenSecret");
  return out;
}

Napi::Value CkksCoreWrap::KeygenPublic(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  hlp_ckks_context *ctx = Ctx(env);
  Napi::TypedArrayOf<uint64_t> sk = to_u64_array(info[0], "secretKey");
  Napi::TypedArrayOf<uint8_t> uniform = to_u8_array(info[1], "uniformRandomness");
  Napi::TypedArrayOf<uint8_t> noise = to_u8_array(info[2], "noiseRandomness");
  const uint32_t flags = to_u32(info[3], "flags");
  auto out = new_u64(env, 2 * Poly(k_ + 1));
  check(env,
        hlp_ckks_keygen_public(ctx, sk.Data(), sk.ElementLength(), uniform.Data(), uniform.ElementLength(),
                               noise.Data(), noise.ElementLength(), out.Data(), out.ElementLength(), flags),
        "keygenPublic");
  return out;
}

// encrypt: (pk, plains | null, count, level, randomness, flags, out?)
// encode:  (pk, values, valuesPerPlain, count, scale, level, randomness, flags, out?)
Napi::Value CkksCoreWrap::RunEncrypt(const Napi::CallbackInfo &info, bool encode, bool async) {
  Napi::Env env = info.Env();
  hlp_ckks_context *ctx = Ctx(env);
  std::vector<Napi::Value> keep;
  CkksEncryptArgs a;
  Napi::TypedArrayOf<uint64_t> pk = to_u64_array(info[0], "publicKey");
  a.key = pk.Data();
  a.key_words = pk.ElementLength();
  keep.push_back(pk);
  const std::size_t out_arg = read_encrypt_batch(info, 1, encode, true, "encodeEncryptPublic", a.b, keep);
  check_batch_count(env, a.b.count, "encrypt");
  CheckLevel(env, a.b.level, 1, "encrypt");
  auto out = out_u64(env, info[out_arg], static_cast<std::size_t>(a.b.count) * 2 * Poly(a.b.level));
  a.b.out = out.Data();
  a.b.out_words = out.ElementLength();
  if (!async) {
    check(env, a.Run(ctx), encode ? "encodeEncryptPublic" : "encryptPublic");
    return out;
  }
  return queue(new BatchWorker<const hlp_ckks_context, CkksEncryptArgs>(env, {ctx_}, ctx_.get(), a, keep, out,
                                                                        status_error, "ckks encrypt (async)"));
}

Napi::Value CkksCoreWrap::EncryptPublic(const Napi::CallbackInfo &info) { return RunEncrypt(info, false, false); }

Napi::Value CkksCoreWrap::EncryptPublicAsync(const Napi::CallbackInfo &info) { return RunEncrypt(info, false, true); }

Napi::Value CkksCoreWrap::EncodeEncryptPublic(const Napi::CallbackInfo &info) { return RunEncrypt(info, true, false); }

Napi::Value CkksCoreWrap::EncodeEncryptPublicAsync(const Napi::CallbackInfo &info) {
  return RunEncrypt(info, true, true);
}

// (sk, values, valuesPerPlain, count, scale, level, seeds, noise, flags, out?)
Napi::Value CkksCoreWrap::RunSeeded(const Napi::CallbackInfo &info, bool async) {
  Napi::Env env = info.Env();
  hlp_ckks_context *ctx = Ctx(env);
  std::vector<Napi::Value> keep;
  CkksSeededArgs a;
  const std::size_t out_arg = read_seeded_batch(info, a, keep);
  check_batch_count(env, a.count, "encodeEncryptSeeded");
  CheckLevel(env, a.level, 1, "encodeEncryptSeeded");
  auto out = out_u64(env, info[out_arg], static_cast<std::size_t>(a.count) * 2 * Poly(a.level));
  a.out = out.Data();
  a.out_words = out.ElementLength();
  if (!async) {
    check(env, a.Run(ctx), "encodeEncryptSeeded");
    return out;
  }
  return queue(new BatchWorker<const hlp_ckks_context, CkksSeededArgs>(env, {ctx_}, ctx_.get(), a, keep, out,
                                                                       status_error, "ckks seeded encrypt (async)"));
}

Napi::Value CkksCoreWrap::EncodeEncryptSeeded(const Napi::CallbackInfo &info) { return RunSeeded(info, false); }

Napi::Value CkksCoreWrap::EncodeEncryptSeededAsync(const Napi::CallbackInfo &info) { return RunSeeded(info, true); }

// (sk, plains | null, count, level, uniform, noise, flags, out?)
Napi::Value CkksCoreWrap::EncryptSymmetric(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  hlp_ckks_context *ctx = Ctx(env);
  Napi::TypedArrayOf<uint64_t> sk = to_u64_array(info[0], "secretKey");
  const uint64_t *plains = nullptr;
  std::size_t plain_words = 0;
  if (given(info[1])) {
    Napi::TypedArrayOf<uint64_t> p = to_u64_array(info[1], "plains");
    plains = p.Data();
    plain_words = p.ElementLength();
  }
  const uint32_t count = to_u32(info[2], "count");
  const uint32_t level = to_u32(info[3], "level");
  Napi::TypedArrayOf<uint8_t> uniform = to_u8_array(info[4], "uniformRandomness");
  Napi::TypedArrayOf<uint8_t> noise = to_u8_array(info[5], "noiseRandomness");
  const uint32_t flags = to_u32(info[6], "flags");
  check_batch_count(env, count, "encryptSymmetric");
  CheckLevel(env, level, 1, "encryptSymmetric");
  auto out = out_u64(env, info[7], static_cast<std::size_t>(count) * 2 * Poly(level));
  check(env,
        hlp_ckks_encrypt_symmetric(ctx, sk.Data(), sk.ElementLength(), plains, plain_words, count, level,
                                   uniform.Data(), uniform.ElementLength(), noise.Data(), noise.ElementLength(),
                                   out.Data(), out.ElementLength(), flags),
        "encryptSymmetric");
  return out;
}

// (sk, ct, size, level, flags, out?)
Napi::Value CkksCoreWrap::Decrypt(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  hlp_ckks_context *ctx = Ctx(env);
  Napi::TypedArrayOf<uint64_t> sk = to_u64_array(info[0], "secretKey");
  Napi::TypedArrayOf<uint64_t> ct = to_u64_array(info[1], "ciphertext");
  const uint32_t size = to_u32(info[2], "size");
  const uint32_t level = to_u32(info[3], "level");
  const uint32_t flags = to_u32(info[4], "flags");
  CheckLevel(env, level, 1, "decrypt");
  auto out = out_u64(env, info[5], Poly(level));
  check(env,
        hlp_ckks_decrypt(ctx, sk.Data(), sk.ElementLength(), ct.Data(), ct.ElementLength(), size, level, out.Data(),
                         out.ElementLength(), flags),
        "decrypt");
  return out;
}

// decryptDecodeAsync(sk, cts | [ct bytes, ...], count, size, level, scale, valuesPerCiphertext, flags)
//   -> Promise<Float64Array>; cts is count ciphertexts back to back, or one Uint8Array per ciphertext.
Napi::Value CkksCoreWrap::DecryptDecodeAsync(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Ctx(env);  // throws after dispose()
  CkksDecryptDecodeArgs a;
  Napi::TypedArrayOf<uint64_t> sk = to_u64_array(info[0], "secretKey");
  a.key = sk.Data();
  a.key_words = sk.ElementLength();
  a.count = to_u32(info[2], "count");
  a.size = to_u32(info[3], "size");
  a.level = to_u32(info[4], "level");
  a.scale = to_f64(info[5], "scale");
  a.per = to_u32(info[6], "valuesPerCiphertext");
  a.flags = to_u32(info[7], "flags");
  check_batch_count(env, a.count, "decryptDecode");
  CheckLevel(env, a.level, 1, "decryptDecode");
  if (a.per > n_ / 2) throw_status(env, HLP_E_LENGTH_MISMATCH, "decryptDecode: more slots than n/2");
  // Held until the worker settles: an array holds its views, which hold their buffers.
  Napi::Value cts = info[1];
  if (cts.IsArray()) {
    Napi::Array list = cts.As<Napi::Array>();
    if (list.Length() != a.count) throw_status(env, HLP_E_LENGTH_MISMATCH, "decryptDecode: one view per ciphertext");
    a.ct_words = static_cast<std::size_t>(a.size) * Poly(a.level);
    a.views.reserve(a.count);
    for (uint32_t i = 0; i < a.count; ++i) {
      Napi::TypedArrayOf<uint8_t> view = to_u8_array(list.Get(i), "ciphertext bytes");
      if (view.ByteLength() != a.ct_words * sizeof(uint64_t)) {
        throw_status(env, HLP_E_LENGTH_MISMATCH, "decryptDecode: a ciphertext view is not size x level x n words");
      }
      a.views.push_back(view.Data());
    }
  } else {
    Napi::TypedArrayOf<uint64_t> packed = to_u64_array(cts, "ciphertexts");
    a.cts = packed.Data();
    a.ct_words = packed.ElementLength();
  }
  // hlp_ckks_decrypt_decode writes every value or fails, and a failure never hands `out` back.
  auto out = unzeroed_f64(env, static_cast<std::size_t>(a.count) * a.per);
  a.out = out.Data();
  a.out_count = out.ElementLength();
  return queue(new BatchWorker<const hlp_ckks_context, CkksDecryptDecodeArgs>(
      env, {ctx_}, ctx_.get(), std::move(a), {sk, cts}, out, status_error, "ckks decrypt+decode (async)"));
}

Napi::Value CkksCoreWrap::Dispose(const Napi::CallbackInfo &info) {
  // In-flight async work holds its own reference, so the context outlives it.
  ctx_.reset();
  return info.Env().Undefined();
}

Napi::Function DefineCkksCore(Napi::Env env) { return CkksCoreWrap::Define(env); }

SharedCkksContext share_ckks_context(Napi::Env env, const Napi::Value &core) {
  AddonData *data = env.GetInstanceData<AddonData>();
  if (data == nullptr || !core.IsObject() || !core.As<Napi::Object>().InstanceOf(data->ckks_core.Value())) {
    throw_invalid(env, "core must be a CkksCore");
  }
  return CkksCoreWrap::Unwrap(core.As<Napi::Object>())->Share(env);
}

// ckksSample(kind: 'noise' | 'ternary', randomness: Uint8Array, count) -> Int8Array
Napi::Value CkksSample(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const std::string kind = to_string(info[0], "sampler kind");
  if (kind != "noise" && kind != "ternary") throw_invalid(env, "sampler kind must be \"noise\" or \"ternary\"");
  Napi::TypedArrayOf<uint8_t> rand = to_u8_array(info[1], "randomness");
  const uint32_t count = to_u32(info[2], "count");
  auto out = Napi::Int8Array::New(env, count);
  const hlp_status st = kind == "noise" ? hlp_ckks_sample_noise(rand.Data(), rand.ElementLength(), out.Data(), count)
                                        : hlp_ckks_sample_ternary(rand.Data(), rand.ElementLength(), out.Data(), count);
  check(env, st, "sample " + kind);
  return out;
}

}  // namespace hlp_binding
