// hlp_blake2xb_blocks: SEAL 4.1's Blake2xbPRNG stream, the seed expansion of ciphertexts and keys
// from clients on SEAL's default generator (node-seal among them). BLAKE2b as RFC 7693 gives it,
// BLAKE2Xb as SEAL's util/blake2xb.c builds it on top: a keyed root hash with xof_length set, then
// each 64-byte output block the BLAKE2b of the root under its own parameter block (node offset =
// the block's index). The output nodes are independent, so the AVX-512 variant hashes eight at
// once (blake2xb-avx512.cpp); this file holds the scalar code and the choice between them.
#include <cstring>

#include "../core/stream-args.hpp"
#include "blake2b.hpp"
#include "hlp/xof.h"

namespace hlp {
namespace blake2 {
namespace {

inline u64 rotr(u64 x, int n) { return (x >> n) | (x << (64 - n)); }

inline u64 load64(const std::uint8_t *p) {
  u64 v;
  std::memcpy(&v, p, 8);  // little-endian hosts only (x86-64, AArch64 as built here)
  return v;
}

// RFC 7693 §3.2, F: the 128-byte block, the byte count so far (below 2^64 here) and whether
// this is the last block.
void compress(u64 h[8], const std::uint8_t block[128], u64 bytes, bool last) {
  u64 m[16], v[16];
  for (int i = 0; i < 16; ++i) m[i] = load64(block + 8 * i);
  for (int i = 0; i < 8; ++i) {
    v[i] = h[i];
    v[i + 8] = kIv[i];
  }
  v[12] ^= bytes;
  if (last) v[14] = ~v[14];
  auto g = [&](int a, int b, int c, int d, u64 x, u64 y) {
    v[a] = v[a] + v[b] + x;
    v[d] = rotr(v[d] ^ v[a], 32);
    v[c] = v[c] + v[d];
    v[b] = rotr(v[b] ^ v[c], 24);
    v[a] = v[a] + v[b] + y;
    v[d] = rotr(v[d] ^ v[a], 16);
    v[c] = v[c] + v[d];
    v[b] = rotr(v[b] ^ v[c], 63);
  };
  for (const auto &s : kSigma) {
    g(0, 4, 8, 12, m[s[0]], m[s[1]]);
    g(1, 5, 9, 13, m[s[2]], m[s[3]]);
    g(2, 6, 10, 14, m[s[4]], m[s[5]]);
    g(3, 7, 11, 15, m[s[6]], m[s[7]]);
    g(0, 5, 10, 15, m[s[8]], m[s[9]]);
    g(1, 6, 11, 12, m[s[10]], m[s[11]]);
    g(2, 7, 8, 13, m[s[12]], m[s[13]]);
    g(3, 4, 9, 14, m[s[14]], m[s[15]]);
  }
  for (int i = 0; i < 8; ++i) h[i] ^= v[i] ^ v[i + 8];
}

constexpr std::uint32_t kOut = HLP_SHAKE_BLOCK_BYTES;
constexpr std::size_t kNodeBytes = 64;
constexpr std::size_t kNodesPerBlock = kOut / kNodeBytes;

// SEAL's stream block `counter`: BLAKE2Xb(out_len 4096, in = counter as 8 little-endian bytes,
// key = seed), its first `take` bytes.
void stream_block(const std::uint8_t *seed, u64 counter, bool lanes8, std::uint8_t *out, std::size_t take) {
  std::uint8_t block[128] = {};
  u64 root[8];
  init(root, Params{64, HLP_SHAKE_SEED_BYTES, 1, 1, 0, 0, kOut, 0, 0});
  std::memcpy(block, seed, HLP_SHAKE_SEED_BYTES);  // the key, padded to a block
  compress(root, block, 128, false);
  std::memset(block, 0, sizeof block);
  for (int i = 0; i < 8; ++i) block[i] = static_cast<std::uint8_t>(counter >> (8 * i));
  compress(root, block, 128 + 8, true);
  const std::size_t nodes = (take + kNodeBytes - 1) / kNodeBytes;
  std::size_t done = 0;
  if (lanes8) {
    for (; done + 8 <= nodes && (done + 8) * kNodeBytes <= take; done += 8) {
      output_nodes8_avx512(root, static_cast<std::uint32_t>(done), kOut, out + done * kNodeBytes);
    }
    if (nodes - done >= 2) {  // two or more left, the last cut: eight in scratch
      std::uint8_t scratch[8 * kNodeBytes];
      output_nodes8_avx512(root, static_cast<std::uint32_t>(done), kOut, scratch);
      std::memcpy(out + done * kNodeBytes, scratch, take - done * kNodeBytes);
      return;
    }
  }
  output_nodes_scalar(root, static_cast<std::uint32_t>(done), kOut, nodes - done, out + done * kNodeBytes,
                      take - done * kNodeBytes);
}

}  // namespace

void output_nodes_scalar(const u64 root[8], std::uint32_t first, std::uint32_t xof_length, std::size_t count,
                         std::uint8_t *out, std::size_t bytes) {
  // Each output node hashes the 64-byte root (padded) under its own node offset.
  std::uint8_t root_block[128] = {};
  std::memcpy(root_block, root, 64);
  for (std::size_t i = 0; i < count; ++i) {
    u64 h[8];
    init(h, node_params(first + static_cast<std::uint32_t>(i), xof_length));
    compress(h, root_block, 64, true);
    const std::size_t left = bytes - i * kNodeBytes;
    std::memcpy(out + i * kNodeBytes, h, left < kNodeBytes ? left : kNodeBytes);
  }
}

static_assert(kNodesPerBlock % 8 == 0, "a stream block is whole groups of eight nodes");

}  // namespace blake2
}  // namespace hlp

extern "C" hlp_status hlp_blake2xb_blocks(hlp_variant variant, const uint8_t *seed, size_t seed_bytes,
                                          uint64_t first_block, uint8_t *out, size_t out_bytes) {
  hlp_variant v;
  std::size_t total;
  const hlp_status st = hlp::check_stream_args(variant, seed, seed_bytes, first_block, out, out_bytes, &v, &total);
  if (st != HLP_OK) return st;
  const bool lanes8 = v == HLP_VARIANT_AVX512;  // AVX2 has no variant of its own here: scalar
  for (std::size_t b = 0; b < total; ++b) {
    const std::size_t at = b * HLP_SHAKE_BLOCK_BYTES;
    const std::size_t left = out_bytes - at;
    hlp::blake2::stream_block(seed, first_block + b, lanes8, out + at,
                              left < HLP_SHAKE_BLOCK_BYTES ? left : HLP_SHAKE_BLOCK_BYTES);
  }
  return HLP_OK;
}
