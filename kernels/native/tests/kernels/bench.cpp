// --bench and --bench-gpu: NTT throughput on the CPU variants and on the GPU.
#include "tests/kernels/kernel-tests.hpp"

namespace hlp_test {

// --bench-gpu: NTT throughput and the GPT-2 prompt encryption, GPU vs the best CPU variant.
void bench_gpu() {
  std::printf("\n== GPU benchmark ==\n");
  if (!hlp_variant_available(HLP_VARIANT_CUDA)) {
    std::printf("skip: no usable cuda (%s)\n", hlp_cuda_unavailable_reason());
    return;
  }
  const hlp_variant cpu = hlp_variant_default() == HLP_VARIANT_CUDA ? HLP_VARIANT_AVX512 : hlp_variant_default();
  std::printf("best CPU variant here: %s (one thread)\n", hlp_variant_name(cpu));
  std::printf("%-6s %6s %16s %16s %16s %16s\n", "n", "batch", "cpu tr/s", "gpu host tr/s", "gpu pinned tr/s",
              "gpu resident tr/s");
  for (uint32_t n : {8192u, 16384u}) {
    const u64 q = hlp::generate_ntt_primes(50, n, 1).at(0);
    hlp_ntt_context *ctx = nullptr;
    hlp_ntt_create(n, &q, 1, &ctx);
    for (std::size_t batch : {192ul, 1024ul}) {
      const std::size_t words = batch * n;
      std::vector<u64> data(words);
      for (std::size_t i = 0; i < words; ++i) data[i] = rng()() % q;
      auto time_it = [&](u64 *buf, hlp_variant v, int reps) {
        hlp_ntt_forward(ctx, buf, words, 0, 1, v, 0);  // warm-up (tables, pool)
        std::vector<double> t;
        for (int r = 0; r < reps; ++r) {
          auto t0 = std::chrono::steady_clock::now();
          hlp_ntt_forward(ctx, buf, words, 0, 1, v, 0);
          t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        return batch / median(t);
      };
      const double cpu_rate = time_it(data.data(), cpu, 3);
      const double gpu_rate = time_it(data.data(), HLP_VARIANT_CUDA, 10);
      double pinned_rate = 0;
      void *pinned = nullptr;
      if (hlp_cuda_host_alloc(words * 8, &pinned) == HLP_OK) {
        std::memcpy(pinned, data.data(), words * 8);
        pinned_rate = time_it(static_cast<u64 *>(pinned), HLP_VARIANT_CUDA, 10);
        hlp_cuda_host_free(pinned);
      }
#ifdef HLP_WITH_CUDA
      hlp::NttTables t;
      t.init(n, q);
      const hlp_cuda_prime pr = hlp::cuda::prime_of(t);
      const double sec = hlp::cuda::bench_ntt_resident(batch, n, &pr, 1, 20);
      const double resident = sec > 0 ? batch / sec : 0;
#else
      const double resident = 0;
#endif
      std::printf("%-6u %6zu %16.0f %16.0f %16.0f %16.0f\n", n, batch, cpu_rate, gpu_rate, pinned_rate, resident);
    }
    hlp_ntt_destroy(ctx);
  }

  // GPT-2 full-context prompt: 192 ciphertexts at N = 8192, primes {60, 40, 40, 60}, top level.
  CkksFixture f;
  if (!f.init(8192, {60, 40, 40, 60})) {
    std::printf("FAIL ckks fixture\n");
    return;
  }
  const uint32_t count = 192, level = f.k;
  std::size_t per = 0;
  hlp_ckks_randomness_bytes(f.ctx, HLP_CKKS_RANDOMNESS_ENCRYPT_PUBLIC, 0, &per);
  const std::size_t rnd_bytes = per * count, plain_words = static_cast<std::size_t>(count) * level * f.n,
                    out_words = static_cast<std::size_t>(count) * 2 * level * f.n;
  auto rnd = f.bytes(rnd_bytes);
  auto plains = f.plains(count, level);
  std::vector<u64> cpu_out(out_words), gpu_out(out_words);
  auto t0 = std::chrono::steady_clock::now();
  hlp_ckks_encrypt_public(f.ctx, f.pk.data(), f.pk.size(), plains.data(), plain_words, count, level, rnd.data(),
                          rnd_bytes, cpu_out.data(), out_words, 0);
  const double cpu_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  hlp_cuda_pool_trim();  // drop the NTT benchmark's cached blocks; peaks restart here
  hlp_cuda_encryptor *enc = nullptr;
  if (hlp_cuda_encryptor_create(f.ctx, f.pk.data(), f.pk.size(), level, 0, &enc) != HLP_OK) {
    std::printf("FAIL encryptor create\n");
    return;
  }
  auto run = [&](const uint64_t *pl, const uint8_t *rb, uint64_t *out, int reps) {
    hlp_cuda_encrypt_public(enc, pl, plain_words, count, rb, rnd_bytes, out, out_words, 0);  // warm-up
    std::vector<double> t;
    for (int r = 0; r < reps; ++r) {
      auto a = std::chrono::steady_clock::now();
      hlp_cuda_encrypt_public(enc, pl, plain_words, count, rb, rnd_bytes, out, out_words, 0);
      t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
    }
    return median(t);
  };
  const double pageable_ms = run(plains.data(), rnd.data(), gpu_out.data(), 10);
  const bool same = gpu_out == cpu_out;
  double pinned_ms = -1;
  void *pin_plain = nullptr, *pin_rnd = nullptr, *pin_out = nullptr;
  if (hlp_cuda_host_alloc(plain_words * 8, &pin_plain) == HLP_OK &&
      hlp_cuda_host_alloc(rnd_bytes, &pin_rnd) == HLP_OK && hlp_cuda_host_alloc(out_words * 8, &pin_out) == HLP_OK) {
    std::memcpy(pin_plain, plains.data(), plain_words * 8);
    std::memcpy(pin_rnd, rnd.data(), rnd_bytes);
    pinned_ms = run(static_cast<u64 *>(pin_plain), static_cast<uint8_t *>(pin_rnd), static_cast<u64 *>(pin_out), 20);
  }
  hlp_cuda_memory_stats ms{};
  hlp_cuda_pool_stats(&ms);
  const double eff_now = ms.bytes_reserved ? 100.0 * ms.bytes_in_use / ms.bytes_reserved : 0;
  const double eff_peak = ms.peak_bytes_reserved ? 100.0 * ms.peak_bytes_in_use / ms.peak_bytes_reserved : 0;
  std::printf("\nGPT-2 prompt: 192 ciphertexts, N=8192, primes {60,40,40,60}, level %u (setup excluded)\n", level);
  std::printf("  cpu (%s, one thread)           %10.2f ms\n", hlp_variant_name(cpu), cpu_ms);
  std::printf("  gpu, pageable host buffers       %10.2f ms  (bit-identical to cpu: %s)\n", pageable_ms,
              same ? "yes" : "NO");
  std::printf("  gpu, pinned host buffers         %10.2f ms  (target <= 10 ms: %s)\n", pinned_ms,
              pinned_ms >= 0 && pinned_ms <= 10 ? "met" : "MISSED");
  std::printf(
      "  device pool: peak in use %.1f MiB / peak reserved %.1f MiB = %.1f %% (target > 80 %%: %s); "
      "now %.1f %% (%llu hits, %llu misses)\n",
      ms.peak_bytes_in_use / 1048576.0, ms.peak_bytes_reserved / 1048576.0, eff_peak, eff_peak > 80 ? "met" : "MISSED",
      eff_now, static_cast<unsigned long long>(ms.hits), static_cast<unsigned long long>(ms.misses));
  if (pin_plain) hlp_cuda_host_free(pin_plain);
  if (pin_rnd) hlp_cuda_host_free(pin_rnd);
  if (pin_out) hlp_cuda_host_free(pin_out);
  hlp_cuda_encryptor_destroy(enc);
  report(same, "cuda bench: GPT-2 prompt ciphertexts bit-identical to CPU");
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

}  // namespace hlp_test
