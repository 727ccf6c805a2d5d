// Precomputed root tables for one (n, q) pair. Built once per context and shared
// read-only by every variant, so all variants compute with identical constants.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "aligned.hpp"
#include "modarith.hpp"

namespace hlp {

struct NttTables {
  std::size_t n = 0;
  unsigned log_n = 0;
  Modulus modulus;
  u64 root = 0;  // psi: smallest primitive 2n-th root of unity mod q

  // Forward (Cooley-Tukey) twiddles: fwd[i] = psi^bitrev(i, log_n) for i in [1, n),
  // consumed in index order by the forward transform. fwd_shoup[i] = floor(fwd[i] * 2^64 / q).
  AlignedVector<u64> fwd;
  AlignedVector<u64> fwd_shoup;
  // Inverse (Gentleman-Sande) twiddles with the same indexing: inv[i] = fwd[i]^-1 mod q,
  // so the inverse stage with m butterfly groups reads inv[m .. 2m). inv_shoup likewise.
  AlignedVector<u64> inv;
  AlignedVector<u64> inv_shoup;
  u64 inv_n = 0;        // n^-1 mod q
  u64 inv_n_shoup = 0;  // floor(inv_n * 2^64 / q)

  // 52-bit Shoup companions floor(w * 2^52 / q) for the AVX-512 IFMA path (q < 2^50).
  AlignedVector<u64> fwd_shoup52;
  AlignedVector<u64> inv_shoup52;
  u64 inv_n_shoup52 = 0;

  // Builds the tables; returns false when q is not a prime = 1 mod 2n.
  bool init(std::size_t n, u64 q);
};

}  // namespace hlp
