// AVX-512 negacyclic NTT. Same butterflies, twiddles and lazy ranges as ntt-scalar.cpp
// (forward values in [0, 4q), inverse in [0, 2q)), eight lanes at a time; every output
// is fully reduced to [0, q), so the results are bit-identical to the scalar variant.
//
// Three multipliers, chosen per call:
//  - IFMA52 (q < 2^50 and the CPU has avx512ifma): Shoup multiplication with 52-bit
//    companions floor(w * 2^52 / q). Every lazy value is below 4q < 2^52, which is
//    exactly what the 52-bit multiply-add instructions see, so the quotient estimate is
//    at most one short and the product lands in [0, 2q) as in the scalar code.
//  - AVX-512DQ, q < 2^60 (Dq60Mul): 64-bit Shoup with a halved companion, so the quotient
//    needs three 32x32 products and no carry split; one more conditional subtraction
//    brings its result back to the same [0, 2q).
//  - AVX-512DQ (any q < 2^62): the 64-bit Shoup multiplication of the scalar code, with
//    the high half of the 64x64 product assembled from four 32x32 products.
//
// Stages whose butterfly gap is at least 8 are vector loops with broadcast twiddles,
// taken two stages per pass (radix-4 blocks of four vectors) to halve the loads and
// stores. The three stages with gap 4, 2 and 1 run together on 16 words held in two
// registers, regrouping the words between stages with in-register permutes and
// expanding the twiddles the same way; the forward transform also does its final
// reduction in that pass. The inverse runs the same pass first, then the wider stages,
// then the last stage fused with the scaling by n^-1 (together with the stage before it
// when the wide stages are odd in number).
//
// Everything vectorised sits between the target pragmas and touches only raw pointers;
// the exported entry points (default target) read the tables and pick the path.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "../core/variants.hpp"

namespace hlp {
namespace {

// Plain data handed from the default-target entry points to the AVX-512 kernels.
struct NttArgs {
  u64 *a;
  std::size_t n;
  u64 q;
  const u64 *w;   // twiddles (fwd or inv)
  const u64 *ws;  // Shoup companions matching the multiplier (64- or 52-bit)
  u64 inv_n;
  u64 inv_n_shoup;
  u64 last;  // inv[1] * n^-1 mod q
  u64 last_shoup;
};

constexpr std::size_t kMinVectorN = 16;
constexpr u64 kIfmaLimit = u64{1} << 50;  // 4q < 2^52
constexpr u64 kLazyLimit = u64{1} << 62;  // 4q < 2^64, as the scalar code assumes
constexpr u64 kDq60Limit = u64{1} << 60;  // 4q <= 2^62: twice a lazy value stays below 2^63

}  // namespace
}  // namespace hlp

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512ifma,avx512bw,bmi2")
// GCC 12 flags the deliberately undefined pass-through operand inside the AVX-512
// intrinsics (GCC bug 105593); nothing here reads an uninitialised value.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace hlp {
namespace {

inline __m512i vload(const u64 *p) { return _mm512_loadu_si512(static_cast<const void *>(p)); }
inline void vstore(u64 *p, __m512i v) { _mm512_storeu_si512(static_cast<void *>(p), v); }
inline __m512i vbroadcast(u64 v) { return _mm512_set1_epi64(static_cast<long long>(v)); }
// v -> v - m when v >= m (unsigned); v - m wraps above v otherwise.
inline __m512i vreduce(__m512i v, __m512i m) { return _mm512_min_epu64(v, _mm512_sub_epi64(v, m)); }

// [p[0] x4, p[1] x4]
inline __m512i expand2(const u64 *p) { return _mm512_mask_blend_epi64(0xF0, vbroadcast(p[0]), vbroadcast(p[1])); }
// [p[0], p[0], p[1], p[1], p[2], p[2], p[3], p[3]]
inline __m512i expand4(const u64 *p, __m512i idx) {
  return _mm512_permutexvar_epi64(idx,
                                  _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(p))));
}

