// AVX2 element-wise modular add, subtract and multiply, four words per vector; the
// n mod 4 tail uses the scalar helpers. Results are fully reduced, so they equal the
// scalar variant's bit for bit.
//
// The multiply has no 64x64->128 instruction to lean on: the 128-bit product x = a*b
// is built from four _mm256_mul_epu32 partial products and reduced with a Barrett step
// for the modulus' bit length L (2^(L-1) < q < 2^L, L <= 60):
//   x1 = floor(x / 2^(L-1)) < 2^(L+1),  mu = floor(2^(L+63) / q) < 2^64,
//   qhat ~ floor(x1 * mu / 2^64), from three partial products (the low one and two
//   carries dropped, at most 2 short); floor(x1*mu/2^64) >= floor(x/q) - 2 in turn.
// So floor(x/q) - 4 <= qhat <= floor(x/q), r = x - qhat*q (mod 2^64) lies in [0, 5q),
// and three conditional subtractions (4q, 2q, q) finish it.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "../core/variants.hpp"

#pragma GCC push_options
#pragma GCC target("avx2,bmi2")

namespace hlp {
namespace {

using V = __m256i;

#define HLP_AVX2_INLINE static inline __attribute__((always_inline))

HLP_AVX2_INLINE V load4(const u64 *p) { return _mm256_loadu_si256(reinterpret_cast<const V *>(p)); }
HLP_AVX2_INLINE void store4(u64 *p, V v) { _mm256_storeu_si256(reinterpret_cast<V *>(p), v); }
HLP_AVX2_INLINE V splat(u64 v) { return _mm256_set1_epi64x(static_cast<long long>(v)); }

// v - bound if v >= bound, else v. Values stay below 2^63, so v - bound is negative
// exactly when v < bound, and its sign bit picks the result.
HLP_AVX2_INLINE V reduce_once(V v, V bound) {
  const V t = _mm256_sub_epi64(v, bound);
  return _mm256_castpd_si256(_mm256_blendv_pd(_mm256_castsi256_pd(t), _mm256_castsi256_pd(v), _mm256_castsi256_pd(t)));
}

// Full 128-bit product of a, b < 2^62 (upper halves < 2^30): returns the high word and
// writes the low word. mid = a0*b1 + a1*b0 + (a0*b0 >> 32) < 2^63.
HLP_AVX2_INLINE V mul_wide(V a, V b, V &lo) {
  const V a_hi = _mm256_srli_epi64(a, 32);
  const V b_hi = _mm256_srli_epi64(b, 32);
  const V ll = _mm256_mul_epu32(a, b);
  const V lh = _mm256_mul_epu32(a, b_hi);
  const V hl = _mm256_mul_epu32(a_hi, b);
  const V hh = _mm256_mul_epu32(a_hi, b_hi);
  const V mid = _mm256_add_epi64(_mm256_add_epi64(lh, hl), _mm256_srli_epi64(ll, 32));
  lo = _mm256_blend_epi32(ll, _mm256_slli_epi64(mid, 32), 0xAA);
  return _mm256_add_epi64(hh, _mm256_srli_epi64(mid, 32));
}

}  // namespace

void eltwise_add_mod_avx2(u64 *r, const u64 *a, const u64 *b, std::size_t n, const Modulus &m) {
  const u64 q = m.value;
  if (q >= (u64{1} << 62)) {  // a + b must stay below 2^63 (never hit: moduli are <= 60 bits)
    eltwise_add_mod_scalar(r, a, b, n, m);
    return;
  }
  const V qv = splat(q);
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    store4(r + i, reduce_once(_mm256_add_epi64(load4(a + i), load4(b + i)), qv));
  }
  for (; i < n; ++i) r[i] = add_mod(a[i], b[i], q);
}

void eltwise_sub_mod_avx2(u64 *r, const u64 *a, const u64 *b, std::size_t n, const Modulus &m) {
  const u64 q = m.value;
  const V qv = splat(q);
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    // |a - b| < q < 2^63: a negative difference shows as a set sign bit.
    const V d = _mm256_sub_epi64(load4(a + i), load4(b + i));
    const V neg = _mm256_cmpgt_epi64(_mm256_setzero_si256(), d);
    store4(r + i, _mm256_add_epi64(d, _mm256_and_si256(neg, qv)));
  }
  for (; i < n; ++i) r[i] = sub_mod(a[i], b[i], q);
}

void eltwise_mul_mod_avx2(u64 *r, const u64 *a, const u64 *b, std::size_t n, const Modulus &m) {
  const u64 q = m.value;
  const int bits = q == 0 ? 0 : 64 - __builtin_clzll(q);
  if (bits < 2 || bits > 60) {
    eltwise_mul_mod_scalar(r, a, b, n, m);
    return;
  }
  // mu = floor(2^(L+63) / q) < 2^64 because q > 2^(L-1) (q is an odd prime).
  const u64 mu = static_cast<u64>((static_cast<u128>(1) << (bits + 63)) / q);
  const V qv = splat(q);
  const V q_swap = _mm256_shuffle_epi32(qv, 0xB1);
  const V two_q = splat(2 * q);
  const V four_q = splat(4 * q);
  const V mu_v = splat(mu);
  const V mu_hi = splat(mu >> 32);
  const __m128i sh_lo = _mm_cvtsi32_si128(bits - 1);  // x1 = x >> (L-1)
  const __m128i sh_hi = _mm_cvtsi32_si128(65 - bits);
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    V x_lo;
    const V x_hi = mul_wide(load4(a + i), load4(b + i), x_lo);
    const V x1 = _mm256_or_si256(_mm256_sll_epi64(x_hi, sh_hi), _mm256_srl_epi64(x_lo, sh_lo));
    const V x1_hi = _mm256_srli_epi64(x1, 32);
    const V qhat = _mm256_add_epi64(
        _mm256_add_epi64(_mm256_mul_epu32(x1_hi, mu_hi), _mm256_srli_epi64(_mm256_mul_epu32(x1, mu_hi), 32)),
        _mm256_srli_epi64(_mm256_mul_epu32(x1_hi, mu_v), 32));
    // Low word of qhat * q: qhat0*q0 + ((qhat0*q1 + qhat1*q0) mod 2^32) << 32.
    const V cross = _mm256_mullo_epi32(qhat, q_swap);
    const V cross_sum =
        _mm256_blend_epi32(_mm256_setzero_si256(), _mm256_add_epi32(cross, _mm256_slli_epi64(cross, 32)), 0xAA);
    const V qq = _mm256_add_epi64(_mm256_mul_epu32(qhat, qv), cross_sum);
    V res = _mm256_sub_epi64(x_lo, qq);  // [0, 5q)
    res = reduce_once(res, four_q);
    res = reduce_once(res, two_q);
    res = reduce_once(res, qv);
    store4(r + i, res);
  }
  for (; i < n; ++i) r[i] = mul_mod_barrett(a[i], b[i], m);
}

}  // namespace hlp

#undef HLP_AVX2_INLINE

#pragma GCC pop_options

namespace hlp {

// Outside the target region: dispatch may list the variant on CPUs without AVX2.
const KernelOps &avx2_ops() {
  static const KernelOps ops{
      "avx2", ntt_forward_avx2, ntt_inverse_avx2, eltwise_add_mod_avx2, eltwise_sub_mod_avx2, eltwise_mul_mod_avx2};
  return ops;
}

}  // namespace hlp
