// AVX-512 sums of products for the CKKS kernel table: dot2 (key switching's inner product, a
// plaintext dot product) and dot2_pair (two plaintext dot products over the same ciphertexts,
// the giant steps of a matrix product). Exact, so bit for bit the scalar versions in
// kernels-scalar.cpp. With IFMA (AVX512_IFMA52) the products are taken in 52-bit limbs; the
// instructions appear only in the paths taken when cpuid reports them (as in ntt-avx512.cpp),
// and the compiler generates none of its own.
#include <immintrin.h>

#include "ckks.hpp"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,avx512ifma,bmi2,fma")
// GCC 12 flags the deliberately undefined pass-through operand inside the AVX-512
// intrinsics (GCC bug 105593); nothing here reads an uninitialised value.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "simd-avx512.hpp"

namespace hlp {
namespace ckks {
namespace {

// The full 128-bit products a * b, lane by lane, from four 32-bit multiplies (b_hi = b >> 32,
// passed in so that a constant's is computed once).
inline void mul_wide(__m512i a, __m512i b, __m512i b_hi, __m512i &hi, __m512i &lo) {
  const __m512i low = vset(0xFFFFFFFFULL);
  const __m512i a_hi = _mm512_srli_epi64(a, 32);
  const __m512i p00 = _mm512_mul_epu32(a, b);
  const __m512i p10 = _mm512_mul_epu32(a_hi, b);
  const __m512i p01 = _mm512_mul_epu32(a, b_hi);
  const __m512i p11 = _mm512_mul_epu32(a_hi, b_hi);
  // middle column: carries out of bit 64 are collected from its top half
  const __m512i mid = _mm512_add_epi64(_mm512_add_epi64(_mm512_srli_epi64(p00, 32), _mm512_and_si512(p10, low)),
                                       _mm512_and_si512(p01, low));
  hi = _mm512_add_epi64(_mm512_add_epi64(p11, _mm512_srli_epi64(p10, 32)),
                        _mm512_add_epi64(_mm512_srli_epi64(p01, 32), _mm512_srli_epi64(mid, 32)));
  lo = _mm512_or_si512(_mm512_slli_epi64(mid, 32), _mm512_and_si512(p00, low));
}

// High 64 bits of the 128-bit products a * b, lane by lane (the low half is dead code once inlined).
inline __m512i mul_hi(__m512i a, __m512i b, __m512i b_hi) {
  __m512i hi, lo;
  mul_wide(a, b, b_hi, hi, lo);
  return hi;
}

// ---- dot2: sums of products, reduced once --------------------------------------------

// Eight lanes of the shared factor: a[t][x..x+8), or gathered through the permutation.
inline __m512i dot_load_a(const u64 *at, const uint32_t *perm, std::size_t x, std::size_t n) {
  return perm == nullptr ? vload(at + x) : gather8(at, n, perm + x);
}

constexpr std::size_t kDotVectors = 4;  // 32 positions a chunk: the accumulators stay in registers
// Chunks a term's words are fetched ahead of their use. A dot product over T terms reads 3T
// streams at once (a plaintext dot product of a 768 x 768 map: 84), more than the hardware
// prefetchers follow, and unfetched each chunk of each stream waited on memory.
constexpr std::size_t kPrefetchChunks = 4;

// The chunk kPrefetchChunks ahead of `base` of one term's three operands (a only when read
// in order), a cache line a prefetch.
template <std::size_t kChunk = 8 * kDotVectors>
inline void dot_prefetch(const u64 *at, const uint32_t *perm, const u64 *p0, const u64 *p1, std::size_t base,
                         std::size_t n) {
  const std::size_t ahead = base + kPrefetchChunks * kChunk;
  if (ahead >= n) return;
  for (std::size_t line = 0; line < kChunk; line += 8) {
    if (perm == nullptr) _mm_prefetch(reinterpret_cast<const char *>(at + ahead + line), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char *>(p0 + ahead + line), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char *>(p1 + ahead + line), _MM_HINT_T0);
  }
}

// x * w mod q for any 64-bit lanes x and a constant w < q < 2^62 (Shoup: ws = floor(w 2^64 / q)),
// fully reduced.
struct ShoupConst {
  __m512i w, ws, ws_hi;
  ShoupConst() = default;
  ShoupConst(u64 wv, u64 q)
      : w(vset(wv)), ws(vset(shoup_precompute(wv, q))), ws_hi(vset(shoup_precompute(wv, q) >> 32)) {}
  __m512i mul(__m512i x, __m512i q) const {
    const __m512i quot = mul_hi(x, ws, ws_hi);
    return vreduce(_mm512_sub_epi64(_mm512_mullo_epi64(x, w), _mm512_mullo_epi64(quot, q)), q);  // [0, 2q) -> [0, q)
  }
};

// Accumulators for words below q < 2^62 that hold exact sums as kParts 64-bit lanes of fixed
// weights; a sum is reduced on vectors as sum_p lane_p * (weight_p mod q), each term by a
// Shoup multiplication that takes any 64-bit lane, so no carry needs settling first.
//
// Wide: the full 128-bit product from 32-bit multiplies, as lo (weight 1) and hi (2^64).
struct WideAcc {
  static constexpr int kParts = 2;
  static constexpr std::size_t kVectors = kDotVectors;  // positions a chunk: 8 kVectors
  static uint32_t fold(u64 q) { return dot_fold_terms(q); }
  static u64 weight(int part, u64 q) { return part == 0 ? 1 % q : static_cast<u64>((static_cast<u128>(1) << 64) % q); }
  static void mac(__m512i a, __m512i b, __m512i *acc) {
    __m512i ph, pl;
    mul_wide(a, b, _mm512_srli_epi64(b, 32), ph, pl);
    acc[0] = _mm512_add_epi64(acc[0], pl);
    acc[1] = _mm512_add_epi64(acc[1], ph);
    acc[1] = _mm512_mask_add_epi64(acc[1], _mm512_cmplt_epu64_mask(acc[0], pl), acc[1], vset(1));
  }
};

// Limbs: with IFMA, a = a1 2^52 + a0 and b likewise (a1, b1 < 2^10), and the four partial
// products summed by weight: c0 (1), c1 (2^52), c2 (2^104); seven multiply-adds a product
// against the wide path's four 32-bit multiplies, carries and compares. No lane may wrap (the
// reduction reads each as an integer): c1 takes three terms below 2^52 a product, c0 one and
// a folded value below 2^62 to start from, c2 under 2^21 a product; 1023 products between
// folds keep all three below 2^64.
//
// Folding every kHalfFold = 255 products instead keeps every lane below 2^62 when q < 2^61
// (c0 < q + 255 * 2^52 < 2^62, c1 < 765 * 2^52 < 2^62, c2 < 2^29), which HalfReduce3 needs;
// a key switch has at most 64 terms, so it never folds before the end (a plaintext dot product
// of more than 255 terms folds four times as often as before, a reduction per 255 products).
struct LimbAcc {
  static constexpr int kParts = 3;
  // Two vectors a chunk: at four, the 24 accumulators and the limbs of the operands passed the
  // 32 vector registers, and the spills made a 60-bit key prime's 3-term sum 31 us against 24.
  static constexpr std::size_t kVectors = 2;
  static constexpr uint32_t kHalfFold = 255;
  static constexpr u64 kHalfLimit = u64{1} << 61;
  static uint32_t fold(u64) { return 1023; }
  static u64 weight(int part, u64 q) {
    const u128 w = static_cast<u128>(1) << (52 * part);
    return static_cast<u64>(w % q);
  }
  // a's low 52 bits and the rest.
  static __m512i low(__m512i a) { return _mm512_and_si512(a, vset((u64{1} << 52) - 1)); }
  static __m512i high(__m512i a) { return _mm512_srli_epi64(a, 52); }
  static void mac(__m512i a, __m512i b, __m512i *acc) { mac_split(low(a), high(a), low(b), high(b), acc); }
  static void mac_split(__m512i a0, __m512i a1, __m512i b0, __m512i b1, __m512i *acc) {
    acc[0] = _mm512_madd52lo_epu64(acc[0], a0, b0);
    acc[1] = _mm512_madd52hi_epu64(acc[1], a0, b0);
    acc[1] = _mm512_madd52lo_epu64(acc[1], a1, b0);
    acc[1] = _mm512_madd52lo_epu64(acc[1], a0, b1);
    acc[2] = _mm512_madd52hi_epu64(acc[2], a1, b0);
    acc[2] = _mm512_madd52hi_epu64(acc[2], a0, b1);
    acc[2] = _mm512_madd52lo_epu64(acc[2], a1, b1);
  }
};

// Reduces an accumulator's kParts lanes: each lane times its weight, fully reduced, and
// summed (three terms below q stay below 3q < 2^64). Takes any 64-bit lanes.
template <int kParts>
struct ExactReduce {
  ShoupConst weights[kParts];
  __m512i q;
  template <class Acc>
  ExactReduce(Acc, u64 modulus) : q(vset(modulus)) {
    for (int p = 0; p < kParts; ++p) weights[p] = ShoupConst(Acc::weight(p, modulus), modulus);
  }
  __m512i operator()(const __m512i *parts) const {
    __m512i r = weights[0].mul(parts[0], q);
    for (int p = 1; p < kParts; ++p) r = vreduce(_mm512_add_epi64(r, weights[p].mul(parts[p], q)), q);
    return r;
  }
};

// The same for LimbAcc's lanes folded every kHalfFold products (all below 2^62, c2 < 2^29) and
// q < 2^61: three HalfShoup products, each in [0, 2.5q), summed lazily to below 7.5q < 2^64,
// and brought to [0, q) by the subtractions of 4q, 2q and q (4q < 2^63: [0, 7.5q) -> [0, 4q)
// -> [0, 2q) -> [0, q)). Two of the products are cut to what their operands need, with the
// same quotient and so the same result: c0's weight is 1 (x * 1 needs no multiply), and
// 2 c2 < 2^30 has no high half, so hh and hl are zero and the quotient is (2 c2 * ws63_hi) >> 32.
struct HalfReduce3 {
  HalfShoup weights[3];
  __m512i q, two_q, four_q;
  template <class Acc>
  HalfReduce3(Acc, u64 modulus) : q(vset(modulus)), two_q(vset(2 * modulus)), four_q(vset(4 * modulus)) {
    for (int p = 0; p < 3; ++p) {
      const u64 w = Acc::weight(p, modulus);
      weights[p] = HalfShoup(w, shoup_precompute(w, modulus));
    }
  }
  __m512i operator()(const __m512i *parts) const {
    const HalfShoup &w0 = weights[0], &w2 = weights[2];
    const __m512i a0 = _mm512_slli_epi64(parts[0], 1), a0_hi = _mm512_srli_epi64(parts[0], 31);
    const __m512i cross0 = _mm512_add_epi64(_mm512_mul_epu32(a0_hi, w0.ws), _mm512_mul_epu32(a0, w0.ws_hi));
    const __m512i quot0 = _mm512_add_epi64(_mm512_mul_epu32(a0_hi, w0.ws_hi), _mm512_srli_epi64(cross0, 32));
    const __m512i r0 = _mm512_sub_epi64(parts[0], _mm512_mullo_epi64(quot0, q));  // weight 1
    const __m512i quot2 = _mm512_srli_epi64(_mm512_mul_epu32(_mm512_slli_epi64(parts[2], 1), w2.ws_hi), 32);
    const __m512i r2 = _mm512_sub_epi64(_mm512_mullo_epi64(parts[2], w2.w), _mm512_mullo_epi64(quot2, q));
    __m512i r = _mm512_add_epi64(_mm512_add_epi64(r0, r2), weights[1].mul_lazy(parts[1], q));  // [0, 7.5q)
    return vreduce(vreduce(vreduce(r, four_q), two_q), q);
  }
};

// dot2 on any q < 2^62 with the accumulators of Acc, a chunk of positions at a time, folding
// (reducing the sums with `reduced`) every `fold` terms.
template <class Acc, class Reduce>
void dot2_exact(const u64 *const *a, const uint32_t *perm, const u64 *const *b0, const u64 *const *b1, uint32_t terms,
                std::size_t n, const Reduce &reduced, uint32_t fold, u64 *out0, u64 *out1) {
  constexpr std::size_t V = Acc::kVectors, kChunk = 8 * V;
  constexpr int kParts = Acc::kParts;
  for (std::size_t base = 0; base < n; base += kChunk) {
    __m512i acc[2][V][kParts];
    for (auto &o : acc)
      for (auto &v : o)
        for (auto &p : v) p = _mm512_setzero_si512();
    uint32_t pending = 0;
    for (uint32_t t = 0; t < terms; ++t) {
      if (pending == fold) {
        for (auto &o : acc) {
          for (auto &v : o) {
            v[0] = reduced(v);
            for (int p = 1; p < kParts; ++p) v[p] = _mm512_setzero_si512();
          }
        }
        pending = 0;
      }
      const u64 *at = a[t], *p0 = b0[t] + base, *p1 = b1[t] + base;
      dot_prefetch<kChunk>(at, perm, b0[t], b1[t], base, n);
      for (std::size_t v = 0; v < V; ++v) {
        const __m512i av = dot_load_a(at, perm, base + 8 * v, n);
        Acc::mac(av, vload(p0 + 8 * v), acc[0][v]);
        Acc::mac(av, vload(p1 + 8 * v), acc[1][v]);
      }
      ++pending;
    }
    for (std::size_t v = 0; v < V; ++v) {
      vstore(out0 + base + 8 * v, reduced(acc[0][v]));
      vstore(out1 + base + 8 * v, reduced(acc[1][v]));
    }
  }
}

// q < 2^50 with IFMA: each product as its low and high 52 bits, summed in two 64-bit lanes
// (two instructions a product), and a Barrett step on vectors at the end. With s = bits(q) - 1
// and V = hi 2^52 + lo the sum, floor(V / 2^s) must fit 52 bits: V < 2^(52+s), which
// `terms_limit` = 2^(50-s) - 1 products of words below q (< 2^(2s+2)) keep, with room for a
// folded value below q.
struct IfmaReduce {
  __m512i q, two_q, neg_q, mu, mask52;
  __m128i shift, shift_up;
  __m512i operator()(__m512i hi, __m512i lo) const {
    const __m512i zero = _mm512_setzero_si512();
    hi = _mm512_add_epi64(hi, _mm512_srli_epi64(lo, 52));  // carries of the low halves
    lo = _mm512_and_si512(lo, mask52);
    const __m512i c = _mm512_or_si512(_mm512_sll_epi64(hi, shift_up), _mm512_srl_epi64(lo, shift));
    const __m512i quot = _mm512_madd52hi_epu64(zero, c, mu);
    __m512i r = _mm512_and_si512(_mm512_madd52lo_epu64(lo, quot, neg_q), mask52);  // < 4q
    r = vreduce(r, two_q);
    return vreduce(r, q);
  }
};

IfmaReduce ifma_reduce(u64 q) {
  const unsigned s = static_cast<unsigned>(63 - __builtin_clzll(q));
  IfmaReduce red;
  red.q = vset(q), red.two_q = vset(2 * q), red.neg_q = vset((u64{1} << 52) - q);
  red.mu = vset(static_cast<u64>((u128{1} << (s + 52)) / q));
  red.mask52 = vset((u64{1} << 52) - 1);
  red.shift = _mm_cvtsi64_si128(static_cast<long long>(s));
  red.shift_up = _mm_cvtsi64_si128(static_cast<long long>(52 - s));
  return red;
}

// Products of words below q < 2^50 that dot2_ifma's lanes take between reductions (0: too few
// to be worth it).
uint32_t ifma_fold(u64 q) {
  const unsigned s = static_cast<unsigned>(63 - __builtin_clzll(q));
  const uint32_t fold = (u64{1} << (50 - s)) - 1;
  return fold < 2 ? 0 : fold > 4095 ? 4095 : fold;
}

void dot2_ifma(const u64 *const *a, const uint32_t *perm, const u64 *const *b0, const u64 *const *b1, uint32_t terms,
               std::size_t n, const Modulus &m, u64 *out0, u64 *out1, uint32_t fold) {
  const IfmaReduce red = ifma_reduce(m.value);
  constexpr std::size_t kChunk = 8 * kDotVectors;
  for (std::size_t base = 0; base < n; base += kChunk) {
    __m512i ah0[kDotVectors], al0[kDotVectors], ah1[kDotVectors], al1[kDotVectors];
    for (std::size_t v = 0; v < kDotVectors; ++v) ah0[v] = al0[v] = ah1[v] = al1[v] = _mm512_setzero_si512();
    uint32_t pending = 0;
    for (uint32_t t = 0; t < terms; ++t) {
      if (pending == fold) {
        for (std::size_t v = 0; v < kDotVectors; ++v) {
          al0[v] = red(ah0[v], al0[v]), al1[v] = red(ah1[v], al1[v]);
          ah0[v] = ah1[v] = _mm512_setzero_si512();
        }
        pending = 0;
      }
      const u64 *at = a[t], *p0 = b0[t] + base, *p1 = b1[t] + base;
      dot_prefetch(at, perm, b0[t], b1[t], base, n);
      for (std::size_t v = 0; v < kDotVectors; ++v) {
        const __m512i av = dot_load_a(at, perm, base + 8 * v, n);
        const __m512i x0 = vload(p0 + 8 * v), x1 = vload(p1 + 8 * v);
        al0[v] = _mm512_madd52lo_epu64(al0[v], av, x0), ah0[v] = _mm512_madd52hi_epu64(ah0[v], av, x0);
        al1[v] = _mm512_madd52lo_epu64(al1[v], av, x1), ah1[v] = _mm512_madd52hi_epu64(ah1[v], av, x1);
      }
      ++pending;
    }
    for (std::size_t v = 0; v < kDotVectors; ++v) {
      vstore(out0 + base + 8 * v, red(ah0[v], al0[v]));
      vstore(out1 + base + 8 * v, red(ah1[v], al1[v]));
    }
  }
}

// ---- dot2_pair: two sets of factors against one pair of streams ------------------------

// Lane x of the four sums sits in l[k] + h[k] 2^52 (k = 0, 1 for a's, 2, 3 for a2's).
constexpr std::size_t kPairVectors = 2;  // 16 positions a chunk: 16 accumulators in registers

// Prefetches the chunk kPrefetchChunks ahead of `base` in term t's streams. Compact factors
// (R > 1) advance R times slower than the positions: their words are fetched as many chunks
// ahead, R times as many positions.
template <int R>
inline void pair_prefetch(const u64 *x, const u64 *y, const u64 *p0, const u64 *p1, std::size_t ahead,
                          std::size_t chunk) {
  const std::size_t factor = (ahead + (R - 1) * kPrefetchChunks * chunk) / R;
  for (std::size_t line = 0; line < chunk; line += 8) {
    if (line * R < chunk) {
      if (x != nullptr) prefetch_line(x + factor + line);
      if (y != nullptr) prefetch_line(y + factor + line);
    }
    prefetch_line(p0 + ahead + line);
    prefetch_line(p1 + ahead + line);
  }
}

// Eight positions' factors from compact words, position x reading f[x / R]: 8 / R words loaded
// (never past the block's n / R) and each spread over R lanes.
template <int R>
inline __m512i load_spread(const u64 *f, std::size_t x) {
  if constexpr (R == 1) {
    return vload(f + x);
  } else if constexpr (R == 2) {
    const __m512i words = _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(f + x / 2)));
    return _mm512_permutexvar_epi64(_mm512_set_epi64(3, 3, 2, 2, 1, 1, 0, 0), words);
  } else if constexpr (R == 4) {
    const __m512i words = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i *>(f + x / 4)));
    return _mm512_permutexvar_epi64(_mm512_set_epi64(1, 1, 1, 1, 0, 0, 0, 0), words);
  } else {
    static_assert(R == 8, "a factor repeats 1, 2, 4 or 8 times");
    return _mm512_set1_epi64(static_cast<long long>(f[x / 8]));
  }
}

