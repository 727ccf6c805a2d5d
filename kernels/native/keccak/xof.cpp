// hlp_shake256_blocks: groups of 8 (AVX-512) or 4 (AVX2) blocks, the scalar code for a
// single block left over.
#include <cstring>
#include <vector>

#include "../core/stream-args.hpp"
#include "hlp/xof.h"
#include "keccak.hpp"

namespace {

using hlp::keccak::kBlockBytes;
static_assert(kBlockBytes == HLP_SHAKE_BLOCK_BYTES, "check_stream_args counts blocks of hlp/xof.h's size");
using hlp::keccak::u64;

}  // namespace

extern "C" hlp_status hlp_shake256_blocks(hlp_variant variant, const uint8_t *seed, size_t seed_bytes,
                                          uint64_t first_block, uint8_t *out, size_t out_bytes) {
  hlp_variant v;
  std::size_t total;
  const hlp_status st = hlp::check_stream_args(variant, seed, seed_bytes, first_block, out, out_bytes, &v, &total);
  if (st != HLP_OK) return st;
  u64 seed_words[hlp::keccak::kSeedWords];
  std::memcpy(seed_words, seed, sizeof seed_words);  // little-endian words, as SEAL reads them
  // `total` blocks to make, the last one possibly cut; a group the output cannot hold whole
  // (the last few blocks) is made in scratch when it still covers two or more of them.
  const std::size_t width = v == HLP_VARIANT_AVX512 ? 8 : v == HLP_VARIANT_AVX2 ? 4 : 1;
  std::vector<uint8_t> scratch;
  std::size_t b = 0;
  while (b < total) {
    const std::size_t left = total - b;
    uint8_t *dst = out + b * kBlockBytes;
    const std::size_t bytes = out_bytes - b * kBlockBytes;
    if (width == 1 || left < 2) {
      const std::size_t take = bytes < kBlockBytes ? bytes : kBlockBytes;
      hlp::keccak::shake256_block_scalar(seed_words, first_block + b, dst, take);
      b += 1;
      continue;
    }
    const bool whole = bytes >= width * kBlockBytes;
    if (!whole) {
      try {
        scratch.resize(width * kBlockBytes);
      } catch (const std::bad_alloc &) {
        return HLP_E_OUT_OF_MEMORY;
      }
    }
    uint8_t *group = whole ? dst : scratch.data();
    if (width == 8) {
      hlp::keccak::shake256_blocks8_avx512(seed_words, first_block + b, group);
    } else {
      hlp::keccak::shake256_blocks4_avx2(seed_words, first_block + b, group);
    }
    if (!whole) std::memcpy(dst, group, bytes);
    b += width < left ? width : left;
  }
  return HLP_OK;
}
