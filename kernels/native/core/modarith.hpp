// Word-size modular arithmetic shared by every CPU variant. Header-only so the
// compiler can inline the scalar paths into the NTT loops.
#pragma once

#include <cstdint>
#include <vector>

namespace hlp {

using u64 = std::uint64_t;
using u128 = unsigned __int128;

inline u64 mul_hi(u64 a, u64 b) { return static_cast<u64>((static_cast<u128>(a) * b) >> 64); }

// A modulus with its Barrett constant floor(2^128 / q), split into two words.
struct Modulus {
  u64 value = 0;
  u64 barrett_hi = 0;
  u64 barrett_lo = 0;
  int bits = 0;

  Modulus() = default;
  explicit Modulus(u64 q);
};

// x - q when x >= q, by a mask rather than a branch: on residues that branch is taken at
// random, and its mispredictions made a product loop's speed depend on where its code sat
// (the same bytes timed 20 or 26 µs a block), besides making the time depend on the data.
inline u64 sub_if_at_least(u64 x, u64 q) { return x - (q & (0 - static_cast<u64>(x >= q))); }

// Reduces a 128-bit product below q using the precomputed floor(2^128/q).
inline u64 barrett_reduce_128(u128 x, const Modulus &m) {
  const u64 x_lo = static_cast<u64>(x);
  const u64 x_hi = static_cast<u64>(x >> 64);
  // Estimate floor(x / q) from the top 128 bits of x * floor(2^128/q).
  const u128 lo_lo = static_cast<u128>(x_lo) * m.barrett_lo;
  const u128 lo_hi = static_cast<u128>(x_lo) * m.barrett_hi;
  const u128 hi_lo = static_cast<u128>(x_hi) * m.barrett_lo;
  const u128 mid = (lo_lo >> 64) + static_cast<u64>(lo_hi) + static_cast<u64>(hi_lo);
  const u64 quotient =
      x_hi * m.barrett_hi + static_cast<u64>(lo_hi >> 64) + static_cast<u64>(hi_lo >> 64) + static_cast<u64>(mid >> 64);
  const u64 r = x_lo - quotient * m.value;
  // The estimate is at most one short for q < 2^62.
  return sub_if_at_least(r, m.value);
}

inline u64 mul_mod_barrett(u64 a, u64 b, const Modulus &m) { return barrett_reduce_128(static_cast<u128>(a) * b, m); }

// Shoup: for a fixed multiplier w < q, w' = floor(w * 2^64 / q) turns a*w mod q into
// two multiplications and one conditional subtraction.
inline u64 shoup_precompute(u64 w, u64 q) { return static_cast<u64>((static_cast<u128>(w) << 64) / q); }

// Result in [0, 2q); valid for any a < 2^64 when q < 2^63.
inline u64 mul_mod_shoup_lazy(u64 a, u64 w, u64 w_shoup, u64 q) {
  const u64 quotient = mul_hi(a, w_shoup);
  return a * w - quotient * q;
}

inline u64 mul_mod_shoup(u64 a, u64 w, u64 w_shoup, u64 q) {
  u64 r = mul_mod_shoup_lazy(a, w, w_shoup, q);
  return r >= q ? r - q : r;
}

inline u64 add_mod(u64 a, u64 b, u64 q) {
  u64 s = a + b;
  return s >= q ? s - q : s;
}

inline u64 sub_mod(u64 a, u64 b, u64 q) { return a >= b ? a - b : a + q - b; }

u64 pow_mod(u64 base, u64 exponent, const Modulus &m);
// Inverse of a mod q for prime q; 0 when a = 0 mod q.
u64 inv_mod_prime(u64 a, const Modulus &m);
// Deterministic Miller-Rabin: exact for every 64-bit input.
bool is_prime(u64 n);
// `count` primes of exactly `bits` bits, q = 1 mod 2n, descending from 2^bits. Empty when
// there are not enough.
std::vector<u64> generate_ntt_primes(int bits, u64 n, std::size_t count);
// Smallest generator of the order-`order` subgroup (order a power of two, order | q - 1);
// 0 when none exists.
u64 minimal_primitive_root(u64 order, const Modulus &m);

inline unsigned log2_exact(u64 n) { return static_cast<unsigned>(__builtin_ctzll(n)); }
inline bool is_power_of_two(u64 n) { return n != 0 && (n & (n - 1)) == 0; }

inline u64 reverse_bits(u64 value, unsigned bit_count) {
  if (bit_count == 0) return 0;
  u64 r = 0;
  for (unsigned i = 0; i < bit_count; ++i) {
    r = (r << 1) | (value & 1);
    value >>= 1;
  }
  return r;
}

}  // namespace hlp
