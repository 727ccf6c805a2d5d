// Portable negacyclic NTT: Harvey butterflies with lazy reduction. Values stay in
// [0, 4q) inside the forward transform and [0, 2q) inside the inverse, so each
// butterfly costs one Shoup multiplication and no full reductions; q < 2^62 keeps 4q
// inside a word.
#include "../core/variants.hpp"

namespace hlp {

namespace {

// One Harvey forward butterfly: x in [0, 4q), y in [0, 4q) -> both in [0, 4q).
inline void forward_butterfly(u64 &x, u64 &y, u64 root, u64 root_shoup, u64 q, u64 two_q) {
  u64 xv = x;
  xv -= (xv >= two_q) ? two_q : 0;
  const u64 ty = mul_mod_shoup_lazy(y, root, root_shoup, q);
  x = xv + ty;
  y = xv - ty + two_q;
}

// One Harvey inverse butterfly: x, y in [0, 2q) -> both in [0, 2q).
inline void inverse_butterfly(u64 &x, u64 &y, u64 root, u64 root_shoup, u64 q, u64 two_q) {
  const u64 xv = x;
  const u64 yv = y;
  u64 sum = xv + yv;
  sum -= (sum >= two_q) ? two_q : 0;
  x = sum;
  y = mul_mod_shoup_lazy(xv - yv + two_q, root, root_shoup, q);
}

}  // namespace

void ntt_forward_scalar(u64 *a, const NttTables &t) {
  const std::size_t n = t.n;
  const u64 q = t.modulus.value;
  const u64 two_q = 2 * q;
  const u64 *w = t.fwd.data();
  const u64 *ws = t.fwd_shoup.data();
  for (std::size_t m = 1; m < n; m <<= 1) {
    const std::size_t gap = n / (2 * m);
    if (gap >= 4) {
      for (std::size_t i = 0; i < m; ++i) {
        const u64 root = w[m + i];
        const u64 root_shoup = ws[m + i];
        u64 *x = a + 2 * i * gap;
        u64 *y = x + gap;
        for (std::size_t j = 0; j < gap; j += 4) {
          forward_butterfly(x[j], y[j], root, root_shoup, q, two_q);
          forward_butterfly(x[j + 1], y[j + 1], root, root_shoup, q, two_q);
          forward_butterfly(x[j + 2], y[j + 2], root, root_shoup, q, two_q);
          forward_butterfly(x[j + 3], y[j + 3], root, root_shoup, q, two_q);
        }
      }
    } else if (gap == 2) {
      // Short stages unrolled by hand: a one- or two-trip inner loop costs more than
      // the butterflies it runs.
      for (std::size_t i = 0; i < m; ++i) {
        u64 *x = a + 4 * i;
        forward_butterfly(x[0], x[2], w[m + i], ws[m + i], q, two_q);
        forward_butterfly(x[1], x[3], w[m + i], ws[m + i], q, two_q);
      }
    } else {
      for (std::size_t i = 0; i < m; ++i) {
        u64 *x = a + 2 * i;
        forward_butterfly(x[0], x[1], w[m + i], ws[m + i], q, two_q);
      }
    }
  }
  for (std::size_t j = 0; j < n; ++j) {
    u64 v = a[j];
    v -= (v >= two_q) ? two_q : 0;
    v -= (v >= q) ? q : 0;
    a[j] = v;
  }
}

void ntt_inverse_scalar(u64 *a, const NttTables &t) {
  const std::size_t n = t.n;
  const u64 q = t.modulus.value;
  const u64 two_q = 2 * q;
  const u64 *w = t.inv.data();
  const u64 *ws = t.inv_shoup.data();
  // Every stage but the last; the last is fused with the scaling by n^-1.
  for (std::size_t m = n >> 1; m > 1; m >>= 1) {
    const std::size_t gap = n / (2 * m);
    if (gap == 1) {
      for (std::size_t i = 0; i < m; ++i) {
        u64 *x = a + 2 * i;
        inverse_butterfly(x[0], x[1], w[m + i], ws[m + i], q, two_q);
      }
    } else if (gap == 2) {
      for (std::size_t i = 0; i < m; ++i) {
        u64 *x = a + 4 * i;
        inverse_butterfly(x[0], x[2], w[m + i], ws[m + i], q, two_q);
        inverse_butterfly(x[1], x[3], w[m + i], ws[m + i], q, two_q);
      }
    } else {
      for (std::size_t i = 0; i < m; ++i) {
        const u64 root = w[m + i];
        const u64 root_shoup = ws[m + i];
        u64 *x = a + 2 * i * gap;
        u64 *y = x + gap;
        for (std::size_t j = 0; j < gap; j += 4) {
          inverse_butterfly(x[j], y[j], root, root_shoup, q, two_q);
          inverse_butterfly(x[j + 1], y[j + 1], root, root_shoup, q, two_q);
          inverse_butterfly(x[j + 2], y[j + 2], root, root_shoup, q, two_q);
          inverse_butterfly(x[j + 3], y[j + 3], root, root_shoup, q, two_q);
        }
      }
    }
  }
  // Last stage: x' = (x + y) / n, y' = (x - y) * w / n with w / n premultiplied.
  const std::size_t half = n >> 1;
  const u64 inv_n = t.inv_n;
  const u64 inv_n_shoup = t.inv_n_shoup;
  const u64 last = mul_mod_barrett(w[1], inv_n, t.modulus);
  const u64 last_shoup = shoup_precompute(last, q);
  u64 *x = a;
  u64 *y = a + half;
  for (std::size_t j = 0; j < half; ++j) {
    const u64 xj = x[j];
    const u64 yj = y[j];
    u64 sum = xj + yj;
    sum -= (sum >= two_q) ? two_q : 0;
    x[j] = mul_mod_shoup(sum, inv_n, inv_n_shoup, q);
    y[j] = mul_mod_shoup(xj - yj + two_q, last, last_shoup, q);
  }
}

}  // namespace hlp
