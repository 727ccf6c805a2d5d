// --bench: the CKKS core's operations at n = 8192, against the encryption target.
#include "tests/ckks/ckks-tests.hpp"

namespace hlp_test {

template <typename F>
double time_us(int reps, F &&f) {
  std::vector<double> t;
  f();  // warm-up
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const auto t1 = std::chrono::steady_clock::now();
    t.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  return median(t);
}

// The key-switching operations at level 3, and the NTT they are mostly made of (a rotation
// takes 20 of them: 3 inverse + 9 forward to decompose, 2 x (1 + 3) to divide by P).
void bench_keyswitch(Ctx &c, const std::vector<u64> &sk, const std::vector<u64> &ct, int reps) {
  const uint32_t n = c.n, L = 3;
  const std::size_t kw = hlp_ckks_kswitch_key_words(c.ctx);
  const std::size_t ur = c.rand_bytes(HLP_CKKS_RANDOMNESS_UNIFORM, c.k + 1);
  const uint32_t hoisted = 8;
  std::vector<std::vector<u64>> keys(hoisted + 1, std::vector<u64>(kw));
  std::vector<uint32_t> elts(hoisted);
  for (uint32_t r = 0; r <= hoisted; ++r) {
    const auto u = random_bytes(c.k * ur);
    const auto e = random_bytes(c.k * n * hlp::ckks::kNoiseBytesPerCoeff);
    if (r < hoisted) hlp_ckks_galois_element(c.ctx, static_cast<int32_t>(r + 1), &elts[r]);
    hlp_ckks_keygen_kswitch(c.ctx, sk.data(), sk.size(), r < hoisted ? elts[r] : 0, u.data(), u.size(), e.data(),
                            e.size(), keys[r].data(), kw, 0);
  }
  std::vector<u64> rot(2 * L * n), ct3(3 * L * n), relin(2 * L * n), mrr(2 * (L - 1) * n);
  std::vector<std::vector<u64>> outs(hoisted, std::vector<u64>(2 * L * n));
  std::vector<const u64 *> key_ptrs;
  std::vector<u64 *> out_ptrs;
  for (uint32_t r = 0; r < hoisted; ++r) {
    key_ptrs.push_back(keys[r].data());
    out_ptrs.push_back(outs[r].data());
  }
  hlp_ckks_multiply(c.ctx, ct.data(), ct.size(), ct.data(), ct.size(), L, ct3.data(), ct3.size(), 0);
  const double t_rot = time_us(reps, [&] {
    hlp_ckks_apply_galois(c.ctx, key_ptrs.data(), kw, elts.data(), 1, ct.data(), ct.size(), L, out_ptrs.data(),
                          ct.size(), 0);
  });
  const double t_hoist = time_us(reps, [&] {
    hlp_ckks_apply_galois(c.ctx, key_ptrs.data(), kw, elts.data(), hoisted, ct.data(), ct.size(), L, out_ptrs.data(),
                          ct.size(), 0);
  });
  std::vector<std::vector<u64>> hkeys(hoisted, std::vector<u64>(kw));
  std::vector<const u64 *> hkey_ptrs;
  for (uint32_t r = 0; r < hoisted; ++r) {
    hlp_ckks_hoisting_key(c.ctx, keys[r].data(), kw, elts[r], hkeys[r].data(), kw);
    hkey_ptrs.push_back(hkeys[r].data());
  }
  const double t_hoist_keys = time_us(reps, [&] {
    hlp_ckks_apply_galois(c.ctx, hkey_ptrs.data(), kw, elts.data(), hoisted, ct.data(), ct.size(), L, out_ptrs.data(),
                          ct.size(), HLP_FLAG_HOISTING_KEYS);
  });
  const double t_relin = time_us(reps, [&] {
    hlp_ckks_relinearize(c.ctx, keys[hoisted].data(), kw, ct3.data(), ct3.size(), L, relin.data(), relin.size(), 0);
  });
  const double t_mrr = time_us(reps, [&] {
    hlp_ckks_multiply_relin_rescale(c.ctx, keys[hoisted].data(), kw, ct.data(), ct.size(), ct.data(), ct.size(), L,
                                    mrr.data(), mrr.size(), 0);
  });
  std::vector<u64> blk(n);
  const double t_intt = time_us(reps, [&] { hlp::ckks::ckks_ops().ntt_inverse(blk.data(), c.tables[0]); });
  std::printf("  %-46s %9.1f\n", "rotate (apply_galois, one)", t_rot);
  std::printf("  %-46s %9.1f (%.1f per rotation)\n", "8 hoisted rotations", t_hoist, t_hoist / hoisted);
  std::printf("  %-46s %9.1f (%.1f per rotation)\n", "8 hoisted rotations, hoisting keys", t_hoist_keys,
              t_hoist_keys / hoisted);
  std::printf("  %-46s %9.1f\n", "relinearize", t_relin);
  std::printf("  %-46s %9.1f\n", "multiply + relinearize + rescale", t_mrr);
  std::printf("  %-46s %9.1f\n", "one inverse NTT, 60-bit prime", t_intt);
}

void bench() {
  const uint32_t n = 8192;
  Ctx c(n, seal_moduli(n, {60, 40, 40, 60}));
  const uint32_t L = 3;
  const double scale = std::ldexp(1.0, 40);
  const auto sk = c.secret_key();
  const auto pk = c.public_key(sk);
  const auto v = random_values(n / 2);
  const std::size_t per = c.rand_bytes(HLP_CKKS_RANDOMNESS_ENCRYPT_PUBLIC);
  const auto rand = random_bytes(per);
  const auto ur = random_bytes(c.rand_bytes(HLP_CKKS_RANDOMNESS_UNIFORM, L));
  const auto nr = random_bytes(c.rand_bytes(HLP_CKKS_RANDOMNESS_NOISE));
  std::vector<u64> plain(L * n), ct(2 * L * n), dec(L * n);
  std::vector<double> out(n / 2);
  const int reps = g_quick ? 50 : 300;
  std::printf("\nbenchmark: n=8192, moduli {60,40,40,60} bits, level 3, scale 2^40, one thread, kernels %s\n",
              hlp::ckks::ckks_ops().name);
  std::printf("  (median microseconds per call; 'checked' = HLP_FLAG_CHECK_INPUT on)\n");
  const double t_encode =
      time_us(reps, [&] { hlp_ckks_encode(c.ctx, v.data(), v.size(), scale, L, plain.data(), plain.size()); });
  const double t_enc = time_us(reps, [&] {
    hlp_ckks_encrypt_public(c.ctx, pk.data(), pk.size(), plain.data(), plain.size(), 1, L, rand.data(), rand.size(),
                            ct.data(), ct.size(), 0);
  });
  const double t_enc_checked = time_us(reps, [&] {
    hlp_ckks_encrypt_public(c.ctx, pk.data(), pk.size(), plain.data(), plain.size(), 1, L, rand.data(), rand.size(),
                            ct.data(), ct.size(), HLP_FLAG_CHECK_INPUT);
  });
  const double t_both = time_us(reps, [&] {
    hlp_ckks_encode(c.ctx, v.data(), v.size(), scale, L, plain.data(), plain.size());
    hlp_ckks_encrypt_public(c.ctx, pk.data(), pk.size(), plain.data(), plain.size(), 1, L, rand.data(), rand.size(),
                            ct.data(), ct.size(), HLP_FLAG_CHECK_INPUT);
  });
  const double t_fused = time_us(reps, [&] {
    hlp_ckks_encode_encrypt_public(c.ctx, pk.data(), pk.size(), v.data(), v.size(), 1, scale, L, rand.data(),
                                   rand.size(), ct.data(), ct.size(), HLP_FLAG_CHECK_INPUT);
  });
  const double t_sym = time_us(reps, [&] {
    hlp_ckks_encrypt_symmetric(c.ctx, sk.data(), sk.size(), plain.data(), plain.size(), 1, L, ur.data(), ur.size(),
                               nr.data(), nr.size(), ct.data(), ct.size(), 0);
  });
  const double t_dec = time_us(reps, [&] {
    hlp_ckks_decrypt(c.ctx, sk.data(), sk.size(), ct.data(), ct.size(), 2, L, dec.data(), dec.size(), 0);
  });
  const double t_decode =
      time_us(reps, [&] { hlp_ckks_decode(c.ctx, dec.data(), dec.size(), L, scale, out.data(), out.size(), 0); });
  std::vector<u64> dec1(n);
  const double t_decode1 =
      time_us(reps, [&] { hlp_ckks_decode(c.ctx, dec.data(), n, 1, scale, out.data(), out.size(), 0); });
  std::vector<uint8_t> tb(n * 8);
  std::vector<int8_t> e(n);
  const double t_noise = time_us(reps, [&] { hlp_ckks_sample_noise(rand.data(), n * 8, e.data(), n); });
  const double t_tern = time_us(reps, [&] { hlp_ckks_sample_ternary(rand.data(), n * 8, e.data(), n); });
  std::vector<u64> blk(c.tables[0].n);
  const double t_ntt60 = time_us(reps, [&] { hlp::ckks::ckks_ops().ntt_forward(blk.data(), c.tables[0]); });
  const double t_ntt40 = time_us(reps, [&] { hlp::ckks::ckks_ops().ntt_forward(blk.data(), c.tables[1]); });
  std::printf("  %-46s %9.1f\n", "encode", t_encode);
  std::printf("  %-46s %9.1f\n", "encrypt public (plaintext given)", t_enc);
  std::printf("  %-46s %9.1f\n", "encrypt public, checked", t_enc_checked);
  std::printf("  %-46s %9.1f\n", "encode + encrypt public (two calls, checked)", t_both);
  std::printf("  %-46s %9.1f\n", "encode_encrypt_public (fused, checked)", t_fused);
  std::printf("  %-46s %9.1f\n", "encrypt symmetric", t_sym);
  std::printf("  %-46s %9.1f\n", "decrypt", t_dec);
  std::printf("  %-46s %9.1f\n", "decode (level 3)", t_decode);
  std::printf("  %-46s %9.1f\n", "decode (level 1)", t_decode1);
  std::printf("  %-46s %9.1f\n", "sample noise (n coefficients)", t_noise);
  std::printf("  %-46s %9.1f\n", "sample ternary (n coefficients)", t_tern);
  std::printf("  %-46s %9.1f / %.1f\n", "one forward NTT, 60-bit / 40-bit prime", t_ntt60, t_ntt40);

  const uint32_t batch = 192;
  std::vector<double> values(static_cast<std::size_t>(batch) * (n / 2));
  for (auto &x : values) x = std::uniform_real_distribution<double>(-1, 1)(rng());
  const auto brand = random_bytes(batch * per);
  std::vector<u64> plains(static_cast<std::size_t>(batch) * L * n), cts(static_cast<std::size_t>(batch) * 2 * L * n);
  const int breps = g_quick ? 3 : 9;
  const double t_batch = time_us(breps, [&] {
    for (uint32_t i = 0; i < batch; ++i) {
      hlp_ckks_encode(c.ctx, values.data() + i * (n / 2), n / 2, scale, L, plains.data() + i * L * n, L * n);
    }
    hlp_ckks_encrypt_public(c.ctx, pk.data(), pk.size(), plains.data(), plains.size(), batch, L, brand.data(),
                            brand.size(), cts.data(), cts.size(), HLP_FLAG_CHECK_INPUT);
  });
  const double t_batch_fused = time_us(breps, [&] {
    hlp_ckks_encode_encrypt_public(c.ctx, pk.data(), pk.size(), values.data(), n / 2, batch, scale, L, brand.data(),
                                   brand.size(), cts.data(), cts.size(), HLP_FLAG_CHECK_INPUT);
  });
  std::printf("  %-46s %9.2f ms (%.1f us each)\n", "192 x (encode + encrypt public), batched call", t_batch / 1e3,
              t_batch / batch);
  std::printf("  %-46s %9.2f ms (%.1f us each)\n", "192 x encode_encrypt_public, one call", t_batch_fused / 1e3,
              t_batch_fused / batch);
  std::printf("  target: encode + encrypt public <= 600 us median: %s (%.1f us)\n", t_both <= 600 ? "met" : "MISSED",
              t_both);
  bench_keyswitch(c, sk, ct, reps);
}

}  // namespace hlp_test
