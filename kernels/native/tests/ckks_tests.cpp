// Native tests and benchmark of the CKKS core (native/ckks). Needs no Node.
// Usage: hlp_ckks_tests [--quick] [--bench] [--filter text]
// Prints one line per check and ends with "hlp_ckks_tests: N passed, N failed".
//
// Besides round trips, the encryption and rescale outputs are compared bit for bit with
// a direct transcription of SEAL's algorithms (encrypt_zero_asymmetric followed by
// RNSTool::divide_and_round_q_last_ntt_inplace, encrypt_zero_symmetric) run on the same
// samples, and the slot layout with a direct evaluation of m(zeta^(3^j)).
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

namespace {

using hlp::u128;
using hlp::u64;
using i64 = std::int64_t;

int g_passed = 0;
int g_failed = 0;
bool g_quick = false;
std::string g_filter;

void report(bool ok, const std::string &name, const std::string &detail = "") {
  if (ok) {
    ++g_passed;
    std::printf("ok   %s%s%s\n", name.c_str(), detail.empty() ? "" : " ", detail.c_str());
  } else {
    ++g_failed;
    std::printf("FAIL %s %s\n", name.c_str(), detail.c_str());
  }
}

bool selected(const std::string &name) { return g_filter.empty() || name.find(g_filter) != std::string::npos; }

std::mt19937_64 &rng() {
  // Test inputs only; nothing cryptographic is drawn from this generator.
  static std::mt19937_64 engine(0xC0FFEE1234ULL);
  return engine;
}

std::vector<uint8_t> random_bytes(std::size_t count) {
  std::vector<uint8_t> v(count);
  for (std::size_t i = 0; i < count; i += 8) {
    const u64 w = rng()();
    for (std::size_t j = 0; j < 8 && i + j < count; ++j) v[i + j] = static_cast<uint8_t>(w >> (8 * j));
  }
  return v;
}

std::vector<double> random_values(std::size_t count, double lo = -1.0, double hi = 1.0) {
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(count);
  for (auto &x : v) x = dist(rng());
  return v;
}

std::string fmt(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g", x);
  return buf;
}

// SEAL's CoeffModulus::Create(n, {bits...}): for each bit size b used c times, the c
// largest primes below 2^b that are 1 mod 2n, handed out from the smallest up (SEAL pops
// them off the back of a descending list). For {60, 40, 40, 60}: q_0 is the second
// largest 60-bit prime and the special prime the largest.
std::vector<u64> seal_moduli(uint32_t n, const std::vector<int> &bits) {
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

u64 to_mod_ref(i64 v, u64 q) { return v < 0 ? (q - (static_cast<u64>(-(v + 1)) + 1) % q) % q : static_cast<u64>(v) % q; }

double max_error(const std::vector<double> &a, const std::vector<double> &b) {
  if (a.size() != b.size()) return INFINITY;
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double d = std::fabs(a[i] - b[i]);
    if (!(d <= m)) m = d;  // NaN propagates
  }
  return m;
}

// Centred residues of a level-1 plaintext (coefficient form) for small coefficients.
std::vector<i64> centred_coeffs(const Ctx &c, std::vector<u64> plain_block0) {
  hlp::scalar_ops().ntt_inverse(plain_block0.data(), c.tables[0]);
  std::vector<i64> out(c.n);
  const u64 q = c.moduli[0];
  for (uint32_t i = 0; i < c.n; ++i) {
    const u64 v = plain_block0[i];
    out[i] = v > q / 2 ? -static_cast<i64>(q - v) : static_cast<i64>(v);
  }
  return out;
}

// ---- encoder ------------------------------------------------------------------

void test_encoder_layout() {
  if (!selected("encoder")) return;
  for (uint32_t n : {8u, 16u, 64u, 256u}) {
    Ctx c(n, seal_moduli(n, {60, 60}));
    if (c.ctx == nullptr) {
      report(false, "encoder: context n=" + std::to_string(n));
      continue;
    }
    const double scale = std::ldexp(1.0, 30);
    const std::size_t slots = n / 2;
    // Complex values, decoded by evaluating m at zeta^(3^j mod 2n) directly.
    std::vector<double> v = random_values(2 * slots);
    std::vector<u64> plain(n);
    bool ok = hlp_ckks_encode_complex(c.ctx, v.data(), slots, scale, 1, plain.data(), plain.size()) == HLP_OK;
    const auto coeffs = centred_coeffs(c, plain);
    double err = 0;
    const long double pi = 3.141592653589793238462643383279502884L;
    u64 g = 1;
    for (std::size_t j = 0; j < slots; ++j) {
      std::complex<long double> acc = 0;
      for (uint32_t i = 0; i < n; ++i) {
        const long double angle = pi * static_cast<long double>((g * i) % (2 * n)) / n;
        acc += static_cast<long double>(coeffs[i]) * std::complex<long double>(std::cos(angle), std::sin(angle));
      }
      acc /= static_cast<long double>(scale);
      err = std::max(err, static_cast<double>(std::abs(acc - std::complex<long double>(v[2 * j], v[2 * j + 1]))));
      g = (g * 3) % (2 * n);
    }
    ok &= err < 1e-7;
    report(ok, "encoder: slot j = m(zeta^(3^j)) / scale, SEAL's layout, n=" + std::to_string(n), "max err " + fmt(err));

    // Decode of an arbitrary small polynomial agrees with the same direct evaluation.
    std::vector<u64> poly(n);
    std::vector<i64> ints(n);
    for (uint32_t i = 0; i < n; ++i) {
      ints[i] = static_cast<i64>(rng()() % 2001) - 1000;
      poly[i] = ints[i] < 0 ? c.moduli[0] - static_cast<u64>(-ints[i]) : static_cast<u64>(ints[i]);
    }
    hlp::scalar_ops().ntt_forward(poly.data(), c.tables[0]);
    std::vector<double> dec(2 * slots);
    ok = hlp_ckks_decode_complex(c.ctx, poly.data(), poly.size(), 1, 1.0, dec.data(), slots, 0) == HLP_OK;
    err = 0;
    g = 1;
    for (std::size_t j = 0; j < slots; ++j) {
      std::complex<long double> acc = 0;
      for (uint32_t i = 0; i < n; ++i) {
        const long double angle = pi * static_cast<long double>((g * i) % (2 * n)) / n;
        acc += static_cast<long double>(ints[i]) * std::complex<long double>(std::cos(angle), std::sin(angle));
      }
      err = std::max(err, static_cast<double>(std::abs(acc - std::complex<long double>(dec[2 * j], dec[2 * j + 1]))));
      g = (g * 3) % (2 * n);
    }
    ok &= err < 1e-9 * n;
    report(ok, "encoder: decode evaluates at zeta^(3^j), n=" + std::to_string(n), "max err " + fmt(err));
  }
}

void test_encoder_round_trip() {
  if (!selected("encoder")) return;
  const uint32_t n = 8192;
  Ctx c(n, seal_moduli(n, {60, 40, 40, 60}));
  const double scale = std::ldexp(1.0, 40);
  for (uint32_t level = 1; level <= 3; ++level) {
    const auto v = random_values(n / 2);
    const auto p = c.encode(v, scale, level);
    const double err = max_error(c.decode(p, scale, level, n / 2), v);
    report(!p.empty() && err <= 1e-7, "encoder: round trip n=8192 scale=2^40 level=" + std::to_string(level),
           "max err " + fmt(err));
  }
  // Fewer values are zero padded.
  {
    const auto v = random_values(100);
    const auto p = c.encode(v, scale, 3);
    auto d = c.decode(p, scale, 3, n / 2);
    double err = 0;
    for (std::size_t i = 0; i < d.size(); ++i) err = std::max(err, std::fabs(d[i] - (i < v.size() ? v[i] : 0.0)));
    report(err <= 1e-7, "encoder: short input is zero padded", "max err " + fmt(err));
  }
  // Complex round trip.
  {
    const auto v = random_values(n);
    std::vector<u64> p(3 * n);
    std::vector<double> d(n);
    bool ok = hlp_ckks_encode_complex(c.ctx, v.data(), n / 2, scale, 3, p.data(), p.size()) == HLP_OK;
    ok &= hlp_ckks_decode_complex(c.ctx, p.data(), p.size(), 3, scale, d.data(), n / 2, 0) == HLP_OK;
    const double err = max_error(d, v);
    report(ok && err <= 1e-7, "encoder: complex round trip", "max err " + fmt(err));
  }
  // Large scale at a level with room (2^80 over 140 bits) and large values.
  {
    const auto v = random_values(n / 2, -1000.0, 1000.0);
    const double big = std::ldexp(1.0, 50);
    const auto p = c.encode(v, big, 3);
    const double err = max_error(c.decode(p, big, 3, n / 2), v);
    report(!p.empty() && err <= 1e-7, "encoder: |v| <= 1000 at scale 2^50 (multi-word CRT decode)",
           "max err " + fmt(err));
  }
  // Errors.
  std::vector<u64> out(n);
  std::vector<double> one{1.0};
  report(hlp_ckks_encode(c.ctx, one.data(), 1, 0.0, 1, out.data(), n) == HLP_E_SCALE_OUT_OF_BOUNDS &&
             hlp_ckks_encode(c.ctx, one.data(), 1, -1.0, 1, out.data(), n) == HLP_E_SCALE_OUT_OF_BOUNDS &&
             hlp_ckks_encode(c.ctx, one.data(), 1, NAN, 1, out.data(), n) == HLP_E_SCALE_OUT_OF_BOUNDS &&
             hlp_ckks_encode(c.ctx, one.data(), 1, INFINITY, 1, out.data(), n) == HLP_E_SCALE_OUT_OF_BOUNDS &&
             hlp_ckks_encode(c.ctx, one.data(), 1, std::ldexp(1.0, 60), 1, out.data(), n) ==
                 HLP_E_SCALE_OUT_OF_BOUNDS,
         "encoder: bad scales rejected (0, negative, NaN, inf, beyond the level's modulus)");
  std::vector<double> huge{1e30};
  std::vector<u64> out3(3 * n);
  report(hlp_ckks_encode(c.ctx, huge.data(), 1, scale, 3, out3.data(), out3.size()) == HLP_E_SCALE_OUT_OF_BOUNDS,
         "encoder: coefficient >= 2^63 rejected, never wrapped");
  // All slots 2^20 encode to the constant 2^60: below 2^63, but not below the 60-bit level-1 modulus.
  std::vector<double> mid(n / 2, 1048576.0);
  report(hlp_ckks_encode(c.ctx, mid.data(), mid.size(), scale, 1, out.data(), out.size()) == HLP_E_SCALE_OUT_OF_BOUNDS &&
             hlp_ckks_encode(c.ctx, mid.data(), mid.size(), scale, 2, out3.data(), 2 * n) == HLP_OK,
         "encoder: coefficient beyond the level's modulus rejected (SEAL's bound)");
  std::vector<double> nan{NAN};
  report(hlp_ckks_encode(c.ctx, nan.data(), 1, scale, 1, out.data(), n) == HLP_E_VALUE_OUT_OF_RANGE,
         "encoder: NaN value rejected");
  std::vector<double> many(n / 2 + 1, 0.0);
  report(hlp_ckks_encode(c.ctx, many.data(), many.size(), scale, 1, out.data(), n) == HLP_E_LENGTH_MISMATCH &&
             hlp_ckks_encode(c.ctx, one.data(), 1, scale, 1, out.data(), n - 1) == HLP_E_LENGTH_MISMATCH &&
             hlp_ckks_encode(c.ctx, one.data(), 1, scale, 0, out.data(), 0) == HLP_E_INVALID_ARGUMENT &&
             hlp_ckks_encode(c.ctx, one.data(), 1, scale, 4, out.data(), 4 * n) == HLP_E_INVALID_ARGUMENT &&
             hlp_ckks_encode(nullptr, one.data(), 1, scale, 1, out.data(), n) == HLP_E_INVALID_ARGUMENT,
         "encoder: bad lengths, levels and null context rejected");
  std::vector<u64> bad(n, 0);
  bad[7] = c.moduli[0];
  std::vector<double> d(4);
  report(hlp_ckks_decode(c.ctx, bad.data(), n, 1, scale, d.data(), 4, HLP_FLAG_CHECK_INPUT) ==
                 HLP_E_VALUE_OUT_OF_RANGE &&
             hlp_ckks_decode(c.ctx, bad.data(), n, 2, scale, d.data(), 4, 0) == HLP_E_LENGTH_MISMATCH &&
             hlp_ckks_decode(c.ctx, bad.data(), n, 1, 0.0, d.data(), 4, 0) == HLP_E_SCALE_OUT_OF_BOUNDS &&
             hlp_ckks_decode(c.ctx, bad.data(), n, 1, scale, d.data(), n, 0) == HLP_E_LENGTH_MISMATCH,
         "decoder: residue >= q, wrong length, bad scale, too many slots rejected");
}

// ---- sampling -----------------------------------------------------------------------

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
  const u64 words[] = {0, 6148914691236517205ULL, 6148914691236517206ULL, 12297829382473034410ULL,
                       12297829382473034411ULL, ~u64{0}};
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
}

