// AVX-512 (F, DQ) reduce of the CKKS kernel table: words below 2^62 brought into [0, q),
// bit-identical to the scalar reduce64 (both give x mod q exactly).
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
void reduce_avx512(const u64 *x, std::size_t n, u64 q, u64 barrett, u64 *out) {
  const __m512i vq = vset(q), two_q = vset(2 * q), b = vset(barrett >> 1), b_hi = vset(barrett >> 33);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512i v = _mm512_loadu_si512(x + i);
    const __m512i a = _mm512_slli_epi64(v, 1), a_hi = _mm512_srli_epi64(v, 31);
    const __m512i cross = _mm512_add_epi64(_mm512_mul_epu32(a_hi, b), _mm512_mul_epu32(a, b_hi));
    const __m512i quot = _mm512_add_epi64(_mm512_mul_epu32(a_hi, b_hi), _mm512_srli_epi64(cross, 32));
    const __m512i r = _mm512_sub_epi64(v, _mm512_mullo_epi64(quot, vq));  // [0, 2.5q)
    _mm512_storeu_si512(out + i, vreduce(vreduce(r, two_q), vq));
  }
  for (; i < n; ++i) out[i] = reduce64(x[i], q, barrett);
}

}  // namespace ckks
}  // namespace hlp

#pragma GCC diagnostic pop
#pragma GCC pop_options
