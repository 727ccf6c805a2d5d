// AVX-512 element-wise modular arithmetic. Inputs < q, outputs fully reduced, so the
// results equal the scalar variant bit for bit. Tails shorter than eight words use
// masked loads and stores.
//
// mul_mod is a Barrett reduction of the double-word product a * b with s = bits(q) - 1:
//   c = floor(a * b / 2^s),  quotient = floor(c * mu / 2^W),  mu = floor(2^(s + W) / q),
// which is at most two short (c < 2^(bits(q) + 1), so the truncations cost < 2.5 q), and
// two conditional subtractions finish. W = 52 on the IFMA path (q < 2^50, products from
// _mm512_madd52lo/hi) and W = 64 on the AVX-512DQ path (q < 2^62, products assembled
// from 32x32 pieces; for 2^50 <= q < 2^61, MulDq61Op: s = bits(q) - 2, three products for
// the quotient, the remainder < 3q).
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "../core/variants.hpp"

namespace hlp {
namespace {

struct EltArgs {
  u64 *r;
  const u64 *a;
  const u64 *b;
  std::size_t n;
  u64 q;
  u64 mu;          // floor(2^(shift + W) / q)
  unsigned shift;  // bits(q) - 1 (bits(q) - 2 for MulDq61Op)
};

constexpr u64 kIfmaLimit = u64{1} << 50;
constexpr u64 kAddLimit = u64{1} << 63;   // a + b and the min trick stay in a word
constexpr u64 kMulLimit = u64{1} << 62;   // 3q stays in a word
constexpr u64 kDq61Limit = u64{1} << 61;  // MulDq61Op: a, b < 2^61, c < 2^63

}  // namespace
}  // namespace hlp