inline void ifma_mac(__m512i &lo, __m512i &hi, __m512i a, __m512i b) {
  lo = _mm512_madd52lo_epu64(lo, a, b);
  hi = _mm512_madd52hi_epu64(hi, a, b);
}

// q < 2^50 with IFMA, as dot2_ifma: each b word is loaded once for both sets' products.
template <int R>
void dot2_pair_ifma(const u64 *const *a, const u64 *const *a2, const u64 *const *b0, const u64 *const *b1,
                    uint32_t terms, std::size_t n, const IfmaReduce &red, uint32_t fold, u64 *const out[4]) {
  constexpr std::size_t V = kPairVectors, kChunk = 8 * V;
  for (std::size_t base = 0; base < n; base += kChunk) {
    __m512i l[4][V], h[4][V];
    for (int k = 0; k < 4; ++k)
      for (std::size_t v = 0; v < V; ++v) l[k][v] = h[k][v] = _mm512_setzero_si512();
    uint32_t pending = 0;
    for (uint32_t t = 0; t < terms; ++t) {
      if (pending == fold) {
        for (int k = 0; k < 4; ++k) {
          for (std::size_t v = 0; v < V; ++v) l[k][v] = red(h[k][v], l[k][v]), h[k][v] = _mm512_setzero_si512();
        }
        pending = 0;
      }
      const u64 *x = a[t], *y = a2[t], *p0 = b0[t] + base, *p1 = b1[t] + base;
      const std::size_t ahead = base + kPrefetchChunks * kChunk;
      if (ahead < n) pair_prefetch<R>(x, y, b0[t], b1[t], ahead, kChunk);
      for (std::size_t v = 0; v < V; ++v) {
        const __m512i c0 = vload(p0 + 8 * v), c1 = vload(p1 + 8 * v);
        if (x != nullptr) {
          const __m512i f = load_spread<R>(x, base + 8 * v);
          ifma_mac(l[0][v], h[0][v], f, c0), ifma_mac(l[1][v], h[1][v], f, c1);
        }
        if (y != nullptr) {
          const __m512i f = load_spread<R>(y, base + 8 * v);
          ifma_mac(l[2][v], h[2][v], f, c0), ifma_mac(l[3][v], h[3][v], f, c1);
        }
      }
      ++pending;
    }
    for (int k = 0; k < 4; ++k) {
      for (std::size_t v = 0; v < V; ++v) vstore(out[k] + base + 8 * v, red(h[k][v], l[k][v]));
    }
  }
}

