// What the family files of hlp_kernels_tests share: includes, input helpers, the CKKS
// fixture of the device checks, and each family's entry points (called in order by main.cpp).
#pragma once

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>
#include <algorithm>

#include "core/modarith.hpp"
#include "core/ntt_tables.hpp"
#include "core/variants.hpp"
#include "hlp/kernels.h"
#include "cuda/cuda-api.h"
#include "cuda/cuda-loader.hpp"
#include "cuda/device-pool.hpp"
#include "hlp/cuda.h"
#ifdef HLP_WITH_CUDA
#include "cuda/ntt-cuda.hpp"
#endif
#include <dlfcn.h>
#include <cstdlib>

#include "tests/harness.hpp"

namespace hlp_test {

using hlp::u128;
using hlp::u64;

inline std::vector<u64> random_poly(std::size_t n, u64 q) {
  std::vector<u64> v(n);
  std::uniform_int_distribution<u64> dist(0, q - 1);
  for (auto &x : v) x = dist(rng());
  return v;
}

inline u64 pow_mod_ref(u64 b, u64 e, u64 q) {
  u128 r = 1, x = b % q;
  while (e) {
    if (e & 1) r = r * x % q;
    x = x * x % q;
    e >>= 1;
  }
  return static_cast<u64>(r);
}

// The definition the kernels promise, evaluated directly: out[j] = sum a_i psi^((2 brv(j)+1) i).
inline std::vector<u64> naive_forward(const std::vector<u64> &a, u64 q, u64 psi) {
  const std::size_t n = a.size();
  const unsigned log_n = hlp::log2_exact(n);
  std::vector<u64> out(n);
  for (std::size_t j = 0; j < n; ++j) {
    const u64 e = 2 * hlp::reverse_bits(j, log_n) + 1;
    const u64 step = pow_mod_ref(psi, e, q);
    u128 acc = 0;
    u64 w = 1;
    for (std::size_t i = 0; i < n; ++i) {
      acc = (acc + static_cast<u128>(a[i]) * w) % q;
      w = static_cast<u64>(static_cast<u128>(w) * step % q);
    }
    out[j] = static_cast<u64>(acc);
  }
  return out;
}

inline std::vector<const hlp::KernelOps *> cpu_variants() {
  std::vector<const hlp::KernelOps *> v{&hlp::scalar_ops()};
  if (hlp_variant_available(HLP_VARIANT_AVX2)) v.push_back(&hlp::avx2_ops());
  if (hlp_variant_available(HLP_VARIANT_AVX512)) v.push_back(&hlp::avx512_ops());
  return v;
}

// ---- cuda: device checks against the CPU (need a GPU) ---------------------------------

struct CkksFixture {
  hlp_ckks_context *ctx = nullptr;
  std::vector<u64> sk, pk, moduli;
  uint32_t n = 0, k = 0;
  ~CkksFixture() { hlp_ckks_destroy(ctx); }
  std::vector<uint8_t> bytes(std::size_t count) {
    std::vector<uint8_t> b(count);
    for (auto &x : b) x = static_cast<uint8_t>(rng()());
    return b;
  }
  bool init(uint32_t n_, const std::vector<int> &bits) {
    n = n_;
    std::vector<u64> q;
    for (std::size_t i = 0; i < bits.size(); ++i) {
      // Distinct primes: take the i-th prime of that size among same-size entries.
      int same = 0;
      for (std::size_t j = 0; j < i; ++j) same += bits[j] == bits[i];
      q.push_back(hlp::generate_ntt_primes(bits[i], n, same + 1).at(same));
    }
    moduli = q;
    if (hlp_ckks_create(n, q.data(), static_cast<uint32_t>(q.size()), &ctx) != HLP_OK) return false;
    k = static_cast<uint32_t>(q.size()) - 1;
    sk.resize(static_cast<std::size_t>(k + 1) * n);
    pk.resize(2 * sk.size());
    std::size_t tb = 0, ub = 0, nb = 0;
    hlp_ckks_randomness_bytes(ctx, HLP_CKKS_RANDOMNESS_SECRET_KEY, 0, &tb);
    hlp_ckks_randomness_bytes(ctx, HLP_CKKS_RANDOMNESS_UNIFORM, k + 1, &ub);
    hlp_ckks_randomness_bytes(ctx, HLP_CKKS_RANDOMNESS_NOISE, 0, &nb);
    auto r = bytes(tb), u = bytes(ub), e = bytes(nb);
    return hlp_ckks_keygen_secret(ctx, r.data(), r.size(), sk.data(), sk.size()) == HLP_OK &&
           hlp_ckks_keygen_public(ctx, sk.data(), sk.size(), u.data(), u.size(), e.data(), e.size(), pk.data(),
                                  pk.size(), 0) == HLP_OK;
  }
  std::vector<u64> plains(uint32_t count, uint32_t level) {
    std::vector<u64> p(static_cast<std::size_t>(count) * level * n);
    for (uint32_t c = 0; c < count; ++c)
      for (uint32_t b = 0; b < level; ++b) {
        auto poly = random_poly(n, moduli[b]);
        std::copy(poly.begin(), poly.end(), p.begin() + (static_cast<std::size_t>(c) * level + b) * n);
      }
    return p;
  }
};

// modarith-ntt-tests.cpp
void test_modarith();
void test_naive_reference();
void test_variants_agree();
// abi-pool-tests.cpp
void test_c_abi_errors();
void test_pool();
// cuda-loader-tests.cpp
void test_abi_version();
void test_cuda_pool_logic();
void test_cuda_loader();
void test_cuda_loader_abi();
// cuda-device-tests.cpp
void test_cuda();
void test_cuda_device();
// Lower-case hex of n bytes (the stream tests' known answers).
inline std::string hex(const uint8_t *p, std::size_t n) {
  static const char *digits = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    s += digits[p[i] >> 4];
    s += digits[p[i] & 15];
  }
  return s;
}

// xof-tests.cpp
void test_shake256();
// aes-tests.cpp
void test_aes256ctr();
// bench.cpp
void bench();
void bench_gpu();

}  // namespace hlp_test
