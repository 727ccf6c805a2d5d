// AVX2 negacyclic NTT: the scalar variant's algorithm (ntt-scalar.cpp: Cooley-Tukey
// forward, Gentleman-Sande inverse with the n^-1 scaling fused into the last stage, Shoup
// twiddles, Harvey lazy butterflies) on four butterflies per 256-bit vector. Outputs are
// fully reduced to [0, q), hence bit-identical to the scalar variant.
//
// AVX2 has no 64x64->128 multiply. The Shoup quotient comes from three 32x32->64
// partial products (_mm256_mul_epu32), dropping the lowest one and two carries, so it
// can be up to 2 short and the lazy product lies in [0, 4q) instead of [0, 2q). The
// lazy ranges widen to match: forward values in [0, 8q), inverse values in [0, 4q),
// which needs 8q < 2^63, i.e. q < 2^60 (the kernels' 60-bit cap). The low word
// a*w - quot*q mod 2^64 uses two _mm256_mul_epu32 for the 32x32 low parts and two
// _mm256_mullo_epi32 for the cross terms mod 2^32.
//
// Stages with gap >= 4 broadcast one twiddle per group. The two stages with gap 2 and
// gap 1 (the last two forward, the first two inverse) are fused and done in registers
// on blocks of eight words with 128-bit lane and 64-bit unpack permutes. n < 8 takes
// the scalar path.
//
// Compiled without global -mavx2: everything below the includes is in a
// target("avx2,bmi2") region; dispatch only calls it on CPUs that have AVX2.
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

// A Shoup multiplier: w, its 32-bit halves swapped, w' = floor(w * 2^64 / q) and the
// upper half of w'.
struct Twiddle {
  V w, w_swap, ws, ws_hi;
};

HLP_AVX2_INLINE Twiddle make_twiddle(V w, V ws) {
  return Twiddle{w, _mm256_shuffle_epi32(w, 0xB1), ws, _mm256_srli_epi64(ws, 32)};
}

// The modulus (plus its half-swapped copy for vpmulld) and the lazy-range bounds.
struct ModConsts {
  V q, q_swap, two_q, four_q;
};

HLP_AVX2_INLINE ModConsts make_mod(u64 q) {
  const V qv = splat(q);
  return ModConsts{qv, _mm256_shuffle_epi32(qv, 0xB1), splat(2 * q), splat(4 * q)};
}

// Lazy Shoup product a*w - quot*q mod 2^64 in [0, 4q), any a < 2^64, w < q < 2^62.
// quot = a1*s1 + floor(a0*s1 / 2^32) + floor(a1*s0 / 2^32) with a = a1:a0 and
// w' = s1:s0 in 32-bit halves: it drops a0*s0 and two carries, so it is at most 2 below
// floor(a*w'/2^64), whose remainder is in [0, 2q) — hence [0, 4q), and never negative.
// Low words: a*w - quot*q = a0*w0 - quot0*q0 + ((a0*w1 + a1*w0 - quot0*q1 - quot1*q0) << 32)
// mod 2^64, the cross terms taken mod 2^32 with vpmulld on half-swapped operands.
HLP_AVX2_INLINE V shoup_lazy(V a, const Twiddle &tw, const ModConsts &mc) {
  const V a_hi = _mm256_srli_epi64(a, 32);
  const V lh = _mm256_mul_epu32(a, tw.ws_hi);
  const V hl = _mm256_mul_epu32(a_hi, tw.ws);
  const V hh = _mm256_mul_epu32(a_hi, tw.ws_hi);
  const V quot = _mm256_add_epi64(_mm256_add_epi64(hh, _mm256_srli_epi64(lh, 32)), _mm256_srli_epi64(hl, 32));
  const V cross = _mm256_sub_epi32(_mm256_mullo_epi32(a, tw.w_swap), _mm256_mullo_epi32(quot, mc.q_swap));
  // High half of each lane: cross_lo + cross_hi; low half: 0.
  const V cross_sum =
      _mm256_blend_epi32(_mm256_setzero_si256(), _mm256_add_epi32(cross, _mm256_slli_epi64(cross, 32)), 0xAA);
  const V low = _mm256_sub_epi64(_mm256_mul_epu32(a, tw.w), _mm256_mul_epu32(quot, mc.q));
  return _mm256_add_epi64(low, cross_sum);
}

// v - bound if v >= bound, else v. Values stay below 2^63, so v - bound is negative
// exactly when v < bound, and its sign bit picks the result.
HLP_AVX2_INLINE V reduce_once(V v, V bound) {
  const V t = _mm256_sub_epi64(v, bound);
  return _mm256_castpd_si256(_mm256_blendv_pd(_mm256_castsi256_pd(t), _mm256_castsi256_pd(v), _mm256_castsi256_pd(t)));
}

