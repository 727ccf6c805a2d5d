// Key generation and encryption, SEAL's way.
//
// Public key (SEAL KeyGenerator): s ternary at the key level (all k + 1 primes), NTT
// form; (pk0, pk1) = (-(a s + e), a) with a uniform, sampled directly in NTT form.
//
// Public-key encryption at level L (SEAL Encryptor + util::encrypt_zero_asymmetric +
// RNSTool::divide_and_round_q_last_ntt_inplace): SEAL encrypts zero with the primes
// q_0 .. q_L (for L = k that is the key level, q_L = p the special prime; for L < k it
// is the next data level up, whose pk blocks are the first L + 1 blocks of the key),
// c_j = pk_j u + e_j, and then divides each c_j by q_L with rounding:
//   x = INTT(c_j[L]) + (q_L - 1)/2 mod q_L,  r = x - (q_L - 1)/2  (the centred c_j[L])
//   c_j[i] = (c_j[i] - NTT(r mod q_i)) * q_L^-1 mod q_i,  i < L,
// and finally adds the plaintext (NTT form) to c_0.
//
// This file computes exactly the same integers with fewer transforms. Because
// c_j[i] = pk_j[i] u + NTT(e_j) and everything is linear,
//   c_j[i]' = pk_j[i] (u q_L^-1) - NTT((r - e_j) q_L^-1 - m),
// so e_j is added only in the coefficient domain (into the last block before the
// rounding, and into the small correction polynomial), the factor q_L^-1 is folded
// into u's per-prime residues when u is sampled, and m (when given in coefficient form
// by the fused encoder) rides along in the same forward NTT. Per ciphertext that is
// L + 1 forward NTTs for u, and per component one inverse NTT and L forward NTTs.
#include <cstring>
#include <new>

#include <vector>

#include "ckks.hpp"
#include "hlp/xof.h"

