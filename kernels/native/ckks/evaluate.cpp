// Decryption and the CKKS operations that need no key switching, on RNS data in NTT
// form, as SEAL's Decryptor and Evaluator compute them:
//   decrypt       m = c0 + c1 s (+ c2 s^2), s's first `level` blocks
//   add/sub       component-wise; the shorter operand is zero-extended
//   add_plain     c0 + m;  multiply_plain  every c_j * m
//   multiply      (a0, a1) x (b0, b1) = (a0 b0, a0 b1 + a1 b0, a1 b1)
//   rescale       rescale_to_next: every c_j divided by q_{L-1} with rounding
//                 (RNSTool::divide_and_round_q_last_ntt_inplace), scale / q_{L-1}
//   mod_switch    mod_switch_to_next for CKKS: drop the last block, scale unchanged
//   multiply_plain_rescale  rescale(ct * plain) (+ addend): the three calls of an affine map
//                 y = a x + b in one, bit for bit theirs
#include <cstring>
#include <new>
#include <optional>

#include "ckks.hpp"

using hlp::u64;
using hlp::ckks::check_level;
using hlp::ckks::check_poly;
using hlp::ckks::ScratchLease;

namespace {

// Exact alias (same start and length) is allowed for element-wise operations.
bool bad_alias(const void *out, std::size_t out_words, const void *in, std::size_t in_words) {
  if (out == in && out_words == in_words) return false;
  return hlp::ckks::overlaps(out, out_words, in, in_words);
}

void negate_block(u64 *dst, const u64 *src, std::size_t n, u64 q) {
  for (std::size_t i = 0; i < n; ++i) {
    const u64 x = src[i];
    dst[i] = (q - x) & (0 - static_cast<u64>(x != 0));
  }
}

enum class AddOp { kAdd, kSub };

hlp_status add_sub(const hlp_ckks_context *ctx, const uint64_t *a, size_t a_words, uint32_t a_size, const uint64_t *b,
                   size_t b_words, uint32_t b_size, uint32_t level, uint64_t *out, size_t out_words, uint32_t flags,
                   AddOp op) {
  hlp_status st = check_level(ctx, level, out);
  if (st != HLP_OK) return st;
  if ((st = check_poly(ctx, a, a_words, a_size, level, flags)) != HLP_OK) return st;
  if ((st = check_poly(ctx, b, b_words, b_size, level, flags)) != HLP_OK) return st;
  const uint32_t out_size = a_size > b_size ? a_size : b_size;
  const std::size_t n = ctx->n;
  const std::size_t poly = level * n;
  if (out_words != poly * out_size) return HLP_E_LENGTH_MISMATCH;
  if (bad_alias(out, out_words, a, a_words) || bad_alias(out, out_words, b, b_words)) return HLP_E_INVALID_ARGUMENT;
  const hlp::KernelOps &ops = *ctx->ops;
  for (uint32_t j = 0; j < out_size; ++j) {
    for (uint32_t i = 0; i < level; ++i) {
      const std::size_t off = j * poly + i * n;
      const hlp::Modulus &m = ctx->tables[i].modulus;
      if (j < a_size && j < b_size) {
        (op == AddOp::kAdd ? ops.add_mod : ops.sub_mod)(out + off, a + off, b + off, n, m);
      } else if (j < a_size) {
        if (out != a) std::memcpy(out + off, a + off, n * sizeof(u64));
      } else if (op == AddOp::kAdd) {
        if (out != b) std::memcpy(out + off, b + off, n * sizeof(u64));
      } else {
        negate_block(out + off, b + off, n, m.value);
      }
    }
  }
  return HLP_OK;
}

// out_j = in_j divided by q_{level-1} with rounding, for each of `size` components.
void rescale_poly(const hlp_ckks_context *ctx, hlp::ckks::Scratch &s, const u64 *in, uint32_t level, u64 *out) {
  const uint32_t last = level - 1;
  hlp::ckks::divide_round_last(ctx, s, in, last, in + last * ctx->n, last, out, false);
}

}  // namespace

