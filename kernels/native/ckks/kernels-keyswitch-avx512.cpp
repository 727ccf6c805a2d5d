// AVX-512 (F, DQ, VL) loops of key switching and the fused rescale in the CKKS kernel table:
// reduce (a digit's words into a smaller key prime), the two-term correction and the Galois
// gathers. Bit-identical to their scalar versions in kernels-scalar.cpp.
#include <immintrin.h>

#include "ckks.hpp"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl")
// GCC 12 flags the deliberately undefined pass-through operand inside the AVX-512
// intrinsics (GCC bug 105593); nothing here reads an uninitialised value.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include "simd-avx512.hpp"

namespace hlp {
namespace ckks {

// x mod q is x - quot * q with the quotient of a Shoup multiplication by w = 1, whose companion
// floor(2^64 / q) is the Barrett constant: halved (b63 = floor(2^63 / q)) and x doubled, both
// factors are below 2^63 (2x < 2^63 is where x < 2^62 comes in), so the cross products add
// inside a word, and three 32x32 products stand in for reduce64's 64x64 high half. The
// quotient is at most two short: below 1/2 from the truncation (x / q - x * b63 / 2^63 <
// x / 2^63 < 1/2), below 2 from the missing low product and the dropped low bits of the cross
// sum, so x - quot * q < 2.5q, and the subtractions of 2q and q leave [0, q).
namespace {

struct Reduce62 {
  __m512i q, two_q, b, b_hi;
  Reduce62(u64 modulus, u64 barrett)
      : q(vset(modulus)), two_q(vset(2 * modulus)), b(vset(barrett >> 1)), b_hi(vset(barrett >> 33)) {}
  // v mod q for v < 2^62.
  __m512i operator()(__m512i v) const {
    const __m512i a = _mm512_slli_epi64(v, 1), a_hi = _mm512_srli_epi64(v, 31);
    const __m512i cross = _mm512_add_epi64(_mm512_mul_epu32(a_hi, b), _mm512_mul_epu32(a, b_hi));
    const __m512i quot = _mm512_add_epi64(_mm512_mul_epu32(a_hi, b_hi), _mm512_srli_epi64(cross, 32));
    const __m512i r = _mm512_sub_epi64(v, _mm512_mullo_epi64(quot, q));  // [0, 2.5q)
    return vreduce(vreduce(r, two_q), q);
  }
};

}  // namespace

void reduce_avx512(const u64 *x, std::size_t n, u64 q, u64 barrett, u64 *out) {
  const Reduce62 reduce(q, barrett);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm512_storeu_si512(out + i, reduce(_mm512_loadu_si512(x + i)));
  for (; i < n; ++i) out[i] = reduce64(x[i], q, barrett);
}

// x mod q for any word x, q in [2^20, 2^60): the quotient from doubles, x - quot * q exact in
// 64-bit words. x and 1/q are rounded to doubles and so is their product, three relative errors
// of 2^-53 each; x / q < 2^44, so the product is within 2^-7 of x / q and its truncation within
// one of floor(x / q). x - quot * q then lies in (-q, 2q), and two minimums bring it to [0, q):
// min(r, r + q) takes r + q when r wrapped below zero, min(r, r - q) takes r - q when r >= q.
// Nine vector instructions where the two Barrett reductions of x / 4 and of the rest took
// thirty; sampling c1 from a seed is the proxy's and the service's most frequent use of it.
// Below 2^20 (test primes) x / q may pass 2^52, past what a double holds: Barrett then.
constexpr u64 kUniformFloatMin = u64{1} << 20;

void uniform_avx512(const uint8_t *bytes, std::size_t n, u64 q, u64 barrett, u64 *out) {
  std::size_t i = 0;
  if (q >= kUniformFloatMin) {
    const __m512i vq = vset(q);
    const __m512d inv = _mm512_set1_pd(1.0 / static_cast<double>(q));
    for (; i + 8 <= n; i += 8) {
      const __m512i x = _mm512_loadu_si512(bytes + i * 8);
      const __m512i quot = _mm512_cvttpd_epu64(_mm512_mul_pd(_mm512_cvtepu64_pd(x), inv));
      const __m512i r = _mm512_sub_epi64(x, _mm512_mullo_epi64(quot, vq));
      const __m512i lifted = _mm512_min_epu64(r, _mm512_add_epi64(r, vq));
      _mm512_storeu_si512(out + i, _mm512_min_epu64(lifted, _mm512_sub_epi64(lifted, vq)));
    }
  } else {
    // x = 4 floor(x / 4) + x mod 4, and both reductions read words below 2^62, the domain of
    // Reduce62, since 4q + 3 < 2^62.
    const Reduce62 reduce(q, barrett);
    const __m512i three = vset(3);
    for (; i + 8 <= n; i += 8) {
      const __m512i x = _mm512_loadu_si512(bytes + i * 8);
      const __m512i high = reduce(_mm512_srli_epi64(x, 2));
      _mm512_storeu_si512(out + i, reduce(_mm512_add_epi64(_mm512_slli_epi64(high, 2), _mm512_and_si512(x, three))));
    }
  }
  if (i < n) scalar_kernels().uniform(bytes + i * 8, n - i, q, barrett, out + i);
}

// v, u < 2^62 and q < 2^60: the two HalfShoup products, each in [0, 2.5q), and off < q sum to
// below 6q < 2^63, which the subtractions of 4q, 2q and q bring to [0, q).
void correction2_avx512(const u64 *v, const u64 *u, std::size_t n, u64 q, const Weights2 &k, const u64 *m, u64 *out) {
  if (q >= (u64{1} << 60)) {
    scalar_kernels().correction2(v, u, n, q, k, m, out);
    return;
  }
  const __m512i vq = vset(q), two_q = vset(2 * q), four_q = vset(4 * q), voff = vset(k.off);
  const HalfShoup mw(k.w, k.w_shoup), mx(k.x, k.x_shoup);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m512i r = _mm512_add_epi64(mw.mul_lazy(vload(v + i), vq), mx.mul_lazy(vload(u + i), vq));
    r = vreduce(vreduce(vreduce(_mm512_add_epi64(r, voff), four_q), two_q), vq);
    if (m != nullptr) {
      const __m512i mi = vload(m + i);
      const __m512i d = _mm512_sub_epi64(r, mi);
      r = _mm512_mask_add_epi64(d, _mm512_cmplt_epu64_mask(r, mi), d, vq);
    }
    vstore(out + i, r);
  }
  if (i < n) scalar_kernels().correction2(v + i, u + i, n - i, q, k, m != nullptr ? m + i : nullptr, out + i);
}

// dst[i] = src[idx[i]]: eight positions a gather8.
void gather_avx512(const u64 *src, const uint32_t *idx, std::size_t n, u64 *dst) {
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) vstore(dst + i, gather8(src, n, idx + i));
  for (; i < n; ++i) dst[i] = src[idx[i]];
}