// Any q < 2^62 with IFMA, LimbAcc's three lanes a sum, eight positions a chunk (twelve
// accumulators): each b word is loaded and split into its 52-bit limbs once for both sets.
template <int R, class Reduce>
void dot2_pair_limbs(const u64 *const *a, const u64 *const *a2, const u64 *const *b0, const u64 *const *b1,
                     uint32_t terms, std::size_t n, const Reduce &reduced, uint32_t fold, u64 *const out[4]) {
  constexpr std::size_t kChunk = 8;
  for (std::size_t base = 0; base < n; base += kChunk) {
    __m512i acc[4][LimbAcc::kParts];
    for (auto &s : acc)
      for (auto &p : s) p = _mm512_setzero_si512();
    uint32_t pending = 0;
    for (uint32_t t = 0; t < terms; ++t) {
      if (pending == fold) {
        for (auto &s : acc) {
          s[0] = reduced(s);
          for (int p = 1; p < LimbAcc::kParts; ++p) s[p] = _mm512_setzero_si512();
        }
        pending = 0;
      }
      const u64 *x = a[t], *y = a2[t];
      const std::size_t ahead = base + kPrefetchChunks * kChunk;
      if (ahead < n) pair_prefetch<R>(x, y, b0[t], b1[t], ahead, kChunk);
      const __m512i c0 = vload(b0[t] + base), c1 = vload(b1[t] + base);
      const __m512i c0l = LimbAcc::low(c0), c0h = LimbAcc::high(c0), c1l = LimbAcc::low(c1), c1h = LimbAcc::high(c1);
      if (x != nullptr) {
        const __m512i f = load_spread<R>(x, base), fl = LimbAcc::low(f), fh = LimbAcc::high(f);
        LimbAcc::mac_split(fl, fh, c0l, c0h, acc[0]), LimbAcc::mac_split(fl, fh, c1l, c1h, acc[1]);
      }
      if (y != nullptr) {
        const __m512i f = load_spread<R>(y, base), fl = LimbAcc::low(f), fh = LimbAcc::high(f);
        LimbAcc::mac_split(fl, fh, c0l, c0h, acc[2]), LimbAcc::mac_split(fl, fh, c1l, c1h, acc[3]);
      }
      ++pending;
    }
    for (int k = 0; k < 4; ++k) vstore(out[k] + base, reduced(acc[k]));
  }
}

}  // namespace