namespace hlp {
namespace ckks {

// Shape checks shared by the operations: level in range, exact word counts.
hlp_status check_poly(const hlp_ckks_context *ctx, const uint64_t *p, std::size_t words, uint32_t size, uint32_t level,
                      uint32_t flags) {
  if (p == nullptr) return HLP_E_INVALID_ARGUMENT;
  if (size < 1 || size > 3) return HLP_E_INVALID_ARGUMENT;
  const std::size_t poly = static_cast<std::size_t>(level) * ctx->n;
  if (words != poly * size) return HLP_E_LENGTH_MISMATCH;
  if (flags & HLP_FLAG_CHECK_INPUT) {
    for (uint32_t j = 0; j < size; ++j) {
      if (!rns_below(ctx, p + j * poly, level)) return HLP_E_VALUE_OUT_OF_RANGE;
    }
  }
  return HLP_OK;
}

hlp_status check_level(const hlp_ckks_context *ctx, uint32_t level, const void *out) {
  if (ctx == nullptr || out == nullptr) return HLP_E_INVALID_ARGUMENT;
  if (level < 1 || level > ctx->k) return HLP_E_INVALID_ARGUMENT;
  return HLP_OK;
}

void divide_round_last(const hlp_ckks_context *ctx, Scratch &s, const u64 *in, uint32_t blocks, const u64 *last,
                       uint32_t t, u64 *out, bool accumulate) {
  const std::size_t n = ctx->n;
  const KernelOps &ops = *ctx->ops;
  const DivideRound &d = ctx->divide[t];
  u64 *y = s.t0.data();
  std::memcpy(y, last, n * sizeof(u64));
  ops.ntt_inverse(y, ctx->tables[t]);
  simd().last_block(y, nullptr, n, d.half, ctx->moduli[t]);  // y = (c_t + half) mod q_t + offset
  for (uint32_t b = 0; b < blocks; ++b) {
    const u64 q = ctx->moduli[b];
    const u64 inv = d.inv[b], inv_shoup = d.inv_shoup[b];
    u64 *corr = s.t1.data();
    // r q_t^-1 mod q_b, r = (c_t + half) mod q_t - half
    simd().correction(y, n, q, inv, inv_shoup, d.neg_offset[b], nullptr, corr);
    ops.ntt_forward(corr, ctx->tables[b]);
    const u64 *src = in + b * n;
    u64 *dst = out + b * n;
    // (c_b - r) q_t^-1 = c_b q_t^-1 - NTT(r q_t^-1): the correction kernel with offset 0
    // computes the product and the difference in one pass.
    if (accumulate) {
      simd().correction(src, n, q, inv, inv_shoup, 0, corr, corr);
      ops.add_mod(dst, dst, corr, n, ctx->tables[b].modulus);
    } else {
      simd().correction(src, n, q, inv, inv_shoup, 0, corr, dst);
    }
  }
}

}  // namespace ckks
}  // namespace hlp

