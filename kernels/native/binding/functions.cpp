#include "functions.hpp"

#include <string>
#include <vector>

#include "convert.hpp"
#include "worker-priority.hpp"

namespace hlp_binding {

Napi::Value CpuFeatures(const Napi::CallbackInfo &info) { return Napi::String::New(info.Env(), hlp_cpu_features()); }

Napi::Value Variants(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Array list = Napi::Array::New(env);
  for (int v = 0; v < HLP_VARIANT_COUNT; ++v) {
    const auto variant = static_cast<hlp_variant>(v);
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", hlp_variant_name(variant));
    o.Set("compiled", Napi::Boolean::New(env, hlp_variant_compiled(variant) != 0));
    o.Set("available", Napi::Boolean::New(env, hlp_variant_available(variant) != 0));
    list.Set(static_cast<uint32_t>(v), o);
  }
  return list;
}

Napi::Value DefaultVariant(const Napi::CallbackInfo &info) {
  return Napi::String::New(info.Env(), hlp_variant_name(hlp_variant_default()));
}

Napi::Value IsPrime(const Napi::CallbackInfo &info) {
  return Napi::Boolean::New(info.Env(), hlp_is_prime(to_u64(info[0], "q")) != 0);
}

Napi::Value GenerateNttPrimes(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const uint32_t bits = to_u32(info[0], "bits");
  const uint32_t n = to_u32(info[1], "n");
  const uint32_t count = to_u32(info[2], "count");
  if (count == 0 || count > 4096) throw_invalid(env, "count must be in [1, 4096]");
  std::vector<uint64_t> out(count);
  const hlp_status st = hlp_generate_ntt_primes(bits, n, count, out.data());
  if (st != HLP_OK) throw_status(env, st, "generateNttPrimes(" + std::to_string(bits) + ", " + std::to_string(n) + ")");
  auto arr = Napi::TypedArrayOf<uint64_t>::New(env, count, napi_biguint64_array);
  for (uint32_t i = 0; i < count; ++i) arr[i] = out[i];
  return arr;
}

Napi::Value MinimalPrimitiveRoot(const Napi::CallbackInfo &info) {
  uint64_t out = 0;
  check(info.Env(), hlp_minimal_primitive_root(to_u64(info[0], "q"), to_u64(info[1], "order"), &out),
        "minimalPrimitiveRoot");
  return bigint(info.Env(), out);
}

namespace {

// (a, b, q) -> bigint
template <hlp_status (*Fn)(uint64_t, uint64_t, uint64_t, uint64_t *)>
Napi::Value Ternary(const Napi::CallbackInfo &info) {
  uint64_t out = 0;
  check(info.Env(), Fn(to_u64(info[0], "a"), to_u64(info[1], "b"), to_u64(info[2], "q"), &out), "modular arithmetic");
  return bigint(info.Env(), out);
}

}  // namespace

Napi::Value MulModBarrett(const Napi::CallbackInfo &info) { return Ternary<hlp_mul_mod_barrett>(info); }
Napi::Value MulModShoup(const Napi::CallbackInfo &info) { return Ternary<hlp_mul_mod_shoup>(info); }
Napi::Value PowMod(const Napi::CallbackInfo &info) { return Ternary<hlp_pow_mod>(info); }

Napi::Value InvMod(const Napi::CallbackInfo &info) {
  uint64_t out = 0;
  check(info.Env(), hlp_inv_mod(to_u64(info[0], "a"), to_u64(info[1], "q"), &out), "invMod");
  return bigint(info.Env(), out);
}

// (words, zeroed) -> a BigUint64Array of `words` words starting on a cache line
Napi::Value AlignedWords(const Napi::CallbackInfo &info) {
  const uint64_t words = to_u64(info[0], "words");
  if (words > (uint64_t{1} << 34)) throw_invalid(info.Env(), "words must be at most 2^34");
  return aligned_u64(info.Env(), static_cast<std::size_t>(words), info[1].ToBoolean().Value());
}

// (view) -> the address of the view's first byte modulo kWordAlignment
Napi::Value ByteAlignment(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray()) throw_invalid(env, "view must be a typed array");
  // The raw call: it reads views of a SharedArrayBuffer too, which Napi::ArrayBuffer refuses.
  void *first = nullptr;
  if (napi_get_typedarray_info(env, info[0], nullptr, nullptr, &first, nullptr, nullptr) != napi_ok) {
    throw_invalid(env, "view must be a typed array");
  }
  return Napi::Number::New(env, static_cast<double>(reinterpret_cast<std::uintptr_t>(first) % kWordAlignment));
}

// (nice) -> the niceness now in force for pool threads running this addon's work
Napi::Value SetWorkerNice(const Napi::CallbackInfo &info) {
  const uint32_t nice = to_u32(info[0], "nice");
  if (nice > 19) throw_invalid(info.Env(), "nice must be in [0, 19]");
  set_worker_nice(static_cast<int>(nice));
  return Napi::Number::New(info.Env(), worker_nice());
}

// (seed, firstBlock, out, variant) -> out filled with SEAL's SHAKE256 stream from that block
Napi::Value Shake256Blocks(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const Napi::TypedArrayOf<uint8_t> seed = to_u8_array(info[0], "seed");
  const uint32_t first = to_u32(info[1], "firstBlock");
  Napi::TypedArrayOf<uint8_t> out = to_u8_array(info[2], "out");
  const hlp_variant variant = info[3].IsUndefined() ? HLP_VARIANT_AUTO : to_variant(info[3]);
  check(env, hlp_shake256_blocks(variant, seed.Data(), seed.ElementLength(), first, out.Data(), out.ElementLength()),
        "shake256Blocks");
  return out;
}

// (seed, out, variant) -> out filled with the AES-256-CTR keystream of the seed
Napi::Value Aes256ctrStream(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const Napi::TypedArrayOf<uint8_t> seed = to_u8_array(info[0], "seed");
  Napi::TypedArrayOf<uint8_t> out = to_u8_array(info[1], "out");
  const hlp_variant variant = info[2].IsUndefined() ? HLP_VARIANT_AUTO : to_variant(info[2]);
  check(env, hlp_aes256ctr_stream(variant, seed.Data(), seed.ElementLength(), out.Data(), out.ElementLength()),
        "aes256ctrStream");
  return out;
}

// (seed, firstBlock, out, variant) -> out filled with SEAL's BLAKE2Xb stream from that block
Napi::Value Blake2xbBlocks(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const Napi::TypedArrayOf<uint8_t> seed = to_u8_array(info[0], "seed");
  const uint32_t first = to_u32(info[1], "firstBlock");
  Napi::TypedArrayOf<uint8_t> out = to_u8_array(info[2], "out");
  const hlp_variant variant = info[3].IsUndefined() ? HLP_VARIANT_AUTO : to_variant(info[3]);
  check(env, hlp_blake2xb_blocks(variant, seed.Data(), seed.ElementLength(), first, out.Data(), out.ElementLength()),
        "blake2xbBlocks");
  return out;
}

}  // namespace hlp_binding
