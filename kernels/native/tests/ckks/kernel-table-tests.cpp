// The kernel tables (scalar, AVX-512) against each other, and dot2 against 128-bit sums.
#include "tests/ckks/ckks-tests.hpp"

namespace hlp_test {
namespace {

// Largest prime = 1 mod 2n below 2^bits; a negative entry -k gives the smallest above 2^k:
// the primes on both sides of a multiplier's bound (2^50, 2^60, 2^61, 2^62).
u64 prime_at(int bits, std::size_t n) {
  if (bits > 0) return hlp::generate_ntt_primes(bits, n, 1).at(0);
  for (u64 c = (u64{1} << -bits) + 1;; c += 2 * n)
    if (hlp::is_prime(c)) return c;
}

// correction at its worst case, against the definition and the scalar table: the largest
// words the contract allows (2^62 - 1) and the callers' ones (q_t + 84 < 2^60 + 84), q - 1,
// with inv = q - 1 and off = q - 1, at primes beside 2^50, 2^60, 2^61 and 2^62.
bool correction_bounds(const hlp::ckks::SimdKernels &a, const hlp::ckks::SimdKernels &b, std::size_t n) {
  bool ok = true;
  for (int bits : {-50, 50, 51, 60, -60, 61, -61, 62}) {
    const u64 q = prime_at(bits, 1024);
    std::vector<u64> v(n), mm(n), o1(n), o2(n);
    for (std::size_t i = 0; i < n; ++i) {
      const u64 picks[] = {(u64{1} << 62) - 1, (u64{1} << 60) + 84, q - 1, 0, rng()() >> 2};
      v[i] = picks[i % 5];
      mm[i] = i % 3 == 0 ? q - 1 : rng()() % q;
    }
    for (u64 inv : {q - 1, rng()() % q, u64{1}}) {
      for (u64 off : {q - 1, u64{0}}) {
        const u64 ws = hlp::shoup_precompute(inv, q);
        for (const u64 *m : {static_cast<const u64 *>(nullptr), static_cast<const u64 *>(mm.data())}) {
          a.correction(v.data(), n, q, inv, ws, off, m, o1.data());
          b.correction(v.data(), n, q, inv, ws, off, m, o2.data());
          ok &= o1 == o2;
          for (std::size_t i = 0; i < n; ++i) {
            const u64 r = static_cast<u64>((static_cast<u128>(v[i]) * inv + off) % q);
            ok &= o1[i] == (m != nullptr ? (r + q - m[i]) % q : r);
          }
        }
      }
    }
  }
  return ok;
}

// correction2 at its worst case, against the definition and the scalar table: words up to
// 2^62 - 1 in both operands, weights q - 1, 1 and random, off q - 1 and 0, with and without m,
// at primes beside 2^50 and 2^60 (its callers' primes are below 2^60; above, AVX-512 hands
// over to the scalar code, checked too), and a length that leaves a tail.
bool correction2_bounds(const hlp::ckks::SimdKernels &a, const hlp::ckks::SimdKernels &b, std::size_t n) {
  bool ok = true;
  for (int bits : {-50, 50, 51, 59, 60, -60, 61}) {
    const u64 q = prime_at(bits, 1024);
    std::vector<u64> v(n), u(n), mm(n), o1(n), o2(n);
    for (std::size_t i = 0; i < n; ++i) {
      const u64 picks[] = {(u64{1} << 62) - 1, (u64{1} << 60) + 84, q - 1, 0, rng()() >> 2, rng()() % q};
      v[i] = picks[i % 6];
      u[i] = picks[(i / 6) % 6];
      mm[i] = i % 3 == 0 ? q - 1 : rng()() % q;
    }
    for (u64 w : {q - 1, rng()() % q, u64{1}}) {
      for (u64 x : {q - 1, u64{1}, rng()() % q}) {
        for (u64 off : {q - 1, u64{0}}) {
          const hlp::ckks::Weights2 k{w, hlp::shoup_precompute(w, q), x, hlp::shoup_precompute(x, q), off};
          for (const u64 *m : {static_cast<const u64 *>(nullptr), static_cast<const u64 *>(mm.data())}) {
            a.correction2(v.data(), u.data(), n, q, k, m, o1.data());
            b.correction2(v.data(), u.data(), n, q, k, m, o2.data());
            ok &= o1 == o2;
            for (std::size_t i = 0; i < n; ++i) {
              const u128 r = (static_cast<u128>(v[i]) * w % q + static_cast<u128>(u[i]) * x % q + off) % q;
              ok &= o1[i] == (m != nullptr ? static_cast<u64>((r + q - m[i]) % q) : static_cast<u64>(r));
            }
          }
        }
      }
    }
  }
  return ok;
}

// gather against the definition and the scalar table: a random permutation of the block, whose
// groups of eight spread over lines (gather8 loads them word by word). The AVX-512 gather too,
// which is in every AVX-512 table.
bool gather_matches(const hlp::ckks::SimdKernels &a, const hlp::ckks::SimdKernels &b, std::size_t n) {
  std::vector<u64> src(n), o1(n), o2(n), o3(n);
  std::vector<uint32_t> idx(n);
  for (std::size_t i = 0; i < n; ++i) {
    src[i] = rng()();
    idx[i] = static_cast<uint32_t>(i);
  }
  for (std::size_t i = n; i > 1; --i) std::swap(idx[i - 1], idx[rng()() % i]);
  a.gather(src.data(), idx.data(), n, o1.data());
  b.gather(src.data(), idx.data(), n, o2.data());
  hlp::ckks::gather_avx512(src.data(), idx.data(), n, o3.data());
  bool ok = o1 == o2 && o2 == o3;
  for (std::size_t i = 0; i < n; ++i) ok &= o1[i] == src[idx[i]];
  return ok;
}

// Galois tables: every aligned group of 8 positions reads one aligned line (make_galois_table
// says why), so the AVX-512 gather takes each group as one load and a lane permutation. Checked
// for rotations by 1, 2, 3, 5, 8, 9, 100, -1, -2, -9 and the conjugation at n = 2^log_n, and gathered against
// the definition; then two groups broken across lines, which must fall back and still match.
bool galois_gather_matches(unsigned log_n) {
  const std::size_t n = std::size_t{1} << log_n;
  const u64 two_n = 2 * static_cast<u64>(n);
  std::vector<uint32_t> elts{static_cast<uint32_t>(two_n - 1)};
  for (int steps : {1, 2, 3, 5, 8, 9, 100, -1, -2, -9}) {
    // 5^steps mod 2n (5 has order n / 2 there)
    const auto order = static_cast<int64_t>(n / 2);
    const auto e = static_cast<u64>(((steps % order) + order) % order);
    u64 elt = 1;
    for (u64 k = 0; k < e; ++k) elt = elt * 5 % two_n;
    elts.push_back(static_cast<uint32_t>(elt));
  }
  std::vector<u64> src(n), out(n);
  for (auto &w : src) w = rng()();
  bool ok = true;
  for (uint32_t elt : elts) {
    std::vector<uint32_t> table = hlp::ckks::make_galois_table(n, log_n, elt);
    for (std::size_t g = 0; g < n; g += 8) {
      for (std::size_t t = 0; t < 8; ++t) ok &= (table[g + t] & ~7u) == (table[g] & ~7u);
    }
    hlp::ckks::gather_avx512(src.data(), table.data(), n, out.data());
    for (std::size_t i = 0; i < n; ++i) ok &= out[i] == src[table[i]];
    std::swap(table[7], table[8]);  // groups 0 and 1 now read two lines each
    hlp::ckks::gather_avx512(src.data(), table.data(), n, out.data());
    for (std::size_t i = 0; i < n; ++i) ok &= out[i] == src[table[i]];
  }
  return ok;
}

// correction2_gather against the definition and the scalar table: operands read through a Galois
// table (the AVX-512 loop's line-per-group path) and through a random permutation of n + 3
// positions (groups across lines and a tail: the scalar fallbacks), words up to 2^62 - 1, with
// and without the second term and m, at primes beside 2^50 and 2^60 and one above 2^60 (handed
// to the scalar code whole).
bool correction2_gather_bounds(const hlp::ckks::SimdKernels &a, const hlp::ckks::SimdKernels &b, unsigned log_n) {
  const std::size_t n = std::size_t{1} << log_n;
  std::vector<std::vector<uint32_t>> tables{hlp::ckks::make_galois_table(n, log_n, 3),
                                            hlp::ckks::make_galois_table(n, log_n, static_cast<uint32_t>(2 * n - 1))};
  std::vector<uint32_t> shuffled(n + 3);
  for (std::size_t i = 0; i < shuffled.size(); ++i) shuffled[i] = static_cast<uint32_t>(i);
  for (std::size_t i = shuffled.size(); i > 1; --i) std::swap(shuffled[i - 1], shuffled[rng()() % i]);
  tables.push_back(shuffled);
  bool ok = true;
  for (int bits : {50, -50, 60, -60}) {
    const u64 q = prime_at(bits, 1024);
    for (const auto &idx : tables) {
      const std::size_t len = idx.size();
      std::vector<u64> v(len), u(len), mm(len), o1(len), o2(len);
      for (std::size_t i = 0; i < len; ++i) {
        const u64 picks[] = {(u64{1} << 62) - 1, q - 1, 0, rng()() >> 2, rng()() % q};
        v[i] = picks[i % 5];
        u[i] = picks[(i / 5) % 5];
        mm[i] = i % 3 == 0 ? q - 1 : rng()() % q;
      }
      const u64 w = rng()() % q, x = q - 1, off = q - 1;
      const hlp::ckks::Weights2 k{w, hlp::shoup_precompute(w, q), x, hlp::shoup_precompute(x, q), off};
      for (const u64 *second : {static_cast<const u64 *>(nullptr), static_cast<const u64 *>(u.data())}) {
        for (const u64 *m : {static_cast<const u64 *>(nullptr), static_cast<const u64 *>(mm.data())}) {
          a.correction2_gather(v.data(), second, idx.data(), len, q, k, m, o1.data());
          b.correction2_gather(v.data(), second, idx.data(), len, q, k, m, o2.data());
          ok &= o1 == o2;
          for (std::size_t i = 0; i < len; ++i) {
            const std::size_t t = idx[i];
            u128 r = static_cast<u128>(v[t]) * w % q + off;
            if (second != nullptr) r += static_cast<u128>(second[t]) * x % q;
            if (m != nullptr) r += q - m[t];
            ok &= o1[i] == static_cast<u64>(r % q);
          }
        }
      }
    }
  }
  return ok;
}

// reduce (a digit's words into a smaller key prime) at its worst case, against the definition
// and the scalar table: words up to 2^62 - 1, exact multiples of q and their neighbours, at
// primes beside 2^30, 2^40, 2^50, 2^60 and 2^61 and below 2^62.
bool reduce_bounds(const hlp::ckks::SimdKernels &a, const hlp::ckks::SimdKernels &b, std::size_t n) {
  bool ok = true;
  for (int bits : {30, 40, -40, 50, -50, 60, -60, 61, -61, 62}) {
    const u64 q = prime_at(bits, 1024);
    const u64 barrett = static_cast<u64>((u128{1} << 64) / q);
    const u64 top = (u64{1} << 62) - 1;
    std::vector<u64> x(n), o1(n), o2(n);
    for (std::size_t i = 0; i < n; ++i) {
      const u64 most = top / q;  // 1 for q just below 2^62
      const u64 k = most - (i % 7 < most ? i % 7 : 0);
      const u64 picks[] = {top, top - top % q, k * q, k * q - 1, (u64{1} << 60) - 1, q - 1, q, 0, rng()() >> 2};
      x[i] = picks[i % 9];
    }
    a.reduce(x.data(), n, q, barrett, o1.data());
    b.reduce(x.data(), n, q, barrett, o2.data());
    ok &= o1 == o2;
    for (std::size_t i = 0; i < n; ++i) ok &= o1[i] == x[i] % q;
  }
  return ok;
}

// uniform (sampling's candidates read in place, any 64-bit word) against the definition and
// the scalar table: the largest words, exact multiples of q and their neighbours, words just
// below 2^62 and 2^63, random words, at primes beside 2^17 and 2^20 (either side of the
// AVX-512 code's switch from Barrett to a quotient in doubles), 2^30, 2^40, 2^50 and 2^60, from
// an unaligned byte offset.
bool uniform_bounds(const hlp::ckks::SimdKernels &a, const hlp::ckks::SimdKernels &b, std::size_t n) {
  bool ok = true;
  for (int bits : {17, 20, -20, 21, 30, 40, -40, 50, -50, 60, -60}) {
    const u64 q = prime_at(bits, 1024);
    const u64 barrett = static_cast<u64>((u128{1} << 64) / q);
    constexpr u64 kMax = ~u64{0};
    std::vector<u64> x(n), o1(n), o2(n);
    for (std::size_t i = 0; i < n; ++i) {
      const u64 k = kMax / q - i % 5;
      const u64 picks[] = {
          kMax, kMax - kMax % q, k * q, k * q - 1, k * q + 1, (u64{1} << 62) - 1, (u64{1} << 63) + 3, q - 1, q,
          0,    rng()()};
      x[i] = picks[i % 11];
    }
    std::vector<uint8_t> bytes(n * 8 + 3);
    std::memcpy(bytes.data() + 3, x.data(), n * 8);
    a.uniform(bytes.data() + 3, n, q, barrett, o1.data());
    b.uniform(bytes.data() + 3, n, q, barrett, o2.data());
    ok &= o1 == o2;
    for (std::size_t i = 0; i < n; ++i) ok &= o1[i] == x[i] % q;
  }
  return ok;
}

}  // namespace

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
    report(correction_bounds(a, b, n), "kernels: correction at the prime bounds and word maxima avx512 = scalar" + tag);
    report(correction2_bounds(a, b, n + 3),
           "kernels: correction2 at the prime bounds and word maxima avx512 = scalar" + tag);
    report(gather_matches(a, b, n), "kernels: gather avx512 = scalar = definition" + tag);
    report(reduce_bounds(a, b, n), "kernels: reduce at the prime bounds and word maxima avx512 = scalar" + tag);
    report(uniform_bounds(a, b, n),
           "kernels: uniform candidates at the prime bounds and word maxima avx512 = scalar" + tag);
  }
  for (unsigned log_n : {4u, 13u}) {
    report(correction2_gather_bounds(a, b, log_n),
           "kernels: correction2 through Galois tables and a permutation avx512 = scalar = definition, n=2^" +
               std::to_string(log_n));
  }
  for (unsigned log_n : {4u, 10u, 13u, 15u}) {
    report(galois_gather_matches(log_n),
           "kernels: Galois tables read a line per group of 8, gathered avx512 = definition, n=2^" +
               std::to_string(log_n));
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
    // a negative entry -k is the smallest prime above 2^k (prime_at): both sides of 2^50
    // (IFMA), 2^61 (the limbs' halved-companion reduction) and below 2^62
    for (int bits : {30, 40, 49, 50, -50, 60, -60, 61, -61, 62}) {
      const u64 q = prime_at(bits, n);
      const hlp::Modulus m(q);
      for (uint32_t terms : {1u, 3u, 29u, 300u, 4200u}) {
        // Past every fold: 2^(50-s) - 1 (IFMA), 1023 (limbs, q >= 2^61), 255 (limbs, 2^50 <= q < 2^61;
        // the scalar path at 60 bits), 63 (scalar, 61 bits).
        if (terms > 300 && (bits >= 60 || bits <= -60)) continue;
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
          for (const uint32_t *pp :
               {static_cast<const uint32_t *>(nullptr), static_cast<const uint32_t *>(perm.data())}) {
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
            report(ok, "dot2: " + table + " q " + std::to_string(q) + " (" + std::to_string(bits) + "), " +
                           std::to_string(terms) + " terms" + (extreme ? " at q - 1" : "") + (pp ? ", permuted" : ""));
          }
        }
      }
    }
  }
}

