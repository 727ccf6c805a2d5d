// Scalar (baseline x86-64) implementations of the CKKS hot loops: the reference the
// AVX-512 table (kernels-avx512.cpp and its companions) must match. Secret-dependent values (noise,
// ternary, plaintext coefficients) flow through masks and arithmetic, never branches
// or table indices.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "ckks.hpp"

namespace hlp {
namespace ckks {

namespace {

inline u64 load_le64(const uint8_t *p) {
  u64 v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void sample_noise_scalar(const uint8_t *bytes, std::size_t count, i64 *out, const u64 *cdt) {
  u64 table[kNoiseBound];
  for (int k = 0; k < kNoiseBound; ++k) table[k] = cdt[k];
  for (std::size_t i = 0; i < count; ++i) {
    const u64 w = load_le64(bytes + i * kNoiseBytesPerCoeff);
    const u64 r = w & 0x7FFFFFFFFFFFFFFFULL;
    const u64 sign = w >> 63;
    u64 mag = 0;
    for (int k = 0; k < kNoiseBound; ++k) mag += static_cast<u64>(r >= table[k]);
    // Conditional negation without a branch: (mag ^ -sign) + sign. A zero magnitude
    // stays zero whatever the sign, so P(0) is the table's P(|e| = 0).
    const u64 neg = 0 - sign;
    out[i] = static_cast<i64>((mag ^ neg) + sign);
  }
}

// floor(3 w / 2^64) = [w >= ceil(2^64 / 3)] + [w >= ceil(2^65 / 3)].
void ternary_raw_scalar(const uint8_t *bytes, std::size_t count, uint8_t *t) {
  for (std::size_t i = 0; i < count; ++i) {
    const u64 w = load_le64(bytes + i * kTernaryBytesPerCoeff);
    t[i] = static_cast<uint8_t>(static_cast<unsigned>(w >= kTernaryT1) + static_cast<unsigned>(w >= kTernaryT2));
  }
}

void ternary_select_scalar(const uint8_t *t, std::size_t n, u64 minus, u64 plus, u64 *out) {
  for (std::size_t i = 0; i < n; ++i) {
    const u64 is_neg = 0 - static_cast<u64>(t[i] == 0);
    const u64 is_pos = 0 - static_cast<u64>(t[i] == 2);
    out[i] = (minus & is_neg) | (plus & is_pos);
  }
}

void signed_to_mod_scalar(const i64 *c, std::size_t n, u64 q, u64 barrett, u64 *out) {
  for (std::size_t i = 0; i < n; ++i) out[i] = reduce_signed(c[i], q, barrett);
}

bool below_scalar(const u64 *p, std::size_t n, u64 q) {
  u64 bad = 0;
  for (std::size_t i = 0; i < n; ++i) bad |= static_cast<u64>(p[i] >= q);
  return bad == 0;
}

void last_block_scalar(u64 *y, const i64 *e, std::size_t n, u64 half, u64 q) {
  const i64 h = static_cast<i64>(half);
  const i64 qs = static_cast<i64>(q);
  for (std::size_t i = 0; i < n; ++i) {
    const i64 ei = e != nullptr ? e[i] : 0;
    i64 x = static_cast<i64>(y[i]) + h + ei;         // (-20, 2q)
    x += qs & (x >> 63);                             // [0, 2q)
    x -= qs & (0 - static_cast<i64>(x >= qs));       // [0, q)
    y[i] = static_cast<u64>(x - ei) + kNoiseOffset;  // > 0
  }
}

void correction_scalar(const u64 *v, std::size_t n, u64 q, u64 inv, u64 inv_shoup, u64 off, const u64 *m, u64 *out) {
  for (std::size_t i = 0; i < n; ++i) {
    u64 x = mul_mod_shoup_lazy(v[i], inv, inv_shoup, q) + off;  // < 3q
    x -= q & (0 - static_cast<u64>(x >= 2 * q));
    x -= q & (0 - static_cast<u64>(x >= q));
    out[i] = m != nullptr ? sub_mod(x, m[i], q) : x;
  }
}

void correction2_scalar(const u64 *v, const u64 *u, std::size_t n, u64 q, const Weights2 &k, const u64 *m, u64 *out) {
  for (std::size_t i = 0; i < n; ++i) {
    u64 x = mul_mod_shoup_lazy(v[i], k.w, k.w_shoup, q) + mul_mod_shoup_lazy(u[i], k.x, k.x_shoup, q);  // < 4q
    x -= (2 * q) & (0 - static_cast<u64>(x >= 2 * q));
    x -= q & (0 - static_cast<u64>(x >= q));
    x = add_mod(x, k.off, q);
    out[i] = m != nullptr ? sub_mod(x, m[i], q) : x;
  }
}

void gather_scalar(const u64 *src, const uint32_t *idx, std::size_t n, u64 *dst) {
  for (std::size_t i = 0; i < n; ++i) dst[i] = src[idx[i]];
}

void correction2_gather_scalar(const u64 *v, const u64 *u, const uint32_t *idx, std::size_t n, u64 q, const Weights2 &k,
                               const u64 *m, u64 *out) {
  for (std::size_t i = 0; i < n; ++i) {
    const uint32_t t = idx[i];
    u64 x = mul_mod_shoup_lazy(v[t], k.w, k.w_shoup, q);                 // < 2q
    if (u != nullptr) x += mul_mod_shoup_lazy(u[t], k.x, k.x_shoup, q);  // < 4q
    x -= (2 * q) & (0 - static_cast<u64>(x >= 2 * q));
    x -= q & (0 - static_cast<u64>(x >= q));
    x = add_mod(x, k.off, q);
    out[i] = m != nullptr ? sub_mod(x, m[t], q) : x;
  }
}

void fft_forward_scalar(const Fft &f, double *re, double *im) {
  const std::size_t m = f.m;
  for (std::size_t h = m >> 1; h >= 1; h >>= 1) {
    const double *wr = f.tw_re.data() + h;
    const double *wi = f.tw_im.data() + h;
    for (std::size_t s = 0; s < m; s += 2 * h) {
      double *xr = re + s, *xi = im + s, *yr = re + s + h, *yi = im + s + h;
      for (std::size_t j = 0; j < h; ++j) {
        const double ur = xr[j], ui = xi[j], vr = yr[j], vi = yi[j];
        const double dr = ur - vr, di = ui - vi;
        xr[j] = ur + vr;
        xi[j] = ui + vi;
        yr[j] = dr * wr[j] - di * wi[j];
        yi[j] = dr * wi[j] + di * wr[j];
      }
    }
  }
}

void fft_inverse_scalar(const Fft &f, double *re, double *im) {
  const std::size_t m = f.m;
  for (std::size_t h = 1; h < m; h <<= 1) {
    const double *wr = f.tw_re.data() + h;
    const double *wi = f.tw_im.data() + h;
    for (std::size_t s = 0; s < m; s += 2 * h) {
      double *xr = re + s, *xi = im + s, *yr = re + s + h, *yi = im + s + h;
      for (std::size_t j = 0; j < h; ++j) {
        // v * conj(w)
        const double vr = yr[j] * wr[j] + yi[j] * wi[j];
        const double vi = yi[j] * wr[j] - yr[j] * wi[j];
        const double ur = xr[j], ui = xi[j];
        xr[j] = ur + vr;
        xi[j] = ui + vi;
        yr[j] = ur - vr;
        yi[j] = ui - vi;
      }
    }
  }
}

constexpr double kTwo52 = 4503599627370496.0;
constexpr double kTwo63 = 9223372036854775808.0;

// Nearest integer (ties to even) of |x| >= 0 without a libm call; |x| >= 2^52 is integral.
inline double round_magnitude(double ax) { return ax < kTwo52 ? (ax + kTwo52) - kTwo52 : ax; }

bool to_integers_scalar(const Fft &f, const double *re, const double *im, double factor, i64 *c, double *max_abs) {
  const std::size_t m = f.m;
  const double *twr = f.twist_re.data();
  const double *twi = f.twist_im.data();
  double mx = 0;
  bool in_range = true;
  for (std::size_t k = 0; k < m; ++k) {
    const double yr = re[k], yi = im[k];
    const double br = (yr * twr[k] + yi * twi[k]) * factor;
    const double bi = (yi * twr[k] - yr * twi[k]) * factor;
    const double ar = std::fabs(br), ai = std::fabs(bi);
    mx = ar > mx ? ar : mx;
    mx = ai > mx ? ai : mx;
    const double rr = round_magnitude(ar), ri = round_magnitude(ai);
    // Also false for NaN, so an overflowed transform never wraps silently.
    in_range &= rr < kTwo63 && ri < kTwo63;
    const i64 mr = rr < kTwo63 ? static_cast<i64>(rr) : 0;
    const i64 mi = ri < kTwo63 ? static_cast<i64>(ri) : 0;
    c[k] = std::signbit(br) ? -mr : mr;
    c[k + m] = std::signbit(bi) ? -mi : mi;
  }
  *max_abs = mx;
  return in_range;
}

// 128-bit accumulators for a chunk of positions, kept in L1; each term's words stream in.
void dot2_scalar(const u64 *const *a, const uint32_t *perm, const u64 *const *b0, const u64 *const *b1, uint32_t terms,
                 std::size_t n, const Modulus &m, u64 *out0, u64 *out1) {
  constexpr std::size_t kChunk = 128;
  u128 acc0[kChunk], acc1[kChunk];
  const uint32_t fold = dot_fold_terms(m.value);
  for (std::size_t base = 0; base < n; base += kChunk) {
    const std::size_t len = n - base < kChunk ? n - base : kChunk;
    for (std::size_t x = 0; x < len; ++x) acc0[x] = acc1[x] = 0;
    uint32_t pending = 0;
    for (uint32_t t = 0; t < terms; ++t) {
      if (pending == fold) {
        for (std::size_t x = 0; x < len; ++x) {
          acc0[x] = reduce_128_full(acc0[x], m);
          acc1[x] = reduce_128_full(acc1[x], m);
        }
        pending = 0;
      }
      const u64 *at = a[t];
      const u64 *p0 = b0[t] + base, *p1 = b1[t] + base;
      if (perm != nullptr) {
        const uint32_t *idx = perm + base;
        for (std::size_t x = 0; x < len; ++x) {
          const u128 v = at[idx[x]];
          acc0[x] += v * p0[x];
          acc1[x] += v * p1[x];
        }
      } else {
        const u64 *ab = at + base;
        for (std::size_t x = 0; x < len; ++x) {
          const u128 v = ab[x];
          acc0[x] += v * p0[x];
          acc1[x] += v * p1[x];
        }
      }
      ++pending;
    }
    for (std::size_t x = 0; x < len; ++x) {
      out0[base + x] = reduce_128_full(acc0[x], m);
      out1[base + x] = reduce_128_full(acc1[x], m);
    }
  }
}

void dot2_pair_scalar(const u64 *const *a, const u64 *const *a2, uint32_t repeat, const u64 *const *b0,
                      const u64 *const *b1, uint32_t terms, std::size_t n, const Modulus &m, u64 *out0, u64 *out1,
                      u64 *out2, u64 *out3) {
  dot2_pair_split(dot2_scalar, a, a2, repeat, b0, b1, terms, n, m, out0, out1, out2, out3);
}

void reduce_scalar(const u64 *x, std::size_t n, u64 q, u64 barrett, u64 *out) {
  for (std::size_t i = 0; i < n; ++i) out[i] = reduce64(x[i], q, barrett);
}

void uniform_scalar(const uint8_t *bytes, std::size_t n, u64 q, u64 barrett, u64 *out) {
  for (std::size_t i = 0; i < n; ++i) {
    u64 x;
    std::memcpy(&x, bytes + i * sizeof x, sizeof x);
    out[i] = reduce64(x, q, barrett);
  }
}

}  // namespace

const SimdKernels &scalar_kernels() {
  static const SimdKernels k{
      "scalar",           sample_noise_scalar, ternary_raw_scalar,       ternary_select_scalar, signed_to_mod_scalar,
      below_scalar,       last_block_scalar,   correction_scalar,        correction2_scalar,    gather_scalar,
      fft_forward_scalar, fft_inverse_scalar,  to_integers_scalar,       dot2_scalar,           dot2_pair_scalar,
      reduce_scalar,      uniform_scalar,      correction2_gather_scalar};
  return k;
}

void dot2_pair_split(decltype(SimdKernels::dot2) dot2, const u64 *const *a, const u64 *const *a2, uint32_t repeat,
                     const u64 *const *b0, const u64 *const *b1, uint32_t terms, std::size_t n, const Modulus &m,
                     u64 *out0, u64 *out1, u64 *out2, u64 *out3) {
  std::vector<uint32_t> spread;
  if (repeat > 1) {
    spread.resize(n);
    for (std::size_t x = 0; x < n; ++x) spread[x] = static_cast<uint32_t>(x / repeat);
  }
  std::vector<const u64 *> f(terms), c0(terms), c1(terms);
  const u64 *const *sets[2] = {a, a2};
  u64 *outs[2][2] = {{out0, out1}, {out2, out3}};
  for (int s = 0; s < 2; ++s) {
    uint32_t k = 0;
    for (uint32_t t = 0; t < terms; ++t) {
      if (sets[s][t] == nullptr) continue;
      f[k] = sets[s][t], c0[k] = b0[t], c1[k] = b1[t];
      ++k;
    }
    if (k == 0) {
      std::fill(outs[s][0], outs[s][0] + n, u64{0});
      std::fill(outs[s][1], outs[s][1] + n, u64{0});
    } else {
      dot2(f.data(), spread.empty() ? nullptr : spread.data(), c0.data(), c1.data(), k, n, m, outs[s][0], outs[s][1]);
    }
  }
}

const SimdKernels &simd() {
  static const SimdKernels *k = [] { return &ckks_ops() == &avx512_ops() ? &avx512_kernels() : &scalar_kernels(); }();
  return *k;
}

}  // namespace ckks
}  // namespace hlp
