#include "ckks-core.hpp"

#include <string>
#include <vector>

#include "batch-args.hpp"
#include "batch-worker.hpp"
#include "convert.hpp"

namespace hlp_binding {
namespace {

using CkksPtr = std::shared_ptr<hlp_ckks_context>;

hlp_ckks_randomness to_randomness_kind(const Napi::Value &v) {
  const std::string k = to_string(v, "randomness kind");
  if (k == "ternary") return HLP_CKKS_RANDOMNESS_TERNARY;
  if (k == "noise") return HLP_CKKS_RANDOMNESS_NOISE;
  if (k == "uniform") return HLP_CKKS_RANDOMNESS_UNIFORM;
  if (k == "encryptPublic") return HLP_CKKS_RANDOMNESS_ENCRYPT_PUBLIC;
  if (k == "secretKey") return HLP_CKKS_RANDOMNESS_SECRET_KEY;
  throw_invalid(v.Env(), "unknown randomness kind \"" + k + "\" (ternary, noise, uniform, encryptPublic, secretKey)");
}

class CkksCoreWrap : public Napi::ObjectWrap<CkksCoreWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
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

  explicit CkksCoreWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<CkksCoreWrap>(info) {
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
    ctx_ = CkksPtr(raw, hlp_ckks_destroy);
    n_ = n;
    k_ = hlp_ckks_data_prime_count(raw);
  }

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

  Napi::Value RandomnessBytes(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    std::size_t out = 0;
    check(env, hlp_ckks_randomness_bytes(Ctx(env), to_randomness_kind(info[0]), to_u32(info[1], "level"), &out),
          "randomnessBytes");
    return Napi::Number::New(env, static_cast<double>(out));
  }

  // encode(values: Float64Array, scale, level, complex: boolean, out?)
  Napi::Value Encode(const Napi::CallbackInfo &info) {
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
    const hlp_status st = complex ? hlp_ckks_encode_complex(ctx, values.Data(), values.ElementLength() / 2, scale,
                                                            level, out.Data(), out.ElementLength())
                                  : hlp_ckks_encode(ctx, values.Data(), values.ElementLength(), scale, level,
                                                    out.Data(), out.ElementLength());
    check(env, st, "encode");
    return out;
  }

