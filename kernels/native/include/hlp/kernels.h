/*
 * @hlp/kernels C ABI. Everything outside the core (the Node binding, the native
 * test executable, future foreign callers) goes through this header only, so the
 * C++ internals may change without touching callers.
 *
 * Conventions
 *  - An RNS polynomial is `count` blocks of `n` uint64 words laid end to end; block i
 *    holds residues modulo moduli[i] of the context.
 *  - The forward NTT takes coefficients in natural order and returns evaluations in
 *    bit-reversed order: out[j] = sum_i a[i] * psi^((2*bitrev(j)+1)*i) mod q, where psi
 *    is the smallest primitive 2n-th root of unity mod q. This is SEAL's layout, so
 *    polynomials move between SEAL and these kernels unchanged.
 *  - Every function returns an hlp_status; no function aborts on bad input.
 */
#ifndef HLP_KERNELS_H
#define HLP_KERNELS_H

/* One header per family; this one includes them all. */
#include "hlp/common.h"
#include "hlp/modarith.h"
#include "hlp/ntt.h"
#include "hlp/eltwise.h"
#include "hlp/allocator.h"
#include "hlp/ckks.h"
#include "hlp/keyswitch.h"
#include "hlp/xof.h"

#endif /* HLP_KERNELS_H */
