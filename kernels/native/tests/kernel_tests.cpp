// Native test and benchmark executable for @hlp/kernels. Needs no Node, so it is what
// runs on a GPU machine. Usage: hlp_kernels_tests [--quick] [--bench] [--filter text]
// Prints one line per check and ends with "hlp_kernels_tests: N passed, N failed".
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
#ifdef HLP_WITH_CUDA
#include "cuda/ntt-cuda.hpp"
#endif

namespace {

using hlp::u64;
using hlp::u128;

int g_passed = 0;
int g_failed = 0;
int g_skipped = 0;
bool g_quick = false;
std::string g_filter;

void report(bool ok, const std::string &name, const std::string &detail = "") {
  if (ok) {
    ++g_passed;
    std::printf("ok   %s\n", name.c_str());
  } else {
    ++g_failed;
    std::printf("FAIL %s %s\n", name.c_str(), detail.c_str());
  }
}

void skip(const std::string &name, const std::string &why) {
  ++g_skipped;
  std::printf("skip %s (%s)\n", name.c_str(), why.c_str());
}

bool selected(const std::string &name) { return g_filter.empty() || name.find(g_filter) != std::string::npos; }

std::mt19937_64 &rng() {
  // Test inputs only; nothing cryptographic is drawn from this generator.
  static std::mt19937_64 engine(0x5eed1234ULL);
  return engine;
}

std::vector<u64> random_poly(std::size_t n, u64 q) {
  std::vector<u64> v(n);
  std::uniform_int_distribution<u64> dist(0, q - 1);
  for (auto &x : v) x = dist(rng());
  return v;
}

u64 pow_mod_ref(u64 b, u64 e, u64 q) {
  u128 r = 1, x = b % q;
  while (e) {
    if (e & 1) r = r * x % q;
    x = x * x % q;
    e >>= 1;
  }
  return static_cast<u64>(r);
}

// The definition the kernels promise, evaluated directly: out[j] = sum a_i psi^((2 brv(j)+1) i).
std::vector<u64> naive_forward(const std::vector<u64> &a, u64 q, u64 psi) {
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

std::vector<const hlp::KernelOps *> cpu_variants() {
  std::vector<const hlp::KernelOps *> v{&hlp::scalar_ops()};
  if (hlp_variant_available(HLP_VARIANT_AVX2)) v.push_back(&hlp::avx2_ops());
  if (hlp_variant_available(HLP_VARIANT_AVX512)) v.push_back(&hlp::avx512_ops());
  return v;
}

void test_modarith() {
  if (!selected("modarith")) return;
  const int bit_sizes[] = {20, 30, 36, 40, 45, 49, 50, 52, 55, 59, 60};
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
      const u64 psi = hlp::minimal_primitive_root(16384, m);
      ok &= psi != 0 && hlp::pow_mod(psi, 8192, m) == q - 1;
    }
  }
  report(ok, "modarith: barrett, shoup, primes, primitive roots (20..60 bits)");
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
      report(x == expect, std::string("ntt forward matches definition: ") + ops->name + " n=64 bits=" +
                              std::to_string(bits));
    }
  }
}

void test_variants_agree() {
  if (!selected("agree")) return;
  const std::vector<std::size_t> sizes = g_quick ? std::vector<std::size_t>{16, 1024, 8192, 32768}
                                                 : std::vector<std::size_t>{2, 4, 8, 16, 32, 64, 128, 256, 512, 1024,
                                                                            2048, 4096, 8192, 16384, 32768};
  const int bit_sizes[] = {30, 40, 49, 50, 52, 55, 60};
  const auto variants = cpu_variants();
  for (std::size_t n : sizes) {
    for (int bits : bit_sizes) {
      const auto primes = hlp::generate_ntt_primes(bits, n, 1);
      if (primes.empty()) continue;
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
        report(ok, std::string("variant agrees with scalar: ") + ops->name + " n=" + std::to_string(n) +
                       " bits=" + std::to_string(bits));
      }
    }
  }
}