// Shoup multiplication with 52-bit companions; y < 2^52, w < q < 2^50. Returns
// y * w mod q in [0, 2q).
struct IfmaMul {
  __m512i neg_q;  // 2^52 - q
  __m512i mask;   // 2^52 - 1
  explicit IfmaMul(u64 q) : neg_q(vbroadcast((u64{1} << 52) - q)), mask(vbroadcast((u64{1} << 52) - 1)) {}

  struct Tw {
    __m512i w;
    __m512i ws;
  };
  Tw make(__m512i w, __m512i ws) const { return Tw{w, ws}; }

  __m512i mul_lazy(__m512i y, const Tw &t) const {
    const __m512i zero = _mm512_setzero_si512();
    // quotient = floor(y * ws / 2^52), at most one below floor(y * w / q).
    const __m512i quot = _mm512_madd52hi_epu64(zero, y, t.ws);
    // lo52(y * w) + lo52(-quot * q) = (y * w - quot * q) mod 2^52, plus maybe 2^52.
    __m512i r = _mm512_madd52lo_epu64(zero, y, t.w);
    r = _mm512_madd52lo_epu64(r, quot, neg_q);
    return _mm512_and_si512(r, mask);
  }
};

// High 64 bits of a * b for 64-bit lanes, b_hi = b >> 32.
inline __m512i mulhi64(__m512i a, __m512i b, __m512i b_hi) {
  const __m512i lo32 = vbroadcast(0xFFFFFFFFu);
  const __m512i a_hi = _mm512_srli_epi64(a, 32);
  const __m512i ll = _mm512_mul_epu32(a, b);
  const __m512i hl = _mm512_mul_epu32(a_hi, b);
  const __m512i lh = _mm512_mul_epu32(a, b_hi);
  const __m512i hh = _mm512_mul_epu32(a_hi, b_hi);
  const __m512i t = _mm512_add_epi64(hl, _mm512_srli_epi64(ll, 32));
  const __m512i u = _mm512_add_epi64(lh, _mm512_and_si512(t, lo32));
  return _mm512_add_epi64(_mm512_add_epi64(hh, _mm512_srli_epi64(t, 32)), _mm512_srli_epi64(u, 32));
}

// 64-bit Shoup multiplication, exactly mul_mod_shoup_lazy of the scalar code.
struct DqMul {
  __m512i q;
  explicit DqMul(u64 modulus) : q(vbroadcast(modulus)) {}

  struct Tw {
    __m512i w;
    __m512i ws;
    __m512i ws_hi;
  };
  Tw make(__m512i w, __m512i ws) const { return Tw{w, ws, _mm512_srli_epi64(ws, 32)}; }

  __m512i mul_lazy(__m512i y, const Tw &t) const {
    const __m512i quot = mulhi64(y, t.ws, t.ws_hi);
    return _mm512_sub_epi64(_mm512_mullo_epi64(y, t.w), _mm512_mullo_epi64(quot, q));
  }
};

// 64-bit Shoup multiplication for q < 2^60 in 17 uops where DqMul takes 20 (counting each
// _mm512_mullo_epi64 as its three; measured 0.86x for a forward transform, 0.92x inverse).
// The companion is halved, ws63 = ws >> 1 = floor(w * 2^63 / q), and the quotient is taken
// from 2y * ws63 / 2^64: both factors are then below 2^63 (2y < 8q <= 2^63 is where
// q < 2^60 comes in), so the cross products hl + lh, each below 2^63, add up inside a word
// without mulhi64's carry split, and the low 32x32 product is left out. The quotient is
// then at most two short: below 1/2 from the Shoup truncation (y / 2^63), below 1 from the
// missing low product, below 1 from the floor. So y * w - quot * q < 2.5q, and one
// conditional subtraction of 2q brings it back to [0, 2q), the range of DqMul's result
// that the butterflies rely on.
struct Dq60Mul {
  __m512i q;
  __m512i two_q;
  explicit Dq60Mul(u64 modulus) : q(vbroadcast(modulus)), two_q(vbroadcast(2 * modulus)) {}

