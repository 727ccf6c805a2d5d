// AES-256 in counter mode, the keystream behind the project's own seeded ciphertexts
// (hlp_aes256ctr_stream in hlp/xof.h): the key schedule (portable) and the keystream per
// instruction set. A seed stands for a ciphertext's c1, which is public, so no variant needs to
// hide its memory accesses: the seed travels beside the ciphertext.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hlp {
namespace aes {

constexpr std::size_t kRounds = 14;
constexpr std::size_t kBlockBytes = 16;
constexpr std::size_t kKeyBytes = 32;

// The 15 round keys of AES-256, bytes in the order FIPS-197 gives them (the order AES-NI reads).
struct RoundKeys {
  alignas(16) std::uint8_t bytes[(kRounds + 1) * kBlockBytes];
};

void expand_key(const std::uint8_t key[kKeyBytes], RoundKeys *out);

// A 128-bit big-endian counter, as two native words.
struct Counter {
  std::uint64_t hi;
  std::uint64_t lo;
};
Counter load_counter(const std::uint8_t iv[kBlockBytes]);
inline void add(Counter *c, std::uint64_t k) {
  const std::uint64_t lo = c->lo + k;
  if (lo < c->lo) ++c->hi;
  c->lo = lo;
}
void store_counter(Counter c, std::uint8_t out[kBlockBytes]);

// `blocks` keystream blocks from counter `c` to out (16 bytes each). Every variant gives the
// same bytes; the AES-NI and VAES ones run on CPUs with those instructions only.
void ctr_scalar(const RoundKeys &keys, Counter c, std::size_t blocks, std::uint8_t *out);
void ctr_aesni(const RoundKeys &keys, Counter c, std::size_t blocks, std::uint8_t *out);
void ctr_vaes512(const RoundKeys &keys, Counter c, std::size_t blocks, std::uint8_t *out);

}  // namespace aes
}  // namespace hlp