void test_c_abi_errors() {
  if (!selected("abi")) return;
  hlp_ntt_context *ctx = nullptr;
  const u64 q = hlp::generate_ntt_primes(50, 1024, 1).at(0);
  report(hlp_ntt_create(1000, &q, 1, &ctx) == HLP_E_NOT_POWER_OF_TWO, "abi: n not a power of two rejected");
  const u64 composite = 12289ULL * 40961ULL;  // two NTT primes, so only primality can fail
  report(hlp_ntt_create(1024, &composite, 1, &ctx) == HLP_E_MODULUS_NOT_PRIME, "abi: composite modulus rejected");
  const u64 unfriendly = 1000003;  // prime, but 1000002 is not divisible by 2048
  report(hlp_ntt_create(1024, &unfriendly, 1, &ctx) == HLP_E_MODULUS_NOT_NTT_FRIENDLY,
         "abi: prime that is not 1 mod 2n rejected");
  const u64 big = (u64{1} << 61) + 1;
  report(hlp_ntt_create(1024, &big, 1, &ctx) == HLP_E_MODULUS_TOO_LARGE, "abi: modulus over 60 bits rejected");
  report(hlp_ntt_create(1024, &q, 1, &ctx) == HLP_OK, "abi: valid context created");
  std::vector<u64> data(1024, 0);
  data[5] = q;
  report(hlp_ntt_forward(ctx, data.data(), data.size(), 0, 1, HLP_VARIANT_AUTO, HLP_FLAG_CHECK_INPUT) ==
             HLP_E_VALUE_OUT_OF_RANGE,
         "abi: value not below q rejected");
  report(hlp_ntt_forward(ctx, data.data(), 1000, 0, 1, HLP_VARIANT_AUTO, 0) == HLP_E_LENGTH_MISMATCH,
         "abi: wrong length rejected");
  report(hlp_ntt_forward(ctx, data.data(), data.size(), 1, 1, HLP_VARIANT_AUTO, 0) == HLP_E_INVALID_ARGUMENT,
         "abi: modulus range outside context rejected");
  report(hlp_ntt_forward(nullptr, data.data(), data.size(), 0, 1, HLP_VARIANT_AUTO, 0) == HLP_E_INVALID_ARGUMENT,
         "abi: null context rejected");
  if (!hlp_variant_available(HLP_VARIANT_CUDA)) {
    report(hlp_ntt_forward(ctx, data.data(), data.size(), 0, 1, HLP_VARIANT_CUDA, 0) == HLP_E_VARIANT_UNAVAILABLE,
           "abi: unavailable variant rejected");
  }
  hlp_ntt_destroy(ctx);
}

void test_pool() {
  if (!selected("pool")) return;
  for (hlp_allocator_kind kind : {HLP_ALLOCATOR_POOL, HLP_ALLOCATOR_MALLOC}) {
    const char *name = kind == HLP_ALLOCATOR_POOL ? "pool" : "malloc";
    hlp_allocator *a = nullptr;
    if (hlp_allocator_create(kind, &a) != HLP_OK) {
      report(false, std::string("allocator create ") + name);
      continue;
    }
    bool ok = true;
    std::vector<std::pair<void *, std::size_t>> blocks;
    for (std::size_t size : {64ul, 100ul, 4096ul, 65536ul, 3ul << 20}) {
      void *p = nullptr;
      ok &= hlp_alloc(a, size, &p) == HLP_OK && p != nullptr && reinterpret_cast<uintptr_t>(p) % 64 == 0;
      if (p) std::memset(p, 0xab, size);
      blocks.emplace_back(p, size);
    }
    for (auto &b : blocks) ok &= hlp_free(a, b.first, b.second) == HLP_OK;
    const std::size_t sizes[] = {4096, 65536, 1 << 20};
    ok &= hlp_allocator_churn(a, sizes, 3, 8, 20) == HLP_OK;
    std::vector<std::thread> threads;
    static const std::size_t thread_sizes[] = {256, 8192};
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([a] { hlp_allocator_churn(a, thread_sizes, 2, 16, 200); });
    }
    for (auto &t : threads) t.join();
    hlp_allocator_stats s{};
    ok &= hlp_allocator_get_stats(a, &s) == HLP_OK;
    ok &= s.bytes_in_use == 0 && s.allocations == s.frees && s.peak_bytes_in_use > 0;
    if (kind == HLP_ALLOCATOR_POOL) ok &= s.hits > 0 && s.huge_page_blocks > 0;
    void *p = nullptr;
    ok &= hlp_alloc(a, 0, &p) == HLP_E_INVALID_ARGUMENT;
    ok &= hlp_free(a, nullptr, 64) == HLP_E_INVALID_ARGUMENT;
    hlp_allocator_destroy(a);
    report(ok, std::string("allocator works and keeps exact stats: ") + name);
  }
}