  struct Tw {
    __m512i w;
    __m512i ws;     // ws63
    __m512i ws_hi;  // ws63 >> 32
  };
  Tw make(__m512i w, __m512i ws) const { return Tw{w, _mm512_srli_epi64(ws, 1), _mm512_srli_epi64(ws, 33)}; }

  __m512i mul_lazy(__m512i y, const Tw &t) const {
    const __m512i a = _mm512_slli_epi64(y, 1);
    const __m512i a_hi = _mm512_srli_epi64(y, 31);
    const __m512i hl = _mm512_mul_epu32(a_hi, t.ws);
    const __m512i lh = _mm512_mul_epu32(a, t.ws_hi);
    const __m512i hh = _mm512_mul_epu32(a_hi, t.ws_hi);
    const __m512i quot = _mm512_add_epi64(hh, _mm512_srli_epi64(_mm512_add_epi64(hl, lh), 32));
    const __m512i r = _mm512_sub_epi64(_mm512_mullo_epi64(y, t.w), _mm512_mullo_epi64(quot, q));
    return vreduce(r, two_q);
  }
};

// Harvey forward butterfly: x, y in [0, 4q) -> x + wy, x - wy + 2q in [0, 4q).
template <class M>
inline void fwd_bfly(__m512i &x, __m512i &y, const typename M::Tw &tw, const M &mul, __m512i two_q) {
  x = vreduce(x, two_q);
  const __m512i x2 = _mm512_add_epi64(x, two_q);
  const __m512i t = mul.mul_lazy(y, tw);
  y = _mm512_sub_epi64(x2, t);
  x = _mm512_add_epi64(x, t);
}

// Gentleman-Sande butterfly: x, y in [0, 2q) -> x + y, (x - y + 2q) w, both in [0, 2q).
template <class M>
inline void inv_bfly(__m512i &x, __m512i &y, const typename M::Tw &tw, const M &mul, __m512i two_q) {
  const __m512i d = _mm512_sub_epi64(_mm512_add_epi64(x, two_q), y);
  x = vreduce(_mm512_add_epi64(x, y), two_q);
  y = mul.mul_lazy(d, tw);
}

// Twiddle pair (w, Shoup companion) at index i, broadcast to every lane.
template <class M>
inline typename M::Tw broadcast_tw(const M &mul, const u64 *w, const u64 *ws, std::size_t i) {
  return mul.make(vbroadcast(w[i]), vbroadcast(ws[i]));
}

// ---- forward ----

// One stage with m groups of gap >= 8.
template <class M>
void fwd_radix2(u64 *a, std::size_t m, std::size_t gap, const u64 *w, const u64 *ws, const M &mul, __m512i two_q) {
  for (std::size_t i = 0; i < m; ++i) {
    const typename M::Tw tw = broadcast_tw(mul, w, ws, m + i);
    u64 *x = a + 2 * i * gap;
    u64 *y = x + gap;
    for (std::size_t j = 0; j < gap; j += 8) {
      __m512i vx = vload(x + j);
      __m512i vy = vload(y + j);
      fwd_bfly(vx, vy, tw, mul, two_q);
      vstore(x + j, vx);
      vstore(y + j, vy);
    }
  }
}

// Stages (m, gap) and (2m, gap / 2) in one pass; gap / 2 >= 8.
template <class M>
void fwd_radix4(u64 *a, std::size_t m, std::size_t gap, const u64 *w, const u64 *ws, const M &mul, __m512i two_q) {
  const std::size_t h = gap >> 1;
  for (std::size_t i = 0; i < m; ++i) {
    const typename M::Tw tw = broadcast_tw(mul, w, ws, m + i);
    const typename M::Tw tw_lo = broadcast_tw(mul, w, ws, 2 * (m + i));
    const typename M::Tw tw_hi = broadcast_tw(mul, w, ws, 2 * (m + i) + 1);
    u64 *p = a + 2 * i * gap;
    for (std::size_t j = 0; j < h; j += 8) {
      __m512i x0 = vload(p + j);
      __m512i x1 = vload(p + h + j);
      __m512i x2 = vload(p + 2 * h + j);
      __m512i x3 = vload(p + 3 * h + j);
      fwd_bfly(x0, x2, tw, mul, two_q);
      fwd_bfly(x1, x3, tw, mul, two_q);
      fwd_bfly(x0, x1, tw_lo, mul, two_q);
      fwd_bfly(x2, x3, tw_hi, mul, two_q);
      vstore(p + j, x0);
      vstore(p + h + j, x1);
      vstore(p + 2 * h + j, x2);
      vstore(p + 3 * h + j, x3);
    }
  }
}

