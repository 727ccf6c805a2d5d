// AVX-512 (F, DQ, VL) versions of the CKKS hot loops in kernels-scalar.cpp, eight
// 64-bit lanes at a time. Integer results are bit-identical to the scalar table; the
// FFT and the encoder tail use fused multiply-adds and may differ from the scalar code
// in the last bit of a double, which moves an encoded coefficient by one only when it
// sits on a rounding boundary (harmless: that is below the encoding precision).
//
// Secret-dependent values are handled with compares into masks, blends and arithmetic;
// no branch or memory index depends on them. Everything vectorised sits between the
// target pragmas; the exported table lives at the end in default-target code.
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "ckks.hpp"

#pragma GCC push_options
// IFMA instructions appear only in the paths that dot2_avx512 takes when cpuid reports them
// (as in ntt-avx512.cpp); the compiler generates none of its own.
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

void sample_noise_avx512(const uint8_t *bytes, std::size_t count, i64 *out, const u64 *cdt) {
  __m512i table[kNoiseBound];
  for (int k = 0; k < kNoiseBound; ++k) table[k] = vset(cdt[k]);
  const __m512i low63 = vset(0x7FFFFFFFFFFFFFFFULL);
  const __m512i one = vset(1);
  std::size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    // x86 is little-endian: the 64-bit lanes are the little-endian words of the stream.
    const __m512i w = vload(bytes + i * kNoiseBytesPerCoeff);
    const __m512i r = _mm512_and_si512(w, low63);
    const __m512i sign = _mm512_srli_epi64(w, 63);
    __m512i mag = _mm512_setzero_si512();
    for (int k = 0; k < kNoiseBound; ++k) {
      const __mmask8 ge = _mm512_cmpge_epu64_mask(r, table[k]);
      mag = _mm512_mask_add_epi64(mag, ge, mag, one);
    }
    const __m512i neg = _mm512_sub_epi64(_mm512_setzero_si512(), sign);
    vstore(out + i, _mm512_add_epi64(_mm512_xor_si512(mag, neg), sign));
  }
  if (i < count) scalar_kernels().sample_noise(bytes + i * kNoiseBytesPerCoeff, count - i, out + i, cdt);
}

void ternary_raw_avx512(const uint8_t *bytes, std::size_t count, uint8_t *t) {
  const __m512i t1 = vset(kTernaryT1), t2 = vset(kTernaryT2), one = vset(1);
  std::size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m512i w = vload(bytes + i * kTernaryBytesPerCoeff);
    __m512i v = _mm512_maskz_mov_epi64(_mm512_cmpge_epu64_mask(w, t1), one);
    v = _mm512_mask_add_epi64(v, _mm512_cmpge_epu64_mask(w, t2), v, one);
    _mm_storel_epi64(reinterpret_cast<__m128i *>(t + i), _mm512_cvtepi64_epi8(v));
  }
  if (i < count) scalar_kernels().ternary_raw(bytes + i * kTernaryBytesPerCoeff, count - i, t + i);
}

void ternary_select_avx512(const uint8_t *t, std::size_t n, u64 minus, u64 plus, u64 *out) {
  const __m512i vminus = vset(minus), vplus = vset(plus), zero = _mm512_setzero_si512(), two = vset(2);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512i v = _mm512_cvtepu8_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(t + i)));
    const __mmask8 is_neg = _mm512_cmpeq_epu64_mask(v, zero);
    const __mmask8 is_pos = _mm512_cmpeq_epu64_mask(v, two);
    __m512i r = _mm512_mask_mov_epi64(zero, is_neg, vminus);
    r = _mm512_mask_mov_epi64(r, is_pos, vplus);
    vstore(out + i, r);
  }
  if (i < n) scalar_kernels().ternary_select(t + i, n - i, minus, plus, out + i);
}

