// The cuda variant on a device, against the CPU (skipped without one).
#include "tests/kernels/kernel-tests.hpp"

namespace hlp_test {

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

void test_cuda_device() {
  if (!selected("cuda")) return;
  if (!hlp_variant_available(HLP_VARIANT_CUDA)) {
    skip("cuda: rns ntt / eltwise / encryption agree with the CPU",
         std::string("no usable cuda: ") + hlp_cuda_unavailable_reason());
    return;
  }
  // RNS batch through the C ABI: [poly][prime][n] with per-prime tables, vs scalar.
  for (uint32_t n : {8u, 1024u, 4096u, 8192u, 16384u}) {
    std::vector<u64> q;
    for (int bits : {60, 40, 50, 30}) q.push_back(hlp::generate_ntt_primes(bits, n, 1).at(0));
    hlp_ntt_context *ctx = nullptr;
    if (hlp_ntt_create(n, q.data(), 4, &ctx) != HLP_OK) {
      report(false, "cuda: context n=" + std::to_string(n));
      continue;
    }
    for (uint32_t first : {0u, 1u}) {
      const uint32_t count = 4 - first;
      const std::size_t polys = 5;
      std::vector<u64> data(polys * count * n), b(data.size());
      for (std::size_t p = 0; p < polys; ++p)
        for (uint32_t j = 0; j < count; ++j) {
          auto x = random_poly(n, q[first + j]), y = random_poly(n, q[first + j]);
          std::copy(x.begin(), x.end(), data.begin() + (p * count + j) * n);
          std::copy(y.begin(), y.end(), b.begin() + (p * count + j) * n);
        }
      auto expect = data, got = data;
      bool ok = hlp_ntt_forward(ctx, expect.data(), expect.size(), first, count, HLP_VARIANT_SCALAR, 0) == HLP_OK;
      ok &= hlp_ntt_forward(ctx, got.data(), got.size(), first, count, HLP_VARIANT_CUDA, 0) == HLP_OK && got == expect;
      ok &= hlp_ntt_inverse(ctx, got.data(), got.size(), first, count, HLP_VARIANT_CUDA, 0) == HLP_OK && got == data;
      report(ok, "cuda: rns batched ntt fwd+inv = scalar n=" + std::to_string(n) + " primes=" + std::to_string(count));
      using Fn = hlp_status (*)(const hlp_ntt_context *, uint64_t *, const uint64_t *, const uint64_t *, size_t,
                                uint32_t, uint32_t, hlp_variant, uint32_t);
      const Fn fns[3] = {hlp_eltwise_add_mod, hlp_eltwise_sub_mod, hlp_eltwise_mul_mod};
      const char *names[3] = {"add", "sub", "mul"};
      for (int op = 0; op < 3; ++op) {
        std::vector<u64> e(data.size()), g(data.size());
        bool eok =
            fns[op](ctx, e.data(), data.data(), b.data(), e.size(), first, count, HLP_VARIANT_SCALAR, 0) == HLP_OK;
        eok &= fns[op](ctx, g.data(), data.data(), b.data(), g.size(), first, count, HLP_VARIANT_CUDA, 0) == HLP_OK;
        // aliasing r == a
        auto alias = data;
        eok &= fns[op](ctx, alias.data(), alias.data(), b.data(), alias.size(), first, count, HLP_VARIANT_CUDA, 0) ==
               HLP_OK;
        report(eok && g == e && alias == e, std::string("cuda: eltwise ") + names[op] + " = scalar n=" +
                                                std::to_string(n) + " primes=" + std::to_string(count));
      }
    }
    hlp_ntt_destroy(ctx);
  }
  // CKKS public-key encryption on the device vs hlp_ckks_encrypt_public, same bytes.
  for (uint32_t n : {1024u, 8192u}) {
    CkksFixture f;
    if (!f.init(n, {60, 40, 40, 60})) {
      report(false, "cuda: ckks fixture n=" + std::to_string(n));
      continue;
    }
    for (uint32_t level = 1; level <= f.k; ++level) {
      const uint32_t count = 13;
      std::size_t per = 0;
      hlp_ckks_randomness_bytes(f.ctx, HLP_CKKS_RANDOMNESS_ENCRYPT_PUBLIC, 0, &per);
      auto rnd = f.bytes(per * count);
      auto plains = f.plains(count, level);
      const std::size_t out_words = static_cast<std::size_t>(count) * 2 * level * n;
      for (bool with_plain : {true, false}) {
        std::vector<u64> cpu(out_words), gpu(out_words, 0xDEADBEEFULL);
        const uint64_t *pl = with_plain ? plains.data() : nullptr;
        const std::size_t pw = with_plain ? plains.size() : 0;
        bool ok = hlp_ckks_encrypt_public(f.ctx, f.pk.data(), f.pk.size(), pl, pw, count, level, rnd.data(), rnd.size(),
                                          cpu.data(), cpu.size(), 0) == HLP_OK;
        hlp_cuda_encryptor *enc = nullptr;
        ok &= hlp_cuda_encryptor_create(f.ctx, f.pk.data(), f.pk.size(), level, HLP_FLAG_CHECK_INPUT, &enc) == HLP_OK;
        ok &= enc &&
              hlp_cuda_encrypt_public(enc, pl, pw, count, rnd.data(), rnd.size(), gpu.data(), gpu.size(), 0) == HLP_OK;
        hlp_cuda_encryptor_destroy(enc);
        std::size_t first_bad = 0;
        while (first_bad < out_words && cpu[first_bad] == gpu[first_bad]) ++first_bad;
        report(ok && first_bad == out_words,
               "cuda: ckks encrypt_public bit-identical to CPU n=" + std::to_string(n) +
                   " level=" + std::to_string(level) + (with_plain ? " +plain" : " zero"),
               "first mismatch at word " + std::to_string(first_bad));
      }
    }
  }
  hlp_cuda_memory_stats ms{};
  report(hlp_cuda_pool_stats(&ms) == HLP_OK && ms.hits > 0 && ms.bytes_reserved >= ms.bytes_in_use,
         "cuda: device pool reuses blocks (hits " + std::to_string(ms.hits) + ", misses " + std::to_string(ms.misses) +
             ")");
}

}  // namespace hlp_test
