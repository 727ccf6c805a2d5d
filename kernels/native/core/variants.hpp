// The per-instruction-set kernel entry points. Each variant lives in its own file
// (ntt/ntt-<variant>.cpp, eltwise/eltwise-<variant>.cpp) compiled with its own target
// attributes; dispatch.cpp picks one at run time. All variants must agree bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hlp/common.h"
#include "modarith.hpp"
#include "ntt_tables.hpp"

namespace hlp {

// In-place transforms of one residue block of t.n words. Input words must be < q;
// output words are < q. Forward: natural order in, bit-reversed out. Inverse: the
// reverse, including the scaling by n^-1.
using NttFn = void (*)(u64 *data, const NttTables &t);
// r[i] = a[i] op b[i] mod q for i < n; inputs < q, outputs < q; r may alias a or b.
using EltwiseFn = void (*)(u64 *r, const u64 *a, const u64 *b, std::size_t n, const Modulus &m);

struct KernelOps {
  const char *name;
  NttFn ntt_forward;
  NttFn ntt_inverse;
  EltwiseFn add_mod;
  EltwiseFn sub_mod;
  EltwiseFn mul_mod;
};

void ntt_forward_scalar(u64 *data, const NttTables &t);
void ntt_inverse_scalar(u64 *data, const NttTables &t);
void eltwise_add_mod_scalar(u64 *r, const u64 *a, const u64 *b, std::size_t n, const Modulus &m);
void eltwise_sub_mod_scalar(u64 *r, const u64 *a, const u64 *b, std::size_t n, const Modulus &m);
void eltwise_mul_mod_scalar(u64 *r, const u64 *a, const u64 *b, std::size_t n, const Modulus &m);

void ntt_forward_avx2(u64 *data, const NttTables &t);
void ntt_inverse_avx2(u64 *data, const NttTables &t);
void eltwise_add_mod_avx2(u64 *r, const u64 *a, const u64 *b, std::size_t n, const Modulus &m);
void eltwise_sub_mod_avx2(u64 *r, const u64 *a, const u64 *b, std::size_t n, const Modulus &m);
void eltwise_mul_mod_avx2(u64 *r, const u64 *a, const u64 *b, std::size_t n, const Modulus &m);

// AVX-512: IFMA52 when q < 2^50 and the CPU has it, AVX-512DQ otherwise (decided inside).
void ntt_forward_avx512(u64 *data, const NttTables &t);
void ntt_inverse_avx512(u64 *data, const NttTables &t);
void eltwise_add_mod_avx512(u64 *r, const u64 *a, const u64 *b, std::size_t n, const Modulus &m);
void eltwise_sub_mod_avx512(u64 *r, const u64 *a, const u64 *b, std::size_t n, const Modulus &m);
void eltwise_mul_mod_avx512(u64 *r, const u64 *a, const u64 *b, std::size_t n, const Modulus &m);

const KernelOps &scalar_ops();
const KernelOps &avx2_ops();
const KernelOps &avx512_ops();

// CPU feature bits found by cpuid at start-up (dispatch.cpp).
struct CpuFeatures {
  bool avx2 = false;
  bool bmi2 = false;
  bool avx512f = false;
  bool avx512dq = false;
  bool avx512vl = false;
  bool avx512bw = false;
  bool avx512ifma = false;
  bool aes = false;
  bool vaes = false;
};
const CpuFeatures &cpu_features();

// The CPU variant a stream kernel (SHAKE256, BLAKE2Xb) runs as for `requested`: AUTO and CUDA
// (these kernels have no GPU code) mean the default variant, or the widest CPU one when the
// default is the GPU; any other is itself, to be checked with hlp_variant_available.
hlp_variant cpu_variant_for(hlp_variant requested);

}  // namespace hlp
