// CKKS encoding and decoding with SEAL's slot layout.
//
// SEAL (CKKSEncoder, 4.x) defines slot j of a plaintext polynomial m(X) in
// Z[X]/(X^n + 1) as m(zeta^(g_j)) / scale, where zeta = exp(2 pi i / 2n) and
// g_j = 3^j mod 2n, j < n/2 (its matrix_reps_index_map: powers of the generator 3,
// bit-reversed into the DWT output whose entry r is the evaluation at
// zeta^(2 bitrev(r) + 1)). The other n/2 roots of X^n + 1 carry the complex
// conjugates, so m has real coefficients. Encoding finds the real m with those
// evaluations, multiplies by scale and rounds each coefficient to the nearest integer.
//
// Here the transform runs on n/2 complex points instead of SEAL's n, using only the
// roots zeta^s with s = 1 mod 4 (s = 4r + 1). With M = n/2 and b_k = a_k + i a_{k+M}:
//   m(zeta^(4r+1)) = sum_{k<M} (a_k + zeta^((4r+1)M) a_{k+M}) zeta^((4r+1)k)
//                  = sum_{k<M} (b_k zeta^k) w^(rk),   w = exp(2 pi i / M),
// since zeta^((4r+1)M) = i. So decoding is "twist by zeta^k, then an M-point DFT",
// and encoding the exact inverse. A slot whose g_j = 3 mod 4 is read at the conjugate
// root -g_j = 1 mod 4: slot j = conj(m(zeta^(-g_j))). The evaluation points are the
// same as SEAL's, so the polynomial is the same up to floating-point rounding.
#include <cmath>
#include <cstring>
#include <vector>

#include "ckks.hpp"

