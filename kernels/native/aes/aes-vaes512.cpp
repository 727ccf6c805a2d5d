// AES-256-CTR with VAES on 512-bit registers: four counter blocks a register, four registers
// in flight (16 blocks, 256 bytes, a step). The counters stay in registers as little-endian
// (low, high) word pairs, advanced by one vector add a register and turned big-endian by one
// byte shuffle; a step whose low words would carry is made with the 128-bit code instead.
#include <immintrin.h>

#include <limits>

#include "aes.hpp"

namespace hlp {
namespace aes {

__attribute__((target("avx512f,avx512bw,vaes"))) void ctr_vaes512(const RoundKeys &keys, Counter c, std::size_t blocks,
                                                                  std::uint8_t *out) {
  __m512i k[kRounds + 1];
  for (std::size_t r = 0; r <= kRounds; ++r)
    k[r] = _mm512_maskz_broadcast_i32x4(0xFFFF, _mm_load_si128(reinterpret_cast<const __m128i *>(keys.bytes) + r));
  constexpr std::size_t kRegisters = 4;
  constexpr std::size_t kStep = 4 * kRegisters;
  // Each 16-byte lane reversed: the little-endian (low, high) pair becomes the big-endian block.
  const __m512i to_big_endian =
      _mm512_maskz_broadcast_i32x4(0xFFFF, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  const __m512i lane_offsets = _mm512_set_epi64(0, 3, 0, 2, 0, 1, 0, 0);
  const __m512i four = _mm512_set_epi64(0, 4, 0, 4, 0, 4, 0, 4);
  std::size_t b = 0;
  while (b + kStep <= blocks) {
    if (c.lo > std::numeric_limits<std::uint64_t>::max() - kStep) {
      ctr_aesni(keys, c, kStep, out + b * kBlockBytes);
      add(&c, kStep);
      b += kStep;
      continue;
    }
    __m512i counter = _mm512_add_epi64(
        _mm512_set_epi64(static_cast<long long>(c.hi), static_cast<long long>(c.lo), static_cast<long long>(c.hi),
                         static_cast<long long>(c.lo), static_cast<long long>(c.hi), static_cast<long long>(c.lo),
                         static_cast<long long>(c.hi), static_cast<long long>(c.lo)),
        lane_offsets);
    __m512i x[kRegisters];
    for (std::size_t i = 0; i < kRegisters; ++i, counter = _mm512_add_epi64(counter, four))
      x[i] = _mm512_xor_si512(_mm512_shuffle_epi8(counter, to_big_endian), k[0]);
    for (std::size_t r = 1; r < kRounds; ++r)
      for (std::size_t i = 0; i < kRegisters; ++i) x[i] = _mm512_aesenc_epi128(x[i], k[r]);
    for (std::size_t i = 0; i < kRegisters; ++i)
      _mm512_storeu_si512(out + (b + 4 * i) * kBlockBytes, _mm512_aesenclast_epi128(x[i], k[kRounds]));
    add(&c, kStep);
    b += kStep;
  }
  // The last few blocks, with the 128-bit instructions.
  if (b < blocks) ctr_aesni(keys, c, blocks - b, out + b * kBlockBytes);
}

}  // namespace aes
}  // namespace hlp
