// AVX-512 (F, DQ, VL) versions of the CKKS hot loops in kernels-scalar.cpp, eight
// 64-bit lanes at a time. Integer results are bit-identical to the scalar table; the
// FFT and the encoder tail use fused multiply-adds and may differ from the scalar code
// in the last bit of a double, which moves an encoded coefficient by one only when it
// sits on a rounding boundary (harmless: that is below the encoding precision).
//
// Secret-dependent values are handled with compares into masks, blends and arithmetic;
// no branch or memory index depends on them. Everything vectorised sits between the
// target pragmas; the exported table lives at the end in default-target code.
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "ckks.hpp"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,bmi2,fma")
// GCC 12 flags the deliberately undefined pass-through operand inside the AVX-512
// intrinsics (GCC bug 105593); nothing here reads an uninitialised value.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "simd-avx512.hpp"

namespace hlp {
namespace ckks {
namespace {

void sample_noise_avx512(const uint8_t *bytes, std::size_t count, i64 *out, const u64 *cdt) {
  __m512i table[kNoiseBound];
  for (int k = 0; k < kNoiseBound; ++k) table[k] = vset(cdt[k]);
  const __m512i low63 = vset(0x7FFFFFFFFFFFFFFFULL);
  const __m512i one = vset(1);
  std::size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    // x86 is little-endian: the 64-bit lanes are the little-endian words of the stream.
    const __m512i w = vload(bytes + i * kNoiseBytesPerCoeff);
    const __m512i r = _mm512_and_si512(w, low63);
    const __m512i sign = _mm512_srli_epi64(w, 63);
    __m512i mag = _mm512_setzero_si512();
    for (int k = 0; k < kNoiseBound; ++k) {
      const __mmask8 ge = _mm512_cmpge_epu64_mask(r, table[k]);
      mag = _mm512_mask_add_epi64(mag, ge, mag, one);
    }
    const __m512i neg = _mm512_sub_epi64(_mm512_setzero_si512(), sign);
    vstore(out + i, _mm512_add_epi64(_mm512_xor_si512(mag, neg), sign));
  }
  if (i < count) scalar_kernels().sample_noise(bytes + i * kNoiseBytesPerCoeff, count - i, out + i, cdt);
}

void ternary_raw_avx512(const uint8_t *bytes, std::size_t count, uint8_t *t) {
  const __m512i t1 = vset(kTernaryT1), t2 = vset(kTernaryT2), one = vset(1);
  std::size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m512i w = vload(bytes + i * kTernaryBytesPerCoeff);
    __m512i v = _mm512_maskz_mov_epi64(_mm512_cmpge_epu64_mask(w, t1), one);
    v = _mm512_mask_add_epi64(v, _mm512_cmpge_epu64_mask(w, t2), v, one);
    _mm_storel_epi64(reinterpret_cast<__m128i *>(t + i), _mm512_cvtepi64_epi8(v));
  }
  if (i < count) scalar_kernels().ternary_raw(bytes + i * kTernaryBytesPerCoeff, count - i, t + i);
}

void ternary_select_avx512(const uint8_t *t, std::size_t n, u64 minus, u64 plus, u64 *out) {
  const __m512i vminus = vset(minus), vplus = vset(plus), zero = _mm512_setzero_si512(), two = vset(2);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512i v = _mm512_cvtepu8_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(t + i)));
    const __mmask8 is_neg = _mm512_cmpeq_epu64_mask(v, zero);
    const __mmask8 is_pos = _mm512_cmpeq_epu64_mask(v, two);
    __m512i r = _mm512_mask_mov_epi64(zero, is_neg, vminus);
    r = _mm512_mask_mov_epi64(r, is_pos, vplus);
    vstore(out + i, r);
  }
  if (i < n) scalar_kernels().ternary_select(t + i, n - i, minus, plus, out + i);
}

