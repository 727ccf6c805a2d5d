// Modular arithmetic, the NTT against its definition, and the CPU variants against each other.
#include "tests/kernels/kernel-tests.hpp"

namespace hlp_test {

void test_modarith() {
  if (!selected("modarith")) return;
  const int bit_sizes[] = {20, 30, 36, 40, 45, 49, 50, 52, 55, 59, 60, 61};
  bool ok = true;
  for (int bits : bit_sizes) {
    const auto primes = hlp::generate_ntt_primes(bits, 8192, 2);
    if (primes.size() != 2) {
      ok = bits <= 20 ? ok : false;  // 2^20 has too few primes = 1 mod 2^14
      continue;
    }
    for (u64 q : primes) {
      ok &= hlp::is_prime(q) && (q - 1) % 16384 == 0 && (q >> (bits - 1)) == 1;
      const hlp::Modulus m(q);
      for (int i = 0; i < 2000; ++i) {
        const u64 a = random_poly(1, q)[0], b = random_poly(1, q)[0];
        const u64 expect = static_cast<u64>(static_cast<u128>(a) * b % q);
        ok &= hlp::mul_mod_barrett(a, b, m) == expect;
        ok &= hlp::mul_mod_shoup(a, b, hlp::shoup_precompute(b, q), q) == expect;
      }
      ok &= hlp::mul_mod_barrett(q - 1, q - 1, m) == 1;
      ok &= hlp::mul_mod_barrett(0, q - 1, m) == 0;
      // The scalar element-wise product (Barrett for products, its own quotient estimate) against
      // the 128-bit remainder, with the extremes 0, 1, q - 1 and words just below q among them.
      std::vector<u64> xa = random_poly(4096, q), xb = random_poly(4096, q), xr(4096);
      const u64 extremes[] = {0, 1, q - 1, q - 2, q / 2, q - 1};
      for (std::size_t e = 0; e < 6; ++e)
        xa[e] = extremes[e], xb[e] = extremes[5 - e], xa[6 + e] = xb[6 + e] = extremes[e];
      hlp::scalar_ops().mul_mod(xr.data(), xa.data(), xb.data(), xa.size(), m);
      for (std::size_t x = 0; x < xa.size(); ++x) ok &= xr[x] == static_cast<u64>(static_cast<u128>(xa[x]) * xb[x] % q);
      const u64 psi = hlp::minimal_primitive_root(16384, m);
      ok &= psi != 0 && hlp::pow_mod(psi, 8192, m) == q - 1;
    }
  }
  report(ok, "modarith: barrett, shoup, scalar element-wise product, primes, primitive roots (20..61 bits)");
  report(!hlp::is_prime(0) && !hlp::is_prime(1) && hlp::is_prime(2) && !hlp::is_prime(3215031751ULL) &&
             hlp::is_prime(18446744073709551557ULL),
         "modarith: primality edge cases and strong pseudoprimes");
}

void test_naive_reference() {
  if (!selected("reference")) return;
  for (int bits : {30, 50, 60}) {
    const std::size_t n = 64;
    const u64 q = hlp::generate_ntt_primes(bits, n, 1).at(0);
    hlp::NttTables t;
    t.init(n, q);
    const auto a = random_poly(n, q);
    const auto expect = naive_forward(a, q, t.root);
    for (const auto *ops : cpu_variants()) {
      auto x = a;
      ops->ntt_forward(x.data(), t);
      report(x == expect,
             std::string("ntt forward matches definition: ") + ops->name + " n=64 bits=" + std::to_string(bits));
    }
  }
}

// The smallest prime = 1 mod 2n above 2^bits, 0 when none is found: primes on the far side of
// a multiplier's bound (2^50 for IFMA, 2^60 for the halved-companion Shoup), where
// generate_ntt_primes gives the nearest one below it.
u64 ntt_prime_above(int bits, std::size_t n) {
  const u64 step = 2 * n;
  for (u64 c = (u64{1} << bits) + 1, k = 0; k < 100000; c += step, ++k)
    if (hlp::is_prime(c)) return c;
  return 0;
}

void test_variants_agree() {
  if (!selected("agree")) return;
  const std::vector<std::size_t> sizes =
      g_quick ? std::vector<std::size_t>{16, 1024, 8192, 32768}
              : std::vector<std::size_t>{2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768};
  // Largest prime below 2^bits; a negative entry -k is the smallest above 2^k.
  const int bit_sizes[] = {30, 40, 49, 50, -50, 51, 52, 55, 59, 60, -60, 61, 62};
  const auto variants = cpu_variants();
  for (std::size_t n : sizes) {
    for (int bits : bit_sizes) {
      const auto primes = bits > 0 ? hlp::generate_ntt_primes(bits, n, 1) : std::vector<u64>{ntt_prime_above(-bits, n)};
      if (primes.empty() || primes[0] == 0) continue;
      const u64 q = primes[0];
      hlp::NttTables t;
      if (!t.init(n, q)) {
        report(false, "tables init n=" + std::to_string(n));
        continue;
      }
      auto input = random_poly(n, q);
      input[0] = 0;
      input[n - 1] = q - 1;
      auto reference = input;
      hlp::scalar_ops().ntt_forward(reference.data(), t);
      for (const auto *ops : variants) {
        auto x = input;
        ops->ntt_forward(x.data(), t);
        bool ok = x == reference;
        ops->ntt_inverse(x.data(), t);
        ok &= x == input;
        // all q-1 and all zero are the extremes of the lazy ranges
        std::vector<u64> edge(n, q - 1), edge_ref(n, q - 1);
        hlp::scalar_ops().ntt_forward(edge_ref.data(), t);
        ops->ntt_forward(edge.data(), t);
        ok &= edge == edge_ref;
        // the forward transform takes words up to 4q - 1 (its lazy range) too
        std::vector<u64> lazy(n, 4 * q - 1), lazy_ref(n, 4 * q - 1);
        lazy[0] = lazy_ref[0] = 2 * q - 1;
        hlp::scalar_ops().ntt_forward(lazy_ref.data(), t);
        ops->ntt_forward(lazy.data(), t);
        ok &= lazy == lazy_ref;
        // element-wise
        const auto b = random_poly(n, q);
        std::vector<u64> r1(n), r2(n);
        for (int op = 0; op < 3; ++op) {
          const hlp::EltwiseFn f = op == 0 ? ops->add_mod : op == 1 ? ops->sub_mod : ops->mul_mod;
          const hlp::EltwiseFn g = op == 0   ? hlp::scalar_ops().add_mod
                                   : op == 1 ? hlp::scalar_ops().sub_mod
                                             : hlp::scalar_ops().mul_mod;
          f(r1.data(), input.data(), b.data(), n, t.modulus);
          g(r2.data(), input.data(), b.data(), n, t.modulus);
          ok &= r1 == r2;
        }
        // (q - 1)^2 is the largest product the element-wise Barrett reduces
        const std::vector<u64> top(n, q - 1);
        ops->mul_mod(r1.data(), top.data(), top.data(), n, t.modulus);
        ok &= r1 == std::vector<u64>(n, 1);
        report(ok, std::string("variant agrees with scalar: ") + ops->name + " n=" + std::to_string(n) +
                       " bits=" + std::to_string(bits) + " q=" + std::to_string(q));
      }
    }
  }
}

}  // namespace hlp_test
