// What the family files of hlp_ckks_tests share: includes, input helpers, the Ctx fixture
// over the C ABI, SEAL's reference algorithms, and each family's entry points (called in
// order by main.cpp).
#pragma once

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "ckks/ckks.hpp"
#include "core/modarith.hpp"
#include "core/ntt_tables.hpp"
#include "core/variants.hpp"
#include "hlp/kernels.h"

#include "tests/harness.hpp"

namespace hlp_test {

using hlp::u128;
using hlp::u64;
using i64 = std::int64_t;

inline std::vector<uint8_t> random_bytes(std::size_t count) {
  std::vector<uint8_t> v(count);
  for (std::size_t i = 0; i < count; i += 8) {
    const u64 w = rng()();
    for (std::size_t j = 0; j < 8 && i + j < count; ++j) v[i + j] = static_cast<uint8_t>(w >> (8 * j));
  }
  return v;
}

inline std::vector<double> random_values(std::size_t count, double lo = -1.0, double hi = 1.0) {
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(count);
  for (auto &x : v) x = dist(rng());
  return v;
}

inline std::string fmt(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g", x);
  return buf;
}

// SEAL's CoeffModulus::Create(n, {bits...}): for each bit size b used c times, the c
// largest primes below 2^b that are 1 mod 2n, handed out from the smallest up (SEAL pops
// them off the back of a descending list). For {60, 40, 40, 60}: q_0 is the second
// largest 60-bit prime and the special prime the largest.
inline std::vector<u64> seal_moduli(uint32_t n, const std::vector<int> &bits) {
  std::vector<u64> out;
  for (std::size_t i = 0; i < bits.size(); ++i) {
    const int b = bits[i];
    const std::size_t total = static_cast<std::size_t>(std::count(bits.begin(), bits.end(), b));
    const std::size_t before = static_cast<std::size_t>(std::count(bits.begin(), bits.begin() + i, b));
    const auto primes = hlp::generate_ntt_primes(b, n, total);
    out.push_back(primes.at(total - 1 - before));
  }
  return out;
}

struct Ctx {
  hlp_ckks_context *ctx = nullptr;
  uint32_t n = 0, k = 0;
  std::vector<u64> moduli;
  std::vector<hlp::NttTables> tables;
  Ctx(uint32_t degree, const std::vector<u64> &q) : n(degree), k(static_cast<uint32_t>(q.size() - 1)), moduli(q) {
    if (hlp_ckks_create(n, q.data(), static_cast<uint32_t>(q.size()), &ctx) != HLP_OK) ctx = nullptr;
    tables.resize(q.size());
    for (std::size_t i = 0; i < q.size(); ++i) tables[i].init(n, q[i]);
  }
  ~Ctx() { hlp_ckks_destroy(ctx); }
  std::size_t rand_bytes(hlp_ckks_randomness kind, uint32_t level = 1) const {
    std::size_t b = 0;
    hlp_ckks_randomness_bytes(ctx, kind, level, &b);
    return b;
  }
  std::vector<u64> secret_key() {
    std::vector<u64> sk((k + 1) * n);
    const auto r = random_bytes(rand_bytes(HLP_CKKS_RANDOMNESS_SECRET_KEY));
    if (hlp_ckks_keygen_secret(ctx, r.data(), r.size(), sk.data(), sk.size()) != HLP_OK) sk.clear();
    return sk;
  }
  std::vector<u64> public_key(const std::vector<u64> &sk) {
    std::vector<u64> pk(2 * (k + 1) * n);
    const auto a = random_bytes(rand_bytes(HLP_CKKS_RANDOMNESS_UNIFORM, k + 1));
    const auto e = random_bytes(rand_bytes(HLP_CKKS_RANDOMNESS_NOISE));
    if (hlp_ckks_keygen_public(ctx, sk.data(), sk.size(), a.data(), a.size(), e.data(), e.size(), pk.data(), pk.size(),
                               HLP_FLAG_CHECK_INPUT) != HLP_OK) {
      pk.clear();
    }
    return pk;
  }
  std::vector<u64> encode(const std::vector<double> &v, double scale, uint32_t level) {
    std::vector<u64> p(level * n);
    if (hlp_ckks_encode(ctx, v.data(), v.size(), scale, level, p.data(), p.size()) != HLP_OK) p.clear();
    return p;
  }
  std::vector<double> decode(const std::vector<u64> &p, double scale, uint32_t level, std::size_t count) {
    std::vector<double> v(count);
    if (hlp_ckks_decode(ctx, p.data(), p.size(), level, scale, v.data(), count, HLP_FLAG_CHECK_INPUT) != HLP_OK) {
      v.assign(count, NAN);
    }
    return v;
  }
  std::vector<u64> encrypt(const std::vector<u64> &pk, const std::vector<u64> &plain, uint32_t level) {
    std::vector<u64> ct(2 * level * n);
    const auto r = random_bytes(rand_bytes(HLP_CKKS_RANDOMNESS_ENCRYPT_PUBLIC));
    if (hlp_ckks_encrypt_public(ctx, pk.data(), pk.size(), plain.data(), plain.size(), 1, level, r.data(), r.size(),
                                ct.data(), ct.size(), HLP_FLAG_CHECK_INPUT) != HLP_OK) {
      ct.clear();
    }
    return ct;
  }
  std::vector<u64> decrypt(const std::vector<u64> &sk, const std::vector<u64> &ct, uint32_t size, uint32_t level) {
    std::vector<u64> p(level * n);
    if (hlp_ckks_decrypt(ctx, sk.data(), sk.size(), ct.data(), ct.size(), size, level, p.data(), p.size(),
                         HLP_FLAG_CHECK_INPUT) != HLP_OK) {
      p.clear();
    }
    return p;
  }
};

inline u64 to_mod_ref(i64 v, u64 q) {
  return v < 0 ? (q - (static_cast<u64>(-(v + 1)) + 1) % q) % q : static_cast<u64>(v) % q;
}

inline double max_error(const std::vector<double> &a, const std::vector<double> &b) {
  if (a.size() != b.size()) return INFINITY;
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double d = std::fabs(a[i] - b[i]);
    if (!(d <= m)) m = d;  // NaN propagates
  }
  return m;
}