namespace {

// correction2's loop over a Galois table's groups of eight: each reads one aligned line of every
// operand (make_galois_table, keyswitch.cpp), so the element-wise result is computed on the line
// as it lies and permuted once, not each operand. A group that does not read a line (no Galois
// table has one) ends the vector loop and the scalar code does the rest: with that call inside
// the loop, its constants lived on the stack across it, reloaded from there every group.
// The permuted result never passes through memory unpermuted. The lines are read in the table's
// order, which no hardware prefetcher follows: the table says which lines kGatherAhead groups on
// will read, and they are asked for first.
constexpr std::size_t kGatherAhead = 16;

template <bool kTwoTerms>
void correction2_gather_loop(const u64 *v, const u64 *u, const uint32_t *idx, std::size_t n, u64 q, const Weights2 &k,
                             const u64 *m, u64 *out) {
  const __m512i vq = vset(q), two_q = vset(2 * q), four_q = vset(4 * q), voff = vset(k.off);
  const HalfShoup mw(k.w, k.w_shoup), mx(k.x, k.x_shoup);
  const __m256i low3 = _mm256_set1_epi32(7);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    if (i + 8 * kGatherAhead < n) {
      const uint32_t next = idx[i + 8 * kGatherAhead] & ~7u;
      prefetch_line(v + next);
      if constexpr (kTwoTerms) prefetch_line(u + next);
      if (m != nullptr) prefetch_line(m + next);
    }
    const __m256i at = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(idx + i));
    const uint32_t line = idx[i] & ~7u;
    if (line + 8 > n ||
        _mm256_cmpeq_epi32_mask(_mm256_andnot_si256(low3, at), _mm256_set1_epi32(static_cast<int>(line))) != 0xFF) {
      break;
    }
    __m512i r = mw.mul_lazy(vload(v + line), vq);
    if constexpr (kTwoTerms) r = _mm512_add_epi64(r, mx.mul_lazy(vload(u + line), vq));
    r = vreduce(vreduce(vreduce(_mm512_add_epi64(r, voff), four_q), two_q), vq);
    if (m != nullptr) {
      const __m512i mi = vload(m + line);
      const __m512i d = _mm512_sub_epi64(r, mi);
      r = _mm512_mask_add_epi64(d, _mm512_cmplt_epu64_mask(r, mi), d, vq);
    }
    vstore(out + i, _mm512_permutexvar_epi64(_mm512_cvtepu32_epi64(_mm256_and_si256(at, low3)), r));
  }
  if (i < n) scalar_kernels().correction2_gather(v, u, idx + i, n - i, q, k, m, out + i);
}

}  // namespace

// correction2's bounds hold (v, u < 2^62, q < 2^60); without u the sum is below 3.5q.
void correction2_gather_avx512(const u64 *v, const u64 *u, const uint32_t *idx, std::size_t n, u64 q, const Weights2 &k,
                               const u64 *m, u64 *out) {
  if (q >= (u64{1} << 60)) {
    scalar_kernels().correction2_gather(v, u, idx, n, q, k, m, out);
  } else if (u != nullptr) {
    correction2_gather_loop<true>(v, u, idx, n, q, k, m, out);
  } else {
    correction2_gather_loop<false>(v, u, idx, n, q, k, m, out);
  }
}

}  // namespace ckks
}  // namespace hlp

#pragma GCC diagnostic pop
#pragma GCC pop_options
