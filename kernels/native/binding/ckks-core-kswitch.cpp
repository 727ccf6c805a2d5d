// CkksCore's key-switching methods: Galois elements, key-switching keys (made and checked),
// relinearization, rotations one at a time or hoisted, sums of rotations, hoisting keys, and
// the fused product with relinearization and rescale.
#include <string>
#include <vector>

#include "batch-args.hpp"
#include "batch-worker.hpp"
#include "ckks-core-wrap.hpp"
#include "convert.hpp"

namespace hlp_binding {

// galoisElement(steps: number): 0 is conjugation
Napi::Value CkksCoreWrap::GaloisElement(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw_invalid(env, "steps must be a number");
  const double d = info[0].As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int32_t>(d))) throw_invalid(env, "steps must be a 32-bit integer");
  uint32_t elt = 0;
  check(env, hlp_ckks_galois_element(Ctx(env), static_cast<int32_t>(d), &elt), "galoisElement");
  return Napi::Number::New(env, elt);
}

Napi::Value CkksCoreWrap::CheckKswitchKey(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::TypedArrayOf<uint64_t> key = to_u64_array(info[0], "key");
  check(env, hlp_ckks_check_kswitch_key(Ctx(env), key.Data(), key.ElementLength()), "key-switching key");
  return env.Undefined();
}

// keygenKswitch(secretKey, galoisElt (0: relinearization), uniform, noise, flags)
Napi::Value CkksCoreWrap::KeygenKswitch(const Napi::CallbackInfo &info) {
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
Napi::Value CkksCoreWrap::Relinearize(const Napi::CallbackInfo &info) {
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
Napi::Value CkksCoreWrap::ApplyGalois(const Napi::CallbackInfo &info) {
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
        hlp_ckks_apply_galois(ctx, key_ptrs.data(), KeyWords(), elt_values.data(), count, ct.Data(), ct.ElementLength(),
                              level, out_ptrs.data(), 2 * Poly(level), flags),
        "applyGalois");
  return results;
}

// rotateSum(keys: BigUint64Array[], elts: number[], cts: BigUint64Array[] (size 2), level, flags, out?):
// the sum of the rotations, one division by P for all.
Napi::Value CkksCoreWrap::RotateSum(const Napi::CallbackInfo &info) {
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
Napi::Value CkksCoreWrap::HoistingKey(const Napi::CallbackInfo &info) {
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
Napi::Value CkksCoreWrap::MultiplyRelinRescale(const Napi::CallbackInfo &info) {
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

}  // namespace hlp_binding