void signed_to_mod_avx512(const i64 *c, std::size_t n, u64 q, u64 barrett, u64 *out) {
  if (q < (u64{1} << 32)) {
    // The floating-point quotient below needs q >= 2^32 to be off by at most one.
    scalar_kernels().signed_to_mod(c, n, q, barrett, out);
    return;
  }
  const __m512i vq = vset(q), zero = _mm512_setzero_si512();
  const __m512d inv_q = _mm512_set1_pd(1.0 / static_cast<double>(q));
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512i x = vload(c + i);
    const __mmask8 negative = _mm512_cmplt_epi64_mask(x, zero);
    const __m512i mag = _mm512_abs_epi64(x);  // < 2^63
    // quotient estimate, within one of floor(mag / q) for q >= 2^32
    const __m512d qd = _mm512_mul_pd(_mm512_cvtepi64_pd(mag), inv_q);
    const __m512i quot = _mm512_cvttpd_epi64(qd);
    __m512i r = _mm512_sub_epi64(mag, _mm512_mullo_epi64(quot, vq));  // (-q, 2q) as signed
    r = _mm512_mask_add_epi64(r, _mm512_cmplt_epi64_mask(r, zero), r, vq);
    r = vreduce(r, vq);
    // negative: q - r unless r = 0
    const __m512i neg_r = _mm512_sub_epi64(vq, r);
    const __mmask8 flip = negative & _mm512_cmpneq_epu64_mask(r, zero);
    vstore(out + i, _mm512_mask_mov_epi64(r, flip, neg_r));
  }
  if (i < n) scalar_kernels().signed_to_mod(c + i, n - i, q, barrett, out + i);
}

bool below_avx512(const u64 *p, std::size_t n, u64 q) {
  const __m512i vq = vset(q);
  __mmask8 bad = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) bad |= _mm512_cmpge_epu64_mask(vload(p + i), vq);
  return bad == 0 && (i == n || scalar_kernels().below(p + i, n - i, q));
}

void last_block_avx512(u64 *y, const i64 *e, std::size_t n, u64 half, u64 q) {
  const __m512i vq = vset(q), vhalf = vset(half), off = vset(kNoiseOffset), zero = _mm512_setzero_si512();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m512i ei = e != nullptr ? vload(e + i) : zero;
    __m512i x = _mm512_add_epi64(_mm512_add_epi64(vload(y + i), vhalf), ei);  // (-20, 2q) signed
    x = _mm512_mask_add_epi64(x, _mm512_cmplt_epi64_mask(x, zero), x, vq);    // [0, 2q)
    x = vreduce(x, vq);                                                       // [0, q)
    vstore(y + i, _mm512_add_epi64(_mm512_sub_epi64(x, ei), off));
  }
  if (i < n) scalar_kernels().last_block(y + i, e != nullptr ? e + i : nullptr, n - i, half, q);
}

// v < 2^62 (the callers pass words below q_t + 84 < 2^60 + 84): HalfShoup's product lies in
// [0, 2.5q), with off < q in [0, 3.5q), and the subtractions of 2q and q leave [0, q).
void correction_avx512(const u64 *v, std::size_t n, u64 q, u64 inv, u64 inv_shoup, u64 off, const u64 *m, u64 *out) {
  const __m512i vq = vset(q), two_q = vset(2 * q), voff = vset(off);
  const HalfShoup mul(inv, inv_shoup);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m512i r = _mm512_add_epi64(mul.mul_lazy(vload(v + i), vq), voff);  // [0, 3.5q)
    r = vreduce(vreduce(r, two_q), vq);
    if (m != nullptr) {
      const __m512i mi = vload(m + i);
      const __m512i d = _mm512_sub_epi64(r, mi);
      r = _mm512_mask_add_epi64(d, _mm512_cmplt_epu64_mask(r, mi), d, vq);
    }
    vstore(out + i, r);
  }
  if (i < n) scalar_kernels().correction(v + i, n - i, q, inv, inv_shoup, off, m != nullptr ? m + i : nullptr, out + i);
}