namespace hlp {
namespace ckks {

void Fft::init(std::size_t n) {
  m = n / 2;
  log_m = log2_exact(m);
  const long double pi = 3.141592653589793238462643383279502884L;
  tw_re.assign(m, 0.0);
  tw_im.assign(m, 0.0);
  for (std::size_t h = 1; h < m; h <<= 1) {
    for (std::size_t j = 0; j < h; ++j) {
      const long double angle = pi * static_cast<long double>(j) / static_cast<long double>(h);
      tw_re[h + j] = static_cast<double>(std::cos(angle));
      tw_im[h + j] = static_cast<double>(std::sin(angle));
    }
  }
  twist_re.assign(m, 0.0);
  twist_im.assign(m, 0.0);
  for (std::size_t k = 0; k < m; ++k) {
    const long double angle = pi * static_cast<long double>(k) / static_cast<long double>(n);
    twist_re[k] = static_cast<double>(std::cos(angle));
    twist_im[k] = static_cast<double>(std::sin(angle));
  }
  slot_pos.assign(m, 0);
  slot_conj.assign(m, 0);
  const u64 two_n = 2 * static_cast<u64>(n);
  u64 g = 1;
  for (std::size_t j = 0; j < m; ++j) {
    u64 r;
    if ((g & 3) == 1) {
      r = (g - 1) / 4;
    } else {
      r = (two_n - g - 1) / 4;  // -g mod 2n = 1 mod 4
      slot_conj[j] = 1;
    }
    slot_pos[j] = static_cast<uint32_t>(reverse_bits(r, log_m));
    g = (g * 3) & (two_n - 1);
  }
}

void Fft::forward(double *re, double *im) const { simd().fft_forward(*this, re, im); }

void Fft::inverse(double *re, double *im) const { simd().fft_inverse(*this, re, im); }

bool scale_ok_for_encode(const hlp_ckks_context *ctx, double scale, uint32_t level) {
  // SEAL: scale > 0 and int(log2(scale)) + 1 < total coefficient modulus bits.
  if (!(scale > 0) || !std::isfinite(scale)) return false;
  return static_cast<int>(std::log2(scale)) + 1 < ctx->crt[level].total_bits;
}

namespace {

bool scale_ok_for_decode(const hlp_ckks_context *ctx, double scale, uint32_t level) {
  if (!(scale > 0) || !std::isfinite(scale)) return false;
  return static_cast<int>(std::log2(scale)) < ctx->crt[level].total_bits;
}

}  // namespace

hlp_status encode_to_integers(const hlp_ckks_context *ctx, Scratch &s, const double *values, std::size_t count,
                              bool complex_values, double scale, uint32_t level) {
  if (!scale_ok_for_encode(ctx, scale, level)) return HLP_E_SCALE_OUT_OF_BOUNDS;
  const Fft &f = ctx->fft;
  const std::size_t m = f.m;
  double *re = s.re.data();
  double *im = s.im.data();
  std::memset(re, 0, m * sizeof(double));
  std::memset(im, 0, m * sizeof(double));
  bool finite = true;
  if (complex_values) {
    for (std::size_t j = 0; j < count; ++j) {
      const double vr = values[2 * j], vi = values[2 * j + 1];
      finite &= std::isfinite(vr) && std::isfinite(vi);
      const uint32_t p = f.slot_pos[j];
      re[p] = vr;
      im[p] = f.slot_conj[j] ? -vi : vi;
    }
  } else {
    for (std::size_t j = 0; j < count; ++j) {
      const double v = values[j];
      finite &= std::isfinite(v);
      re[f.slot_pos[j]] = v;
    }
  }
  if (!finite) return HLP_E_VALUE_OUT_OF_RANGE;
  f.inverse(re, im);
  // b_k = zeta^-k * y_k * scale / M; a_k = Re b_k, a_{k+M} = Im b_k, rounded.
  double max_abs = 0;
  if (!simd().to_integers(f, re, im, scale / static_cast<double>(m), s.coeffs.data(), &max_abs)) {
    return HLP_E_SCALE_OUT_OF_BOUNDS;
  }
  // SEAL's check: bits of the largest coefficient plus a sign bit must stay below the
  // level's total modulus bits.
  const int max_bits = static_cast<int>(std::ceil(std::log2(max_abs > 1.0 ? max_abs : 1.0))) + 1;
  if (max_bits >= ctx->crt[level].total_bits) return HLP_E_SCALE_OUT_OF_BOUNDS;
  return HLP_OK;
}

void integers_to_rns(const hlp_ckks_context *ctx, const i64 *coeffs, uint32_t level, u64 *out) {
  const std::size_t n = ctx->n;
  for (uint32_t b = 0; b < level; ++b) simd().signed_to_mod(coeffs, n, ctx->moduli[b], ctx->barrett64[b], out + b * n);
}

namespace {

// The centred value of coefficient k's CRT composition, times inv_scale (residue i of
// coefficient k at x[i * n + k]). With y_i = x_i (Q/q_i)^-1 mod q_i,
//   x = sum_i y_i (Q/q_i) - v Q,  v = round(sum_i y_i / q_i),
// is the representative of least magnitude, computed exactly in LEVEL + 1 two's
// complement words. (SEAL compares with ceil(Q/2) instead; the two differ only for
// |x| within about 2^-50 Q of Q/2, far outside any meaningful plaintext.)
// LEVEL = 0 means the level is only known at run time.
template <uint32_t LEVEL>
double compose_one(const hlp_ckks_context *ctx, const CrtLevel &c, const u64 *x, std::size_t k, const double *inv_q,
                   double inv_scale) {
  const std::size_t n = ctx->n;
  const uint32_t level = LEVEL != 0 ? LEVEL : c.primes;
  const u64 *qw = c.q.data();
  u64 acc[HLP_CKKS_MAX_DATA_PRIMES + 1] = {0};
  double frac = 0;
  for (uint32_t i = 0; i < level; ++i) {
    const u64 y = mul_mod_shoup(x[i * n + k], c.punctured_inv[i], c.punctured_inv_shoup[i], ctx->moduli[i]);
    frac += static_cast<double>(y) * inv_q[i];
    const u64 *p = c.punctured.data() + static_cast<std::size_t>(i) * level;
    u64 carry = 0;
    for (uint32_t j = 0; j < level; ++j) {
      const u128 t = static_cast<u128>(p[j]) * y + acc[j] + carry;
      acc[j] = static_cast<u64>(t);
      carry = static_cast<u64>(t >> 64);
    }
    acc[level] += carry;
  }
  // acc -= v * Q
  const u64 v = static_cast<u64>(frac + 0.5);
  u64 carry = 0, borrow = 0;
  for (uint32_t j = 0; j <= level; ++j) {
    const u128 t = static_cast<u128>(j < level ? qw[j] : 0) * v + carry;
    const u64 sub = static_cast<u64>(t);
    carry = static_cast<u64>(t >> 64);
    const u64 a = acc[j];
    const u64 d = a - sub - borrow;
    borrow = (a < sub) | ((a == sub) & borrow);
    acc[j] = d;
  }
  const bool negative = (acc[level] >> 63) != 0;
  if (negative) {
    u64 c1 = 1;
    for (uint32_t j = 0; j <= level; ++j) {
      const u64 inv = ~acc[j];
      acc[j] = inv + c1;
      c1 = (acc[j] < c1) ? 1 : 0;
    }
  }
  double d = 0;
  for (uint32_t j = level + 1; j-- > 0;) d = d * 18446744073709551616.0 + static_cast<double>(acc[j]);
  d *= inv_scale;
  return negative ? -d : d;
}

// The same values, checked rather than composed where they can be: every meaningful plaintext
// has |x| < q_0 / 2 (a value v at scale Δ is about Δ v; q_0 has 60 bits against Δ's 40), and
// then x is x0, its centred residue mod q_0. Conversely x0 congruent to x_i mod every other
// q_i makes x0 congruent to x mod Q, and with |x0| < q_0 / 2 < Q / 2 the representative of
// least magnitude: so the check decides exactly, one vectorized reduction a prime where the
// composition took L multiply-adds of L words. A coefficient that fails it is composed. The
// double is compose_one's: both round the same integer once (and the sign symmetrically).
template <uint32_t LEVEL>
void compose_checked(const hlp_ckks_context *ctx, const CrtLevel &c, const u64 *x, double inv_scale, double *out,
                     Scratch &s) {
  const std::size_t n = ctx->n;
  const uint32_t level = LEVEL != 0 ? LEVEL : c.primes;
  const auto q0 = static_cast<int64_t>(ctx->moduli[0]);
  const auto half = static_cast<int64_t>(ctx->crt[1].half[0]);
  i64 *x0 = s.e0.data();
  u64 *magnitude = s.t0.data(), *r = s.t1.data();
  // set in a magnitude (below 2^59) whose residues disagree; keeps it below reduce's 2^62
  constexpr u64 kMismatch = u64{1} << 61;
  for (std::size_t k = 0; k < n; ++k) {
    const auto v = static_cast<int64_t>(x[k]);
    x0[k] = v - (v >= half ? q0 : 0);
    magnitude[k] = static_cast<u64>(x0[k] < 0 ? -x0[k] : x0[k]);
  }
  for (uint32_t i = 1; i < level; ++i) {
    const u64 qi = ctx->moduli[i];
    simd().reduce(magnitude, n, qi, ctx->barrett64[i], r);
    const u64 *xi = x + static_cast<std::size_t>(i) * n;
    for (std::size_t k = 0; k < n; ++k) {
      const u64 residue = x0[k] < 0 && r[k] != 0 ? qi - r[k] : r[k];
      magnitude[k] |= residue != xi[k] ? kMismatch : 0;
    }
  }
  double inv_q[HLP_CKKS_MAX_DATA_PRIMES];
  for (uint32_t i = 0; i < level; ++i) inv_q[i] = 1.0 / static_cast<double>(ctx->moduli[i]);
  for (std::size_t k = 0; k < n; ++k) {
    out[k] = (magnitude[k] & kMismatch) != 0 ? compose_one<LEVEL>(ctx, c, x, k, inv_q, inv_scale)
                                             : static_cast<double>(x0[k]) * inv_scale;
  }
}

void compose_level1(const hlp_ckks_context *ctx, const CrtLevel &c, const u64 *x, double inv_scale, double *out) {
  // Residues are below q < 2^62, so signed arithmetic is exact, and the centring is a select
  // rather than a branch: a decrypted coefficient's sign is a coin toss that a branch mispredicts
  // half the time. (double)(v - q) equals -(double)(q - v): conversion rounds symmetrically.
  const auto q = static_cast<int64_t>(ctx->moduli[0]);
  const auto half = static_cast<int64_t>(c.half[0]);
  for (std::size_t k = 0; k < ctx->n; ++k) {
    const auto v = static_cast<int64_t>(x[k]);
    out[k] = static_cast<double>(v - (v >= half ? q : 0)) * inv_scale;
  }
}

hlp_status decode_impl(const hlp_ckks_context *ctx, const u64 *plain, std::size_t plain_words, uint32_t level,
                       double scale, double *out, std::size_t out_count, uint32_t flags, bool complex_values) {
  if (ctx == nullptr || plain == nullptr || (out == nullptr && out_count > 0)) return HLP_E_INVALID_ARGUMENT;
  if (level < 1 || level > ctx->k) return HLP_E_INVALID_ARGUMENT;
  const std::size_t n = ctx->n;
  const Fft &f = ctx->fft;
  if (plain_words != level * n) return HLP_E_LENGTH_MISMATCH;
  if (out_count > f.m) return HLP_E_LENGTH_MISMATCH;
  if (!scale_ok_for_decode(ctx, scale, level)) return HLP_E_SCALE_OUT_OF_BOUNDS;
  if ((flags & HLP_FLAG_CHECK_INPUT) && !rns_below(ctx, plain, level)) return HLP_E_VALUE_OUT_OF_RANGE;
  try {
    ScratchLease lease(ctx);
    Scratch &s = *lease.get();
    std::memcpy(s.plain.data(), plain, level * n * sizeof(u64));
    decode_scratch(ctx, s, level, scale, out, out_count, complex_values);
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

}  // namespace

void decode_scratch(const hlp_ckks_context *ctx, Scratch &s, uint32_t level, double scale, double *out,
                    std::size_t out_count, bool complex_values) {
  const std::size_t n = ctx->n;
  const Fft &f = ctx->fft;
  {
    u64 *coeffs = s.plain.data();
    for (uint32_t b = 0; b < level; ++b) ctx->ops->ntt_inverse(coeffs + b * n, ctx->tables[b]);
    const CrtLevel &crt = ctx->crt[level];
    const double inv_scale = 1.0 / scale;
    double *real = s.real.data();
    switch (level) {
      case 1: compose_level1(ctx, crt, coeffs, inv_scale, real); break;
      case 2: compose_checked<2>(ctx, crt, coeffs, inv_scale, real, s); break;
      case 3: compose_checked<3>(ctx, crt, coeffs, inv_scale, real, s); break;
      case 4: compose_checked<4>(ctx, crt, coeffs, inv_scale, real, s); break;
      default: compose_checked<0>(ctx, crt, coeffs, inv_scale, real, s); break;
    }
    const std::size_t m = f.m;
    double *re = s.re.data();
    double *im = s.im.data();
    for (std::size_t k = 0; k < m; ++k) {
      const double ar = real[k], ai = real[k + m];
      re[k] = ar * f.twist_re[k] - ai * f.twist_im[k];
      im[k] = ar * f.twist_im[k] + ai * f.twist_re[k];
    }
    f.forward(re, im);
    for (std::size_t j = 0; j < out_count; ++j) {
      const uint32_t p = f.slot_pos[j];
      if (complex_values) {
        out[2 * j] = re[p];
        out[2 * j + 1] = f.slot_conj[j] ? -im[p] : im[p];
      } else {
        out[j] = re[p];
      }
    }
  }
}

namespace {

hlp_status encode_impl(const hlp_ckks_context *ctx, const double *values, std::size_t value_count, double scale,
                       uint32_t level, u64 *out, std::size_t out_words, bool complex_values) {
  if (ctx == nullptr || out == nullptr || (values == nullptr && value_count > 0)) return HLP_E_INVALID_ARGUMENT;
  if (level < 1 || level > ctx->k) return HLP_E_INVALID_ARGUMENT;
  const std::size_t n = ctx->n;
  if (value_count > ctx->fft.m) return HLP_E_LENGTH_MISMATCH;
  if (out_words != level * n) return HLP_E_LENGTH_MISMATCH;
  try {
    ScratchLease lease(ctx);
    Scratch &s = *lease.get();
    const hlp_status st = encode_to_integers(ctx, s, values, value_count, complex_values, scale, level);
    if (st != HLP_OK) return st;
    integers_to_rns(ctx, s.coeffs.data(), level, out);
    for (uint32_t b = 0; b < level; ++b) ctx->ops->ntt_forward(out + b * n, ctx->tables[b]);
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

}  // namespace

}  // namespace ckks
}  // namespace hlp

extern "C" {

hlp_status hlp_ckks_encode(const hlp_ckks_context *ctx, const double *values, size_t value_count, double scale,
                           uint32_t level, uint64_t *out, size_t out_words) {
  return hlp::ckks::encode_impl(ctx, values, value_count, scale, level, out, out_words, false);
}

hlp_status hlp_ckks_encode_complex(const hlp_ckks_context *ctx, const double *values, size_t value_count, double scale,
                                   uint32_t level, uint64_t *out, size_t out_words) {
  return hlp::ckks::encode_impl(ctx, values, value_count, scale, level, out, out_words, true);
}

hlp_status hlp_ckks_decode(const hlp_ckks_context *ctx, const uint64_t *plain, size_t plain_words, uint32_t level,
                           double scale, double *out, size_t out_count, uint32_t flags) {
  return hlp::ckks::decode_impl(ctx, plain, plain_words, level, scale, out, out_count, flags, false);
}

hlp_status hlp_ckks_decode_complex(const hlp_ckks_context *ctx, const uint64_t *plain, size_t plain_words,
                                   uint32_t level, double scale, double *out, size_t out_count, uint32_t flags) {
  return hlp::ckks::decode_impl(ctx, plain, plain_words, level, scale, out, out_count, flags, true);
}

hlp_status hlp_ckks_decrypt_decode(const hlp_ckks_context *ctx, const uint64_t *secret_key, size_t secret_key_words,
                                   const uint64_t *ciphertexts, size_t ciphertext_words, uint32_t count, uint32_t size,
                                   uint32_t level, double scale, double *out, size_t out_count,
                                   size_t values_per_ciphertext, uint32_t flags) {
  if (ctx == nullptr || ciphertexts == nullptr || out == nullptr) return HLP_E_INVALID_ARGUMENT;
  if (count == 0 || level < 1 || level > ctx->k || size < 2 || size > 3) return HLP_E_INVALID_ARGUMENT;
  const std::size_t poly = static_cast<std::size_t>(level) * ctx->n;
  const std::size_t ct_words = size * poly;
  if (ciphertext_words != count * ct_words) return HLP_E_LENGTH_MISMATCH;
  if (values_per_ciphertext > ctx->fft.m || out_count != count * values_per_ciphertext) return HLP_E_LENGTH_MISMATCH;
  if (!hlp::ckks::scale_ok_for_decode(ctx, scale, level)) return HLP_E_SCALE_OUT_OF_BOUNDS;
  try {
    // One scratch for the batch, decrypted into and decoded in place, wiped once when returned
    // (a lease per call wiped a megabyte of scratch twice per ciphertext).
    hlp::ckks::ScratchLease lease(ctx);
    hlp::ckks::Scratch &s = *lease.get();
    for (uint32_t c = 0; c < count; ++c) {
      const hlp_status st = hlp_ckks_decrypt(ctx, secret_key, secret_key_words, ciphertexts + c * ct_words, ct_words,
                                             size, level, s.plain.data(), poly, flags);
      if (st != HLP_OK) return st;
      hlp::ckks::decode_scratch(ctx, s, level, scale, out + c * values_per_ciphertext, values_per_ciphertext, false);
    }
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

}  // extern "C"