void signed_to_mod_avx512(const i64 *c, std::size_t n, u64 q, u64 barrett, u64 *out) {
  if (q < (u64{1} << 32)) {
    // The floating-point quotient below needs q >= 2^32 to be off by at most one.
    scalar_kernels().signed_to_mod(c, n, q, barrett, out);
    return;
  }
  const __m512i vq = vset(q), zero = _mm512_setzero_si512();
  const __m512d inv_q = _mm512_set1_pd(1.0 / static_cast<double>(q));
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512i x = vload(c + i);
    const __mmask8 negative = _mm512_cmplt_epi64_mask(x, zero);
    const __m512i mag = _mm512_abs_epi64(x);  // < 2^63
    // quotient estimate, within one of floor(mag / q) for q >= 2^32
    const __m512d qd = _mm512_mul_pd(_mm512_cvtepi64_pd(mag), inv_q);
    const __m512i quot = _mm512_cvttpd_epi64(qd);
    __m512i r = _mm512_sub_epi64(mag, _mm512_mullo_epi64(quot, vq));  // (-q, 2q) as signed
    r = _mm512_mask_add_epi64(r, _mm512_cmplt_epi64_mask(r, zero), r, vq);
    r = vreduce(r, vq);
    // negative: q - r unless r = 0
    const __m512i neg_r = _mm512_sub_epi64(vq, r);
    const __mmask8 flip = negative & _mm512_cmpneq_epu64_mask(r, zero);
    vstore(out + i, _mm512_mask_mov_epi64(r, flip, neg_r));
  }
  if (i < n) scalar_kernels().signed_to_mod(c + i, n - i, q, barrett, out + i);
}

bool below_avx512(const u64 *p, std::size_t n, u64 q) {
  const __m512i vq = vset(q);
  __mmask8 bad = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) bad |= _mm512_cmpge_epu64_mask(vload(p + i), vq);
  return bad == 0 && (i == n || scalar_kernels().below(p + i, n - i, q));
}

void last_block_avx512(u64 *y, const i64 *e, std::size_t n, u64 half, u64 q) {
  const __m512i vq = vset(q), vhalf = vset(half), off = vset(kNoiseOffset), zero = _mm512_setzero_si512();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512i ei = e != nullptr ? vload(e + i) : zero;
    __m512i x = _mm512_add_epi64(_mm512_add_epi64(vload(y + i), vhalf), ei);  // (-20, 2q) signed
    x = _mm512_mask_add_epi64(x, _mm512_cmplt_epi64_mask(x, zero), x, vq);    // [0, 2q)
    x = vreduce(x, vq);                                                       // [0, q)
    vstore(y + i, _mm512_add_epi64(_mm512_sub_epi64(x, ei), off));
  }
  if (i < n) scalar_kernels().last_block(y + i, e != nullptr ? e + i : nullptr, n - i, half, q);
}

// v < 2^62 (the callers pass words below q_t + 84 < 2^60 + 84): HalfShoup's product lies in
// [0, 2.5q), with off < q in [0, 3.5q), and the subtractions of 2q and q leave [0, q).
void correction_avx512(const u64 *v, std::size_t n, u64 q, u64 inv, u64 inv_shoup, u64 off, const u64 *m, u64 *out) {
  const __m512i vq = vset(q), two_q = vset(2 * q), voff = vset(off);
  const HalfShoup mul(inv, inv_shoup);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m512i r = _mm512_add_epi64(mul.mul_lazy(vload(v + i), vq), voff);  // [0, 3.5q)
    r = vreduce(vreduce(r, two_q), vq);
    if (m != nullptr) {
      const __m512i mi = vload(m + i);
      const __m512i d = _mm512_sub_epi64(r, mi);
      r = _mm512_mask_add_epi64(d, _mm512_cmplt_epu64_mask(r, mi), d, vq);
    }
    vstore(out + i, r);
  }
  if (i < n) scalar_kernels().correction(v + i, n - i, q, inv, inv_shoup, off, m != nullptr ? m + i : nullptr, out + i);
}

// ---- dot2: sums of products, reduced once --------------------------------------------

// Eight lanes of the shared factor: a[t][x..x+8), or gathered through the permutation.
inline __m512i dot_load_a(const u64 *at, const uint32_t *perm, std::size_t x) {
  if (perm == nullptr) return vload(at + x);
  const __m256i idx = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(perm + x));
  return _mm512_i32gather_epi64(idx, reinterpret_cast<const long long *>(at), 8);
}

