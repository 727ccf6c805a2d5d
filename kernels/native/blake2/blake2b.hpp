// BLAKE2b (RFC 7693) as SEAL's BLAKE2Xb stream needs it (hlp/xof.h): the constants, the
// parameter block, and the output-node hashes per instruction set. Every variant gives the same
// bytes; blake2xb.cpp picks one at run time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace hlp {
namespace blake2 {

using u64 = std::uint64_t;

constexpr u64 kIv[8] = {0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
                        0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};

constexpr std::uint8_t kSigma[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4}, {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13}, {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11}, {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5}, {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3}};

// The first three words of a parameter block (RFC 7693 §2.8, with BLAKE2X's xof_length in the
// node offset's upper half); the rest (salt, personalization) is zero throughout.
struct Params {
  std::uint8_t digest_length, key_length, fanout, depth;
  std::uint32_t leaf_length, node_offset, xof_length;
  std::uint8_t node_depth, inner_length;
};

inline void init(u64 h[8], const Params &p) {
  std::memcpy(h, kIv, sizeof kIv);
  h[0] ^= u64{p.digest_length} | u64{p.key_length} << 8 | u64{p.fanout} << 16 | u64{p.depth} << 24 |
          u64{p.leaf_length} << 32;
  h[1] ^= u64{p.node_offset} | u64{p.xof_length} << 32;
  h[2] ^= u64{p.node_depth} | u64{p.inner_length} << 8;
}

// The parameters of output node `offset` of a BLAKE2Xb stream of `xof_length` bytes.
inline Params node_params(std::uint32_t offset, std::uint32_t xof_length) {
  return Params{64, 0, 0, 0, 64, offset, xof_length, 0, 64};
}

// Output nodes first .. first + count - 1 of the stream whose root hash is `root` (8 words),
// 64 bytes each to out + 64 * i, the last cut so that `bytes` (<= 64 * count) are written.
void output_nodes_scalar(const u64 root[8], std::uint32_t first, std::uint32_t xof_length, std::size_t count,
                         std::uint8_t *out, std::size_t bytes);
// Eight output nodes first .. first + 7, 512 bytes; AVX-512 CPUs only.
void output_nodes8_avx512(const u64 root[8], std::uint32_t first, std::uint32_t xof_length, std::uint8_t *out);

}  // namespace blake2
}  // namespace hlp
