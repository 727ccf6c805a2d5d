// AES-256-CTR with VAES on 512-bit registers: four counter blocks a register, four registers
// in flight (16 blocks, 256 bytes, a step).
#include <immintrin.h>

#include "aes.hpp"

namespace hlp {
namespace aes {

namespace {

// Counter blocks c, c + 1, c + 2, c + 3 in one register (lanes in memory order); advances c.
__attribute__((target("avx512f,vaes"))) inline __m512i counter_blocks4(Counter *c) {
  alignas(64) unsigned long long lanes[8];
  for (int i = 0; i < 4; ++i, add(c, 1)) {
    lanes[2 * i] = __builtin_bswap64(c->hi);
    lanes[2 * i + 1] = __builtin_bswap64(c->lo);
  }
  return _mm512_load_si512(lanes);
}

}  // namespace

__attribute__((target("avx512f,vaes"))) void ctr_vaes512(const RoundKeys &keys, Counter c, std::size_t blocks,
                                                         std::uint8_t *out) {
  __m512i k[kRounds + 1];
  for (std::size_t r = 0; r <= kRounds; ++r)
    k[r] = _mm512_broadcast_i32x4(_mm_load_si128(reinterpret_cast<const __m128i *>(keys.bytes) + r));
  constexpr std::size_t kRegisters = 4;
  constexpr std::size_t kStep = 4 * kRegisters;
  std::size_t b = 0;
  for (; b + kStep <= blocks; b += kStep) {
    __m512i x[kRegisters];
    for (std::size_t i = 0; i < kRegisters; ++i) x[i] = _mm512_xor_si512(counter_blocks4(&c), k[0]);
    for (std::size_t r = 1; r < kRounds; ++r)
      for (std::size_t i = 0; i < kRegisters; ++i) x[i] = _mm512_aesenc_epi128(x[i], k[r]);
    for (std::size_t i = 0; i < kRegisters; ++i)
      _mm512_storeu_si512(out + (b + 4 * i) * kBlockBytes, _mm512_aesenclast_epi128(x[i], k[kRounds]));
  }
  // The last few blocks, with the 128-bit instructions.
  if (b < blocks) ctr_aesni(keys, c, blocks - b, out + b * kBlockBytes);
}

}  // namespace aes
}  // namespace hlp
