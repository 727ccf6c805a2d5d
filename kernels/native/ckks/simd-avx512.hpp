// Inline AVX-512 helpers shared by the CKKS kernel files (kernels-avx512.cpp,
// kernels-keyswitch-avx512.cpp, kernels-dot-avx512.cpp). Include it only between a file's AVX-512 target pragmas:
// everything here has internal linkage, so each file gets the code its own target allows.
#ifndef HLP_CKKS_SIMD_AVX512_HPP
#define HLP_CKKS_SIMD_AVX512_HPP

#include <immintrin.h>

#include "ckks.hpp"

namespace hlp {
namespace ckks {
namespace {

inline __m512i vload(const void *p) { return _mm512_loadu_si512(p); }
inline void vstore(void *p, __m512i v) { _mm512_storeu_si512(p, v); }
inline __m512i vset(u64 v) { return _mm512_set1_epi64(static_cast<long long>(v)); }
// v - m when v >= m (unsigned), v otherwise.
inline __m512i vreduce(__m512i v, __m512i m) { return _mm512_min_epu64(v, _mm512_sub_epi64(v, m)); }

// A prefetch of p's line the compiler cannot drop: with _mm_prefetch, GCC 12 at -O3 emitted none
// at all in the compact instantiations (R > 1) of dot2_pair's sums, nor in R = 1 once the factor
// lines had a loop of their own (read in the assembly), and a 768 x 768 product ran 20 % slower,
// paired.
inline void prefetch_line(const u64 *p) { __asm__ volatile("prefetcht0 %0" : : "m"(*p)); }

// src[idx[0]], ..., src[idx[7]]. A Galois table reads each aligned group of eight positions
// from one aligned line of eight words (make_galois_table, keyswitch.cpp), so such a group is one
// load and a lane permutation, where AMD's hardware gather (Zen 4) was slower than eight scalar
// loads (kernels/README.md has the figures). Groups that spread over lines, which no Galois table
// has, or whose line would pass the end of src (n words), are loaded word by word.
inline __m512i gather8(const u64 *src, std::size_t n, const uint32_t *idx) {
  const __m256i at = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(idx));
  const __m256i low3 = _mm256_set1_epi32(7);
  const uint32_t line = idx[0] & ~7u;
  if (line + 8 <= n &&
      _mm256_cmpeq_epi32_mask(_mm256_andnot_si256(low3, at), _mm256_set1_epi32(static_cast<int>(line))) == 0xFF) {
    return _mm512_permutexvar_epi64(_mm512_cvtepu32_epi64(_mm256_and_si256(at, low3)), vload(src + line));
  }
  return _mm512_set_epi64(static_cast<long long>(src[idx[7]]), static_cast<long long>(src[idx[6]]),
                          static_cast<long long>(src[idx[5]]), static_cast<long long>(src[idx[4]]),
                          static_cast<long long>(src[idx[3]]), static_cast<long long>(src[idx[2]]),
                          static_cast<long long>(src[idx[1]]), static_cast<long long>(src[idx[0]]));
}

// x * w mod q for lanes x < 2^62 and a constant w < q < 2^62, lazily: the result lies in
// [0, 2.5q). The companion is halved, ws63 = floor(w * 2^63 / q), and the quotient is taken
// from 2x * ws63 / 2^64: both factors are below 2^63 (2x < 2^63 is where x < 2^62 comes in),
// so the cross products hl + lh, each below 2^63, add up inside a word without mul_hi's carry
// split, and the low 32x32 product is left out: three multiplies instead of four and no
// carry handling. The quotient is then at most two short: below 1/2 from the Shoup
// truncation (x * w / q - x * ws63 / 2^63 < x / 2^63 < 1/2), below 2 from the missing low
// product and the dropped low bits of hl + lh (((hl + lh) mod 2^32) 2^32 + ll < 2^65), so
// x * w - quot * q < 2.5q < 2^64, and the low words of the two products give it exactly.
struct HalfShoup {
  __m512i w, ws, ws_hi;  // w, ws63, ws63 >> 32
  HalfShoup() = default;
  // ws64 = floor(w * 2^64 / q), the scalar code's companion: ws63 = ws64 >> 1.
  HalfShoup(u64 wv, u64 ws64) : w(vset(wv)), ws(vset(ws64 >> 1)), ws_hi(vset(ws64 >> 33)) {}
  __m512i mul_lazy(__m512i x, __m512i q) const {
    const __m512i a = _mm512_slli_epi64(x, 1);
    const __m512i a_hi = _mm512_srli_epi64(x, 31);
    const __m512i cross = _mm512_add_epi64(_mm512_mul_epu32(a_hi, ws), _mm512_mul_epu32(a, ws_hi));
    const __m512i quot = _mm512_add_epi64(_mm512_mul_epu32(a_hi, ws_hi), _mm512_srli_epi64(cross, 32));
    return _mm512_sub_epi64(_mm512_mullo_epi64(x, w), _mm512_mullo_epi64(quot, q));  // [0, 2.5q)
  }
};

}  // namespace
}  // namespace ckks
}  // namespace hlp

#endif  // HLP_CKKS_SIMD_AVX512_HPP
