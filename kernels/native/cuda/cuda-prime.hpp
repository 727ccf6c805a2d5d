// hlp_cuda_prime (cuda-api.h) from one prime's NTT tables: the one definition shared by the
// core, which hands primes to libhlp_cuda through the dlopen'd table (cuda-loader.hpp), and
// by the library itself (ntt-cuda.cu), so both sides derive the constants the same way.
// Plain C++: nvcc and the host compiler both include it.
#pragma once

#include "../core/ntt_tables.hpp"
#include "cuda-api.h"

namespace hlp::cuda {

inline hlp_cuda_prime prime_of(const hlp::NttTables &t) {
  hlp_cuda_prime p{};
  p.q = t.modulus.value;
  p.barrett_hi = t.modulus.barrett_hi;
  p.barrett_lo = t.modulus.barrett_lo;
  p.inv_n = t.inv_n;
  p.inv_n_shoup = t.inv_n_shoup;
  p.last = hlp::mul_mod_barrett(t.inv[1], t.inv_n, t.modulus);
  p.last_shoup = hlp::shoup_precompute(p.last, p.q);
  p.fwd = t.fwd.data();
  p.fwd_shoup = t.fwd_shoup.data();
  p.inv = t.inv.data();
  p.inv_shoup = t.inv_shoup.data();
  return p;
}

}  // namespace hlp::cuda