namespace hlp {
namespace ckks {

namespace {

// Ternary secret (u or s) at `primes` primes of the chain, in NTT form. With `divide`
// set, the data-prime residues i < primes - 1 are multiplied by q_last^-1 (folding the
// divide-and-round factor in); the last prime keeps plain u.
void ternary_ntt(const hlp_ckks_context *ctx, Scratch &s, const uint8_t *bytes, uint32_t primes,
                 const DivideRound *divide, u64 *out) {
  const std::size_t n = ctx->n;
  sample_ternary_raw(bytes, n, s.tern.data());
  const uint8_t *t = s.tern.data();
  for (uint32_t b = 0; b < primes; ++b) {
    const u64 q = ctx->moduli[b];
    u64 plus = 1, minus = q - 1;
    if (divide != nullptr && b + 1 < primes) {
      plus = divide->inv[b];
      minus = divide->neg_inv[b];
    }
    u64 *dst = out + b * n;
    simd().ternary_select(t, n, minus, plus, dst);
    ctx->ops->ntt_forward(dst, ctx->tables[b]);
  }
}

// One public-key encryption at `level` (see the file comment). pk has k + 1 blocks per
// component; plain_ntt (level blocks, NTT form) or plain_coeff (level blocks,
// coefficient form) may be given, not both.
void encrypt_public_one(const hlp_ckks_context *ctx, Scratch &s, const u64 *pk, uint32_t level, const uint8_t *rand,
                        const u64 *plain_ntt, const u64 *plain_coeff, u64 *out) {
  const std::size_t n = ctx->n;
  const KernelOps &ops = *ctx->ops;
  const uint32_t last = level;  // chain index of the prime divided out
  const DivideRound &d = ctx->divide[last];
  const u64 q_last = ctx->moduli[last];
  const std::size_t key_stride = static_cast<std::size_t>(ctx->k + 1) * n;

  u64 *u = s.u.data();
  ternary_ntt(ctx, s, rand, level + 1, &d, u);
  sample_noise(rand + n * kTernaryBytesPerCoeff, n, s.e0.data());
  sample_noise(rand + n * (kTernaryBytesPerCoeff + kNoiseBytesPerCoeff), n, s.e1.data());

  for (int j = 0; j < 2; ++j) {
    const u64 *pkj = pk + j * key_stride;
    const i64 *e = j == 0 ? s.e0.data() : s.e1.data();
    u64 *outj = out + static_cast<std::size_t>(j) * level * n;
    // Last block: y = INTT(pk_j u) mod q_last, then x = (y + e + half) mod q_last, and
    // V = x - e + offset >= 0 so that (r - e) q_last^-1 = V q_last^-1 - (half + offset) q_last^-1.
    u64 *y = s.t0.data();
    ops.mul_mod(y, pkj + last * n, u + last * n, n, ctx->tables[last].modulus);
    ops.ntt_inverse(y, ctx->tables[last]);
    simd().last_block(y, e, n, d.half, q_last);
    for (uint32_t b = 0; b < level; ++b) {
      const u64 q = ctx->moduli[b];
      u64 *corr = s.t1.data();
      simd().correction(y, n, q, d.inv[b], d.inv_shoup[b], d.neg_offset[b],
                        j == 0 && plain_coeff != nullptr ? plain_coeff + b * n : nullptr, corr);
      ops.ntt_forward(corr, ctx->tables[b]);
      u64 *dst = outj + b * n;
      const Modulus &mod = ctx->tables[b].modulus;
      ops.mul_mod(dst, pkj + b * n, u + b * n, n, mod);
      ops.sub_mod(dst, dst, corr, n, mod);
      if (j == 0 && plain_ntt != nullptr) ops.add_mod(dst, dst, plain_ntt + b * n, n, mod);
    }
  }
}

}  // namespace

// One symmetric encryption with `primes` primes: c1 = a, c0 = NTT(-e) - a s (+ m).
hlp_status encrypt_symmetric_one(const hlp_ckks_context *ctx, Scratch &s, const u64 *sk, uint32_t primes,
                                 const uint8_t *uniform, std::size_t uniform_bytes_given, const uint8_t *noise,
                                 const u64 *plain_ntt, u64 *out, const u64 *plain_coeff) {
  const std::size_t n = ctx->n;
  const KernelOps &ops = *ctx->ops;
  u64 *c0 = out;
  u64 *c1 = out + primes * n;
  const hlp_status st = sample_uniform(ctx, primes, uniform, uniform_bytes_given, c1);
  if (st != HLP_OK) return st;
  i64 *neg_e = s.e0.data();
  sample_noise(noise, n, neg_e);
  for (std::size_t i = 0; i < n; ++i) neg_e[i] = -neg_e[i];
  for (uint32_t b = 0; b < primes; ++b) {
    const Modulus &mod = ctx->tables[b].modulus;
    u64 *t = s.t1.data();
    simd().signed_to_mod(neg_e, n, ctx->moduli[b], ctx->barrett64[b], t);
    // The transform is linear: m in coefficient form rides on the noise's NTT (one per prime, not two).
    if (plain_coeff != nullptr) ops.add_mod(t, t, plain_coeff + b * n, n, mod);
    ops.ntt_forward(t, ctx->tables[b]);
    u64 *dst = c0 + b * n;
    ops.mul_mod(dst, c1 + b * n, sk + b * n, n, mod);
    ops.sub_mod(dst, t, dst, n, mod);
    if (plain_ntt != nullptr) ops.add_mod(dst, dst, plain_ntt + b * n, n, mod);
  }
  return HLP_OK;
}

}  // namespace ckks
}  // namespace hlp

using hlp::u64;
using hlp::ckks::ScratchLease;

