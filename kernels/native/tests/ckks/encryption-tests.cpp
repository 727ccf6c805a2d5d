// Encryption (public and secret key) against SEAL's algorithms, and its argument errors.
#include "tests/ckks/ckks-tests.hpp"

namespace hlp_test {

void test_encryption() {
  if (!selected("encrypt")) return;
  struct Case {
    uint32_t n;
    std::vector<int> bits;
  };
  std::vector<Case> cases = {{1024, {50, 40, 50}}, {8192, {60, 40, 40, 60}}};
  if (!g_quick) cases.push_back({4096, {36, 36, 36, 36, 36, 37}});
  for (const auto &cs : cases) {
    Ctx c(cs.n, seal_moduli(cs.n, cs.bits));
    const uint32_t n = cs.n, k = c.k;
    const std::string tag = " n=" + std::to_string(n) + " k=" + std::to_string(k);
    const auto sk = c.secret_key();
    const auto pk = c.public_key(sk);
    report(c.ctx != nullptr && !sk.empty() && !pk.empty(), "keygen: secret and public key" + tag);
    if (sk.empty() || pk.empty()) continue;
    // pk0 + pk1 s = -e: small after INTT.
    {
      bool small = true;
      for (uint32_t i = 0; i <= k; ++i) {
        const u64 q = c.moduli[i];
        std::vector<u64> t(n);
        for (uint32_t x = 0; x < n; ++x) {
          t[x] = static_cast<u64>((static_cast<u128>(pk[(k + 1) * n + i * n + x]) * sk[i * n + x] + pk[i * n + x]) % q);
        }
        hlp::scalar_ops().ntt_inverse(t.data(), c.tables[i]);
        for (u64 v : t) small &= v <= 19 || v >= q - 19;
      }
      report(small, "keygen: pk0 + pk1 s = -e with |e| <= 19 at every key-level prime" + tag);
    }
    // 2^40 where level 1 has room for it; the noise bound scales with 1 / scale.
    const int q0_bits = 64 - __builtin_clzll(c.moduli[0]);
    const double scale = std::ldexp(1.0, std::min(40, q0_bits - 10));
    const double tol = 1e-6 * std::ldexp(1.0, 40) / scale;
    for (uint32_t level = 1; level <= k; ++level) {
      const auto v = random_values(n / 2);
      const auto plain = c.encode(v, scale, level);
      const auto rand = random_bytes(c.rand_bytes(HLP_CKKS_RANDOMNESS_ENCRYPT_PUBLIC));
      std::vector<u64> ct(2 * level * n);
      bool ok = hlp_ckks_encrypt_public(c.ctx, pk.data(), pk.size(), plain.data(), plain.size(), 1, level, rand.data(),
                                        rand.size(), ct.data(), ct.size(), HLP_FLAG_CHECK_INPUT) == HLP_OK;
      const auto ref = seal_reference_encrypt(c, pk, plain, level, rand.data());
      report(ok && ct == ref,
             "encrypt public: bit-exact with SEAL's algorithm" + tag + " level=" + std::to_string(level));
      const auto dec = c.decode(c.decrypt(sk, ct, 2, level), scale, level, n / 2);
      const double err = max_error(dec, v);
      report(err <= tol, "encrypt public -> decrypt -> decode" + tag + " level=" + std::to_string(level),
             "max err " + fmt(err));
      // Fused encode + encrypt gives the same ciphertext from the same randomness.
      std::vector<u64> fused(ct.size());
      ok = hlp_ckks_encode_encrypt_public(c.ctx, pk.data(), pk.size(), v.data(), v.size(), 1, scale, level, rand.data(),
                                          rand.size(), fused.data(), fused.size(), 0) == HLP_OK;
      report(ok && fused == ct,
             "encode_encrypt_public equals encode + encrypt_public" + tag + " level=" + std::to_string(level));
      // Symmetric.
      const std::size_t ub = c.rand_bytes(HLP_CKKS_RANDOMNESS_UNIFORM, level);
      const auto ur = random_bytes(ub);
      const auto nr = random_bytes(c.rand_bytes(HLP_CKKS_RANDOMNESS_NOISE));
      std::vector<u64> sct(2 * level * n);
      ok = hlp_ckks_encrypt_symmetric(c.ctx, sk.data(), sk.size(), plain.data(), plain.size(), 1, level, ur.data(),
                                      ur.size(), nr.data(), nr.size(), sct.data(), sct.size(),
                                      HLP_FLAG_CHECK_INPUT) == HLP_OK;
      std::vector<u64> a(level * n);
      hlp::ckks::sample_uniform(c.ctx, level, ur.data(), ur.size(), a.data());
      report(ok && sct == seal_reference_symmetric(c, sk, a, nr.data(), plain, level),
             "encrypt symmetric: bit-exact with SEAL's algorithm" + tag + " level=" + std::to_string(level));
      const double serr = max_error(c.decode(c.decrypt(sk, sct, 2, level), scale, level, n / 2), v);
      report(serr <= tol, "encrypt symmetric -> decrypt -> decode" + tag + " level=" + std::to_string(level),
             "max err " + fmt(serr));
    }
    // Batch: equals one-by-one.
    {
      const uint32_t count = 3, level = k;
      std::vector<u64> plains;
      for (uint32_t i = 0; i < count; ++i) {
        const auto p = c.encode(random_values(n / 2), scale, level);
        plains.insert(plains.end(), p.begin(), p.end());
      }
      const std::size_t per = c.rand_bytes(HLP_CKKS_RANDOMNESS_ENCRYPT_PUBLIC);
      const auto rand = random_bytes(count * per);
      std::vector<u64> batch(count * 2 * level * n);
      bool ok = hlp_ckks_encrypt_public(c.ctx, pk.data(), pk.size(), plains.data(), plains.size(), count, level,
                                        rand.data(), rand.size(), batch.data(), batch.size(), 0) == HLP_OK;
      for (uint32_t i = 0; i < count && ok; ++i) {
        std::vector<u64> one(2 * level * n);
        ok &= hlp_ckks_encrypt_public(c.ctx, pk.data(), pk.size(), plains.data() + i * level * n, level * n, 1, level,
                                      rand.data() + i * per, per, one.data(), one.size(), 0) == HLP_OK;
        ok &= std::equal(one.begin(), one.end(), batch.begin() + i * 2 * level * n);
      }
      report(ok, "encrypt public: batch of 3 equals three single calls" + tag);
      // Two threads on one context: same results as sequential.
      std::vector<u64> t1(batch.size()), t2(batch.size());
      std::thread a([&] {
        for (int r = 0; r < 4; ++r) {
          hlp_ckks_encrypt_public(c.ctx, pk.data(), pk.size(), plains.data(), plains.size(), count, level, rand.data(),
                                  rand.size(), t1.data(), t1.size(), 0);
        }
      });
      std::thread b([&] {
        for (int r = 0; r < 4; ++r) {
          hlp_ckks_encrypt_public(c.ctx, pk.data(), pk.size(), plains.data(), plains.size(), count, level, rand.data(),
                                  rand.size(), t2.data(), t2.size(), 0);
        }
      });
      a.join();
      b.join();
      report(t1 == batch && t2 == batch, "encrypt public: concurrent calls on one context agree" + tag);
      // Encryptions of zero (plains NULL).
      std::vector<u64> z(2 * level * n);
      ok = hlp_ckks_encrypt_public(c.ctx, pk.data(), pk.size(), nullptr, 0, 1, level, rand.data(), per, z.data(),
                                   z.size(), 0) == HLP_OK;
      const double zerr = max_error(c.decode(c.decrypt(sk, z, 2, level), scale, level, 8), std::vector<double>(8, 0));
      report(ok && zerr < tol, "encrypt public: NULL plains encrypt zeros" + tag);
      // Batch decrypt + decode: the same doubles as decrypt then decode, one at a time.
      const std::size_t vals = n / 4;
      std::vector<double> dd(count * vals);
      ok = hlp_ckks_decrypt_decode(c.ctx, sk.data(), sk.size(), batch.data(), batch.size(), count, 2, level, scale,
                                   dd.data(), dd.size(), vals, HLP_FLAG_CHECK_INPUT) == HLP_OK;
      for (uint32_t i = 0; i < count && ok; ++i) {
        const std::vector<u64> one(batch.begin() + i * 2 * level * n, batch.begin() + (i + 1) * 2 * level * n);
        const auto ref = c.decode(c.decrypt(sk, one, 2, level), scale, level, vals);
        ok &= std::equal(ref.begin(), ref.end(), dd.begin() + i * vals);
      }
      report(ok, "decrypt_decode: batch of 3 equals decrypt + decode one by one" + tag);
      report(hlp_ckks_decrypt_decode(c.ctx, sk.data(), sk.size(), batch.data(), batch.size() - 1, count, 2, level,
                                     scale, dd.data(), dd.size(), vals, 0) == HLP_E_LENGTH_MISMATCH &&
                 hlp_ckks_decrypt_decode(c.ctx, sk.data(), sk.size(), batch.data(), batch.size(), count, 2, level,
                                         scale, dd.data(), dd.size() + 1, vals, 0) == HLP_E_LENGTH_MISMATCH &&
                 hlp_ckks_decrypt_decode(c.ctx, sk.data(), sk.size(), batch.data(), batch.size(), count, 4, level,
                                         scale, dd.data(), dd.size(), vals, 0) == HLP_E_INVALID_ARGUMENT,
             "decrypt_decode: wrong lengths and sizes are refused" + tag);
    }
  }
}

void test_encryption_errors() {
  if (!selected("encrypt")) return;
  const uint32_t n = 1024;
  Ctx c(n, seal_moduli(n, {50, 40, 50}));
  const auto sk = c.secret_key();
  const auto pk = c.public_key(sk);
  const auto plain = c.encode({0.5}, std::ldexp(1.0, 30), 2);
  const std::size_t per = c.rand_bytes(HLP_CKKS_RANDOMNESS_ENCRYPT_PUBLIC);
  const auto rand = random_bytes(2 * per);
  std::vector<u64> ct(2 * 2 * n);
  auto enc = [&](const std::vector<u64> &key, std::size_t key_words, const u64 *p, std::size_t pw, uint32_t count,
                 uint32_t level, std::size_t rb, std::size_t ow, uint32_t flags) {
    return hlp_ckks_encrypt_public(c.ctx, key.data(), key_words, p, pw, count, level, rand.data(), rb, ct.data(), ow,
                                   flags);
  };
  report(enc(pk, pk.size(), plain.data(), plain.size(), 1, 2, per - 1, ct.size(), 0) == HLP_E_RANDOMNESS_EXHAUSTED,
         "encrypt errors: too few random bytes");
  report(enc(pk, pk.size() - 1, plain.data(), plain.size(), 1, 2, per, ct.size(), 0) == HLP_E_LENGTH_MISMATCH &&
             enc(pk, pk.size(), plain.data(), plain.size() - 1, 1, 2, per, ct.size(), 0) == HLP_E_LENGTH_MISMATCH &&
             enc(pk, pk.size(), plain.data(), plain.size(), 1, 2, per, ct.size() + 1, 0) == HLP_E_LENGTH_MISMATCH &&
             enc(pk, pk.size(), plain.data(), plain.size(), 2, 2, 2 * per, ct.size(), 0) == HLP_E_LENGTH_MISMATCH,
         "encrypt errors: wrong key, plaintext, output lengths and counts");
  report(enc(pk, pk.size(), plain.data(), plain.size(), 1, 3, per, 3 * 2 * n, 0) == HLP_E_INVALID_ARGUMENT &&
             enc(pk, pk.size(), plain.data(), plain.size(), 1, 0, per, 0, 0) == HLP_E_INVALID_ARGUMENT &&
             enc(pk, pk.size(), plain.data(), plain.size(), 0, 2, per, 0, 0) == HLP_E_INVALID_ARGUMENT,
         "encrypt errors: level out of range, zero count");
  auto bad_pk = pk;
  bad_pk[5] = c.moduli[0] + 1;
  report(enc(bad_pk, bad_pk.size(), plain.data(), plain.size(), 1, 2, per, ct.size(), HLP_FLAG_CHECK_INPUT) ==
             HLP_E_VALUE_OUT_OF_RANGE,
         "encrypt errors: key residue >= q rejected with HLP_FLAG_CHECK_INPUT");
  report(hlp_ckks_encrypt_public(c.ctx, pk.data(), pk.size(), plain.data(), plain.size(), 1, 2, rand.data(), per,
                                 const_cast<u64 *>(pk.data()), ct.size(), 0) == HLP_E_INVALID_ARGUMENT,
         "encrypt errors: output overlapping the key rejected");
  const std::size_t ub = c.rand_bytes(HLP_CKKS_RANDOMNESS_UNIFORM, 2);
  const auto ur = random_bytes(ub);
  // Uniform randomness that is long enough by length but rejects everything: all ones
  // masked to the bit length is 2^b - 1 >= q.
  std::vector<uint8_t> ones(ub, 0xFF);
  report(hlp_ckks_encrypt_symmetric(c.ctx, sk.data(), sk.size(), plain.data(), plain.size(), 1, 2, ones.data(),
                                    ones.size(), rand.data(), per, ct.data(), ct.size(),
                                    0) == HLP_E_RANDOMNESS_EXHAUSTED &&
             hlp_ckks_encrypt_symmetric(c.ctx, sk.data(), sk.size(), plain.data(), plain.size(), 1, 2, ur.data(),
                                        ur.size() - 1, rand.data(), per, ct.data(), ct.size(),
                                        0) == HLP_E_RANDOMNESS_EXHAUSTED &&
             hlp_ckks_encrypt_symmetric(c.ctx, sk.data(), sk.size(), plain.data(), plain.size(), 1, 2, ur.data(),
                                        ur.size(), rand.data(), 8 * n - 1, ct.data(), ct.size(),
                                        0) == HLP_E_RANDOMNESS_EXHAUSTED,
         "encrypt errors: uniform rejection running dry and short noise bytes report RANDOMNESS_EXHAUSTED");
  std::vector<double> huge{1e30};
  report(hlp_ckks_encode_encrypt_public(c.ctx, pk.data(), pk.size(), huge.data(), 1, 1, std::ldexp(1.0, 30), 2,
                                        rand.data(), per, ct.data(), ct.size(), 0) == HLP_E_SCALE_OUT_OF_BOUNDS,
         "encrypt errors: fused encode reports SCALE_OUT_OF_BOUNDS");
  std::vector<u64> p2(2 * n);
  report(hlp_ckks_decrypt(c.ctx, sk.data(), sk.size(), ct.data(), ct.size(), 2, 1, p2.data(), p2.size(), 0) ==
                 HLP_E_LENGTH_MISMATCH &&
             hlp_ckks_decrypt(c.ctx, sk.data(), sk.size() - n, ct.data(), ct.size(), 2, 2, p2.data(), p2.size(), 0) ==
                 HLP_E_LENGTH_MISMATCH &&
             hlp_ckks_decrypt(c.ctx, sk.data(), sk.size(), ct.data(), ct.size(), 4, 2, p2.data(), p2.size(), 0) ==
                 HLP_E_INVALID_ARGUMENT,
         "decrypt errors: wrong lengths and sizes");
  const u64 bad_moduli[] = {c.moduli[0], c.moduli[0]};
  hlp_ckks_context *x = nullptr;
  const u64 one_modulus[] = {c.moduli[0]};
  report(hlp_ckks_create(n, bad_moduli, 2, &x) == HLP_E_INVALID_ARGUMENT &&
             hlp_ckks_create(n, one_modulus, 1, &x) == HLP_E_INVALID_ARGUMENT &&
             hlp_ckks_create(1000, c.moduli.data(), 3, &x) == HLP_E_NOT_POWER_OF_TWO &&
             hlp_ckks_create(2048, c.moduli.data(), 3, &x) == HLP_E_MODULUS_NOT_NTT_FRIENDLY,
         "context errors: repeated primes, no special prime, bad n, primes not 1 mod 2n");
}

}  // namespace hlp_test