// The stages with gap 4, 2 and 1, then the reduction to [0, q), on U blocks of 16 words
// per iteration (independent chains for the out-of-order core). n / 16 must be a
// multiple of U.
template <int U, class M>
void fwd_last3(u64 *a, std::size_t n, const u64 *w, const u64 *ws, const M &mul, __m512i q, __m512i two_q) {
  const u64 *w4 = w + (n >> 3);
  const u64 *ws4 = ws + (n >> 3);
  const u64 *w2 = w + (n >> 2);
  const u64 *ws2 = ws + (n >> 2);
  const u64 *w1 = w + (n >> 1);
  const u64 *ws1 = ws + (n >> 1);
  const __m512i dup2 = _mm512_setr_epi64(0, 0, 1, 1, 2, 2, 3, 3);
  const __m512i lo_pairs = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
  const __m512i hi_pairs = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
  const __m512i zip_lo = _mm512_setr_epi64(0, 8, 1, 9, 2, 10, 3, 11);
  const __m512i zip_hi = _mm512_setr_epi64(4, 12, 5, 13, 6, 14, 7, 15);
  for (std::size_t k0 = 0; k0 < n / 16; k0 += U) {
    __m512i x[U];
    __m512i y[U];
    // gap 4: x = words {0-3, 8-11}, y = {4-7, 12-15}
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) {
      const std::size_t k = k0 + static_cast<std::size_t>(u);
      const __m512i v0 = vload(a + 16 * k);
      const __m512i v1 = vload(a + 16 * k + 8);
      x[u] = _mm512_shuffle_i64x2(v0, v1, 0x44);
      y[u] = _mm512_shuffle_i64x2(v0, v1, 0xEE);
      fwd_bfly(x[u], y[u], mul.make(expand2(w4 + 2 * k), expand2(ws4 + 2 * k)), mul, two_q);
    }
    // gap 2: x = {0,1,4,5,8,9,12,13}, y = {2,3,6,7,10,11,14,15}
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) {
      const std::size_t k = k0 + static_cast<std::size_t>(u);
      __m512i x2 = _mm512_permutex2var_epi64(x[u], lo_pairs, y[u]);
      __m512i y2 = _mm512_permutex2var_epi64(x[u], hi_pairs, y[u]);
      fwd_bfly(x2, y2, mul.make(expand4(w2 + 4 * k, dup2), expand4(ws2 + 4 * k, dup2)), mul, two_q);
      x[u] = x2;
      y[u] = y2;
    }
    // gap 1: x = even words, y = odd words; then reduce and interleave back.
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) {
      const std::size_t k = k0 + static_cast<std::size_t>(u);
      __m512i x1 = _mm512_unpacklo_epi64(x[u], y[u]);
      __m512i y1 = _mm512_unpackhi_epi64(x[u], y[u]);
      fwd_bfly(x1, y1, mul.make(vload(w1 + 8 * k), vload(ws1 + 8 * k)), mul, two_q);
      x1 = vreduce(vreduce(x1, two_q), q);
      y1 = vreduce(vreduce(y1, two_q), q);
      vstore(a + 16 * k, _mm512_permutex2var_epi64(x1, zip_lo, y1));
      vstore(a + 16 * k + 8, _mm512_permutex2var_epi64(x1, zip_hi, y1));
    }
  }
}