#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512ifma,avx512bw,bmi2")
// GCC 12 flags the deliberately undefined pass-through operand inside the AVX-512
// intrinsics (GCC bug 105593); nothing here reads an uninitialised value.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace hlp {
namespace {

inline __m512i vbroadcast(u64 v) { return _mm512_set1_epi64(static_cast<long long>(v)); }
inline __m512i vreduce(__m512i v, __m512i m) { return _mm512_min_epu64(v, _mm512_sub_epi64(v, m)); }
inline __mmask8 tail_mask(std::size_t rem) { return static_cast<__mmask8>((1u << rem) - 1u); }

// Words each stream is fetched ahead of its use: eight cache lines. A CKKS operand block
// (8192 words) lives in L2, not L1, and these loops do too little per line for the hardware
// prefetchers to keep up; fetched ahead, ckks add took 10.5-10.8 instead of 13.6-14.7 us
// (three alternating pairs at n = 8192, three blocks, two polynomials).
constexpr std::size_t kPrefetchWords = 64;

// Applies op to every group of eight lanes, the tail under a mask.
template <class Op>
inline void for_each_lane8(const EltArgs &g, const Op &op) {
  const std::size_t fetched = g.n > kPrefetchWords ? g.n - kPrefetchWords : 0;
  std::size_t i = 0;
  for (; i + 8 <= g.n; i += 8) {
    if (i < fetched) {
      _mm_prefetch(reinterpret_cast<const char *>(g.a + i + kPrefetchWords), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char *>(g.b + i + kPrefetchWords), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char *>(g.r + i + kPrefetchWords), _MM_HINT_T0);
    }
    const __m512i va = _mm512_loadu_si512(static_cast<const void *>(g.a + i));
    const __m512i vb = _mm512_loadu_si512(static_cast<const void *>(g.b + i));
    _mm512_storeu_si512(static_cast<void *>(g.r + i), op(va, vb));
  }
  if (i < g.n) {
    const __mmask8 k = tail_mask(g.n - i);
    const __m512i va = _mm512_maskz_loadu_epi64(k, g.a + i);
    const __m512i vb = _mm512_maskz_loadu_epi64(k, g.b + i);
    _mm512_mask_storeu_epi64(g.r + i, k, op(va, vb));
  }
}

struct AddOp {
  __m512i q;
  __m512i operator()(__m512i a, __m512i b) const { return vreduce(_mm512_add_epi64(a, b), q); }
};

struct SubOp {
  __m512i q;
  // a - b wraps far above q when a < b, so min picks a - b + q exactly then.
  __m512i operator()(__m512i a, __m512i b) const {
    const __m512i d = _mm512_sub_epi64(a, b);
    return _mm512_min_epu64(d, _mm512_add_epi64(d, q));
  }
};

struct MulIfmaOp {
  __m512i q;
  __m512i neg_q;  // 2^52 - q
  __m512i mu;
  __m512i mask;
  __m128i shift;     // s
  __m128i shift_up;  // 52 - s
  __m512i operator()(__m512i a, __m512i b) const {
    const __m512i zero = _mm512_setzero_si512();
    const __m512i lo = _mm512_madd52lo_epu64(zero, a, b);  // a * b mod 2^52
    const __m512i hi = _mm512_madd52hi_epu64(zero, a, b);  // floor(a * b / 2^52)
    const __m512i c = _mm512_or_si512(_mm512_sll_epi64(hi, shift_up), _mm512_srl_epi64(lo, shift));
    const __m512i quot = _mm512_madd52hi_epu64(zero, c, mu);
    __m512i r = _mm512_and_si512(_mm512_madd52lo_epu64(lo, quot, neg_q), mask);  // < 3q
    r = vreduce(r, q);
    return vreduce(r, q);
  }
};

struct Product128 {
  __m512i hi;
  __m512i lo;
};

inline Product128 mul_wide(__m512i a, __m512i b) {
  const __m512i lo32 = vbroadcast(0xFFFFFFFFu);
  const __m512i a_hi = _mm512_srli_epi64(a, 32);
  const __m512i b_hi = _mm512_srli_epi64(b, 32);
  const __m512i ll = _mm512_mul_epu32(a, b);
  const __m512i hl = _mm512_mul_epu32(a_hi, b);
  const __m512i lh = _mm512_mul_epu32(a, b_hi);
  const __m512i hh = _mm512_mul_epu32(a_hi, b_hi);
  const __m512i t = _mm512_add_epi64(hl, _mm512_srli_epi64(ll, 32));
  const __m512i u = _mm512_add_epi64(lh, _mm512_and_si512(t, lo32));
  Product128 p;
  p.hi = _mm512_add_epi64(_mm512_add_epi64(hh, _mm512_srli_epi64(t, 32)), _mm512_srli_epi64(u, 32));
  p.lo = _mm512_or_si512(_mm512_slli_epi64(u, 32), _mm512_and_si512(ll, lo32));
  return p;
}

// High 64 bits of a * b, b_hi = b >> 32.
inline __m512i mulhi64(__m512i a, __m512i b, __m512i b_hi) {
  const __m512i lo32 = vbroadcast(0xFFFFFFFFu);
  const __m512i a_hi = _mm512_srli_epi64(a, 32);
  const __m512i ll = _mm512_mul_epu32(a, b);
  const __m512i hl = _mm512_mul_epu32(a_hi, b);
  const __m512i lh = _mm512_mul_epu32(a, b_hi);
  const __m512i hh = _mm512_mul_epu32(a_hi, b_hi);
  const __m512i t = _mm512_add_epi64(hl, _mm512_srli_epi64(ll, 32));
  const __m512i u = _mm512_add_epi64(lh, _mm512_and_si512(t, lo32));
  return _mm512_add_epi64(_mm512_add_epi64(hh, _mm512_srli_epi64(t, 32)), _mm512_srli_epi64(u, 32));
}

struct MulDqOp {
  __m512i q;
  __m512i mu;
  __m512i mu_hi;
  __m128i shift;     // s
  __m128i shift_up;  // 64 - s
  __m512i operator()(__m512i a, __m512i b) const {
    const Product128 p = mul_wide(a, b);
    const __m512i c = _mm512_or_si512(_mm512_sll_epi64(p.hi, shift_up), _mm512_srl_epi64(p.lo, shift));
    const __m512i quot = mulhi64(c, mu, mu_hi);
    __m512i r = _mm512_sub_epi64(p.lo, _mm512_mullo_epi64(quot, q));  // < 3q
    r = vreduce(r, q);
    return vreduce(r, q);
  }
};

// The same Barrett for 2^50 <= q < 2^61 in 29 uops where MulDqOp takes 41 (a mullo counted
// as its three), with s = bits(q) - 2, so that c = floor(a * b / 2^s) < 2^63 and
// mu = floor(2^(s + 64) / q) < 2^63 (q > 2^(s + 1)). With a, b < 2^61 the cross products of
// a * b add up inside a word, and s >= 32 lets c come straight from them: with
// a * b = hh * 2^64 + m * 2^32 + ll and m = hl + lh,
//   c = hh * 2^(64 - s) + floor((m + floor(ll / 2^32)) / 2^(s - 32))   exactly.
// With both c and mu below 2^63 the quotient needs no carry split and no low product:
// c * mu / 2^64 > a * b / q - 1 (each truncation costs below 1/2 for q < 2^61), the floor
// and the missing low product cost one each more, so r < 3q and the two subtractions finish.
struct MulDq61Op {
  __m512i q;
  __m512i mu;
  __m512i mu_hi;
  __m128i shift_up;    // 64 - s
  __m128i shift_down;  // s - 32
  __m512i operator()(__m512i a, __m512i b) const {
    const __m512i ll = _mm512_mul_epu32(a, b);
    const __m512i hl = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), b);
    const __m512i lh = _mm512_mul_epu32(a, _mm512_srli_epi64(b, 32));
    const __m512i hh = _mm512_mul_epu32(_mm512_srli_epi64(a, 32), _mm512_srli_epi64(b, 32));
    const __m512i m = _mm512_add_epi64(hl, lh);                         // < 2^62
    const __m512i lo = _mm512_add_epi64(ll, _mm512_slli_epi64(m, 32));  // a * b mod 2^64
    const __m512i mid = _mm512_add_epi64(m, _mm512_srli_epi64(ll, 32));
    const __m512i c = _mm512_add_epi64(_mm512_sll_epi64(hh, shift_up), _mm512_srl_epi64(mid, shift_down));
    const __m512i c_hi = _mm512_srli_epi64(c, 32);
    const __m512i cross = _mm512_add_epi64(_mm512_mul_epu32(c_hi, mu), _mm512_mul_epu32(c, mu_hi));
    const __m512i quot = _mm512_add_epi64(_mm512_mul_epu32(c_hi, mu_hi), _mm512_srli_epi64(cross, 32));
    __m512i r = _mm512_sub_epi64(lo, _mm512_mullo_epi64(quot, q));  // < 3q
    r = vreduce(r, q);
    return vreduce(r, q);
  }
};