// ---- FFT: stages with half-width h >= 8 run on vectors, h = 4, 2, 1 on scalars -------

void fft_forward_avx512(const Fft &f, double *re, double *im) {
  const std::size_t m = f.m;
  if (m < 16) {
    scalar_kernels().fft_forward(f, re, im);
    return;
  }
  std::size_t h = m >> 1;
  for (; h >= 8; h >>= 1) {
    const double *wr = f.tw_re.data() + h;
    const double *wi = f.tw_im.data() + h;
    for (std::size_t s = 0; s < m; s += 2 * h) {
      double *xr = re + s, *xi = im + s, *yr = re + s + h, *yi = im + s + h;
      for (std::size_t j = 0; j < h; j += 8) {
        const __m512d ur = _mm512_loadu_pd(xr + j), ui = _mm512_loadu_pd(xi + j);
        const __m512d vr = _mm512_loadu_pd(yr + j), vi = _mm512_loadu_pd(yi + j);
        const __m512d w_r = _mm512_loadu_pd(wr + j), w_i = _mm512_loadu_pd(wi + j);
        const __m512d dr = _mm512_sub_pd(ur, vr), di = _mm512_sub_pd(ui, vi);
        _mm512_storeu_pd(xr + j, _mm512_add_pd(ur, vr));
        _mm512_storeu_pd(xi + j, _mm512_add_pd(ui, vi));
        _mm512_storeu_pd(yr + j, _mm512_fmsub_pd(dr, w_r, _mm512_mul_pd(di, w_i)));
        _mm512_storeu_pd(yi + j, _mm512_fmadd_pd(dr, w_i, _mm512_mul_pd(di, w_r)));
      }
    }
  }
  for (; h >= 1; h >>= 1) {
    const double *wr = f.tw_re.data() + h;
    const double *wi = f.tw_im.data() + h;
    for (std::size_t s = 0; s < m; s += 2 * h) {
      for (std::size_t j = 0; j < h; ++j) {
        const std::size_t a = s + j, b = s + j + h;
        const double ur = re[a], ui = im[a], vr = re[b], vi = im[b];
        const double dr = ur - vr, di = ui - vi;
        re[a] = ur + vr;
        im[a] = ui + vi;
        re[b] = dr * wr[j] - di * wi[j];
        im[b] = dr * wi[j] + di * wr[j];
      }
    }
  }
}

void fft_inverse_avx512(const Fft &f, double *re, double *im) {
  const std::size_t m = f.m;
  if (m < 16) {
    scalar_kernels().fft_inverse(f, re, im);
    return;
  }
  std::size_t h = 1;
  for (; h < 8; h <<= 1) {
    const double *wr = f.tw_re.data() + h;
    const double *wi = f.tw_im.data() + h;
    for (std::size_t s = 0; s < m; s += 2 * h) {
      for (std::size_t j = 0; j < h; ++j) {
        const std::size_t a = s + j, b = s + j + h;
        const double vr = re[b] * wr[j] + im[b] * wi[j];
        const double vi = im[b] * wr[j] - re[b] * wi[j];
        const double ur = re[a], ui = im[a];
        re[a] = ur + vr;
        im[a] = ui + vi;
        re[b] = ur - vr;
        im[b] = ui - vi;
      }
    }
  }
  for (; h < m; h <<= 1) {
    const double *wr = f.tw_re.data() + h;
    const double *wi = f.tw_im.data() + h;
    for (std::size_t s = 0; s < m; s += 2 * h) {
      double *xr = re + s, *xi = im + s, *yr = re + s + h, *yi = im + s + h;
      for (std::size_t j = 0; j < h; j += 8) {
        const __m512d br = _mm512_loadu_pd(yr + j), bi = _mm512_loadu_pd(yi + j);
        const __m512d w_r = _mm512_loadu_pd(wr + j), w_i = _mm512_loadu_pd(wi + j);
        const __m512d vr = _mm512_fmadd_pd(br, w_r, _mm512_mul_pd(bi, w_i));
        const __m512d vi = _mm512_fmsub_pd(bi, w_r, _mm512_mul_pd(br, w_i));
        const __m512d ur = _mm512_loadu_pd(xr + j), ui = _mm512_loadu_pd(xi + j);
        _mm512_storeu_pd(xr + j, _mm512_add_pd(ur, vr));
        _mm512_storeu_pd(xi + j, _mm512_add_pd(ui, vi));
        _mm512_storeu_pd(yr + j, _mm512_sub_pd(ur, vr));
        _mm512_storeu_pd(yi + j, _mm512_sub_pd(ui, vi));
      }
    }
  }
}