template <class M>
void forward_impl(const NttArgs &g, const M &mul) {
  u64 *const a = g.a;
  const std::size_t n = g.n;
  const __m512i q = vbroadcast(g.q);
  const __m512i two_q = vbroadcast(2 * g.q);

  // Stages with gap >= 8: log2(n) - 3 of them, in pairs after one single stage when odd.
  const unsigned wide_stages = log2_exact(n) - 3;
  std::size_t m = 1;
  std::size_t gap = n >> 1;
  if (wide_stages & 1) {
    fwd_radix2(a, m, gap, g.w, g.ws, mul, two_q);
    m <<= 1;
    gap >>= 1;
  }
  for (; gap >= 16; m <<= 2, gap >>= 2) fwd_radix4(a, m, gap, g.w, g.ws, mul, two_q);

  if ((n / 16) % 4 == 0) {
    fwd_last3<4>(a, n, g.w, g.ws, mul, q, two_q);
  } else {
    fwd_last3<1>(a, n, g.w, g.ws, mul, q, two_q);
  }
}

// ---- inverse ----

// The stages with gap 1, 2 and 4 (never the last stage: n >= 16), U blocks of 16 words
// per iteration.
template <int U, class M>
void inv_first3(u64 *a, std::size_t n, const u64 *w, const u64 *ws, const M &mul, __m512i two_q) {
  const u64 *w1 = w + (n >> 1);
  const u64 *ws1 = ws + (n >> 1);
  const u64 *w2 = w + (n >> 2);
  const u64 *ws2 = ws + (n >> 2);
  const u64 *w4 = w + (n >> 3);
  const u64 *ws4 = ws + (n >> 3);
  const __m512i dup2 = _mm512_setr_epi64(0, 0, 1, 1, 2, 2, 3, 3);
  const __m512i evens = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
  const __m512i odds = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
  const __m512i lo_pairs = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
  const __m512i hi_pairs = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
  for (std::size_t k0 = 0; k0 < n / 16; k0 += U) {
    __m512i x[U];
    __m512i y[U];
    // gap 1: x = even words, y = odd words
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) {
      const std::size_t k = k0 + static_cast<std::size_t>(u);
      const __m512i v0 = vload(a + 16 * k);
      const __m512i v1 = vload(a + 16 * k + 8);
      x[u] = _mm512_permutex2var_epi64(v0, evens, v1);
      y[u] = _mm512_permutex2var_epi64(v0, odds, v1);
      inv_bfly(x[u], y[u], mul.make(vload(w1 + 8 * k), vload(ws1 + 8 * k)), mul, two_q);
    }
    // gap 2: x = {0,1,4,5,8,9,12,13}, y = {2,3,6,7,10,11,14,15}
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) {
      const std::size_t k = k0 + static_cast<std::size_t>(u);
      __m512i x2 = _mm512_unpacklo_epi64(x[u], y[u]);
      __m512i y2 = _mm512_unpackhi_epi64(x[u], y[u]);
      inv_bfly(x2, y2, mul.make(expand4(w2 + 4 * k, dup2), expand4(ws2 + 4 * k, dup2)), mul, two_q);
      x[u] = x2;
      y[u] = y2;
    }
    // gap 4: x = {0-3, 8-11}, y = {4-7, 12-15}
#pragma GCC unroll 4
    for (int u = 0; u < U; ++u) {
      const std::size_t k = k0 + static_cast<std::size_t>(u);
      __m512i x4 = _mm512_permutex2var_epi64(x[u], lo_pairs, y[u]);
      __m512i y4 = _mm512_permutex2var_epi64(x[u], hi_pairs, y[u]);
      inv_bfly(x4, y4, mul.make(expand2(w4 + 2 * k), expand2(ws4 + 2 * k)), mul, two_q);
      vstore(a + 16 * k, _mm512_shuffle_i64x2(x4, y4, 0x44));
      vstore(a + 16 * k + 8, _mm512_shuffle_i64x2(x4, y4, 0xEE));
    }
  }
}