namespace {

// The shape checks of a fused encode + encrypt: values for count plaintexts of at most n/2
// each, a data level, and out holding count fresh ciphertexts at that level.
hlp_status check_encode_batch(const hlp_ckks_context *ctx, const double *values, std::size_t values_per_plain,
                              uint32_t count, uint32_t level, std::size_t out_words) {
  if (values == nullptr && values_per_plain > 0) return HLP_E_INVALID_ARGUMENT;
  if (level < 1 || level > ctx->k) return HLP_E_INVALID_ARGUMENT;
  if (values_per_plain > ctx->n / 2) return HLP_E_LENGTH_MISMATCH;
  if (out_words != 2 * static_cast<std::size_t>(level) * ctx->n * count) return HLP_E_LENGTH_MISMATCH;
  return HLP_OK;
}

hlp_status check_public_key(const hlp_ckks_context *ctx, const uint64_t *pk, std::size_t pk_words, uint32_t flags) {
  if (pk == nullptr) return HLP_E_INVALID_ARGUMENT;
  const std::size_t key_words = static_cast<std::size_t>(ctx->k + 1) * ctx->n;
  if (pk_words != 2 * key_words) return HLP_E_LENGTH_MISMATCH;
  if (flags & HLP_FLAG_CHECK_INPUT) {
    if (!hlp::ckks::rns_below(ctx, pk, ctx->k + 1) || !hlp::ckks::rns_below(ctx, pk + key_words, ctx->k + 1)) {
      return HLP_E_VALUE_OUT_OF_RANGE;
    }
  }
  return HLP_OK;
}

hlp_status check_secret_key(const hlp_ckks_context *ctx, const uint64_t *sk, std::size_t sk_words, uint32_t flags) {
  if (sk == nullptr) return HLP_E_INVALID_ARGUMENT;
  if (sk_words != static_cast<std::size_t>(ctx->k + 1) * ctx->n) return HLP_E_LENGTH_MISMATCH;
  if ((flags & HLP_FLAG_CHECK_INPUT) && !hlp::ckks::rns_below(ctx, sk, ctx->k + 1)) return HLP_E_VALUE_OUT_OF_RANGE;
  return HLP_OK;
}

hlp_status check_plains(const hlp_ckks_context *ctx, const uint64_t *plains, std::size_t plain_words, uint32_t count,
                        uint32_t level, uint32_t flags) {
  if (plains == nullptr) return plain_words == 0 ? HLP_OK : HLP_E_INVALID_ARGUMENT;
  const std::size_t per = static_cast<std::size_t>(level) * ctx->n;
  if (plain_words != per * count) return HLP_E_LENGTH_MISMATCH;
  if (flags & HLP_FLAG_CHECK_INPUT) {
    for (uint32_t c = 0; c < count; ++c) {
      if (!hlp::ckks::rns_below(ctx, plains + c * per, level)) return HLP_E_VALUE_OUT_OF_RANGE;
    }
  }
  return HLP_OK;
}

}  // namespace