// ---- kernel tables -------------------------------------------------------------------

// The AVX-512 table must give the scalar table's integers bit for bit (and the FFT to
// rounding), including lengths that are not multiples of the vector width.
void test_kernel_tables() {
  if (!selected("kernels")) return;
  if (!hlp_variant_available(HLP_VARIANT_AVX512)) {
    std::printf("skip kernels: AVX-512 not available on this machine\n");
    return;
  }
  const auto &a = hlp::ckks::scalar_kernels();
  const auto &b = hlp::ckks::avx512_kernels();
  std::size_t cdt_count = 0;
  const u64 *cdt = hlp::ckks::noise_cdt(&cdt_count);
  for (std::size_t n : {8ul, 13ul, 1024ul, 8195ul}) {
    const std::string tag = " len=" + std::to_string(n);
    const auto bytes = random_bytes(n * 8);
    std::vector<i64> e1(n), e2(n);
    a.sample_noise(bytes.data(), n, e1.data(), cdt);
    b.sample_noise(bytes.data(), n, e2.data(), cdt);
    report(e1 == e2, "kernels: noise avx512 = scalar" + tag);
    std::vector<uint8_t> t1(n), t2(n);
    a.ternary_raw(bytes.data(), n, t1.data());
    b.ternary_raw(bytes.data(), n, t2.data());
    report(t1 == t2, "kernels: ternary avx512 = scalar" + tag);
    const u64 q = hlp::generate_ntt_primes(60, 1024, 1).at(0), q40 = hlp::generate_ntt_primes(40, 1024, 1).at(0);
    std::vector<u64> s1(n), s2(n);
    a.ternary_select(t1.data(), n, q - 1, 1, s1.data());
    b.ternary_select(t1.data(), n, q - 1, 1, s2.data());
    report(s1 == s2, "kernels: ternary select avx512 = scalar" + tag);
    bool ok = true;
    for (u64 m : {q, q40, u64{12289}}) {
      std::vector<i64> c(n);
      for (auto &x : c) {
        const u64 w = rng()();
        // magnitudes across the whole range, both signs, exact multiples of m included
        switch (w % 4) {
          case 0: x = static_cast<i64>(w >> 1); break;
          case 1: x = -static_cast<i64>(w >> 2); break;
          case 2: x = static_cast<i64>(m) * static_cast<i64>((w >> 40) % 1000) * ((w & 8) ? -1 : 1); break;
          default: x = static_cast<i64>((w >> 20) % 64) - 32; break;
        }
      }
      const u64 r = hlp::Modulus(m).barrett_hi;
      std::vector<u64> o1(n), o2(n);
      a.signed_to_mod(c.data(), n, m, r, o1.data());
      b.signed_to_mod(c.data(), n, m, r, o2.data());
      for (std::size_t i = 0; i < n; ++i) ok &= o1[i] == to_mod_ref(c[i], m);
      ok &= o1 == o2;
      // correction and last block
      std::vector<u64> v(n), y1(n), y2(n), mm(n);
      for (std::size_t i = 0; i < n; ++i) {
        v[i] = rng()() >> 2;
        y1[i] = y2[i] = rng()() % m;
        mm[i] = rng()() % m;
      }
      const u64 inv = rng()() % m;
      const u64 off = rng()() % m;
      a.correction(v.data(), n, m, inv, hlp::shoup_precompute(inv, m), off, mm.data(), o1.data());
      b.correction(v.data(), n, m, inv, hlp::shoup_precompute(inv, m), off, mm.data(), o2.data());
      ok &= o1 == o2;
      for (std::size_t i = 0; i < n; ++i) {
        const u64 expect = static_cast<u64>(((static_cast<u128>(v[i]) * inv + off) % m + m - mm[i]) % m);
        ok &= o1[i] == expect;
      }
      a.last_block(y1.data(), e1.data(), n, m >> 1, m);
      b.last_block(y2.data(), e1.data(), n, m >> 1, m);
      ok &= y1 == y2;
      a.last_block(y1.data(), nullptr, n, m >> 1, m);
      b.last_block(y2.data(), nullptr, n, m >> 1, m);
      ok &= y1 == y2;
      std::vector<u64> below(n, m - 1);
      ok &= a.below(below.data(), n, m) && b.below(below.data(), n, m);
      below[n - 1] = m;
      ok &= !a.below(below.data(), n, m) && !b.below(below.data(), n, m);
    }
    report(ok, "kernels: reductions, divide-round loops and range checks avx512 = scalar = definition" + tag);
  }
  for (uint32_t n : {32u, 8192u}) {
    hlp::ckks::Fft f;
    f.init(n);
    std::vector<double> r1 = random_values(n / 2), i1 = random_values(n / 2);
    auto r2 = r1, i2 = i1;
    a.fft_forward(f, r1.data(), i1.data());
    b.fft_forward(f, r2.data(), i2.data());
    double err = std::max(max_error(r1, r2), max_error(i1, i2));
    a.fft_inverse(f, r1.data(), i1.data());
    b.fft_inverse(f, r2.data(), i2.data());
    err = std::max({err, max_error(r1, r2), max_error(i1, i2)});
    std::vector<i64> c1(n), c2(n);
    double m1 = 0, m2 = 0;
    const bool ok1 = a.to_integers(f, r1.data(), i1.data(), 1e6, c1.data(), &m1);
    const bool ok2 = b.to_integers(f, r1.data(), i1.data(), 1e6, c2.data(), &m2);
    std::size_t diff = 0;
    for (uint32_t i = 0; i < n; ++i) diff += c1[i] != c2[i];
    report(ok1 && ok2 && err < 1e-9 && diff <= 2 && std::fabs(m1 - m2) < 1e-3,
           "kernels: fft and rounding avx512 ~ scalar n=" + std::to_string(n),
           "max diff " + fmt(err) + ", " + std::to_string(diff) + " coefficients differ by rounding");
  }
}

