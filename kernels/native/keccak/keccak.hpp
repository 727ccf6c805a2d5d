// SEAL's SHAKE256 block stream (hlp/xof.h) per instruction set: the constants of
// Keccak-f[1600] (FIPS 202) and the variants' entry points. The permutation itself is in
// keccak-permute.hpp.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hlp {
namespace keccak {

using u64 = std::uint64_t;

constexpr std::size_t kRateWords = 17;  // SHAKE256: 1088-bit rate
constexpr std::size_t kBlockBytes = 4096;
constexpr std::size_t kBlockWords = kBlockBytes / 8;
constexpr std::size_t kSeedWords = 8;

constexpr u64 kRoundConstants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808AULL, 0x8000000080008000ULL, 0x000000000000808BULL,
    0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008AULL, 0x0000000000000088ULL,
    0x0000000080008009ULL, 0x000000008000000AULL, 0x000000008000808BULL, 0x800000000000008BULL, 0x8000000000008089ULL,
    0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800AULL, 0x800000008000000AULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

// rho offsets by lane x + 5y.
constexpr unsigned kRho[25] = {0,  1,  62, 28, 27, 36, 44, 6,  55, 20, 3,  10, 43,
                               25, 39, 41, 45, 15, 21, 8,  18, 2,  61, 56, 14};

// Blocks first .. first + 7 to out + i * kBlockBytes (i < 8); AVX-512 CPUs only.
void shake256_blocks8_avx512(const u64 *seed_words, u64 first, std::uint8_t *out);
// Blocks first .. first + 3; AVX2 CPUs only.
void shake256_blocks4_avx2(const u64 *seed_words, u64 first, std::uint8_t *out);
// The first `bytes` (<= kBlockBytes) bytes of block `counter`.
void shake256_block_scalar(const u64 *seed_words, u64 counter, std::uint8_t *out, std::size_t bytes);

}  // namespace keccak
}  // namespace hlp
