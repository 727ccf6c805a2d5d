// The C ABI's argument errors and the memory pool.
#include "tests/kernels/kernel-tests.hpp"

namespace hlp_test {

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

}  // namespace hlp_test
