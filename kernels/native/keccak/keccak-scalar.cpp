// Keccak-f[1600] one state at a time: the reference every SIMD variant must match, and the
// path for the blocks left over after the SIMD groups.
#include <cstring>

#include "keccak-permute.hpp"

namespace hlp {
namespace keccak {
namespace {

struct ScalarLanes {
  using T = u64;
  static T zero() { return 0; }
  static T set1(u64 v) { return v; }
  static T xor2(T a, T b) { return a ^ b; }
  static T xor5(T a, T b, T c, T d, T e) { return a ^ b ^ c ^ d ^ e; }
  template <unsigned R>
  static T rotl(T v) {
    return (v << R) | (v >> (64 - R));
  }
  static T rotl_by(T v, unsigned r) { return r == 0 ? v : (v << r) | (v >> (64 - r)); }
  static T chi(T a, T b, T c) { return a ^ (~b & c); }
};

}  // namespace

void shake256_block_scalar(const u64 *seed_words, u64 counter, std::uint8_t *out, std::size_t bytes) {
  u64 a[25];
  absorb_seed<ScalarLanes>(a, seed_words, counter);
  std::size_t done = 0;
  while (done < bytes) {
    permute<ScalarLanes>(a);
    const std::size_t take = bytes - done < kRateWords * 8 ? bytes - done : kRateWords * 8;
    std::memcpy(out + done, a, take);  // lanes are little-endian words, as FIPS 202 reads them
    done += take;
  }
}

}  // namespace keccak
}  // namespace hlp