// ---- SEAL reference transcriptions --------------------------------------------------

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

// ---- encryption -------------------------------------------------------------------

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
      bool ok = hlp_ckks_encrypt_public(c.ctx, pk.data(), pk.size(), plain.data(), plain.size(), 1, level,
                                        rand.data(), rand.size(), ct.data(), ct.size(), HLP_FLAG_CHECK_INPUT) == HLP_OK;
      const auto ref = seal_reference_encrypt(c, pk, plain, level, rand.data());
      report(ok && ct == ref, "encrypt public: bit-exact with SEAL's algorithm" + tag + " level=" + std::to_string(level));
      const auto dec = c.decode(c.decrypt(sk, ct, 2, level), scale, level, n / 2);
      const double err = max_error(dec, v);
      report(err <= tol, "encrypt public -> decrypt -> decode" + tag + " level=" + std::to_string(level),
             "max err " + fmt(err));
      // Fused encode + encrypt gives the same ciphertext from the same randomness.
      std::vector<u64> fused(ct.size());
      ok = hlp_ckks_encode_encrypt_public(c.ctx, pk.data(), pk.size(), v.data(), v.size(), 1, scale, level,
                                          rand.data(), rand.size(), fused.data(), fused.size(), 0) == HLP_OK;
      report(ok && fused == ct, "encode_encrypt_public equals encode + encrypt_public" + tag + " level=" +
                                    std::to_string(level));
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
                                    ones.size(), rand.data(), per, ct.data(), ct.size(), 0) ==
                 HLP_E_RANDOMNESS_EXHAUSTED &&
             hlp_ckks_encrypt_symmetric(c.ctx, sk.data(), sk.size(), plain.data(), plain.size(), 1, 2, ur.data(),
                                        ur.size() - 1, rand.data(), per, ct.data(), ct.size(), 0) ==
                 HLP_E_RANDOMNESS_EXHAUSTED &&
             hlp_ckks_encrypt_symmetric(c.ctx, sk.data(), sk.size(), plain.data(), plain.size(), 1, 2, ur.data(),
                                        ur.size(), rand.data(), 8 * n - 1, ct.data(), ct.size(), 0) ==
                 HLP_E_RANDOMNESS_EXHAUSTED,
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

