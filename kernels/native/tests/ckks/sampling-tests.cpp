// Sampling from caller-supplied randomness.
#include "tests/ckks/ckks-tests.hpp"

namespace hlp_test {

void test_sampling() {
  if (!selected("sampling")) return;
  std::size_t count = 0;
  const u64 *cdt = hlp::ckks::noise_cdt(&count);
  bool mono = count == 19;
  for (std::size_t i = 1; i < count; ++i) mono &= cdt[i] >= cdt[i - 1];
  mono &= cdt[count - 1] < (u64{1} << 63);  // P(|e| = 19) > 0 at 63-bit precision
  report(mono, "sampling: noise CDT has 19 increasing 63-bit entries");

  // Expected variance from the table itself.
  double expected_var = 0, p_zero = static_cast<double>(cdt[0]) / std::ldexp(1.0, 63);
  for (std::size_t k = 1; k <= count; ++k) {
    const double lo = static_cast<double>(cdt[k - 1]);
    const double hi = k < count ? static_cast<double>(cdt[k]) : std::ldexp(1.0, 63);
    expected_var += static_cast<double>(k * k) * (hi - lo) / std::ldexp(1.0, 63);
  }
  const double ideal_var = 3.2 * 3.2 + 1.0 / 12.0;  // rounding adds about 1/12
  report(std::fabs(expected_var - ideal_var) < 0.01, "sampling: table variance = 3.2^2 + 1/12",
         fmt(expected_var) + " vs " + fmt(ideal_var));

  const std::size_t samples = g_quick ? 400000 : 2000000;
  const auto bytes = random_bytes(samples * 8);
  std::vector<int8_t> e(samples);
  bool ok = hlp_ckks_sample_noise(bytes.data(), bytes.size(), e.data(), samples) == HLP_OK;
  double sum = 0, sq = 0;
  int maxabs = 0;
  std::size_t zeros = 0;
  for (int8_t x : e) {
    sum += x;
    sq += static_cast<double>(x) * x;
    maxabs = std::max(maxabs, std::abs(static_cast<int>(x)));
    zeros += x == 0;
  }
  const double mean = sum / samples, var = sq / samples - mean * mean;
  ok &= std::fabs(mean) < 0.03 && std::fabs(var - expected_var) < 0.15 && maxabs <= 19;
  const double pz = static_cast<double>(zeros) / samples;
  ok &= std::fabs(pz - p_zero) < 0.004;
  report(ok, "sampling: noise mean 0, variance 3.2^2, |e| <= 19, P(0) right",
         "mean " + fmt(mean) + " var " + fmt(var) + " max " + std::to_string(maxabs) + " P(0) " + fmt(pz) + " vs " +
             fmt(p_zero));

  std::vector<int8_t> t(samples);
  ok = hlp_ckks_sample_ternary(bytes.data(), bytes.size(), t.data(), samples) == HLP_OK;
  std::size_t freq[3] = {0, 0, 0};
  for (int8_t x : t) {
    if (x < -1 || x > 1) ok = false;
    else ++freq[x + 1];
  }
  for (auto f : freq) ok &= std::fabs(static_cast<double>(f) / samples - 1.0 / 3) < 0.004;
  report(ok, "sampling: ternary frequencies 1/3 each",
         fmt(static_cast<double>(freq[0]) / samples) + " " + fmt(static_cast<double>(freq[1]) / samples) + " " +
             fmt(static_cast<double>(freq[2]) / samples));

  // Ternary thresholds exactly: w = T1 - 1 -> -1, T1 -> 0, T2 - 1 -> 0, T2 -> 1.
  const u64 words[] = {
      0, 6148914691236517205ULL, 6148914691236517206ULL, 12297829382473034410ULL, 12297829382473034411ULL, ~u64{0}};
  const int expect[] = {-1, -1, 0, 0, 1, 1};
  uint8_t wb[sizeof(words)];
  for (std::size_t i = 0; i < 6; ++i) {
    for (int b = 0; b < 8; ++b) wb[i * 8 + b] = static_cast<uint8_t>(words[i] >> (8 * b));
  }
  int8_t tv[6];
  ok = hlp_ckks_sample_ternary(wb, sizeof wb, tv, 6) == HLP_OK;
  for (int i = 0; i < 6; ++i) ok &= tv[i] == expect[i];
  report(ok, "sampling: ternary = floor(3w / 2^64) - 1 at the thresholds");

  report(hlp_ckks_sample_noise(bytes.data(), 15, e.data(), 2) == HLP_E_RANDOMNESS_EXHAUSTED &&
             hlp_ckks_sample_ternary(bytes.data(), 7, t.data(), 1) == HLP_E_RANDOMNESS_EXHAUSTED,
         "sampling: too few bytes rejected");

  // Uniform: values below q, roughly uniform, exhaustion reported.
  const uint32_t n = 1024;
  Ctx c(n, seal_moduli(n, {60, 40, 31}));
  std::vector<u64> a(3 * n);
  const std::size_t need = c.rand_bytes(HLP_CKKS_RANDOMNESS_UNIFORM, 3);
  const auto ub = random_bytes(need);
  ok = hlp::ckks::sample_uniform(c.ctx, 3, ub.data(), ub.size(), a.data()) == HLP_OK;
  ok &= hlp::ckks::rns_below(c.ctx, a.data(), 3);
  double top = 0;
  for (uint32_t i = 0; i < n; ++i) top += static_cast<double>(a[n + i]) / static_cast<double>(c.moduli[1]);
  ok &= std::fabs(top / n - 0.5) < 0.05;
  ok &= hlp::ckks::sample_uniform(c.ctx, 3, ub.data(), 3 * n * 8 / 2, a.data()) == HLP_E_RANDOMNESS_EXHAUSTED;
  report(ok, "sampling: uniform below q, mean q/2, exhaustion reported", "bound " + std::to_string(need) + " bytes");

  // Uniform against SEAL's rule written out plainly (u128 remainder, replacements taken in
  // order from the words after the n * primes candidates), with candidates forced onto and
  // around each prime's rejection limit, and words whose top and bottom bits are all ones.
  auto stream = random_bytes(need);
  auto put = [&](std::size_t w, u64 v) {
    for (int b = 0; b < 8; ++b) stream[w * 8 + b] = static_cast<uint8_t>(v >> (8 * b));
  };
  auto get = [&](std::size_t w) {
    u64 v = 0;
    for (int b = 7; b >= 0; --b) v = (v << 8) | stream[w * 8 + b];
    return v;
  };
  for (uint32_t b = 0; b < 3; ++b) {
    const u64 q = c.moduli[b];
    const u64 limit = ~u64{0} - (~u64{0} % q) - 1;
    const u64 forced[] = {limit - 1, limit, limit + 1, ~u64{0}, ~u64{0} - 3, q - 1, q, u64{3}, (u64{1} << 62) - 1};
    for (std::size_t f = 0; f < sizeof forced / sizeof forced[0]; ++f) put(b * n + 7 * f + b, forced[f]);
  }
  std::vector<u64> want(3 * n);
  std::size_t next = 3 * n;
  for (uint32_t b = 0; b < 3; ++b) {
    const u64 q = c.moduli[b];
    const u64 limit = ~u64{0} - (~u64{0} % q) - 1;
    for (uint32_t i = 0; i < n; ++i) {
      u64 r = get(b * n + i);
      while (r >= limit) r = get(next++);
      want[b * n + i] = static_cast<u64>(static_cast<hlp::u128>(r) % q);
    }
  }
  std::vector<u64> got(3 * n);
  ok = hlp::ckks::sample_uniform(c.ctx, 3, stream.data(), stream.size(), got.data()) == HLP_OK;
  report(ok && got == want, "sampling: uniform equals SEAL's rule, rejections replaced in order",
         std::to_string(next - 3 * n) + " replacements");
}

}  // namespace hlp_test