// dot2_pair against 128-bit sums of each set's terms, for every kernel table and prime class,
// with terms left out of one set, the other, or both (a set with no term sums to zero), term
// counts past each fold, lengths the vector paths do not take (n = 24), and compact factors
// (repeat R: n / R words, word x / R for position x).
void test_dot2_pair() {
  if (!selected("dot2")) return;
  using Pair = decltype(hlp::ckks::SimdKernels::dot2_pair);
  std::vector<std::pair<std::string, Pair>> tables{{"scalar", hlp::ckks::scalar_kernels().dot2_pair}};
  if (hlp_variant_available(HLP_VARIANT_AVX512)) tables.emplace_back("avx512", hlp::ckks::avx512_kernels().dot2_pair);
  for (const auto &[table, pair] : tables) {
    for (std::size_t n : {std::size_t{24}, std::size_t{1024}}) {
      for (int bits : {40, 49, -50, 60, -60, -61, 62}) {
        const u64 q = prime_at(bits, 1024);
        const hlp::Modulus m(q);
        for (uint32_t terms : {1u, 5u, 40u, 300u, 2100u}) {
          if (terms > 300 && (bits >= 60 || bits <= -60)) continue;
          for (uint32_t repeat : {1u, 2u, 4u, 8u}) {
            if (repeat > 1 && terms > 40) continue;  // past every fold already at repeat 1
            for (int pattern = 0; pattern < 4; ++pattern) {
              // 0: every term in both sets; 1: a few left out of each; 2: the second set empty;
              // 3: words at q - 1 (the worst case for every fold)
              const bool extreme = pattern == 3;
              std::vector<std::vector<u64>> a(terms, std::vector<u64>(n / repeat)), a2 = a;
              std::vector<std::vector<u64>> b0(terms, std::vector<u64>(n)), b1 = b0;
              for (uint32_t t = 0; t < terms; ++t) {
                for (std::size_t x = 0; x < n / repeat; ++x) {
                  a[t][x] = extreme ? q - 1 : rng()() % q;
                  a2[t][x] = extreme ? q - 1 : rng()() % q;
                }
                for (std::size_t x = 0; x < n; ++x) {
                  b0[t][x] = extreme ? q - 1 : rng()() % q;
                  b1[t][x] = rng()() % q;
                }
              }
              std::vector<const u64 *> pa(terms), pa2(terms), p0(terms), p1(terms);
              for (uint32_t t = 0; t < terms; ++t) {
                const bool out1 = pattern == 1 && terms > 1 && t % 3 == 1;
                const bool out2 = (pattern == 1 && t % 4 == 0) || pattern == 2;
                pa[t] = out1 ? nullptr : a[t].data();
                pa2[t] = out2 ? nullptr : a2[t].data();
                p0[t] = b0[t].data(), p1[t] = b1[t].data();
              }
              std::vector<u64> o0(n, 7), o1(n, 7), o2(n, 7), o3(n, 7);
              pair(pa.data(), pa2.data(), repeat, p0.data(), p1.data(), terms, n, m, o0.data(), o1.data(), o2.data(),
                   o3.data());
              bool ok = true;
              for (std::size_t x = 0; x < n && ok; ++x) {
                u64 e[4] = {0, 0, 0, 0};
                const std::size_t i = x / repeat;
                for (uint32_t t = 0; t < terms; ++t) {
                  if (pa[t] != nullptr) {
                    e[0] = static_cast<u64>((static_cast<u128>(pa[t][i]) * b0[t][x] + e[0]) % q);
                    e[1] = static_cast<u64>((static_cast<u128>(pa[t][i]) * b1[t][x] + e[1]) % q);
                  }
                  if (pa2[t] != nullptr) {
                    e[2] = static_cast<u64>((static_cast<u128>(pa2[t][i]) * b0[t][x] + e[2]) % q);
                    e[3] = static_cast<u64>((static_cast<u128>(pa2[t][i]) * b1[t][x] + e[3]) % q);
                  }
                }
                ok = o0[x] == e[0] && o1[x] == e[1] && o2[x] == e[2] && o3[x] == e[3];
              }
              report(ok, "dot2_pair: " + table + " n " + std::to_string(n) + " q " + std::to_string(q) + " (" +
                             std::to_string(bits) + "), " + std::to_string(terms) + " terms, repeat " +
                             std::to_string(repeat) + ", pattern " + std::to_string(pattern));
            }
          }
        }
      }
    }
  }
}

}  // namespace hlp_test