constexpr std::size_t kDotVectors = 4;  // 32 positions a chunk: the accumulators stay in registers
// Chunks a term's words are fetched ahead of their use. A dot product over T terms reads 3T
// streams at once (a plaintext dot product of a 768 x 768 map: 84), more than the hardware
// prefetchers follow, and unfetched each chunk of each stream waited on memory.
constexpr std::size_t kPrefetchChunks = 4;

// The chunk kPrefetchChunks ahead of `base` of one term's three operands (a only when read
// in order), a cache line a prefetch.
inline void dot_prefetch(const u64 *at, const uint32_t *perm, const u64 *p0, const u64 *p1, std::size_t base,
                         std::size_t n) {
  constexpr std::size_t kChunk = 8 * kDotVectors;
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
  static constexpr uint32_t kHalfFold = 255;
  static constexpr u64 kHalfLimit = u64{1} << 61;
  static uint32_t fold(u64) { return 1023; }
  static u64 weight(int part, u64 q) {
    const u128 w = static_cast<u128>(1) << (52 * part);
    return static_cast<u64>(w % q);
  }
  static void mac(__m512i a, __m512i b, __m512i *acc) {
    const __m512i mask52 = vset((u64{1} << 52) - 1);
    const __m512i a0 = _mm512_and_si512(a, mask52), a1 = _mm512_srli_epi64(a, 52);
    const __m512i b0 = _mm512_and_si512(b, mask52), b1 = _mm512_srli_epi64(b, 52);
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
  constexpr std::size_t kChunk = 8 * kDotVectors;
  constexpr int kParts = Acc::kParts;
  for (std::size_t base = 0; base < n; base += kChunk) {
    __m512i acc[2][kDotVectors][kParts];
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
      dot_prefetch(at, perm, b0[t], b1[t], base, n);
      for (std::size_t v = 0; v < kDotVectors; ++v) {
        const __m512i av = dot_load_a(at, perm, base + 8 * v);
        Acc::mac(av, vload(p0 + 8 * v), acc[0][v]);
        Acc::mac(av, vload(p1 + 8 * v), acc[1][v]);
      }
      ++pending;
    }
    for (std::size_t v = 0; v < kDotVectors; ++v) {
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

void dot2_ifma(const u64 *const *a, const uint32_t *perm, const u64 *const *b0, const u64 *const *b1, uint32_t terms,
               std::size_t n, const Modulus &m, u64 *out0, u64 *out1, uint32_t fold) {
  const u64 q = m.value;
  const unsigned s = static_cast<unsigned>(63 - __builtin_clzll(q));
  IfmaReduce red;
  red.q = vset(q), red.two_q = vset(2 * q), red.neg_q = vset((u64{1} << 52) - q);
  red.mu = vset(static_cast<u64>((u128{1} << (s + 52)) / q));
  red.mask52 = vset((u64{1} << 52) - 1);
  red.shift = _mm_cvtsi64_si128(static_cast<long long>(s));
  red.shift_up = _mm_cvtsi64_si128(static_cast<long long>(52 - s));
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
        const __m512i av = dot_load_a(at, perm, base + 8 * v);
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

void dot2_avx512(const u64 *const *a, const uint32_t *perm, const u64 *const *b0, const u64 *const *b1, uint32_t terms,
                 std::size_t n, const Modulus &m, u64 *out0, u64 *out1) {
  const u64 q = m.value;
  if (n % (8 * kDotVectors) != 0 || q >= (u64{1} << 62)) {
    scalar_kernels().dot2(a, perm, b0, b1, terms, n, m, out0, out1);
    return;
  }
  if (q < (u64{1} << 50) && cpu_features().avx512ifma) {
    const unsigned s = static_cast<unsigned>(63 - __builtin_clzll(q));
    const uint32_t fold = (u64{1} << (50 - s)) - 1;
    if (fold >= 2) {
      dot2_ifma(a, perm, b0, b1, terms, n, m, out0, out1, fold > 4095 ? 4095 : fold);
      return;
    }
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

}  // namespace

void dot2_avx512_wide(const u64 *const *a, const uint32_t *perm, const u64 *const *b0, const u64 *const *b1,
                      uint32_t terms, std::size_t n, const Modulus &m, u64 *out0, u64 *out1) {
  if (n % (8 * kDotVectors) != 0 || m.value >= (u64{1} << 62)) {
    scalar_kernels().dot2(a, perm, b0, b1, terms, n, m, out0, out1);
    return;
  }
  dot2_exact<WideAcc>(a, perm, b0, b1, terms, n, ExactReduce<2>(WideAcc{}, m.value), WideAcc::fold(m.value), out0,
                      out1);
}

namespace {

// ---- FFT: stages with half-width h >= 8 run on vectors, h = 4, 2, 1 on scalars -------

void fft_forward_avx512(const Fft &f, double *re, double *im) {
  const std::size_t m = f.m;
  if (m < 16) {
    scalar_kernels().fft_forward(f, re, im);
    return;
  }
  std::size_t h = m >> 1;
  for (; h >= 8; h >>= 1) {
    const double *wr = f.tw_re.data() + h;
    const double *wi = f.tw_im.data() + h;
    for (std::size_t s = 0; s < m; s += 2 * h) {
      double *xr = re + s, *xi = im + s, *yr = re + s + h, *yi = im + s + h;
      for (std::size_t j = 0; j < h; j += 8) {
        const __m512d ur = _mm512_loadu_pd(xr + j), ui = _mm512_loadu_pd(xi + j);
        const __m512d vr = _mm512_loadu_pd(yr + j), vi = _mm512_loadu_pd(yi + j);
        const __m512d w_r = _mm512_loadu_pd(wr + j), w_i = _mm512_loadu_pd(wi + j);
        const __m512d dr = _mm512_sub_pd(ur, vr), di = _mm512_sub_pd(ui, vi);
        _mm512_storeu_pd(xr + j, _mm512_add_pd(ur, vr));
        _mm512_storeu_pd(xi + j, _mm512_add_pd(ui, vi));
        _mm512_storeu_pd(yr + j, _mm512_fmsub_pd(dr, w_r, _mm512_mul_pd(di, w_i)));
        _mm512_storeu_pd(yi + j, _mm512_fmadd_pd(dr, w_i, _mm512_mul_pd(di, w_r)));
      }
    }
  }
  for (; h >= 1; h >>= 1) {
    const double *wr = f.tw_re.data() + h;
    const double *wi = f.tw_im.data() + h;
    for (std::size_t s = 0; s < m; s += 2 * h) {
      for (std::size_t j = 0; j < h; ++j) {
        const std::size_t a = s + j, b = s + j + h;
        const double ur = re[a], ui = im[a], vr = re[b], vi = im[b];
        const double dr = ur - vr, di = ui - vi;
        re[a] = ur + vr;
        im[a] = ui + vi;
        re[b] = dr * wr[j] - di * wi[j];
        im[b] = dr * wi[j] + di * wr[j];
      }
    }
  }
}

void fft_inverse_avx512(const Fft &f, double *re, double *im) {
  const std::size_t m = f.m;
  if (m < 16) {
    scalar_kernels().fft_inverse(f, re, im);
    return;
  }
  std::size_t h = 1;
  for (; h < 8; h <<= 1) {
    const double *wr = f.tw_re.data() + h;
    const double *wi = f.tw_im.data() + h;
    for (std::size_t s = 0; s < m; s += 2 * h) {
      for (std::size_t j = 0; j < h; ++j) {
        const std::size_t a = s + j, b = s + j + h;
        const double vr = re[b] * wr[j] + im[b] * wi[j];
        const double vi = im[b] * wr[j] - re[b] * wi[j];
        const double ur = re[a], ui = im[a];
        re[a] = ur + vr;
        im[a] = ui + vi;
        re[b] = ur - vr;
        im[b] = ui - vi;
      }
    }
  }
  for (; h < m; h <<= 1) {
    const double *wr = f.tw_re.data() + h;
    const double *wi = f.tw_im.data() + h;
    for (std::size_t s = 0; s < m; s += 2 * h) {
      double *xr = re + s, *xi = im + s, *yr = re + s + h, *yi = im + s + h;
      for (std::size_t j = 0; j < h; j += 8) {
        const __m512d br = _mm512_loadu_pd(yr + j), bi = _mm512_loadu_pd(yi + j);
        const __m512d w_r = _mm512_loadu_pd(wr + j), w_i = _mm512_loadu_pd(wi + j);
        const __m512d vr = _mm512_fmadd_pd(br, w_r, _mm512_mul_pd(bi, w_i));
        const __m512d vi = _mm512_fmsub_pd(bi, w_r, _mm512_mul_pd(br, w_i));
        const __m512d ur = _mm512_loadu_pd(xr + j), ui = _mm512_loadu_pd(xi + j);
        _mm512_storeu_pd(xr + j, _mm512_add_pd(ur, vr));
        _mm512_storeu_pd(xi + j, _mm512_add_pd(ui, vi));
        _mm512_storeu_pd(yr + j, _mm512_sub_pd(ur, vr));
        _mm512_storeu_pd(yi + j, _mm512_sub_pd(ui, vi));
      }
    }
  }
}

bool to_integers_avx512(const Fft &f, const double *re, const double *im, double factor, i64 *c, double *max_abs) {
  const std::size_t m = f.m;
  if (m % 8 != 0) return scalar_kernels().to_integers(f, re, im, factor, c, max_abs);
  const __m512d vf = _mm512_set1_pd(factor);
  const __m512d two52 = _mm512_set1_pd(4503599627370496.0);
  const __m512d two63 = _mm512_set1_pd(9223372036854775808.0);
  const __m512i sign_bit = vset(0x8000000000000000ULL);
  __m512d mx = _mm512_setzero_pd();
  __mmask8 out_of_range = 0;
  auto round_store = [&](__m512d b, i64 *dst) {
    const __m512d a = _mm512_abs_pd(b);
    mx = _mm512_max_pd(mx, a);  // NaN lanes are caught by the range test below
    const __mmask8 small = _mm512_cmp_pd_mask(a, two52, _CMP_LT_OQ);
    // ties to even, as the scalar (a + 2^52) - 2^52
    const __m512d r = _mm512_mask_sub_pd(a, small, _mm512_add_pd(a, two52), two52);
    const __mmask8 ok = _mm512_cmp_pd_mask(r, two63, _CMP_LT_OQ);
    out_of_range |= static_cast<__mmask8>(~ok);
    const __m512i mag = _mm512_maskz_cvttpd_epi64(ok, r);
    const __mmask8 negative = _mm512_test_epi64_mask(_mm512_castpd_si512(b), sign_bit);
    vstore(dst, _mm512_mask_sub_epi64(mag, negative, _mm512_setzero_si512(), mag));
  };
  for (std::size_t k = 0; k < m; k += 8) {
    const __m512d yr = _mm512_loadu_pd(re + k), yi = _mm512_loadu_pd(im + k);
    const __m512d tr = _mm512_loadu_pd(f.twist_re.data() + k), ti = _mm512_loadu_pd(f.twist_im.data() + k);
    const __m512d br = _mm512_mul_pd(_mm512_fmadd_pd(yr, tr, _mm512_mul_pd(yi, ti)), vf);
    const __m512d bi = _mm512_mul_pd(_mm512_fmsub_pd(yi, tr, _mm512_mul_pd(yr, ti)), vf);
    round_store(br, c + k);
    round_store(bi, c + k + m);
  }
  *max_abs = _mm512_reduce_max_pd(mx);
  return out_of_range == 0;
}

}  // namespace
}  // namespace ckks
}  // namespace hlp

#pragma GCC diagnostic pop
#pragma GCC pop_options

namespace hlp {
namespace ckks {

const SimdKernels &avx512_kernels() {
  static const SimdKernels k{
      "avx512",           sample_noise_avx512, ternary_raw_avx512, ternary_select_avx512, signed_to_mod_avx512,
      below_avx512,       last_block_avx512,   correction_avx512,  correction2_avx512,    gather_avx512,
      fft_forward_avx512, fft_inverse_avx512,  to_integers_avx512, dot2_avx512,           reduce_avx512,
      uniform_avx512};
  return k;
}

}  // namespace ckks
}  // namespace hlp