  // decode(plain, level, scale, count, complex, flags)
  Napi::Value Decode(const Napi::CallbackInfo &info) {
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

  Napi::Value SampleUniform(const Napi::CallbackInfo &info) {
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

  Napi::Value KeygenSecret(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint8_t> rand = to_u8_array(info[0], "randomness");
    auto out = new_u64(env, Poly(k_ + 1));
    check(env, hlp_ckks_keygen_secret(ctx, rand.Data(), rand.ElementLength(), out.Data(), out.ElementLength()),
          "keygenSecret");
    return out;
  }

  Napi::Value KeygenPublic(const Napi::CallbackInfo &info) {
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
  Napi::Value RunEncrypt(const Napi::CallbackInfo &info, bool encode, bool async) {
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

  Napi::Value EncryptPublic(const Napi::CallbackInfo &info) { return RunEncrypt(info, false, false); }
  Napi::Value EncryptPublicAsync(const Napi::CallbackInfo &info) { return RunEncrypt(info, false, true); }
  Napi::Value EncodeEncryptPublic(const Napi::CallbackInfo &info) { return RunEncrypt(info, true, false); }
  Napi::Value EncodeEncryptPublicAsync(const Napi::CallbackInfo &info) { return RunEncrypt(info, true, true); }

  // (sk, values, valuesPerPlain, count, scale, level, seeds, noise, flags, out?)
  Napi::Value RunSeeded(const Napi::CallbackInfo &info, bool async) {
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

  Napi::Value EncodeEncryptSeeded(const Napi::CallbackInfo &info) { return RunSeeded(info, false); }
  Napi::Value EncodeEncryptSeededAsync(const Napi::CallbackInfo &info) { return RunSeeded(info, true); }

  // (sk, plains | null, count, level, uniform, noise, flags, out?)
  Napi::Value EncryptSymmetric(const Napi::CallbackInfo &info) {
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
  Napi::Value Decrypt(const Napi::CallbackInfo &info) {
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
  Napi::Value DecryptDecodeAsync(const Napi::CallbackInfo &info) {
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

  // addSub(op: 'add' | 'sub', a, aSize, b, bSize, level, flags, out?)
  Napi::Value AddSub(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    const std::string op = to_string(info[0], "op");
    if (op != "add" && op != "sub") throw_invalid(env, "op must be \"add\" or \"sub\"");
    Napi::TypedArrayOf<uint64_t> a = to_u64_array(info[1], "a");
    const uint32_t a_size = to_u32(info[2], "aSize");
    Napi::TypedArrayOf<uint64_t> b = to_u64_array(info[3], "b");
    const uint32_t b_size = to_u32(info[4], "bSize");
    const uint32_t level = to_u32(info[5], "level");
    const uint32_t flags = to_u32(info[6], "flags");
    if (level < 1 || level > k_ || a_size < 1 || a_size > 3 || b_size < 1 || b_size > 3) {
      throw_status(env, HLP_E_INVALID_ARGUMENT, op + ": level or size out of range");
    }
    auto out = out_u64(env, info[7], (a_size > b_size ? a_size : b_size) * Poly(level));
    auto fn = op == "add" ? hlp_ckks_add : hlp_ckks_sub;
    check(env,
          fn(ctx, a.Data(), a.ElementLength(), a_size, b.Data(), b.ElementLength(), b_size, level, out.Data(),
             out.ElementLength(), flags),
          op);
    return out;
  }

  // negate(a, size, level, flags, out?)
  Napi::Value Negate(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint64_t> a = to_u64_array(info[0], "ciphertext");
    const uint32_t size = to_u32(info[1], "size");
    const uint32_t level = to_u32(info[2], "level");
    const uint32_t flags = to_u32(info[3], "flags");
    auto out = out_u64(env, info[4], a.ElementLength());
    check(env, hlp_ckks_negate(ctx, a.Data(), a.ElementLength(), size, level, out.Data(), out.ElementLength(), flags),
          "negate");
    return out;
  }

  // plainOp(op: 'add' | 'multiply', ct, size, plain, level, flags, out?)
  Napi::Value PlainOp(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    const std::string op = to_string(info[0], "op");
    if (op != "add" && op != "multiply") throw_invalid(env, "op must be \"add\" or \"multiply\"");
    Napi::TypedArrayOf<uint64_t> ct = to_u64_array(info[1], "ciphertext");
    const uint32_t size = to_u32(info[2], "size");
    Napi::TypedArrayOf<uint64_t> plain = to_u64_array(info[3], "plain");
    const uint32_t level = to_u32(info[4], "level");
    const uint32_t flags = to_u32(info[5], "flags");
    auto out = out_u64(env, info[6], ct.ElementLength());
    auto fn = op == "add" ? hlp_ckks_add_plain : hlp_ckks_multiply_plain;
    check(env,
          fn(ctx, ct.Data(), ct.ElementLength(), size, plain.Data(), plain.ElementLength(), level, out.Data(),
             out.ElementLength(), flags),
          op == "add" ? "addPlain" : "multiplyPlain");
    return out;
  }

  // multiplyPlainAccumulate(cts: BigUint64Array[], plains: BigUint64Array[], level, flags, out?)
  Napi::Value MultiplyPlainAccumulate(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    if (!info[0].IsArray() || !info[1].IsArray()) throw_invalid(env, "ciphertexts and plaintexts must be arrays");
    Napi::Array cts = info[0].As<Napi::Array>();
    Napi::Array plains = info[1].As<Napi::Array>();
    const uint32_t count = cts.Length();
    if (count == 0 || plains.Length() != count) throw_invalid(env, "one plaintext per ciphertext, at least one");
    const uint32_t level = Level(env, info[2], 1, "multiplyPlainAccumulate");
    const uint32_t flags = to_u32(info[3], "flags");
    std::vector<const uint64_t *> ct_ptrs(count), plain_ptrs(count);
    for (uint32_t t = 0; t < count; ++t) {
      Napi::TypedArrayOf<uint64_t> ct = to_u64_array(cts.Get(t), "ciphertext");
      Napi::TypedArrayOf<uint64_t> plain = to_u64_array(plains.Get(t), "plain");
      if (ct.ElementLength() != 2 * Poly(level) || plain.ElementLength() != Poly(level)) {
        throw_status(env, HLP_E_LENGTH_MISMATCH, "multiplyPlainAccumulate: term " + std::to_string(t));
      }
      ct_ptrs[t] = ct.Data();
      plain_ptrs[t] = plain.Data();
    }
    auto out = out_u64(env, info[4], 2 * Poly(level));
    check(env,
          hlp_ckks_multiply_plain_accumulate(ctx, ct_ptrs.data(), plain_ptrs.data(), count, level, out.Data(),
                                             out.ElementLength(), flags),
          "multiplyPlainAccumulate");
    return out;
  }

  // multiplyPlainAccumulateGroups(cts: BigUint64Array[], plains: (BigUint64Array | null)[] (groups x
  // cts, group-major), groups, level, plainRepeat, flags, outs?): one sum per group, in `outs` when
  // given; plaintexts of level * n / plainRepeat words (compact when plainRepeat > 1).
  Napi::Value MultiplyPlainAccumulateGroups(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    if (!info[0].IsArray() || !info[1].IsArray()) throw_invalid(env, "ciphertexts and plaintexts must be arrays");
    Napi::Array cts = info[0].As<Napi::Array>();
    Napi::Array plains = info[1].As<Napi::Array>();
    const uint32_t count = cts.Length();
    const uint32_t groups = to_u32(info[2], "groups");
    if (count == 0 || groups == 0 || plains.Length() != static_cast<std::size_t>(count) * groups) {
      throw_invalid(env, "one plaintext (or null) per ciphertext and group, at least one of each");
    }
    const uint32_t level = Level(env, info[3], 1, "multiplyPlainAccumulateGroups");
    const uint32_t repeat = to_u32(info[4], "plainRepeat");
    const uint32_t flags = to_u32(info[5], "flags");
    if (repeat == 0 || Poly(level) % repeat != 0) throw_invalid(env, "plainRepeat must divide the plaintext's words");
    std::vector<const uint64_t *> ct_ptrs(count), plain_ptrs(plains.Length());
    for (uint32_t t = 0; t < count; ++t) {
      Napi::TypedArrayOf<uint64_t> ct = to_u64_array(cts.Get(t), "ciphertext");
      if (ct.ElementLength() != 2 * Poly(level)) {
        throw_status(env, HLP_E_LENGTH_MISMATCH, "multiplyPlainAccumulateGroups: ciphertext " + std::to_string(t));
      }
      ct_ptrs[t] = ct.Data();
    }
    for (uint32_t k = 0; k < plains.Length(); ++k) {
      const Napi::Value v = plains.Get(k);
      if (v.IsNull()) continue;
      Napi::TypedArrayOf<uint64_t> plain = to_u64_array(v, "plain");
      if (plain.ElementLength() != Poly(level) / repeat) {
        throw_status(env, HLP_E_LENGTH_MISMATCH,
                     "multiplyPlainAccumulateGroups: group " + std::to_string(k / count) + ", term " +
                         std::to_string(k % count));
      }
      plain_ptrs[k] = plain.Data();
    }
    Napi::Array results;
    std::vector<uint64_t *> out_ptrs;
    outs_u64(env, info[6], groups, 2 * Poly(level), "group", results, out_ptrs);
    check(env,
          hlp_ckks_multiply_plain_accumulate_groups(ctx, ct_ptrs.data(), count, plain_ptrs.data(), groups, repeat,
                                                    level, out_ptrs.data(), 2 * Poly(level), flags),
          "multiplyPlainAccumulateGroups");
    return results;
  }

  // plainRepeat(plain, level): hlp_ckks_plain_repeat, refusing a bad shape.
  Napi::Value PlainRepeat(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint64_t> plain = to_u64_array(info[0], "plain");
    const uint32_t level = Level(env, info[1], 1, "plainRepeat");
    if (plain.ElementLength() != Poly(level)) throw_status(env, HLP_E_LENGTH_MISMATCH, "plainRepeat: plaintext");
    return Napi::Number::New(env, hlp_ckks_plain_repeat(ctx, plain.Data(), plain.ElementLength(), level));
  }

  // multiply(a, b, level, flags, out?)
  Napi::Value Multiply(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint64_t> a = to_u64_array(info[0], "a");
    Napi::TypedArrayOf<uint64_t> b = to_u64_array(info[1], "b");
    const uint32_t level = to_u32(info[2], "level");
    const uint32_t flags = to_u32(info[3], "flags");
    CheckLevel(env, level, 1, "multiply");
    auto out = out_u64(env, info[4], 3 * Poly(level));
    check(env,
          hlp_ckks_multiply(ctx, a.Data(), a.ElementLength(), b.Data(), b.ElementLength(), level, out.Data(),
                            out.ElementLength(), flags),
          "multiply");
    return out;
  }

  // dropLevel(op: 'rescale' | 'modSwitch', ct, size, level, flags, out?)
  Napi::Value DropLevel(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    const std::string op = to_string(info[0], "op");
    if (op != "rescale" && op != "modSwitch") throw_invalid(env, "op must be \"rescale\" or \"modSwitch\"");
    Napi::TypedArrayOf<uint64_t> ct = to_u64_array(info[1], "ciphertext");
    const uint32_t size = to_u32(info[2], "size");
    const uint32_t level = to_u32(info[3], "level");
    const uint32_t flags = to_u32(info[4], "flags");
    if (level < 2 || level > k_ || size < 1 || size > 3) {
      throw_status(env, HLP_E_INVALID_ARGUMENT, op + ": needs 2 <= level <= k and size 1..3");
    }
    auto out = out_u64(env, info[5], size * Poly(level - 1));
    auto fn = op == "rescale" ? hlp_ckks_rescale : hlp_ckks_mod_switch;
    check(env, fn(ctx, ct.Data(), ct.ElementLength(), size, level, out.Data(), out.ElementLength(), flags), op);
    return out;
  }

  // multiplyPlainRescale(ct, size, plain, addend: BigUint64Array | null, level, flags, out?)
  Napi::Value MultiplyPlainRescale(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint64_t> ct = to_u64_array(info[0], "ciphertext");
    const uint32_t size = to_u32(info[1], "size");
    Napi::TypedArrayOf<uint64_t> plain = to_u64_array(info[2], "plain");
    const bool has_addend = !info[3].IsNull() && !info[3].IsUndefined();
    Napi::TypedArrayOf<uint64_t> addend;
    if (has_addend) addend = to_u64_array(info[3], "addend");
    const uint32_t level = to_u32(info[4], "level");
    const uint32_t flags = to_u32(info[5], "flags");
    if (level < 2 || level > k_ || size < 1 || size > 3) {
      throw_status(env, HLP_E_INVALID_ARGUMENT, "multiplyPlainRescale: needs 2 <= level <= k and size 1..3");
    }
    auto out = out_u64(env, info[6], size * Poly(level - 1));
    check(env,
          hlp_ckks_multiply_plain_rescale(ctx, ct.Data(), ct.ElementLength(), size, plain.Data(), plain.ElementLength(),
                                          has_addend ? addend.Data() : nullptr, has_addend ? addend.ElementLength() : 0,
                                          level, out.Data(), out.ElementLength(), flags),
          "multiplyPlainRescale");
    return out;
  }

  // ---- key switching ----

  // galoisElement(steps: number): 0 is conjugation
  Napi::Value GaloisElement(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!info[0].IsNumber()) throw_invalid(env, "steps must be a number");
    const double d = info[0].As<Napi::Number>().DoubleValue();
    if (d != static_cast<double>(static_cast<int32_t>(d))) throw_invalid(env, "steps must be a 32-bit integer");
    uint32_t elt = 0;
    check(env, hlp_ckks_galois_element(Ctx(env), static_cast<int32_t>(d), &elt), "galoisElement");
    return Napi::Number::New(env, elt);
  }

  Napi::Value CheckKswitchKey(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Napi::TypedArrayOf<uint64_t> key = to_u64_array(info[0], "key");
    check(env, hlp_ckks_check_kswitch_key(Ctx(env), key.Data(), key.ElementLength()), "key-switching key");
    return env.Undefined();
  }

  // keygenKswitch(secretKey, galoisElt (0: relinearization), uniform, noise, flags)
  Napi::Value KeygenKswitch(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint64_t> sk = to_u64_array(info[0], "secretKey");
    const uint32_t elt = to_u32(info[1], "galoisElt");
    Napi::TypedArrayOf<uint8_t> uniform = to_u8_array(info[2], "uniformRandomness");
    Napi::TypedArrayOf<uint8_t> noise = to_u8_array(info[3], "noiseRandomness");
    const uint32_t flags = to_u32(info[4], "flags");
    auto out = new_u64(env, KeyWords());
    check(env,
          hlp_ckks_keygen_kswitch(ctx, sk.Data(), sk.ElementLength(), elt, uniform.Data(), uniform.ElementLength(),
                                  noise.Data(), noise.ElementLength(), out.Data(), out.ElementLength(), flags),
          "keygenKswitch");
    return out;
  }

  // relinearize(key, ct (size 3), level, flags, out?)
  Napi::Value Relinearize(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint64_t> key = to_u64_array(info[0], "relinKey");
    Napi::TypedArrayOf<uint64_t> ct = to_u64_array(info[1], "ciphertext");
    const uint32_t level = Level(env, info[2], 1, "relinearize");
    const uint32_t flags = to_u32(info[3], "flags");
    auto out = out_u64(env, info[4], 2 * Poly(level));
    check(env,
          hlp_ckks_relinearize(ctx, key.Data(), key.ElementLength(), ct.Data(), ct.ElementLength(), level, out.Data(),
                               out.ElementLength(), flags),
          "relinearize");
    return out;
  }

  // applyGalois(keys: BigUint64Array[], elts: number[], ct (size 2), level, flags, outs?):
  // one result per element (in `outs` when given); more than one element shares one
  // decomposition.
  Napi::Value ApplyGalois(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    if (!info[0].IsArray() || !info[1].IsArray()) throw_invalid(env, "keys and elements must be arrays");
    Napi::Array keys = info[0].As<Napi::Array>();
    Napi::Array elts = info[1].As<Napi::Array>();
    const uint32_t count = keys.Length();
    if (count == 0 || elts.Length() != count) throw_invalid(env, "one Galois key per element, at least one");
    std::vector<const uint64_t *> key_ptrs(count);
    std::vector<uint32_t> elt_values(count);
    for (uint32_t r = 0; r < count; ++r) {
      Napi::TypedArrayOf<uint64_t> key = to_u64_array(keys.Get(r), "galoisKey");
      if (key.ElementLength() != KeyWords())
        throw_status(env, HLP_E_LENGTH_MISMATCH, "applyGalois: key " + std::to_string(r));
      key_ptrs[r] = key.Data();
      elt_values[r] = to_u32(elts.Get(r), "galoisElt");
    }
    Napi::TypedArrayOf<uint64_t> ct = to_u64_array(info[2], "ciphertext");
    const uint32_t level = Level(env, info[3], 1, "applyGalois");
    const uint32_t flags = to_u32(info[4], "flags");
    Napi::Array results;
    std::vector<uint64_t *> out_ptrs;
    outs_u64(env, info[5], count, 2 * Poly(level), "element", results, out_ptrs);
    check(env,
          hlp_ckks_apply_galois(ctx, key_ptrs.data(), KeyWords(), elt_values.data(), count, ct.Data(),
                                ct.ElementLength(), level, out_ptrs.data(), 2 * Poly(level), flags),
          "applyGalois");
    return results;
  }

  // rotateSum(keys: BigUint64Array[], elts: number[], cts: BigUint64Array[] (size 2), level, flags, out?):
  // the sum of the rotations, one division by P for all.
  Napi::Value RotateSum(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    if (!info[0].IsArray() || !info[1].IsArray() || !info[2].IsArray()) {
      throw_invalid(env, "keys, elements and ciphertexts must be arrays");
    }
    Napi::Array keys = info[0].As<Napi::Array>();
    Napi::Array elts = info[1].As<Napi::Array>();
    Napi::Array cts = info[2].As<Napi::Array>();
    const uint32_t count = keys.Length();
    if (count == 0 || elts.Length() != count || cts.Length() != count) {
      throw_invalid(env, "one Galois key and one element per ciphertext, at least one");
    }
    const uint32_t level = Level(env, info[3], 1, "rotateSum");
    const std::size_t words = 2 * Poly(level);
    std::vector<const uint64_t *> key_ptrs(count), ct_ptrs(count);
    std::vector<uint32_t> elt_values(count);
    for (uint32_t r = 0; r < count; ++r) {
      Napi::TypedArrayOf<uint64_t> key = to_u64_array(keys.Get(r), "galoisKey");
      if (key.ElementLength() != KeyWords())
        throw_status(env, HLP_E_LENGTH_MISMATCH, "rotateSum: key " + std::to_string(r));
      Napi::TypedArrayOf<uint64_t> ct = to_u64_array(cts.Get(r), "ciphertext");
      if (ct.ElementLength() != words)
        throw_status(env, HLP_E_LENGTH_MISMATCH, "rotateSum: ciphertext " + std::to_string(r));
      key_ptrs[r] = key.Data();
      ct_ptrs[r] = ct.Data();
      elt_values[r] = to_u32(elts.Get(r), "galoisElt");
    }
    const uint32_t flags = to_u32(info[4], "flags");
    auto out = out_u64(env, info[5], words);
    check(env,
          hlp_ckks_rotate_sum(ctx, key_ptrs.data(), KeyWords(), elt_values.data(), ct_ptrs.data(), words, count, level,
                              out.Data(), out.ElementLength(), flags),
          "rotateSum");
    return out;
  }

  // hoistingKey(galoisKey, elt) -> the key's blocks permuted by the inverse automorphism
  Napi::Value HoistingKey(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint64_t> key = to_u64_array(info[0], "galoisKey");
    const uint32_t elt = to_u32(info[1], "galoisElt");
    auto out = new_u64(env, KeyWords());
    check(env, hlp_ckks_hoisting_key(ctx, key.Data(), key.ElementLength(), elt, out.Data(), out.ElementLength()),
          "hoistingKey");
    return out;
  }

  // multiplyRelinRescale(key, a, b, level, flags, out?) -> size 2 at level - 1
  Napi::Value MultiplyRelinRescale(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint64_t> key = to_u64_array(info[0], "relinKey");
    Napi::TypedArrayOf<uint64_t> a = to_u64_array(info[1], "a");
    Napi::TypedArrayOf<uint64_t> b = to_u64_array(info[2], "b");
    const uint32_t level = Level(env, info[3], 2, "multiplyRelinRescale");
    const uint32_t flags = to_u32(info[4], "flags");
    auto out = out_u64(env, info[5], 2 * Poly(level - 1));
    check(env,
          hlp_ckks_multiply_relin_rescale(ctx, key.Data(), key.ElementLength(), a.Data(), a.ElementLength(), b.Data(),
                                          b.ElementLength(), level, out.Data(), out.ElementLength(), flags),
          "multiplyRelinRescale");
    return out;
  }

  Napi::Value Dispose(const Napi::CallbackInfo &info) {
    // In-flight async work holds its own reference, so the context outlives it.
    ctx_.reset();
    return info.Env().Undefined();
  }

  CkksPtr ctx_;
  uint32_t n_ = 0;
  uint32_t k_ = 0;
};

}  // namespace

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