// One stage with m groups of gap >= 8 (not the last stage).
template <class M>
void inv_radix2(u64 *a, std::size_t m, std::size_t gap, const u64 *w, const u64 *ws, const M &mul, __m512i two_q) {
  for (std::size_t i = 0; i < m; ++i) {
    const typename M::Tw tw = broadcast_tw(mul, w, ws, m + i);
    u64 *x = a + 2 * i * gap;
    u64 *y = x + gap;
    for (std::size_t j = 0; j < gap; j += 8) {
      __m512i vx = vload(x + j);
      __m512i vy = vload(y + j);
      inv_bfly(vx, vy, tw, mul, two_q);
      vstore(x + j, vx);
      vstore(y + j, vy);
    }
  }
}

// Stages (m, gap) and (m / 2, 2 gap) in one pass; gap >= 8, m / 2 > 1.
template <class M>
void inv_radix4(u64 *a, std::size_t m, std::size_t gap, const u64 *w, const u64 *ws, const M &mul, __m512i two_q) {
  for (std::size_t i = 0; i < m / 2; ++i) {
    const typename M::Tw tw_lo = broadcast_tw(mul, w, ws, m + 2 * i);
    const typename M::Tw tw_hi = broadcast_tw(mul, w, ws, m + 2 * i + 1);
    const typename M::Tw tw = broadcast_tw(mul, w, ws, m / 2 + i);
    u64 *p = a + 4 * i * gap;
    for (std::size_t j = 0; j < gap; j += 8) {
      __m512i x0 = vload(p + j);
      __m512i x1 = vload(p + gap + j);
      __m512i x2 = vload(p + 2 * gap + j);
      __m512i x3 = vload(p + 3 * gap + j);
      inv_bfly(x0, x1, tw_lo, mul, two_q);
      inv_bfly(x2, x3, tw_hi, mul, two_q);
      inv_bfly(x0, x2, tw, mul, two_q);
      inv_bfly(x1, x3, tw, mul, two_q);
      vstore(p + j, x0);
      vstore(p + gap + j, x1);
      vstore(p + 2 * gap + j, x2);
      vstore(p + 3 * gap + j, x3);
    }
  }
}

// Last stage fused with the scaling: x' = (x + y) / n, y' = (x - y) * inv[1] / n, both
// fully reduced. x, y in [0, 2q).
template <class M>
inline void inv_last_bfly(__m512i &x, __m512i &y, const typename M::Tw &tw_n, const typename M::Tw &tw_last,
                          const M &mul, __m512i q, __m512i two_q) {
  const __m512i d = _mm512_sub_epi64(_mm512_add_epi64(x, two_q), y);
  const __m512i s = vreduce(_mm512_add_epi64(x, y), two_q);
  x = vreduce(mul.mul_lazy(s, tw_n), q);
  y = vreduce(mul.mul_lazy(d, tw_last), q);
}

template <class M>
void inverse_impl(const NttArgs &g, const M &mul) {
  u64 *const a = g.a;
  const std::size_t n = g.n;
  const u64 *const w = g.w;
  const u64 *const ws = g.ws;
  const __m512i q = vbroadcast(g.q);
  const __m512i two_q = vbroadcast(2 * g.q);

  if ((n / 16) % 4 == 0) {
    inv_first3<4>(a, n, w, ws, mul, two_q);
  } else {
    inv_first3<1>(a, n, w, ws, mul, two_q);
  }

  // Stages m = n/16 .. 2 (gap 8 .. n/4), in pairs; when their count is odd the last of
  // them runs together with the final stage.
  const unsigned mid_stages = log2_exact(n) - 4;
  std::size_t m = n >> 4;
  std::size_t gap = 8;
  for (unsigned s = 0; s + 1 < mid_stages; s += 2, m >>= 2, gap <<= 2) {
    inv_radix4(a, m, gap, w, ws, mul, two_q);
  }

  const typename M::Tw tw_n = mul.make(vbroadcast(g.inv_n), vbroadcast(g.inv_n_shoup));
  const typename M::Tw tw_last = mul.make(vbroadcast(g.last), vbroadcast(g.last_shoup));
  if (mid_stages & 1) {
    // m == 2, gap == n / 4: stage 2 on the quarters, then the final stage.
    const typename M::Tw tw_lo = broadcast_tw(mul, w, ws, 2);
    const typename M::Tw tw_hi = broadcast_tw(mul, w, ws, 3);
    for (std::size_t j = 0; j < gap; j += 8) {
      __m512i x0 = vload(a + j);
      __m512i x1 = vload(a + gap + j);
      __m512i x2 = vload(a + 2 * gap + j);
      __m512i x3 = vload(a + 3 * gap + j);
      inv_bfly(x0, x1, tw_lo, mul, two_q);
      inv_bfly(x2, x3, tw_hi, mul, two_q);
      inv_last_bfly(x0, x2, tw_n, tw_last, mul, q, two_q);
      inv_last_bfly(x1, x3, tw_n, tw_last, mul, q, two_q);
      vstore(a + j, x0);
      vstore(a + gap + j, x1);
      vstore(a + 2 * gap + j, x2);
      vstore(a + 3 * gap + j, x3);
    }
  } else {
    // m == 1, gap == n / 2.
    for (std::size_t j = 0; j < gap; j += 8) {
      __m512i vx = vload(a + j);
      __m512i vy = vload(a + gap + j);
      inv_last_bfly(vx, vy, tw_n, tw_last, mul, q, two_q);
      vstore(a + j, vx);
      vstore(a + gap + j, vy);
    }
  }
}