void dot2_avx512(const u64 *const *a, const uint32_t *perm, const u64 *const *b0, const u64 *const *b1, uint32_t terms,
                 std::size_t n, const Modulus &m, u64 *out0, u64 *out1) {
  const u64 q = m.value;
  if (n % (8 * kDotVectors) != 0 || q >= (u64{1} << 62)) {
    scalar_kernels().dot2(a, perm, b0, b1, terms, n, m, out0, out1);
    return;
  }
  if (q < (u64{1} << 50) && cpu_features().avx512ifma && ifma_fold(q) != 0) {
    dot2_ifma(a, perm, b0, b1, terms, n, m, out0, out1, ifma_fold(q));
    return;
  }
  if (cpu_features().avx512ifma) {
    if (q < LimbAcc::kHalfLimit) {
      dot2_exact<LimbAcc>(a, perm, b0, b1, terms, n, HalfReduce3(LimbAcc{}, q), LimbAcc::kHalfFold, out0, out1);
    } else {
      dot2_exact<LimbAcc>(a, perm, b0, b1, terms, n, ExactReduce<3>(LimbAcc{}, q), LimbAcc::fold(q), out0, out1);
    }
    return;
  }
  dot2_exact<WideAcc>(a, perm, b0, b1, terms, n, ExactReduce<2>(WideAcc{}, q), WideAcc::fold(q), out0, out1);
}

