/*
 * @hlp/kernels C ABI: modular arithmetic on 64-bit words (primes, roots, products).
 */
#ifndef HLP_MODARITH_H
#define HLP_MODARITH_H

#include "hlp/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- modular arithmetic ------------------------------------------------- */
int hlp_is_prime(uint64_t value);
/* `count` distinct primes q of exactly `bits` bits with q = 1 mod 2n, largest first. */
hlp_status hlp_generate_ntt_primes(uint32_t bits, uint32_t n, uint32_t count, uint64_t *out);
/* Smallest primitive `order`-th root of unity mod q (order a power of two dividing q-1). */
hlp_status hlp_minimal_primitive_root(uint64_t q, uint64_t order, uint64_t *out);
hlp_status hlp_mul_mod_barrett(uint64_t a, uint64_t b, uint64_t q, uint64_t *out);
hlp_status hlp_mul_mod_shoup(uint64_t a, uint64_t w, uint64_t q, uint64_t *out);
hlp_status hlp_pow_mod(uint64_t base, uint64_t exponent, uint64_t q, uint64_t *out);
hlp_status hlp_inv_mod(uint64_t a, uint64_t q, uint64_t *out);

#ifdef __cplusplus
}
#endif

#endif /* HLP_MODARITH_H */
