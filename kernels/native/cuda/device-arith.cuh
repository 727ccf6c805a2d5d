// Device arithmetic mod q shared by the NTT, element-wise and encryption kernels of
// libhlp_cuda. CUDA only: included by the .cu files, never by the core. No 128-bit types
// in device code: high words come from __umul64hi.
#pragma once

#include <cstdint>

namespace hlp::cuda::detail {

using word = unsigned long long;
static_assert(sizeof(word) == sizeof(std::uint64_t), "64-bit words");

struct PrimeConst {
  word q, bh, bl, inv_n, inv_n_shoup, last, last_shoup;
};

__device__ __forceinline__ word shoup_lazy(word a, word w, word w_shoup, word q) {
  return a * w - __umul64hi(a, w_shoup) * q;
}

__device__ __forceinline__ word shoup_full(word a, word w, word w_shoup, word q) {
  const word r = shoup_lazy(a, w, w_shoup, q);
  return r >= q ? r - q : r;
}

// a * b mod q with floor(2^128 / q) = (bh, bl): barrett_reduce_128 of modarith.hpp with
// every 128-bit product split into a low word and __umul64hi.
__device__ __forceinline__ word barrett_mul(word a, word b, word q, word bh, word bl) {
  const word x_lo = a * b;
  const word x_hi = __umul64hi(a, b);
  const word lolo_hi = __umul64hi(x_lo, bl);
  const word lohi_lo = x_lo * bh;
  const word lohi_hi = __umul64hi(x_lo, bh);
  const word hilo_lo = x_hi * bl;
  const word hilo_hi = __umul64hi(x_hi, bl);
  word s = lolo_hi + lohi_lo;
  word carry = s < lohi_lo ? 1 : 0;
  s += hilo_lo;
  carry += s < hilo_lo ? 1 : 0;
  const word quotient = x_hi * bh + lohi_hi + hilo_hi + carry;
  word r = x_lo - quotient * q;
  r -= (r >= q) ? q : 0;
  return r;
}

__device__ __forceinline__ word add_mod(word a, word b, word q) {
  const word s = a + b;
  return s >= q ? s - q : s;
}

__device__ __forceinline__ word sub_mod(word a, word b, word q) { return a >= b ? a - b : a + q - b; }

}  // namespace hlp::cuda::detail