// [0, 8q) -> [0, q).
HLP_AVX2_INLINE V reduce_from_8q(V v, const ModConsts &mc) {
  v = reduce_once(v, mc.four_q);
  v = reduce_once(v, mc.two_q);
  return reduce_once(v, mc.q);
}

// [0, 4q) -> [0, q).
HLP_AVX2_INLINE V reduce_from_4q(V v, const ModConsts &mc) {
  v = reduce_once(v, mc.two_q);
  return reduce_once(v, mc.q);
}

// Forward (Cooley-Tukey) butterfly: inputs and outputs in [0, 8q) (8q < 2^63).
HLP_AVX2_INLINE void ct_butterfly(V &x, V &y, const Twiddle &tw, const ModConsts &mc) {
  const V xr = reduce_once(x, mc.four_q);  // [0, 4q)
  const V ty = shoup_lazy(y, tw, mc);      // [0, 4q)
  x = _mm256_add_epi64(xr, ty);
  y = _mm256_add_epi64(_mm256_sub_epi64(xr, ty), mc.four_q);
}

// Inverse (Gentleman-Sande) butterfly: inputs and outputs in [0, 4q).
HLP_AVX2_INLINE void gs_butterfly(V &x, V &y, const Twiddle &tw, const ModConsts &mc) {
  const V sum = reduce_once(_mm256_add_epi64(x, y), mc.four_q);
  const V diff = _mm256_add_epi64(_mm256_sub_epi64(x, y), mc.four_q);
  x = sum;
  y = shoup_lazy(diff, tw, mc);
}

// Twiddles for two consecutive gap-2 groups, each repeated over two lanes: [w0 w0 w1 w1].
HLP_AVX2_INLINE V load_pair_twice(const u64 *p) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
  return _mm256_permute4x64_epi64(_mm256_castsi128_si256(v), 0x50);
}

// One forward stage with m groups of width gap >= 4.
HLP_AVX2_INLINE void forward_stage_wide(u64 *a, std::size_t m, std::size_t gap, const u64 *w, const u64 *ws,
                                        const ModConsts &mc) {
  for (std::size_t i = 0; i < m; ++i) {
    const Twiddle tw = make_twiddle(splat(w[m + i]), splat(ws[m + i]));
    u64 *x = a + 2 * i * gap;
    u64 *y = x + gap;
    for (std::size_t j = 0; j < gap; j += 4) {
      V xv = load4(x + j);
      V yv = load4(y + j);
      ct_butterfly(xv, yv, tw, mc);
      store4(x + j, xv);
      store4(y + j, yv);
    }
  }
}

// The gap-2 and gap-1 forward stages fused, followed by the final reduction to [0, q).
// n >= 8. Each iteration handles eight words a[8b .. 8b+8).
HLP_AVX2_INLINE void forward_last_two(u64 *a, std::size_t n, const u64 *w, const u64 *ws, const ModConsts &mc) {
  const std::size_t m2 = n >> 2;  // groups of the gap-2 stage
  const std::size_t m1 = n >> 1;  // groups of the gap-1 stage
  for (std::size_t b = 0; b < n / 8; ++b) {
    u64 *p = a + 8 * b;
    const V lo = load4(p);      // a0 a1 a2 a3
    const V hi = load4(p + 4);  // a4 a5 a6 a7
    // Gap 2: pairs (a0,a2) (a1,a3) with group 2b, (a4,a6) (a5,a7) with group 2b+1.
    V x = _mm256_permute2x128_si256(lo, hi, 0x20);  // a0 a1 a4 a5
    V y = _mm256_permute2x128_si256(lo, hi, 0x31);  // a2 a3 a6 a7
    const Twiddle tw2 = make_twiddle(load_pair_twice(w + m2 + 2 * b), load_pair_twice(ws + m2 + 2 * b));
    ct_butterfly(x, y, tw2, mc);
    // Gap 1: pairs (a0,a1) (a2,a3) (a4,a5) (a6,a7) with groups 4b .. 4b+3, in lane order.
    V x1 = _mm256_unpacklo_epi64(x, y);  // a0 a2 a4 a6
    V y1 = _mm256_unpackhi_epi64(x, y);  // a1 a3 a5 a7
    const Twiddle tw1 = make_twiddle(load4(w + m1 + 4 * b), load4(ws + m1 + 4 * b));
    ct_butterfly(x1, y1, tw1, mc);
    x1 = reduce_from_8q(x1, mc);
    y1 = reduce_from_8q(y1, mc);
    const V r0 = _mm256_unpacklo_epi64(x1, y1);  // a0 a1 a4 a5
    const V r1 = _mm256_unpackhi_epi64(x1, y1);  // a2 a3 a6 a7
    store4(p, _mm256_permute2x128_si256(r0, r1, 0x20));
    store4(p + 4, _mm256_permute2x128_si256(r0, r1, 0x31));
  }
}