void add_kernel(const EltArgs &g) { for_each_lane8(g, AddOp{vbroadcast(g.q)}); }

void sub_kernel(const EltArgs &g) { for_each_lane8(g, SubOp{vbroadcast(g.q)}); }

void mul_ifma_kernel(const EltArgs &g) {
  MulIfmaOp op;
  op.q = vbroadcast(g.q);
  op.neg_q = vbroadcast((u64{1} << 52) - g.q);
  op.mu = vbroadcast(g.mu);
  op.mask = vbroadcast((u64{1} << 52) - 1);
  op.shift = _mm_cvtsi64_si128(static_cast<long long>(g.shift));
  op.shift_up = _mm_cvtsi64_si128(static_cast<long long>(52 - g.shift));
  for_each_lane8(g, op);
}

void mul_dq_kernel(const EltArgs &g) {
  MulDqOp op;
  op.q = vbroadcast(g.q);
  op.mu = vbroadcast(g.mu);
  op.mu_hi = vbroadcast(g.mu >> 32);
  op.shift = _mm_cvtsi64_si128(static_cast<long long>(g.shift));
  op.shift_up = _mm_cvtsi64_si128(static_cast<long long>(64 - g.shift));
  for_each_lane8(g, op);
}

void mul_dq61_kernel(const EltArgs &g) {
  MulDq61Op op;
  op.q = vbroadcast(g.q);
  op.mu = vbroadcast(g.mu);
  op.mu_hi = vbroadcast(g.mu >> 32);
  op.shift_up = _mm_cvtsi64_si128(static_cast<long long>(64 - g.shift));
  op.shift_down = _mm_cvtsi64_si128(static_cast<long long>(g.shift - 32));
  for_each_lane8(g, op);
}

}  // namespace
}  // namespace hlp

#pragma GCC diagnostic pop
#pragma GCC pop_options

namespace hlp {

void eltwise_add_mod_avx512(u64 *r, const u64 *a, const u64 *b, std::size_t n, const Modulus &m) {
  if (m.value >= kAddLimit) {
    eltwise_add_mod_scalar(r, a, b, n, m);
    return;
  }
  add_kernel(EltArgs{r, a, b, n, m.value, 0, 0});
}

void eltwise_sub_mod_avx512(u64 *r, const u64 *a, const u64 *b, std::size_t n, const Modulus &m) {
  if (m.value >= kAddLimit) {
    eltwise_sub_mod_scalar(r, a, b, n, m);
    return;
  }
  sub_kernel(EltArgs{r, a, b, n, m.value, 0, 0});
}

void eltwise_mul_mod_avx512(u64 *r, const u64 *a, const u64 *b, std::size_t n, const Modulus &m) {
  const u64 q = m.value;
  // Powers of two (q = 2 among primes) would make mu overflow; leave them to scalar.
  if (q >= kMulLimit || q < 3 || is_power_of_two(q)) {
    eltwise_mul_mod_scalar(r, a, b, n, m);
    return;
  }
  const unsigned shift = static_cast<unsigned>(63 - __builtin_clzll(q));  // bits(q) - 1
  EltArgs g{r, a, b, n, q, 0, shift};
  if (q < kIfmaLimit && cpu_features().avx512ifma) {
    g.mu = static_cast<u64>((u128{1} << (shift + 52)) / q);
    mul_ifma_kernel(g);
  } else if (q >= kIfmaLimit && q < kDq61Limit) {  // the bound needs only q > 2^33; this keeps it tested
    g.shift = shift - 1;
    g.mu = static_cast<u64>((u128{1} << (g.shift + 64)) / q);
    mul_dq61_kernel(g);
  } else {
    g.mu = static_cast<u64>((u128{1} << (shift + 64)) / q);
    mul_dq_kernel(g);
  }
}

const KernelOps &avx512_ops() {
  static const KernelOps ops{"avx512",
                             ntt_forward_avx512,
                             ntt_inverse_avx512,
                             eltwise_add_mod_avx512,
                             eltwise_sub_mod_avx512,
                             eltwise_mul_mod_avx512};
  return ops;
}

}  // namespace hlp
