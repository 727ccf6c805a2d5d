// The encoder: SEAL's slot layout, and round trips through encode and decode.
#include "tests/ckks/ckks-tests.hpp"

namespace hlp_test {

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
  // The CRT decode is exact whichever way a coefficient takes: integer coefficients below
  // q_0 / 2 (checked, not composed) decode at levels 1, 2 and 3 to the same doubles, and with
  // some up to 2^62 (composed at levels 2 and 3: past q_0 / 2 the check fails) levels 2 and 3
  // still agree bit for bit, and differ from level 1, where those coefficients wrap mod q_0.
  for (const int big_bits : {0, 62}) {
    std::vector<i64> ints(n);
    for (uint32_t i = 0; i < n; ++i) {
      const int bits = big_bits != 0 && i % 7 == 0 ? big_bits : 58;
      const auto magnitude = static_cast<i64>(rng()() >> (64 - bits));
      ints[i] = (rng()() & 1) != 0 ? -magnitude : magnitude;
    }
    std::vector<std::vector<double>> decoded;
    for (uint32_t level = 1; level <= 3; ++level) {
      std::vector<u64> p(level * n);
      for (uint32_t b = 0; b < level; ++b) {
        const u64 q = c.moduli[b];
        for (uint32_t i = 0; i < n; ++i) {
          const u64 r = static_cast<u64>(ints[i] < 0 ? -ints[i] : ints[i]) % q;
          p[b * n + i] = ints[i] < 0 && r != 0 ? q - r : r;
        }
        hlp::scalar_ops().ntt_forward(p.data() + b * n, c.tables[b]);
      }
      decoded.push_back(c.decode(p, scale, level, n / 2));
    }
    const bool ok = !decoded[0].empty() && decoded[1] == decoded[2] &&
                    (big_bits != 0 ? decoded[0] != decoded[1] : decoded[0] == decoded[1]);
    report(ok, big_bits != 0
                   ? "decoder: coefficients up to 2^62, levels 2 and 3 decode alike (composed), not as level 1"
                   : "decoder: coefficients below 2^58, levels 1, 2 and 3 decode alike (checked)");
  }
  // Errors.
  std::vector<u64> out(n);
  std::vector<double> one{1.0};
  report(hlp_ckks_encode(c.ctx, one.data(), 1, 0.0, 1, out.data(), n) == HLP_E_SCALE_OUT_OF_BOUNDS &&
             hlp_ckks_encode(c.ctx, one.data(), 1, -1.0, 1, out.data(), n) == HLP_E_SCALE_OUT_OF_BOUNDS &&
             hlp_ckks_encode(c.ctx, one.data(), 1, NAN, 1, out.data(), n) == HLP_E_SCALE_OUT_OF_BOUNDS &&
             hlp_ckks_encode(c.ctx, one.data(), 1, INFINITY, 1, out.data(), n) == HLP_E_SCALE_OUT_OF_BOUNDS &&
             hlp_ckks_encode(c.ctx, one.data(), 1, std::ldexp(1.0, 60), 1, out.data(), n) == HLP_E_SCALE_OUT_OF_BOUNDS,
         "encoder: bad scales rejected (0, negative, NaN, inf, beyond the level's modulus)");
  std::vector<double> huge{1e30};
  std::vector<u64> out3(3 * n);
  report(hlp_ckks_encode(c.ctx, huge.data(), 1, scale, 3, out3.data(), out3.size()) == HLP_E_SCALE_OUT_OF_BOUNDS,
         "encoder: coefficient >= 2^63 rejected, never wrapped");
  // All slots 2^20 encode to the constant 2^60: below 2^63, but not below the 60-bit level-1 modulus.
  std::vector<double> mid(n / 2, 1048576.0);
  report(
      hlp_ckks_encode(c.ctx, mid.data(), mid.size(), scale, 1, out.data(), out.size()) == HLP_E_SCALE_OUT_OF_BOUNDS &&
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
  report(
      hlp_ckks_decode(c.ctx, bad.data(), n, 1, scale, d.data(), 4, HLP_FLAG_CHECK_INPUT) == HLP_E_VALUE_OUT_OF_RANGE &&
          hlp_ckks_decode(c.ctx, bad.data(), n, 2, scale, d.data(), 4, 0) == HLP_E_LENGTH_MISMATCH &&
          hlp_ckks_decode(c.ctx, bad.data(), n, 1, 0.0, d.data(), 4, 0) == HLP_E_SCALE_OUT_OF_BOUNDS &&
          hlp_ckks_decode(c.ctx, bad.data(), n, 1, scale, d.data(), n, 0) == HLP_E_LENGTH_MISMATCH,
      "decoder: residue >= q, wrong length, bad scale, too many slots rejected");
}

}  // namespace hlp_test