// Centred residues of a level-1 plaintext (coefficient form) for small coefficients.
inline std::vector<i64> centred_coeffs(const Ctx &c, std::vector<u64> plain_block0) {
  hlp::scalar_ops().ntt_inverse(plain_block0.data(), c.tables[0]);
  std::vector<i64> out(c.n);
  const u64 q = c.moduli[0];
  for (uint32_t i = 0; i < c.n; ++i) {
    const u64 v = plain_block0[i];
    out[i] = v > q / 2 ? -static_cast<i64>(q - v) : static_cast<i64>(v);
  }
  return out;
}

// seal-reference.cpp: SEAL's algorithms transcribed directly, to compare bit for bit.
std::vector<u64> seal_reference_encrypt(const Ctx &c, const std::vector<u64> &pk, const std::vector<u64> &plain,
                                        uint32_t level, const uint8_t *rand);
std::vector<u64> seal_reference_symmetric(const Ctx &c, const std::vector<u64> &sk, const std::vector<u64> &a,
                                          const uint8_t *noise, const std::vector<u64> &plain, uint32_t level);
std::vector<u64> seal_reference_rescale(const Ctx &c, const std::vector<u64> &ct, uint32_t size, uint32_t level);

// encoder-tests.cpp
void test_encoder_layout();
void test_encoder_round_trip();
// sampling-tests.cpp
void test_sampling();
// kernel-table-tests.cpp
void test_kernel_tables();
void test_dot2();
void test_dot2_pair();
// encryption-tests.cpp
void test_encryption();
void test_encryption_errors();
// evaluation-tests.cpp
void test_evaluation();
// bench.cpp
void bench();

}  // namespace hlp_test
