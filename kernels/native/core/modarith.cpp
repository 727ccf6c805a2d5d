#include "modarith.hpp"

namespace hlp {

Modulus::Modulus(u64 q) : value(q) {
  bits = q == 0 ? 0 : 64 - __builtin_clzll(q);
  if (q < 2) return;
  // floor(2^128 / q) by long division of (2^128 - 1) — equal unless q divides 2^128,
  // which only powers of two do, and those are never moduli here.
  const u128 all_ones = ~static_cast<u128>(0);
  const u128 ratio = all_ones / q;
  barrett_hi = static_cast<u64>(ratio >> 64);
  barrett_lo = static_cast<u64>(ratio);
}

u64 pow_mod(u64 base, u64 exponent, const Modulus &m) {
  u64 result = 1 % m.value;
  base %= m.value;
  while (exponent != 0) {
    if (exponent & 1) result = mul_mod_barrett(result, base, m);
    base = mul_mod_barrett(base, base, m);
    exponent >>= 1;
  }
  return result;
}

u64 inv_mod_prime(u64 a, const Modulus &m) {
  a %= m.value;
  if (a == 0) return 0;
  return pow_mod(a, m.value - 2, m);
}

namespace {

bool miller_rabin_round(u64 n, u64 d, unsigned s, u64 witness, const Modulus &m) {
  u64 x = pow_mod(witness, d, m);
  if (x == 1 || x == n - 1) return true;
  for (unsigned r = 1; r < s; ++r) {
    x = mul_mod_barrett(x, x, m);
    if (x == n - 1) return true;
  }
  return false;
}

}  // namespace

bool is_prime(u64 n) {
  if (n < 2) return false;
  static constexpr u64 small[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
  for (u64 p : small) {
    if (n == p) return true;
    if (n % p == 0) return false;
  }
  u64 d = n - 1;
  unsigned s = 0;
  while ((d & 1) == 0) {
    d >>= 1;
    ++s;
  }
  const Modulus m(n);
  // These twelve bases decide primality for every n < 3.3e24, so all 64-bit n.
  for (u64 witness : small) {
    if (!miller_rabin_round(n, d, s, witness, m)) return false;
  }
  return true;
}

std::vector<u64> generate_ntt_primes(int bits, u64 n, std::size_t count) {
  std::vector<u64> primes;
  if (bits < 2 || bits > 62 || n == 0 || !is_power_of_two(n)) return primes;
  const u64 step = 2 * n;
  const u64 upper = u64{1} << bits;
  const u64 lower = u64{1} << (bits - 1);
  if (step >= upper) return primes;
  // Largest candidate below 2^bits that is 1 mod 2n, then walk down.
  u64 candidate = upper - step + 1;
  while (primes.size() < count && candidate >= lower) {
    if (is_prime(candidate)) primes.push_back(candidate);
    if (candidate < step) break;
    candidate -= step;
  }
  if (primes.size() < count) primes.clear();
  return primes;
}

u64 minimal_primitive_root(u64 order, const Modulus &m) {
  const u64 q = m.value;
  if (order < 2 || !is_power_of_two(order) || q < 3 || (q - 1) % order != 0) return 0;
  const u64 cofactor = (q - 1) / order;
  const u64 half = order / 2;
  // An element g^((q-1)/order) of the right order exists for generators g; any x with
  // x^(order/2) = -1 has order exactly `order` since order is a power of two.
  u64 some_root = 0;
  for (u64 x = 2; x < q && some_root == 0; ++x) {
    const u64 candidate = pow_mod(x, cofactor, m);
    if (pow_mod(candidate, half, m) == q - 1) some_root = candidate;
    if (x > 1'000'000) return 0;  // q is not prime or order does not divide the group
  }
  if (some_root == 0) return 0;
  // Primitive roots of this order are some_root^k for odd k; take the smallest.
  const u64 square = mul_mod_barrett(some_root, some_root, m);
  u64 current = some_root;
  u64 smallest = some_root;
  for (u64 k = 1; k < half; ++k) {
    current = mul_mod_barrett(current, square, m);
    if (current < smallest) smallest = current;
  }
  return smallest;
}

}  // namespace hlp