void forward_ifma(const NttArgs &g) { forward_impl(g, IfmaMul(g.q)); }
void forward_dq(const NttArgs &g) {
  if (g.q < kDq60Limit) {
    forward_impl(g, Dq60Mul(g.q));
  } else {
    forward_impl(g, DqMul(g.q));
  }
}
void inverse_ifma(const NttArgs &g) { inverse_impl(g, IfmaMul(g.q)); }
void inverse_dq(const NttArgs &g) {
  if (g.q < kDq60Limit) {
    inverse_impl(g, Dq60Mul(g.q));
  } else {
    inverse_impl(g, DqMul(g.q));
  }
}

}  // namespace
}  // namespace hlp

#pragma GCC diagnostic pop
#pragma GCC pop_options

namespace hlp {
namespace {

bool use_ifma(u64 q) { return q < kIfmaLimit && cpu_features().avx512ifma; }

// Tiny transforms, and moduli outside the scalar code's lazy-range contract, go to
// the scalar kernels so the results stay identical in every case.
bool use_scalar(const NttTables &t) { return t.n < kMinVectorN || t.modulus.value >= kLazyLimit; }

}  // namespace

void ntt_forward_avx512(u64 *data, const NttTables &t) {
  const u64 q = t.modulus.value;
  if (use_scalar(t)) {
    ntt_forward_scalar(data, t);
    return;
  }
  const bool ifma = use_ifma(q);
  NttArgs g{};
  g.a = data;
  g.n = t.n;
  g.q = q;
  g.w = t.fwd.data();
  g.ws = ifma ? t.fwd_shoup52.data() : t.fwd_shoup.data();
  if (ifma) {
    forward_ifma(g);
  } else {
    forward_dq(g);
  }
}

void ntt_inverse_avx512(u64 *data, const NttTables &t) {
  const u64 q = t.modulus.value;
  if (use_scalar(t)) {
    ntt_inverse_scalar(data, t);
    return;
  }
  const bool ifma = use_ifma(q);
  NttArgs g{};
  g.a = data;
  g.n = t.n;
  g.q = q;
  g.w = t.inv.data();
  g.inv_n = t.inv_n;
  g.last = mul_mod_barrett(t.inv[1], t.inv_n, t.modulus);
  if (ifma) {
    g.ws = t.inv_shoup52.data();
    g.inv_n_shoup = t.inv_n_shoup52;
    g.last_shoup = static_cast<u64>((static_cast<u128>(g.last) << 52) / q);
    inverse_ifma(g);
  } else {
    g.ws = t.inv_shoup.data();
    g.inv_n_shoup = t.inv_n_shoup;
    g.last_shoup = shoup_precompute(g.last, q);
    inverse_dq(g);
  }
}

}  // namespace hlp