// ---- evaluation ---------------------------------------------------------------------

void test_evaluation() {
  if (!selected("evaluate")) return;
  const uint32_t n = 8192;
  Ctx c(n, seal_moduli(n, {60, 40, 40, 60}));
  const auto sk = c.secret_key();
  const auto pk = c.public_key(sk);
  const double scale = std::ldexp(1.0, 40);
  const uint32_t L = 3, slots = n / 2;
  const std::size_t poly = L * n;
  const auto va = random_values(slots), vb = random_values(slots);
  const auto pa = c.encode(va, scale, L), pb = c.encode(vb, scale, L);
  const auto ca = c.encrypt(pk, pa, L), cb = c.encrypt(pk, pb, L);
  auto check = [&](const std::vector<u64> &ct, uint32_t size, uint32_t level, double sc,
                   const std::function<double(std::size_t)> &expect, const std::string &name, double tol) {
    const auto d = c.decode(c.decrypt(sk, ct, size, level), sc, level, slots);
    double err = 0;
    for (std::size_t i = 0; i < slots; ++i) err = std::max(err, std::fabs(d[i] - expect(i)));
    if (std::isnan(d[0])) err = INFINITY;
    report(err <= tol, name, "max err " + fmt(err));
  };
  std::vector<u64> out(2 * poly), out3(3 * poly);
  report(hlp_ckks_add(c.ctx, ca.data(), ca.size(), 2, cb.data(), cb.size(), 2, L, out.data(), out.size(),
                      HLP_FLAG_CHECK_INPUT) == HLP_OK,
         "evaluate: add runs");
  check(out, 2, L, scale, [&](std::size_t i) { return va[i] + vb[i]; }, "evaluate: add", 1e-6);
  hlp_ckks_sub(c.ctx, ca.data(), ca.size(), 2, cb.data(), cb.size(), 2, L, out.data(), out.size(), 0);
  check(out, 2, L, scale, [&](std::size_t i) { return va[i] - vb[i]; }, "evaluate: sub", 1e-6);
  hlp_ckks_negate(c.ctx, ca.data(), ca.size(), 2, L, out.data(), out.size(), 0);
  check(out, 2, L, scale, [&](std::size_t i) { return -va[i]; }, "evaluate: negate", 1e-6);
  hlp_ckks_add_plain(c.ctx, ca.data(), ca.size(), 2, pb.data(), pb.size(), L, out.data(), out.size(), 0);
  check(out, 2, L, scale, [&](std::size_t i) { return va[i] + vb[i]; }, "evaluate: add_plain", 1e-6);
  {
    auto inplace = ca;
    hlp_ckks_add(c.ctx, inplace.data(), inplace.size(), 2, cb.data(), cb.size(), 2, L, inplace.data(), inplace.size(),
                 0);
    check(inplace, 2, L, scale, [&](std::size_t i) { return va[i] + vb[i]; }, "evaluate: add in place (out = a)",
          1e-6);
  }
  // multiply_plain + rescale: scale^2 / q_2.
  hlp_ckks_multiply_plain(c.ctx, ca.data(), ca.size(), 2, pb.data(), pb.size(), L, out.data(), out.size(), 0);
  check(out, 2, L, scale * scale, [&](std::size_t i) { return va[i] * vb[i]; }, "evaluate: multiply_plain", 1e-6);
  std::vector<u64> rs(2 * (L - 1) * n);
  bool ok = hlp_ckks_rescale(c.ctx, out.data(), out.size(), 2, L, rs.data(), rs.size(), HLP_FLAG_CHECK_INPUT) == HLP_OK;
  report(ok && rs == seal_reference_rescale(c, out, 2, L), "evaluate: rescale bit-exact with SEAL's algorithm");
  const double rescaled = scale * scale / static_cast<double>(c.moduli[L - 1]);
  check(rs, 2, L - 1, rescaled, [&](std::size_t i) { return va[i] * vb[i]; },
        "evaluate: multiply_plain + rescale (scale^2 / q_2)", 1e-5);
  // multiply (size 3), decrypt with s^2, rescale the size-3 ciphertext too.
  ok = hlp_ckks_multiply(c.ctx, ca.data(), ca.size(), cb.data(), cb.size(), L, out3.data(), out3.size(),
                         HLP_FLAG_CHECK_INPUT) == HLP_OK;
  report(ok, "evaluate: multiply runs");
  check(out3, 3, L, scale * scale, [&](std::size_t i) { return va[i] * vb[i]; },
        "evaluate: multiply -> size 3, decrypt with s^2", 1e-6);
  std::vector<u64> rs3(3 * (L - 1) * n);
  hlp_ckks_rescale(c.ctx, out3.data(), out3.size(), 3, L, rs3.data(), rs3.size(), 0);
  check(rs3, 3, L - 1, rescaled, [&](std::size_t i) { return va[i] * vb[i]; }, "evaluate: multiply + rescale",
        1e-5);
  // Size 3 + size 2.
  std::vector<u64> sum3(3 * poly);
  hlp_ckks_add(c.ctx, out3.data(), out3.size(), 3, cb.data(), cb.size(), 2, L, sum3.data(), sum3.size(), 0);
  check(sum3, 3, L, scale * scale,
        [&](std::size_t i) { return va[i] * vb[i] + vb[i] / scale; }, "evaluate: add size 3 + size 2", 1e-6);
  hlp_ckks_sub(c.ctx, cb.data(), cb.size(), 2, out3.data(), out3.size(), 3, L, sum3.data(), sum3.size(), 0);
  check(sum3, 3, L, scale * scale,
        [&](std::size_t i) { return vb[i] / scale - va[i] * vb[i]; }, "evaluate: sub size 2 - size 3", 1e-6);
  // mod_switch: drop the last prime, scale unchanged.
  std::vector<u64> ms(2 * (L - 1) * n);
  ok = hlp_ckks_mod_switch(c.ctx, ca.data(), ca.size(), 2, L, ms.data(), ms.size(), 0) == HLP_OK;
  report(ok, "evaluate: mod_switch runs");
  check(ms, 2, L - 1, scale, [&](std::size_t i) { return va[i]; }, "evaluate: mod_switch keeps the value", 1e-6);
  // Two rescales down to level 1 (multi-level chain).
  {
    const auto pc = c.encode(std::vector<double>(slots, 0.5), scale, L);
    std::vector<u64> m1(2 * poly), r1(2 * (L - 1) * n);
    hlp_ckks_multiply_plain(c.ctx, ca.data(), ca.size(), 2, pc.data(), pc.size(), L, m1.data(), m1.size(), 0);
    hlp_ckks_rescale(c.ctx, m1.data(), m1.size(), 2, L, r1.data(), r1.size(), 0);
    const double s1 = scale * scale / static_cast<double>(c.moduli[2]);
    const auto pc2 = c.encode(std::vector<double>(slots, 0.5), static_cast<double>(c.moduli[1]), L - 1);
    std::vector<u64> m2(2 * (L - 1) * n), r2(2 * (L - 2) * n);
    hlp_ckks_multiply_plain(c.ctx, r1.data(), r1.size(), 2, pc2.data(), pc2.size(), L - 1, m2.data(), m2.size(), 0);
    hlp_ckks_rescale(c.ctx, m2.data(), m2.size(), 2, L - 1, r2.data(), r2.size(), 0);
    check(r2, 2, 1, s1, [&](std::size_t i) { return va[i] * 0.25; }, "evaluate: two multiply_plain + rescale to level 1",
          1e-5);
  }
  // Errors.
  report(hlp_ckks_rescale(c.ctx, ca.data(), ca.size(), 2, L, rs.data(), 0, 0) == HLP_E_LENGTH_MISMATCH &&
             hlp_ckks_rescale(c.ctx, ms.data(), 2 * n, 2, 1, rs.data(), 0, 0) == HLP_E_INVALID_ARGUMENT &&
             hlp_ckks_mod_switch(c.ctx, ca.data(), ca.size(), 2, L, ca.data() == nullptr ? nullptr : out.data(),
                                 out.size(), 0) == HLP_E_LENGTH_MISMATCH &&
             hlp_ckks_multiply(c.ctx, out3.data(), out3.size(), cb.data(), cb.size(), L, sum3.data(), sum3.size(),
                               0) == HLP_E_LENGTH_MISMATCH &&
             hlp_ckks_add(c.ctx, ca.data(), ca.size(), 2, cb.data(), cb.size(), 2, L, out3.data(), out3.size(), 0) ==
                 HLP_E_LENGTH_MISMATCH &&
             hlp_ckks_add(c.ctx, ca.data(), ca.size(), 2, cb.data(), cb.size(), 2, 4, out.data(), out.size(), 0) ==
                 HLP_E_INVALID_ARGUMENT &&
             hlp_ckks_multiply(c.ctx, ca.data(), ca.size(), cb.data(), cb.size(), L, const_cast<u64 *>(ca.data()),
                               3 * poly, 0) == HLP_E_INVALID_ARGUMENT,
         "evaluate errors: level too low, wrong sizes and lengths, level out of range, overlapping output");
}

