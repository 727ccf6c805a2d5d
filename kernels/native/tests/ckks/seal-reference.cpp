// SEAL's encryption and rescale, transcribed straightforwardly from SEAL's sources.
#include "tests/ckks/ckks-tests.hpp"

namespace hlp_test {

u64 to_mod(i64 v, u64 q) { return v < 0 ? (q - (static_cast<u64>(-v) % q)) % q : static_cast<u64>(v) % q; }

// SEAL: encrypt_zero_asymmetric at primes 0..level, then divide_and_round_q_last_ntt_inplace,
// then add the plaintext — all straightforwardly, from the same samples.
std::vector<u64> seal_reference_encrypt(const Ctx &c, const std::vector<u64> &pk, const std::vector<u64> &plain,
                                        uint32_t level, const uint8_t *rand) {
  const uint32_t n = c.n, primes = level + 1;
  std::vector<uint8_t> t(n);
  std::vector<i64> e[2] = {std::vector<i64>(n), std::vector<i64>(n)};
  hlp::ckks::sample_ternary_raw(rand, n, t.data());
  hlp::ckks::sample_noise(rand + 8 * n, n, e[0].data());
  hlp::ckks::sample_noise(rand + 16 * n, n, e[1].data());
  const auto &ops = hlp::scalar_ops();
  std::vector<u64> ct(2 * level * n);
  for (int j = 0; j < 2; ++j) {
    std::vector<u64> cj(primes * n);
    for (uint32_t i = 0; i < primes; ++i) {
      const u64 q = c.moduli[i];
      std::vector<u64> u(n), en(n);
      for (uint32_t x = 0; x < n; ++x) {
        u[x] = to_mod(static_cast<i64>(t[x]) - 1, q);
        en[x] = to_mod(e[j][x], q);
      }
      ops.ntt_forward(u.data(), c.tables[i]);
      ops.ntt_forward(en.data(), c.tables[i]);
      const u64 *pkb = pk.data() + (j * (c.k + 1) + i) * n;
      for (uint32_t x = 0; x < n; ++x) {
        cj[i * n + x] = static_cast<u64>((static_cast<u128>(pkb[x]) * u[x] + en[x]) % q);
      }
    }
    // divide_and_round_q_last_ntt_inplace
    const u64 ql = c.moduli[level];
    std::vector<u64> last(cj.begin() + level * n, cj.begin() + primes * n);
    ops.ntt_inverse(last.data(), c.tables[level]);
    const u64 half = ql >> 1;
    for (auto &x : last) x = (x + half) % ql;
    for (uint32_t i = 0; i < level; ++i) {
      const u64 q = c.moduli[i];
      std::vector<u64> temp(n);
      const u64 neg_half_mod = q - (half % q);
      for (uint32_t x = 0; x < n; ++x) temp[x] = (last[x] % q + neg_half_mod) % q;
      ops.ntt_forward(temp.data(), c.tables[i]);
      const u64 inv = hlp::inv_mod_prime(ql % q, hlp::Modulus(q));
      for (uint32_t x = 0; x < n; ++x) {
        const u64 diff = (cj[i * n + x] + q - temp[x]) % q;
        u64 v = static_cast<u64>(static_cast<u128>(diff) * inv % q);
        if (j == 0 && !plain.empty()) v = (v + plain[i * n + x]) % q;
        ct[(j * level + i) * n + x] = v;
      }
    }
  }
  return ct;
}

// SEAL: encrypt_zero_symmetric in NTT form: c1 = a, c0 = -(a s + NTT(e)), plus the plaintext.
std::vector<u64> seal_reference_symmetric(const Ctx &c, const std::vector<u64> &sk, const std::vector<u64> &a,
                                          const uint8_t *noise, const std::vector<u64> &plain, uint32_t level) {
  const uint32_t n = c.n;
  std::vector<i64> e(n);
  hlp::ckks::sample_noise(noise, n, e.data());
  std::vector<u64> ct(2 * level * n);
  for (uint32_t i = 0; i < level; ++i) {
    const u64 q = c.moduli[i];
    std::vector<u64> en(n);
    for (uint32_t x = 0; x < n; ++x) en[x] = to_mod(e[x], q);
    hlp::scalar_ops().ntt_forward(en.data(), c.tables[i]);
    for (uint32_t x = 0; x < n; ++x) {
      const u64 as = static_cast<u64>(static_cast<u128>(a[i * n + x]) * sk[i * n + x] % q);
      u64 v = (q - (as + en[x]) % q) % q;
      if (!plain.empty()) v = (v + plain[i * n + x]) % q;
      ct[i * n + x] = v;
      ct[(level + i) * n + x] = a[i * n + x];
    }
  }
  return ct;
}

// SEAL: rescale_to_next = divide_and_round_q_last_ntt_inplace on each component.
std::vector<u64> seal_reference_rescale(const Ctx &c, const std::vector<u64> &ct, uint32_t size, uint32_t level) {
  const uint32_t n = c.n, last = level - 1;
  std::vector<u64> out(size * last * n);
  const u64 ql = c.moduli[last], half = ql >> 1;
  for (uint32_t j = 0; j < size; ++j) {
    std::vector<u64> l(ct.begin() + (j * level + last) * n, ct.begin() + (j * level + level) * n);
    hlp::scalar_ops().ntt_inverse(l.data(), c.tables[last]);
    for (auto &x : l) x = (x + half) % ql;
    for (uint32_t i = 0; i < last; ++i) {
      const u64 q = c.moduli[i];
      std::vector<u64> temp(n);
      for (uint32_t x = 0; x < n; ++x) temp[x] = (l[x] % q + q - half % q) % q;
      hlp::scalar_ops().ntt_forward(temp.data(), c.tables[i]);
      const u64 inv = hlp::inv_mod_prime(ql % q, hlp::Modulus(q));
      for (uint32_t x = 0; x < n; ++x) {
        const u64 diff = (ct[(j * level + i) * n + x] + q - temp[x]) % q;
        out[(j * last + i) * n + x] = static_cast<u64>(static_cast<u128>(diff) * inv % q);
      }
    }
  }
  return out;
}

}  // namespace hlp_test