extern "C" {

hlp_status hlp_ckks_keygen_secret(const hlp_ckks_context *ctx, const uint8_t *randomness, size_t randomness_bytes,
                                  uint64_t *secret_key, size_t secret_key_words) {
  if (ctx == nullptr || randomness == nullptr || secret_key == nullptr) return HLP_E_INVALID_ARGUMENT;
  if (secret_key_words != static_cast<std::size_t>(ctx->k + 1) * ctx->n) return HLP_E_LENGTH_MISMATCH;
  if (randomness_bytes < ctx->n * hlp::ckks::kTernaryBytesPerCoeff) return HLP_E_RANDOMNESS_EXHAUSTED;
  try {
    ScratchLease lease(ctx);
    hlp::ckks::ternary_ntt(ctx, *lease.get(), randomness, ctx->k + 1, nullptr, secret_key);
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

hlp_status hlp_ckks_keygen_public(const hlp_ckks_context *ctx, const uint64_t *secret_key, size_t secret_key_words,
                                  const uint8_t *uniform, size_t uniform_bytes, const uint8_t *noise,
                                  size_t noise_bytes, uint64_t *public_key, size_t public_key_words, uint32_t flags) {
  if (ctx == nullptr || uniform == nullptr || noise == nullptr || public_key == nullptr) return HLP_E_INVALID_ARGUMENT;
  hlp_status st = check_secret_key(ctx, secret_key, secret_key_words, flags);
  if (st != HLP_OK) return st;
  const uint32_t primes = ctx->k + 1;
  if (public_key_words != 2 * static_cast<std::size_t>(primes) * ctx->n) return HLP_E_LENGTH_MISMATCH;
  if (hlp::ckks::overlaps(public_key, public_key_words, secret_key, secret_key_words)) return HLP_E_INVALID_ARGUMENT;
  if (noise_bytes < ctx->n * hlp::ckks::kNoiseBytesPerCoeff) return HLP_E_RANDOMNESS_EXHAUSTED;
  try {
    ScratchLease lease(ctx);
    return hlp::ckks::encrypt_symmetric_one(ctx, *lease.get(), secret_key, primes, uniform, uniform_bytes, noise,
                                            nullptr, public_key);
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

hlp_status hlp_ckks_encrypt_public(const hlp_ckks_context *ctx, const uint64_t *public_key, size_t public_key_words,
                                   const uint64_t *plains, size_t plain_words, uint32_t count, uint32_t level,
                                   const uint8_t *randomness, size_t randomness_bytes, uint64_t *out, size_t out_words,
                                   uint32_t flags) {
  if (ctx == nullptr || out == nullptr || randomness == nullptr || count == 0) return HLP_E_INVALID_ARGUMENT;
  if (level < 1 || level > ctx->k) return HLP_E_INVALID_ARGUMENT;
  const std::size_t n = ctx->n;
  const std::size_t ct_words = 2 * static_cast<std::size_t>(level) * n;
  if (out_words != ct_words * count) return HLP_E_LENGTH_MISMATCH;
  hlp_status st = check_public_key(ctx, public_key, public_key_words, flags);
  if (st != HLP_OK) return st;
  st = check_plains(ctx, plains, plain_words, count, level, flags);
  if (st != HLP_OK) return st;
  const std::size_t per = n * (hlp::ckks::kTernaryBytesPerCoeff + 2 * hlp::ckks::kNoiseBytesPerCoeff);
  if (randomness_bytes / per < count) return HLP_E_RANDOMNESS_EXHAUSTED;
  if (hlp::ckks::overlaps(out, out_words, public_key, public_key_words) ||
      (plains != nullptr && hlp::ckks::overlaps(out, out_words, plains, plain_words))) {
    return HLP_E_INVALID_ARGUMENT;
  }
  try {
    ScratchLease lease(ctx);
    const std::size_t plain_stride = static_cast<std::size_t>(level) * n;
    for (uint32_t c = 0; c < count; ++c) {
      hlp::ckks::encrypt_public_one(ctx, *lease.get(), public_key, level, randomness + c * per,
                                    plains != nullptr ? plains + c * plain_stride : nullptr, nullptr,
                                    out + c * ct_words);
    }
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

hlp_status hlp_ckks_encode_encrypt_public(const hlp_ckks_context *ctx, const uint64_t *public_key,
                                          size_t public_key_words, const double *values, size_t values_per_plain,
                                          uint32_t count, double scale, uint32_t level, const uint8_t *randomness,
                                          size_t randomness_bytes, uint64_t *out, size_t out_words, uint32_t flags) {
  if (ctx == nullptr || out == nullptr || randomness == nullptr || count == 0) return HLP_E_INVALID_ARGUMENT;
  hlp_status st = check_encode_batch(ctx, values, values_per_plain, count, level, out_words);
  if (st != HLP_OK) return st;
  const std::size_t n = ctx->n;
  const std::size_t ct_words = 2 * static_cast<std::size_t>(level) * n;
  st = check_public_key(ctx, public_key, public_key_words, flags);
  if (st != HLP_OK) return st;
  if (!hlp::ckks::scale_ok_for_encode(ctx, scale, level)) return HLP_E_SCALE_OUT_OF_BOUNDS;
  const std::size_t per = n * (hlp::ckks::kTernaryBytesPerCoeff + 2 * hlp::ckks::kNoiseBytesPerCoeff);
  if (randomness_bytes / per < count) return HLP_E_RANDOMNESS_EXHAUSTED;
  if (hlp::ckks::overlaps(out, out_words, public_key, public_key_words)) return HLP_E_INVALID_ARGUMENT;
  try {
    ScratchLease lease(ctx);
    hlp::ckks::Scratch &s = *lease.get();
    for (uint32_t c = 0; c < count; ++c) {
      st = hlp::ckks::encode_to_integers(ctx, s, values + c * values_per_plain, values_per_plain, false, scale, level);
      if (st != HLP_OK) return st;
      hlp::ckks::integers_to_rns(ctx, s.coeffs.data(), level, s.plain.data());
      hlp::ckks::encrypt_public_one(ctx, s, public_key, level, randomness + c * per, nullptr, s.plain.data(),
                                    out + c * ct_words);
    }
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

hlp_status hlp_ckks_encrypt_symmetric(const hlp_ckks_context *ctx, const uint64_t *secret_key, size_t secret_key_words,
                                      const uint64_t *plains, size_t plain_words, uint32_t count, uint32_t level,
                                      const uint8_t *uniform, size_t uniform_bytes, const uint8_t *noise,
                                      size_t noise_bytes, uint64_t *out, size_t out_words, uint32_t flags) {
  if (ctx == nullptr || out == nullptr || uniform == nullptr || noise == nullptr || count == 0) {
    return HLP_E_INVALID_ARGUMENT;
  }
  if (level < 1 || level > ctx->k) return HLP_E_INVALID_ARGUMENT;
  const std::size_t n = ctx->n;
  const std::size_t ct_words = 2 * static_cast<std::size_t>(level) * n;
  if (out_words != ct_words * count) return HLP_E_LENGTH_MISMATCH;
  hlp_status st = check_secret_key(ctx, secret_key, secret_key_words, flags);
  if (st != HLP_OK) return st;
  st = check_plains(ctx, plains, plain_words, count, level, flags);
  if (st != HLP_OK) return st;
  const std::size_t uniform_per = hlp::ckks::uniform_bytes(ctx, level);
  const std::size_t noise_per = n * hlp::ckks::kNoiseBytesPerCoeff;
  if (uniform_bytes / uniform_per < count || noise_bytes / noise_per < count) return HLP_E_RANDOMNESS_EXHAUSTED;
  if (hlp::ckks::overlaps(out, out_words, secret_key, secret_key_words) ||
      (plains != nullptr && hlp::ckks::overlaps(out, out_words, plains, plain_words))) {
    return HLP_E_INVALID_ARGUMENT;
  }
  try {
    ScratchLease lease(ctx);
    const std::size_t plain_stride = static_cast<std::size_t>(level) * n;
    for (uint32_t c = 0; c < count; ++c) {
      st = hlp::ckks::encrypt_symmetric_one(
          ctx, *lease.get(), secret_key, level, uniform + c * uniform_per, uniform_per, noise + c * noise_per,
          plains != nullptr ? plains + c * plain_stride : nullptr, out + c * ct_words);
      if (st != HLP_OK) return st;
    }
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

hlp_status hlp_ckks_encode_encrypt_seeded(const hlp_ckks_context *ctx, const uint64_t *secret_key,
                                          size_t secret_key_words, const double *values, size_t values_per_plain,
                                          uint32_t count, double scale, uint32_t level, const uint8_t *seeds,
                                          size_t seeds_bytes, const uint8_t *noise, size_t noise_bytes, uint64_t *out,
                                          size_t out_words, uint32_t flags) {
  if (ctx == nullptr || out == nullptr || seeds == nullptr || noise == nullptr || count == 0) {
    return HLP_E_INVALID_ARGUMENT;
  }
  hlp_status st = check_encode_batch(ctx, values, values_per_plain, count, level, out_words);
  if (st != HLP_OK) return st;
  const std::size_t n = ctx->n;
  const std::size_t ct_words = 2 * static_cast<std::size_t>(level) * n;
  if (seeds_bytes != static_cast<std::size_t>(count) * HLP_SHAKE_SEED_BYTES) return HLP_E_LENGTH_MISMATCH;
  st = check_secret_key(ctx, secret_key, secret_key_words, flags);
  if (st != HLP_OK) return st;
  if (!hlp::ckks::scale_ok_for_encode(ctx, scale, level)) return HLP_E_SCALE_OUT_OF_BOUNDS;
  const std::size_t noise_per = n * hlp::ckks::kNoiseBytesPerCoeff;
  if (noise_bytes / noise_per < count) return HLP_E_RANDOMNESS_EXHAUSTED;
  if (hlp::ckks::overlaps(out, out_words, secret_key, secret_key_words)) return HLP_E_INVALID_ARGUMENT;
  try {
    ScratchLease lease(ctx);
    hlp::ckks::Scratch &s = *lease.get();
    // c1 is public (it is what the seed stands for): its stream needs no wiping.
    std::vector<uint8_t> uniform(hlp::ckks::uniform_bytes(ctx, level));
    for (uint32_t c = 0; c < count; ++c) {
      st = hlp::ckks::encode_to_integers(ctx, s, values + c * values_per_plain, values_per_plain, false, scale, level);
      if (st != HLP_OK) return st;
      hlp::ckks::integers_to_rns(ctx, s.coeffs.data(), level, s.plain.data());
      const uint8_t *seed = seeds + c * HLP_SHAKE_SEED_BYTES;
      st = (flags & HLP_FLAG_SEED_AES256CTR) != 0
               ? hlp_aes256ctr_stream(HLP_VARIANT_AUTO, seed, HLP_SHAKE_SEED_BYTES, uniform.data(), uniform.size())
               : hlp_shake256_blocks(HLP_VARIANT_AUTO, seed, HLP_SHAKE_SEED_BYTES, 0, uniform.data(), uniform.size());
      if (st != HLP_OK) return st;
      st = hlp::ckks::encrypt_symmetric_one(ctx, s, secret_key, level, uniform.data(), uniform.size(),
                                            noise + c * noise_per, nullptr, out + c * ct_words, s.plain.data());
      if (st != HLP_OK) return st;
    }
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

}  // extern "C"
