// Keccak-f[1600] on W states at once, as one template over a lane type: a 64-bit word for
// the scalar code, a vector of W words (lane i belonging to state i) for AVX2 (W = 4) and
// AVX-512 (W = 8). Each variant file includes this header after its target pragma, so the
// template is compiled for that instruction set.
#pragma once

#include "keccak.hpp"

namespace hlp {
namespace keccak {

// The state after absorbing SEAL's one-block input, seed (8 words) || counter, with SHAKE's
// padding: domain bits 1111 then pad10*1 inside the 136-byte rate.
template <class L>
inline void absorb_seed(typename L::T a[25], const u64 *seed_words, typename L::T counters) {
  for (std::size_t i = 0; i < 25; ++i) a[i] = L::zero();
  for (std::size_t i = 0; i < kSeedWords; ++i) a[i] = L::set1(seed_words[i]);
  a[kSeedWords] = counters;
  a[kSeedWords + 1] = L::set1(0x1F);
  a[kRateWords - 1] = L::set1(u64{0x80} << 56);
}

template <class L>
inline void permute(typename L::T a[25]) {
  using T = typename L::T;
  for (int round = 0; round < 24; ++round) {
    T c[5];
    T b[25];
#pragma GCC unroll 5
    for (int x = 0; x < 5; ++x) c[x] = L::xor5(a[x], a[x + 5], a[x + 10], a[x + 15], a[x + 20]);
#pragma GCC unroll 5
    for (int x = 0; x < 5; ++x) {
      const T d = L::xor2(c[(x + 4) % 5], L::template rotl<1>(c[(x + 1) % 5]));
#pragma GCC unroll 5
      for (int y = 0; y < 5; ++y) a[x + 5 * y] = L::xor2(a[x + 5 * y], d);
    }
    // rho and pi: lane (x, y) rotated lands at (y, 2x + 3y).
#pragma GCC unroll 25
    for (int i = 0; i < 25; ++i) {
      const int x = i % 5, y = i / 5;
      b[y + 5 * ((2 * x + 3 * y) % 5)] = L::rotl_by(a[i], kRho[i]);
    }
#pragma GCC unroll 5
    for (int y = 0; y < 5; ++y) {
#pragma GCC unroll 5
      for (int x = 0; x < 5; ++x) a[x + 5 * y] = L::chi(b[x + 5 * y], b[(x + 1) % 5 + 5 * y], b[(x + 2) % 5 + 5 * y]);
    }
    a[0] = L::xor2(a[0], L::set1(kRoundConstants[round]));
  }
}

}  // namespace keccak
}  // namespace hlp
