// CkksCore's evaluation methods: sums, negation, plaintext products and sums of products,
// ciphertext products, rescale and modulus switch, and the fused plaintext product and rescale.
#include <string>
#include <vector>

#include "batch-args.hpp"
#include "batch-worker.hpp"
#include "ckks-core-wrap.hpp"
#include "convert.hpp"

namespace hlp_binding {

// addSub(op: 'add' | 'sub', a, aSize, b, bSize, level, flags, out?)
Napi::Value CkksCoreWrap::AddSub(const Napi::CallbackInfo &info) {
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
Napi::Value CkksCoreWrap::Negate(const Napi::CallbackInfo &info) {
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
Napi::Value CkksCoreWrap::PlainOp(const Napi::CallbackInfo &info) {
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
Napi::Value CkksCoreWrap::MultiplyPlainAccumulate(const Napi::CallbackInfo &info) {
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
Napi::Value CkksCoreWrap::MultiplyPlainAccumulateGroups(const Napi::CallbackInfo &info) {
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
      throw_status(
          env, HLP_E_LENGTH_MISMATCH,
          "multiplyPlainAccumulateGroups: group " + std::to_string(k / count) + ", term " + std::to_string(k % count));
    }
    plain_ptrs[k] = plain.Data();
  }
  Napi::Array results;
  std::vector<uint64_t *> out_ptrs;
  outs_u64(env, info[6], groups, 2 * Poly(level), "group", results, out_ptrs);
  check(env,
        hlp_ckks_multiply_plain_accumulate_groups(ctx, ct_ptrs.data(), count, plain_ptrs.data(), groups, repeat, level,
                                                  out_ptrs.data(), 2 * Poly(level), flags),
        "multiplyPlainAccumulateGroups");
  return results;
}

// plainRepeat(plain, level): hlp_ckks_plain_repeat, refusing a bad shape.
Napi::Value CkksCoreWrap::PlainRepeat(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  hlp_ckks_context *ctx = Ctx(env);
  Napi::TypedArrayOf<uint64_t> plain = to_u64_array(info[0], "plain");
  const uint32_t level = Level(env, info[1], 1, "plainRepeat");
  if (plain.ElementLength() != Poly(level)) throw_status(env, HLP_E_LENGTH_MISMATCH, "plainRepeat: plaintext");
  return Napi::Number::New(env, hlp_ckks_plain_repeat(ctx, plain.Data(), plain.ElementLength(), level));
}

// multiply(a, b, level, flags, out?)
Napi::Value CkksCoreWrap::Multiply(const Napi::CallbackInfo &info) {
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
Napi::Value CkksCoreWrap::DropLevel(const Napi::CallbackInfo &info) {
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
Napi::Value CkksCoreWrap::MultiplyPlainRescale(const Napi::CallbackInfo &info) {
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

}  // namespace hlp_binding