// One inverse stage with m groups of width gap >= 4.
HLP_AVX2_INLINE void inverse_stage_wide(u64 *a, std::size_t m, std::size_t gap, const u64 *w, const u64 *ws,
                                        const ModConsts &mc) {
  for (std::size_t i = 0; i < m; ++i) {
    const Twiddle tw = make_twiddle(splat(w[m + i]), splat(ws[m + i]));
    u64 *x = a + 2 * i * gap;
    u64 *y = x + gap;
    for (std::size_t j = 0; j < gap; j += 4) {
      V xv = load4(x + j);
      V yv = load4(y + j);
      gs_butterfly(xv, yv, tw, mc);
      store4(x + j, xv);
      store4(y + j, yv);
    }
  }
}

// The gap-1 and gap-2 inverse stages fused (n >= 8, so neither is the final stage).
HLP_AVX2_INLINE void inverse_first_two(u64 *a, std::size_t n, const u64 *w, const u64 *ws, const ModConsts &mc) {
  const std::size_t m1 = n >> 1;
  const std::size_t m2 = n >> 2;
  for (std::size_t b = 0; b < n / 8; ++b) {
    u64 *p = a + 8 * b;
    const V lo = load4(p);
    const V hi = load4(p + 4);
    const V p0 = _mm256_permute2x128_si256(lo, hi, 0x20);  // a0 a1 a4 a5
    const V p1 = _mm256_permute2x128_si256(lo, hi, 0x31);  // a2 a3 a6 a7
    V x1 = _mm256_unpacklo_epi64(p0, p1);                  // a0 a2 a4 a6
    V y1 = _mm256_unpackhi_epi64(p0, p1);                  // a1 a3 a5 a7
    const Twiddle tw1 = make_twiddle(load4(w + m1 + 4 * b), load4(ws + m1 + 4 * b));
    gs_butterfly(x1, y1, tw1, mc);
    V x = _mm256_unpacklo_epi64(x1, y1);  // a0 a1 a4 a5
    V y = _mm256_unpackhi_epi64(x1, y1);  // a2 a3 a6 a7
    const Twiddle tw2 = make_twiddle(load_pair_twice(w + m2 + 2 * b), load_pair_twice(ws + m2 + 2 * b));
    gs_butterfly(x, y, tw2, mc);
    store4(p, _mm256_permute2x128_si256(x, y, 0x20));
    store4(p + 4, _mm256_permute2x128_si256(x, y, 0x31));
  }
}

}  // namespace

void ntt_forward_avx2(u64 *a, const NttTables &t) {
  const std::size_t n = t.n;
  const u64 q = t.modulus.value;
  // Tiny transforms, and moduli too wide for the [0, 8q) lazy range (8q must stay below
  // 2^63), take the scalar path; the kernels never see the latter (60-bit cap).
  if (n < 8 || q >= (u64{1} << 60)) {
    ntt_forward_scalar(a, t);
    return;
  }
  const ModConsts mc = make_mod(q);
  const u64 *w = t.fwd.data();
  const u64 *ws = t.fwd_shoup.data();
  std::size_t gap = n >> 1;
  std::size_t m = 1;
  for (; gap >= 4; m <<= 1, gap >>= 1) forward_stage_wide(a, m, gap, w, ws, mc);
  forward_last_two(a, n, w, ws, mc);
}

void ntt_inverse_avx2(u64 *a, const NttTables &t) {
  const std::size_t n = t.n;
  const u64 q = t.modulus.value;
  if (n < 8 || q >= (u64{1} << 60)) {
    ntt_inverse_scalar(a, t);
    return;
  }
  const ModConsts mc = make_mod(q);
  const u64 *w = t.inv.data();
  const u64 *ws = t.inv_shoup.data();
  inverse_first_two(a, n, w, ws, mc);
  std::size_t gap = 4;
  for (std::size_t m = n >> 3; m > 1; m >>= 1, gap <<= 1) inverse_stage_wide(a, m, gap, w, ws, mc);

  // Last stage fused with the scaling: x' = (x + y) / n, y' = (x - y) * w[1] / n.
  const u64 last = mul_mod_barrett(w[1], t.inv_n, t.modulus);
  const Twiddle tw_n = make_twiddle(splat(t.inv_n), splat(t.inv_n_shoup));
  const Twiddle tw_last = make_twiddle(splat(last), splat(shoup_precompute(last, q)));
  u64 *x = a;
  u64 *y = a + gap;
  for (std::size_t j = 0; j < gap; j += 4) {
    const V xv = load4(x + j);
    const V yv = load4(y + j);
    const V sum = reduce_once(_mm256_add_epi64(xv, yv), mc.four_q);
    const V diff = _mm256_add_epi64(_mm256_sub_epi64(xv, yv), mc.four_q);
    store4(x + j, reduce_from_4q(shoup_lazy(sum, tw_n, mc), mc));
    store4(y + j, reduce_from_4q(shoup_lazy(diff, tw_last, mc), mc));
  }
}

}  // namespace hlp

#undef HLP_AVX2_INLINE

#pragma GCC pop_options