bool to_integers_avx512(const Fft &f, const double *re, const double *im, double factor, i64 *c, double *max_abs) {
  const std::size_t m = f.m;
  if (m % 8 != 0) return scalar_kernels().to_integers(f, re, im, factor, c, max_abs);
  const __m512d vf = _mm512_set1_pd(factor);
  const __m512d two52 = _mm512_set1_pd(4503599627370496.0);
  const __m512d two63 = _mm512_set1_pd(9223372036854775808.0);
  const __m512i sign_bit = vset(0x8000000000000000ULL);
  __m512d mx = _mm512_setzero_pd();
  __mmask8 out_of_range = 0;
  auto round_store = [&](__m512d b, i64 *dst) {
    const __m512d a = _mm512_abs_pd(b);
    mx = _mm512_max_pd(mx, a);  // NaN lanes are caught by the range test below
    const __mmask8 small = _mm512_cmp_pd_mask(a, two52, _CMP_LT_OQ);
    // ties to even, as the scalar (a + 2^52) - 2^52
    const __m512d r = _mm512_mask_sub_pd(a, small, _mm512_add_pd(a, two52), two52);
    const __mmask8 ok = _mm512_cmp_pd_mask(r, two63, _CMP_LT_OQ);
    out_of_range |= static_cast<__mmask8>(~ok);
    const __m512i mag = _mm512_maskz_cvttpd_epi64(ok, r);
    const __mmask8 negative = _mm512_test_epi64_mask(_mm512_castpd_si512(b), sign_bit);
    vstore(dst, _mm512_mask_sub_epi64(mag, negative, _mm512_setzero_si512(), mag));
  };
  for (std::size_t k = 0; k < m; k += 8) {
    const __m512d yr = _mm512_loadu_pd(re + k), yi = _mm512_loadu_pd(im + k);
    const __m512d tr = _mm512_loadu_pd(f.twist_re.data() + k), ti = _mm512_loadu_pd(f.twist_im.data() + k);
    const __m512d br = _mm512_mul_pd(_mm512_fmadd_pd(yr, tr, _mm512_mul_pd(yi, ti)), vf);
    const __m512d bi = _mm512_mul_pd(_mm512_fmsub_pd(yi, tr, _mm512_mul_pd(yr, ti)), vf);
    round_store(br, c + k);
    round_store(bi, c + k + m);
  }
  *max_abs = _mm512_reduce_max_pd(mx);
  return out_of_range == 0;
}

}  // namespace
}  // namespace ckks
}  // namespace hlp

#pragma GCC diagnostic pop
#pragma GCC pop_options

namespace hlp {
namespace ckks {

const SimdKernels &avx512_kernels() {
  static const SimdKernels k{
      "avx512",           sample_noise_avx512, ternary_raw_avx512,       ternary_select_avx512, signed_to_mod_avx512,
      below_avx512,       last_block_avx512,   correction_avx512,        correction2_avx512,    gather_avx512,
      fft_forward_avx512, fft_inverse_avx512,  to_integers_avx512,       dot2_avx512,           dot2_pair_avx512,
      reduce_avx512,      uniform_avx512,      correction2_gather_avx512};
  return k;
}

}  // namespace ckks
}  // namespace hlp