void test_cuda() {
  if (!selected("cuda")) return;
#ifdef HLP_WITH_CUDA
  if (!hlp::cuda::device_available()) {
    skip("cuda: variant agrees with scalar", "compiled, but no CUDA device on this machine");
    return;
  }
  for (std::size_t n : {1024ul, 8192ul, 16384ul, 32768ul}) {
    for (int bits : {40, 50, 60}) {
      const u64 q = hlp::generate_ntt_primes(bits, n, 1).at(0);
      hlp::NttTables t;
      t.init(n, q);
      const std::size_t batch = 7;
      std::vector<u64> data(n * batch), expect;
      for (std::size_t b = 0; b < batch; ++b) {
        auto p = random_poly(n, q);
        std::copy(p.begin(), p.end(), data.begin() + b * n);
      }
      expect = data;
      for (std::size_t b = 0; b < batch; ++b) hlp::scalar_ops().ntt_forward(expect.data() + b * n, t);
      auto x = data;
      bool ok = hlp::cuda::ntt_forward_batch(x.data(), batch, t) && x == expect;
      ok = ok && hlp::cuda::ntt_inverse_batch(x.data(), batch, t) && x == data;
      report(ok, "cuda: batched ntt agrees with scalar n=" + std::to_string(n) + " bits=" + std::to_string(bits),
             ok ? "" : hlp::cuda::last_error());
    }
  }
#else
  skip("cuda: variant agrees with scalar", "not compiled (nvcc absent at build time)");
#endif
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void bench() {
  std::printf("\nbenchmark: median ns per transform (one prime)\n");
  std::printf("%-8s %6s %5s %12s %12s\n", "variant", "n", "bits", "forward", "inverse");
  for (std::size_t n : {1024ul, 4096ul, 8192ul, 16384ul, 32768ul}) {
    for (int bits : {50, 60}) {
      const u64 q = hlp::generate_ntt_primes(bits, n, 1).at(0);
      hlp::NttTables t;
      t.init(n, q);
      auto data = random_poly(n, q);
      for (const auto *ops : cpu_variants()) {
        std::vector<double> fwd, inv;
        const int reps = g_quick ? 50 : 400;
        for (int r = 0; r < reps; ++r) {
          auto t0 = std::chrono::steady_clock::now();
          ops->ntt_forward(data.data(), t);
          auto t1 = std::chrono::steady_clock::now();
          ops->ntt_inverse(data.data(), t);
          auto t2 = std::chrono::steady_clock::now();
          fwd.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count());
          inv.push_back(std::chrono::duration<double, std::nano>(t2 - t1).count());
        }
        std::printf("%-8s %6zu %5d %12.0f %12.0f\n", ops->name, n, bits, median(fwd), median(inv));
      }
    }
  }
#ifdef HLP_WITH_CUDA
  if (hlp::cuda::device_available()) {
    std::printf("\ncuda batched NTT (host round trip included): transforms per second\n");
    for (std::size_t n : {8192ul, 16384ul}) {
      for (std::size_t batch : {192ul, 1024ul}) {
        const u64 q = hlp::generate_ntt_primes(50, n, 1).at(0);
        hlp::NttTables t;
        t.init(n, q);
        std::vector<u64> data(n * batch);
        for (auto &x : data) x = random_poly(1, q)[0];
        hlp::cuda::ntt_forward_batch(data.data(), batch, t);  // warm-up, table upload
        std::vector<double> runs;
        for (int r = 0; r < 20; ++r) {
          auto t0 = std::chrono::steady_clock::now();
          hlp::cuda::ntt_forward_batch(data.data(), batch, t);
          auto t1 = std::chrono::steady_clock::now();
          runs.push_back(std::chrono::duration<double>(t1 - t0).count());
        }
        std::printf("cuda n=%zu batch=%zu: %.0f transforms/s (median %.3f ms per batch)\n", n, batch,
                    batch / median(runs), median(runs) * 1e3);
      }
    }
  }
#endif
}

}  // namespace

int main(int argc, char **argv) {
  bool run_bench = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) g_quick = true;
    else if (std::strcmp(argv[i], "--bench") == 0) run_bench = true;
    else if (std::strcmp(argv[i], "--filter") == 0 && i + 1 < argc) g_filter = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--quick] [--bench] [--filter text]\n", argv[0]);
      return 2;
    }
  }
  std::printf("cpu features: %s; default variant: %s\n", hlp_cpu_features(), hlp_variant_name(hlp_variant_default()));
  test_modarith();
  test_naive_reference();
  test_variants_agree();
  test_c_abi_errors();
  test_pool();
  test_cuda();
  if (run_bench) bench();
  std::printf("hlp_kernels_tests: %d passed, %d failed, %d skipped\n", g_passed, g_failed, g_skipped);
  return g_failed == 0 ? 0 : 1;
}