// ---- benchmark ----------------------------------------------------------------------

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

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
  const double t_encode = time_us(reps, [&] { hlp_ckks_encode(c.ctx, v.data(), v.size(), scale, L, plain.data(), plain.size()); });
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
  const double t_decode = time_us(reps, [&] {
    hlp_ckks_decode(c.ctx, dec.data(), dec.size(), L, scale, out.data(), out.size(), 0);
  });
  std::vector<u64> dec1(n);
  const double t_decode1 = time_us(reps, [&] {
    hlp_ckks_decode(c.ctx, dec.data(), n, 1, scale, out.data(), out.size(), 0);
  });
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
}

}  // namespace

// dot2 against sums of products taken one term at a time in 128 bits, for every kernel
// table and prime class (IFMA-sized, 60- and 61-bit), with and without a permutation, and
// term counts beyond each path's fold (words at q - 1 are the worst case for it).
void test_dot2() {
  if (!selected("dot2")) return;
  using Dot2 = decltype(hlp::ckks::SimdKernels::dot2);
  std::vector<std::pair<std::string, Dot2>> tables{{"scalar", hlp::ckks::scalar_kernels().dot2}};
  if (hlp_variant_available(HLP_VARIANT_AVX512)) {
    tables.emplace_back("avx512", hlp::ckks::avx512_kernels().dot2);
    tables.emplace_back("avx512-wide", &hlp::ckks::dot2_avx512_wide);
  }
  const std::size_t n = 1024;
  std::vector<uint32_t> perm(n);
  for (std::size_t i = 0; i < n; ++i) perm[i] = static_cast<uint32_t>(i);
  std::shuffle(perm.begin(), perm.end(), rng());
  for (const auto &[table, dot2] : tables) {
    for (unsigned bits : {30u, 40u, 49u, 50u, 60u, 61u}) {
      const u64 q = hlp::generate_ntt_primes(static_cast<int>(bits), n, 1).at(0);
      const hlp::Modulus m(q);
      for (uint32_t terms : {1u, 3u, 29u, 300u, 4200u}) {
        // Past every fold: 2^(50-s) - 1 (IFMA), 1023 (limbs, 50 bits), 255 and 63 (60 and 61 bits).
        if (terms > 300 && bits >= 60) continue;
        for (bool extreme : {false, true}) {
          std::vector<std::vector<u64>> a(terms, std::vector<u64>(n)), b0 = a, b1 = a;
          for (uint32_t t = 0; t < terms; ++t) {
            for (std::size_t x = 0; x < n; ++x) {
              a[t][x] = extreme ? q - 1 : rng()() % q;
              b0[t][x] = extreme ? q - 1 : rng()() % q;
              b1[t][x] = rng()() % q;
            }
          }
          std::vector<const u64 *> pa(terms), p0(terms), p1(terms);
          for (uint32_t t = 0; t < terms; ++t) pa[t] = a[t].data(), p0[t] = b0[t].data(), p1[t] = b1[t].data();
          for (const uint32_t *pp : {static_cast<const uint32_t *>(nullptr), static_cast<const uint32_t *>(perm.data())}) {
            std::vector<u64> o0(n), o1(n);
            dot2(pa.data(), pp, p0.data(), p1.data(), terms, n, m, o0.data(), o1.data());
            bool ok = true;
            for (std::size_t x = 0; x < n && ok; ++x) {
              u64 e0 = 0, e1 = 0;
              const std::size_t ix = pp ? pp[x] : x;
              for (uint32_t t = 0; t < terms; ++t) {
                e0 = static_cast<u64>((static_cast<u128>(a[t][ix]) * b0[t][x] + e0) % q);
                e1 = static_cast<u64>((static_cast<u128>(a[t][ix]) * b1[t][x] + e1) % q);
              }
              ok = o0[x] == e0 && o1[x] == e1;
            }
            report(ok, "dot2: " + table + " q " + std::to_string(bits) + " bits, " + std::to_string(terms) +
                       " terms" + (extreme ? " at q - 1" : "") + (pp ? ", permuted" : ""));
          }
        }
      }
    }
  }
}

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
  std::printf("cpu features: %s; CKKS kernels: %s\n", hlp_cpu_features(), hlp::ckks::ckks_ops().name);
  test_encoder_layout();
  test_encoder_round_trip();
  test_sampling();
  test_kernel_tables();
  test_dot2();
  test_encryption();
  test_encryption_errors();
  test_evaluation();
  if (run_bench) bench();
  std::printf("hlp_ckks_tests: %d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