namespace {

template <int R>
void dot2_pair_ifma_path(const u64 *const *a, const u64 *const *a2, const u64 *const *b0, const u64 *const *b1,
                         uint32_t terms, std::size_t n, u64 q, u64 *const out[4]) {
  if (q < (u64{1} << 50) && ifma_fold(q) != 0) {
    dot2_pair_ifma<R>(a, a2, b0, b1, terms, n, ifma_reduce(q), ifma_fold(q), out);
  } else if (q < LimbAcc::kHalfLimit) {
    dot2_pair_limbs<R>(a, a2, b0, b1, terms, n, HalfReduce3(LimbAcc{}, q), LimbAcc::kHalfFold, out);
  } else {
    dot2_pair_limbs<R>(a, a2, b0, b1, terms, n, ExactReduce<3>(LimbAcc{}, q), LimbAcc::fold(q), out);
  }
}

}  // namespace

void dot2_pair_avx512(const u64 *const *a, const u64 *const *a2, uint32_t repeat, const u64 *const *b0,
                      const u64 *const *b1, uint32_t terms, std::size_t n, const Modulus &m, u64 *out0, u64 *out1,
                      u64 *out2, u64 *out3) {
  const u64 q = m.value;
  u64 *const out[4] = {out0, out1, out2, out3};
  if (n % (8 * kDotVectors) != 0 || q >= (u64{1} << 62) || !cpu_features().avx512ifma) {
    dot2_pair_split(dot2_avx512, a, a2, repeat, b0, b1, terms, n, m, out0, out1, out2, out3);
    return;
  }
  switch (repeat) {
    case 1: dot2_pair_ifma_path<1>(a, a2, b0, b1, terms, n, q, out); break;
    case 2: dot2_pair_ifma_path<2>(a, a2, b0, b1, terms, n, q, out); break;
    case 4: dot2_pair_ifma_path<4>(a, a2, b0, b1, terms, n, q, out); break;
    default: dot2_pair_ifma_path<8>(a, a2, b0, b1, terms, n, q, out); break;
  }
}

void dot2_avx512_wide(const u64 *const *a, const uint32_t *perm, const u64 *const *b0, const u64 *const *b1,
                      uint32_t terms, std::size_t n, const Modulus &m, u64 *out0, u64 *out1) {
  if (n % (8 * kDotVectors) != 0 || m.value >= (u64{1} << 62)) {
    scalar_kernels().dot2(a, perm, b0, b1, terms, n, m, out0, out1);
    return;
  }
  dot2_exact<WideAcc>(a, perm, b0, b1, terms, n, ExactReduce<2>(WideAcc{}, m.value), WideAcc::fold(m.value), out0,
                      out1);
}

}  // namespace ckks
}  // namespace hlp

#pragma GCC diagnostic pop
#pragma GCC pop_options
