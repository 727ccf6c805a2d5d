// AES-256-CTR with AES-NI: eight counter blocks in flight, so that the rounds of one block
// overlap the latency of the others'.
#include <immintrin.h>

#include "aes.hpp"

namespace hlp {
namespace aes {

namespace {

__attribute__((target("aes,sse4.1"))) inline __m128i counter_block(Counter c) {
  return _mm_set_epi64x(static_cast<long long>(__builtin_bswap64(c.lo)),
                        static_cast<long long>(__builtin_bswap64(c.hi)));
}

}  // namespace

__attribute__((target("aes,sse4.1"))) void ctr_aesni(const RoundKeys &keys, Counter c, std::size_t blocks,
                                                     std::uint8_t *out) {
  __m128i k[kRounds + 1];
  for (std::size_t r = 0; r <= kRounds; ++r) k[r] = _mm_load_si128(reinterpret_cast<const __m128i *>(keys.bytes) + r);
  constexpr std::size_t kWidth = 8;
  std::size_t b = 0;
  for (; b + kWidth <= blocks; b += kWidth) {
    __m128i x[kWidth];
    for (std::size_t i = 0; i < kWidth; ++i, add(&c, 1)) x[i] = _mm_xor_si128(counter_block(c), k[0]);
    for (std::size_t r = 1; r < kRounds; ++r)
      for (std::size_t i = 0; i < kWidth; ++i) x[i] = _mm_aesenc_si128(x[i], k[r]);
    for (std::size_t i = 0; i < kWidth; ++i)
      _mm_storeu_si128(reinterpret_cast<__m128i *>(out + (b + i) * kBlockBytes),
                       _mm_aesenclast_si128(x[i], k[kRounds]));
  }
  for (; b < blocks; ++b, add(&c, 1)) {
    __m128i x = _mm_xor_si128(counter_block(c), k[0]);
    for (std::size_t r = 1; r < kRounds; ++r) x = _mm_aesenc_si128(x, k[r]);
    _mm_storeu_si128(reinterpret_cast<__m128i *>(out + b * kBlockBytes), _mm_aesenclast_si128(x, k[kRounds]));
  }
}

}  // namespace aes
}  // namespace hlp