extern "C" {

hlp_status hlp_ckks_decrypt(const hlp_ckks_context *ctx, const uint64_t *secret_key, size_t secret_key_words,
                            const uint64_t *ciphertext, size_t ciphertext_words, uint32_t size, uint32_t level,
                            uint64_t *plain, size_t plain_words, uint32_t flags) {
  hlp_status st = check_level(ctx, level, plain);
  if (st != HLP_OK) return st;
  if (secret_key == nullptr) return HLP_E_INVALID_ARGUMENT;
  if (secret_key_words != static_cast<std::size_t>(ctx->k + 1) * ctx->n) return HLP_E_LENGTH_MISMATCH;
  if ((flags & HLP_FLAG_CHECK_INPUT) && !hlp::ckks::rns_below(ctx, secret_key, ctx->k + 1)) {
    return HLP_E_VALUE_OUT_OF_RANGE;
  }
  if (size < 2) return HLP_E_INVALID_ARGUMENT;
  if ((st = check_poly(ctx, ciphertext, ciphertext_words, size, level, flags)) != HLP_OK) return st;
  const std::size_t n = ctx->n;
  const std::size_t poly = level * n;
  if (plain_words != poly) return HLP_E_LENGTH_MISMATCH;
  if (hlp::ckks::overlaps(plain, plain_words, ciphertext, ciphertext_words) ||
      hlp::ckks::overlaps(plain, plain_words, secret_key, secret_key_words)) {
    return HLP_E_INVALID_ARGUMENT;
  }
  try {
    // Only a three-part ciphertext needs scratch (s^2); a lease is wiped when returned, which
    // for two parts would cost more than the decryption.
    std::optional<ScratchLease> lease;
    if (size == 3) lease.emplace(ctx);
    const hlp::KernelOps &ops = *ctx->ops;
    for (uint32_t i = 0; i < level; ++i) {
      const hlp::Modulus &m = ctx->tables[i].modulus;
      const u64 *s = secret_key + i * n;
      u64 *dst = plain + i * n;
      ops.mul_mod(dst, ciphertext + poly + i * n, s, n, m);
      ops.add_mod(dst, dst, ciphertext + i * n, n, m);
      if (size == 3) {
        u64 *t = (*lease)->t0.data();
        ops.mul_mod(t, s, s, n, m);
        ops.mul_mod(t, t, ciphertext + 2 * poly + i * n, n, m);
        ops.add_mod(dst, dst, t, n, m);
      }
    }
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

hlp_status hlp_ckks_add(const hlp_ckks_context *ctx, const uint64_t *a, size_t a_words, uint32_t a_size,
                        const uint64_t *b, size_t b_words, uint32_t b_size, uint32_t level, uint64_t *out,
                        size_t out_words, uint32_t flags) {
  return add_sub(ctx, a, a_words, a_size, b, b_words, b_size, level, out, out_words, flags, AddOp::kAdd);
}

hlp_status hlp_ckks_sub(const hlp_ckks_context *ctx, const uint64_t *a, size_t a_words, uint32_t a_size,
                        const uint64_t *b, size_t b_words, uint32_t b_size, uint32_t level, uint64_t *out,
                        size_t out_words, uint32_t flags) {
  return add_sub(ctx, a, a_words, a_size, b, b_words, b_size, level, out, out_words, flags, AddOp::kSub);
}

hlp_status hlp_ckks_negate(const hlp_ckks_context *ctx, const uint64_t *a, size_t a_words, uint32_t a_size,
                           uint32_t level, uint64_t *out, size_t out_words, uint32_t flags) {
  hlp_status st = check_level(ctx, level, out);
  if (st != HLP_OK) return st;
  if ((st = check_poly(ctx, a, a_words, a_size, level, flags)) != HLP_OK) return st;
  if (out_words != a_words) return HLP_E_LENGTH_MISMATCH;
  if (bad_alias(out, out_words, a, a_words)) return HLP_E_INVALID_ARGUMENT;
  const std::size_t n = ctx->n;
  for (uint32_t j = 0; j < a_size; ++j) {
    for (uint32_t i = 0; i < level; ++i) {
      const std::size_t off = (j * level + i) * n;
      negate_block(out + off, a + off, n, ctx->moduli[i]);
    }
  }
  return HLP_OK;
}

hlp_status hlp_ckks_add_plain(const hlp_ckks_context *ctx, const uint64_t *ct, size_t ct_words, uint32_t ct_size,
                              const uint64_t *plain, size_t plain_words, uint32_t level, uint64_t *out,
                              size_t out_words, uint32_t flags) {
  hlp_status st = check_level(ctx, level, out);
  if (st != HLP_OK) return st;
  if ((st = check_poly(ctx, ct, ct_words, ct_size, level, flags)) != HLP_OK) return st;
  if ((st = check_poly(ctx, plain, plain_words, 1, level, flags)) != HLP_OK) return st;
  if (out_words != ct_words) return HLP_E_LENGTH_MISMATCH;
  if (bad_alias(out, out_words, ct, ct_words) || hlp::ckks::overlaps(out, out_words, plain, plain_words)) {
    return HLP_E_INVALID_ARGUMENT;
  }
  const std::size_t n = ctx->n;
  for (uint32_t i = 0; i < level; ++i)
    ctx->ops->add_mod(out + i * n, ct + i * n, plain + i * n, n, ctx->tables[i].modulus);
  if (out != ct) std::memcpy(out + level * n, ct + level * n, (ct_words - level * n) * sizeof(u64));
  return HLP_OK;
}

hlp_status hlp_ckks_multiply_plain(const hlp_ckks_context *ctx, const uint64_t *ct, size_t ct_words, uint32_t ct_size,
                                   const uint64_t *plain, size_t plain_words, uint32_t level, uint64_t *out,
                                   size_t out_words, uint32_t flags) {
  hlp_status st = check_level(ctx, level, out);
  if (st != HLP_OK) return st;
  if ((st = check_poly(ctx, ct, ct_words, ct_size, level, flags)) != HLP_OK) return st;
  if ((st = check_poly(ctx, plain, plain_words, 1, level, flags)) != HLP_OK) return st;
  if (out_words != ct_words) return HLP_E_LENGTH_MISMATCH;
  if (bad_alias(out, out_words, ct, ct_words) || hlp::ckks::overlaps(out, out_words, plain, plain_words)) {
    return HLP_E_INVALID_ARGUMENT;
  }
  const std::size_t n = ctx->n;
  for (uint32_t j = 0; j < ct_size; ++j) {
    for (uint32_t i = 0; i < level; ++i) {
      const std::size_t off = (j * level + i) * n;
      ctx->ops->mul_mod(out + off, ct + off, plain + i * n, n, ctx->tables[i].modulus);
    }
  }
  return HLP_OK;
}

hlp_status hlp_ckks_multiply_plain_accumulate(const hlp_ckks_context *ctx, const uint64_t *const *cts,
                                              const uint64_t *const *plains, uint32_t count, uint32_t level,
                                              uint64_t *out, size_t out_words, uint32_t flags) {
  hlp_status st = check_level(ctx, level, out);
  if (st != HLP_OK) return st;
  if (cts == nullptr || plains == nullptr || count == 0) return HLP_E_INVALID_ARGUMENT;
  const std::size_t n = ctx->n;
  const std::size_t poly = static_cast<std::size_t>(level) * n;
  if (out_words != 2 * poly) return HLP_E_LENGTH_MISMATCH;
  for (uint32_t t = 0; t < count; ++t) {
    if ((st = check_poly(ctx, cts[t], 2 * poly, 2, level, flags)) != HLP_OK) return st;
    if ((st = check_poly(ctx, plains[t], poly, 1, level, flags)) != HLP_OK) return st;
    if (hlp::ckks::overlaps(out, out_words, cts[t], 2 * poly) || hlp::ckks::overlaps(out, out_words, plains[t], poly)) {
      return HLP_E_INVALID_ARGUMENT;
    }
  }
  try {
    std::vector<const u64 *> terms(3 * static_cast<std::size_t>(count));
    const u64 **pt = terms.data(), **c0 = pt + count, **c1 = c0 + count;
    const hlp::ckks::SimdKernels &simd = hlp::ckks::simd();
    for (uint32_t i = 0; i < level; ++i) {
      const std::size_t off = static_cast<std::size_t>(i) * n;
      for (uint32_t t = 0; t < count; ++t) {
        pt[t] = plains[t] + off;
        c0[t] = cts[t] + off;
        c1[t] = cts[t] + poly + off;
      }
      simd.dot2(pt, nullptr, c0, c1, count, n, ctx->tables[i].modulus, out + off, out + poly + off);
    }
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

// Positions a group pair's sums take at a time: the ciphertexts' words of a block (a 768 x 768
// product's 40 baby steps: 640 KiB) stay in L2 while every group reads them.
constexpr std::size_t kGroupBlockWords = 1024;

namespace {

// A compact plaintext (level blocks of n / repeat words, NTT form): its shape, and with
// HLP_FLAG_CHECK_INPUT every word below its block's prime.
hlp_status check_compact_plain(const hlp_ckks_context *ctx, const uint64_t *p, uint32_t repeat, uint32_t level,
                               uint32_t flags) {
  if (repeat == 1) return check_poly(ctx, p, static_cast<std::size_t>(level) * ctx->n, 1, level, flags);
  if (p == nullptr) return HLP_E_INVALID_ARGUMENT;
  if (flags & HLP_FLAG_CHECK_INPUT) {
    const std::size_t words = ctx->n / repeat;
    for (uint32_t b = 0; b < level; ++b) {
      if (!hlp::ckks::simd().below(p + b * words, words, ctx->moduli[b])) return HLP_E_VALUE_OUT_OF_RANGE;
    }
  }
  return HLP_OK;
}

}  // namespace

uint32_t hlp_ckks_plain_repeat(const hlp_ckks_context *ctx, const uint64_t *plain, size_t words, uint32_t level) {
  if (ctx == nullptr || plain == nullptr || level < 1 || level > ctx->k) return 0;
  if (words != static_cast<std::size_t>(level) * ctx->n) return 0;
  uint32_t repeat = 1;
  while (repeat < HLP_CKKS_MAX_PLAIN_REPEAT && ctx->n % (2 * repeat) == 0) {
    // runs of 2R: both halves, runs of R already, equal
    const std::size_t half = repeat;
    bool equal = true;
    for (std::size_t x = 0; x < words && equal; x += 2 * half) equal = plain[x] == plain[x + half];
    if (!equal) break;
    repeat *= 2;
  }
  return repeat;
}

hlp_status hlp_ckks_multiply_plain_accumulate_groups(const hlp_ckks_context *ctx, const uint64_t *const *cts,
                                                     uint32_t count, const uint64_t *const *plains, uint32_t groups,
                                                     uint32_t plain_repeat, uint32_t level, uint64_t *const *outs,
                                                     size_t out_words, uint32_t flags) {
  if (outs == nullptr || cts == nullptr || plains == nullptr || count == 0 || groups == 0) {
    return HLP_E_INVALID_ARGUMENT;
  }
  hlp_status st = check_level(ctx, level, outs[0]);
  if (st != HLP_OK) return st;
  const std::size_t n = ctx->n;
  if (plain_repeat != 1 && plain_repeat != 2 && plain_repeat != 4 && plain_repeat != 8) return HLP_E_INVALID_ARGUMENT;
  if (n % (plain_repeat * 8) != 0) return HLP_E_INVALID_ARGUMENT;
  const std::size_t poly = static_cast<std::size_t>(level) * n;
  const std::size_t plain_words = poly / plain_repeat;
  if (out_words != 2 * poly) return HLP_E_LENGTH_MISMATCH;
  for (uint32_t t = 0; t < count; ++t) {
    if ((st = check_poly(ctx, cts[t], 2 * poly, 2, level, flags)) != HLP_OK) return st;
  }
  for (uint32_t g = 0; g < groups; ++g) {
    if (outs[g] == nullptr) return HLP_E_INVALID_ARGUMENT;
    bool any = false;
    for (uint32_t t = 0; t < count; ++t) {
      const uint64_t *plain = plains[static_cast<std::size_t>(g) * count + t];
      if (plain == nullptr) continue;
      any = true;
      if ((st = check_compact_plain(ctx, plain, plain_repeat, level, flags)) != HLP_OK) return st;
      if (hlp::ckks::overlaps(outs[g], out_words, plain, plain_words)) return HLP_E_INVALID_ARGUMENT;
    }
    if (!any) return HLP_E_INVALID_ARGUMENT;
    for (uint32_t t = 0; t < count; ++t) {
      if (hlp::ckks::overlaps(outs[g], out_words, cts[t], 2 * poly)) return HLP_E_INVALID_ARGUMENT;
    }
    for (uint32_t h = 0; h < g; ++h) {
      if (hlp::ckks::overlaps(outs[g], out_words, outs[h], out_words)) return HLP_E_INVALID_ARGUMENT;
    }
  }
  try {
    std::vector<const u64 *> terms(6 * static_cast<std::size_t>(count));
    const u64 **a = terms.data(), **a2 = a + count, **c0 = a2 + count, **c1 = c0 + count;
    const u64 **d0 = c1 + count, **d1 = d0 + count;  // c0, c1 of an unpaired group's terms
    const hlp::ckks::SimdKernels &simd = hlp::ckks::simd();
    const std::size_t block = n < kGroupBlockWords ? n : kGroupBlockWords;
    const auto plain = [&](uint32_t g, uint32_t t) { return plains[static_cast<std::size_t>(g) * count + t]; };
    // A compact plaintext's words for positions from `base` on (base is a multiple of the block).
    const auto plain_at = [&](uint32_t g, uint32_t t, std::size_t base) {
      return plain(g, t) == nullptr ? nullptr : plain(g, t) + base / plain_repeat;
    };
    // An odd group's sums of compact plaintexts go through dot2_pair beside an empty set, whose
    // zeros land here.
    std::vector<u64> unpaired(plain_repeat == 1 ? 0 : 2 * block);
    for (uint32_t i = 0; i < level; ++i) {
      const hlp::Modulus &m = ctx->tables[i].modulus;
      for (std::size_t base = static_cast<std::size_t>(i) * n; base < (i + 1) * n; base += block) {
        for (uint32_t t = 0; t < count; ++t) c0[t] = cts[t] + base, c1[t] = cts[t] + poly + base;
        for (uint32_t g = 0; g + 1 < groups; g += 2) {
          for (uint32_t t = 0; t < count; ++t) a[t] = plain_at(g, t, base), a2[t] = plain_at(g + 1, t, base);
          u64 *o = outs[g], *p = outs[g + 1];
          simd.dot2_pair(a, a2, plain_repeat, c0, c1, count, block, m, o + base, o + poly + base, p + base,
                         p + poly + base);
        }
        if (groups % 2 == 1 && plain_repeat != 1) {
          const uint32_t g = groups - 1;
          for (uint32_t t = 0; t < count; ++t) a[t] = plain_at(g, t, base), a2[t] = nullptr;
          simd.dot2_pair(a, a2, plain_repeat, c0, c1, count, block, m, outs[g] + base, outs[g] + poly + base,
                         unpaired.data(), unpaired.data() + block);
        } else if (groups % 2 == 1) {
          const uint32_t g = groups - 1;
          uint32_t k = 0;
          for (uint32_t t = 0; t < count; ++t) {
            if (plain(g, t) == nullptr) continue;
            a[k] = plain(g, t) + base, d0[k] = c0[t], d1[k] = c1[t];
            ++k;
          }
          simd.dot2(a, nullptr, d0, d1, k, block, m, outs[g] + base, outs[g] + poly + base);
        }
      }
    }
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

hlp_status hlp_ckks_multiply(const hlp_ckks_context *ctx, const uint64_t *a, size_t a_words, const uint64_t *b,
                             size_t b_words, uint32_t level, uint64_t *out, size_t out_words, uint32_t flags) {
  hlp_status st = check_level(ctx, level, out);
  if (st != HLP_OK) return st;
  if ((st = check_poly(ctx, a, a_words, 2, level, flags)) != HLP_OK) return st;
  if ((st = check_poly(ctx, b, b_words, 2, level, flags)) != HLP_OK) return st;
  const std::size_t n = ctx->n;
  const std::size_t poly = level * n;
  if (out_words != 3 * poly) return HLP_E_LENGTH_MISMATCH;
  if (hlp::ckks::overlaps(out, out_words, a, a_words) || hlp::ckks::overlaps(out, out_words, b, b_words)) {
    return HLP_E_INVALID_ARGUMENT;
  }
  try {
    ScratchLease lease(ctx, hlp::ckks::ScratchUse::kPublic);
    const hlp::KernelOps &ops = *ctx->ops;
    u64 *t = lease->t0.data();
    for (uint32_t i = 0; i < level; ++i) {
      const hlp::Modulus &m = ctx->tables[i].modulus;
      const std::size_t o = i * n;
      const u64 *a0 = a + o, *a1 = a + poly + o, *b0 = b + o, *b1 = b + poly + o;
      ops.mul_mod(out + o, a0, b0, n, m);
      ops.mul_mod(out + poly + o, a0, b1, n, m);
      ops.mul_mod(t, a1, b0, n, m);
      ops.add_mod(out + poly + o, out + poly + o, t, n, m);
      ops.mul_mod(out + 2 * poly + o, a1, b1, n, m);
    }
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

hlp_status hlp_ckks_rescale(const hlp_ckks_context *ctx, const uint64_t *ct, size_t ct_words, uint32_t size,
                            uint32_t level, uint64_t *out, size_t out_words, uint32_t flags) {
  hlp_status st = check_level(ctx, level, out);
  if (st != HLP_OK) return st;
  if (level < 2) return HLP_E_INVALID_ARGUMENT;
  if ((st = check_poly(ctx, ct, ct_words, size, level, flags)) != HLP_OK) return st;
  const std::size_t n = ctx->n;
  const std::size_t in_poly = level * n, out_poly = (level - 1) * n;
  if (out_words != out_poly * size) return HLP_E_LENGTH_MISMATCH;
  if (hlp::ckks::overlaps(out, out_words, ct, ct_words)) return HLP_E_INVALID_ARGUMENT;
  try {
    ScratchLease lease(ctx, hlp::ckks::ScratchUse::kPublic);
    for (uint32_t j = 0; j < size; ++j) rescale_poly(ctx, *lease.get(), ct + j * in_poly, level, out + j * out_poly);
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

hlp_status hlp_ckks_multiply_plain_rescale(const hlp_ckks_context *ctx, const uint64_t *ct, size_t ct_words,
                                           uint32_t size, const uint64_t *plain, size_t plain_words,
                                           const uint64_t *addend, size_t addend_words, uint32_t level, uint64_t *out,
                                           size_t out_words, uint32_t flags) {
  hlp_status st = check_level(ctx, level, out);
  if (st != HLP_OK) return st;
  if (level < 2) return HLP_E_INVALID_ARGUMENT;
  if ((st = check_poly(ctx, ct, ct_words, size, level, flags)) != HLP_OK) return st;
  if ((st = check_poly(ctx, plain, plain_words, 1, level, flags)) != HLP_OK) return st;
  if (addend != nullptr && (st = check_poly(ctx, addend, addend_words, 1, level - 1, flags)) != HLP_OK) return st;
  const std::size_t n = ctx->n;
  const std::size_t in_poly = level * n, out_poly = (level - 1) * n;
  if (out_words != out_poly * size) return HLP_E_LENGTH_MISMATCH;
  if (hlp::ckks::overlaps(out, out_words, ct, ct_words) || hlp::ckks::overlaps(out, out_words, plain, plain_words) ||
      (addend != nullptr && hlp::ckks::overlaps(out, out_words, addend, addend_words))) {
    return HLP_E_INVALID_ARGUMENT;
  }
  try {
    ScratchLease lease(ctx, hlp::ckks::ScratchUse::kPublic);
    hlp::ckks::Scratch &s = *lease.get();
    const hlp::KernelOps &ops = *ctx->ops;
    const hlp::ckks::SimdKernels &k = hlp::ckks::simd();
    const uint32_t t = level - 1;
    const hlp::ckks::DivideRound &d = ctx->divide[t];
    for (uint32_t j = 0; j < size; ++j) {
      const u64 *c = ct + j * in_poly;
      u64 *o = out + j * out_poly;
      // The last block's product is only ever needed in coefficient form.
      u64 *y = s.t0.data();
      ops.mul_mod(y, c + t * n, plain + t * n, n, ctx->tables[t].modulus);
      ops.ntt_inverse(y, ctx->tables[t]);
      k.last_block(y, nullptr, n, d.half, ctx->moduli[t]);
      const u64 *add = j == 0 ? addend : nullptr;
      for (uint32_t b = 0; b < t; ++b) {
        const hlp::Modulus &m = ctx->tables[b].modulus;
        u64 *corr = s.t1.data();
        k.correction(y, n, m.value, d.inv[b], d.inv_shoup[b], d.neg_offset[b], nullptr, corr);
        ops.ntt_forward(corr, ctx->tables[b]);
        u64 *dst = o + b * n;
        ops.mul_mod(dst, c + b * n, plain + b * n, n, m);
        if (add != nullptr) {
          // (c p - r) q_t^-1 + a in the pass that subtracts the rounding: add_plain without a pass of its own
          const hlp::ckks::Weights2 w{d.inv[b], d.inv_shoup[b], 1, hlp::shoup_precompute(1, m.value), 0};
          k.correction2(dst, add + b * n, n, m.value, w, corr, dst);
        } else {
          k.correction(dst, n, m.value, d.inv[b], d.inv_shoup[b], 0, corr, dst);
        }
      }
    }
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

hlp_status hlp_ckks_mod_switch(const hlp_ckks_context *ctx, const uint64_t *ct, size_t ct_words, uint32_t size,
                               uint32_t level, uint64_t *out, size_t out_words, uint32_t flags) {
  hlp_status st = check_level(ctx, level, out);
  if (st != HLP_OK) return st;
  if (level < 2) return HLP_E_INVALID_ARGUMENT;
  if ((st = check_poly(ctx, ct, ct_words, size, level, flags)) != HLP_OK) return st;
  const std::size_t n = ctx->n;
  const std::size_t in_poly = level * n, out_poly = (level - 1) * n;
  if (out_words != out_poly * size) return HLP_E_LENGTH_MISMATCH;
  if (hlp::ckks::overlaps(out, out_words, ct, ct_words)) return HLP_E_INVALID_ARGUMENT;
  for (uint32_t j = 0; j < size; ++j) std::memcpy(out + j * out_poly, ct + j * in_poly, out_poly * sizeof(u64));
  return HLP_OK;
}

}  // extern "C"
