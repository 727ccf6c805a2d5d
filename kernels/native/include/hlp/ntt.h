/*
 * @hlp/kernels C ABI: negacyclic NTTs over an RNS base (layout: see hlp/kernels.h).
 */
#ifndef HLP_NTT_H
#define HLP_NTT_H

#include "hlp/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- NTT context: tables for one ring degree and a list of primes -------- */
typedef struct hlp_ntt_context hlp_ntt_context;

hlp_status hlp_ntt_create(uint32_t n, const uint64_t *moduli, uint32_t count, hlp_ntt_context **out);
void hlp_ntt_destroy(hlp_ntt_context *ctx);
uint32_t hlp_ntt_degree(const hlp_ntt_context *ctx);
uint32_t hlp_ntt_modulus_count(const hlp_ntt_context *ctx);
uint64_t hlp_ntt_modulus(const hlp_ntt_context *ctx, uint32_t index);
/* The root psi used for modulus `index` (see the layout note in hlp/kernels.h). */
uint64_t hlp_ntt_root(const hlp_ntt_context *ctx, uint32_t index);

/*
 * In-place transforms. `first_modulus` and `modulus_count` pick a contiguous run of the
 * context's primes; `words` must be a multiple of modulus_count * n, and the data is read
 * as words / (modulus_count * n) RNS polynomials, block b of each reduced by modulus
 * first_modulus + b. So one call can transform a single residue block, one polynomial,
 * or a whole batch of ciphertext polynomials.
 */
hlp_status hlp_ntt_forward(const hlp_ntt_context *ctx, uint64_t *data, size_t words, uint32_t first_modulus,
                           uint32_t modulus_count, hlp_variant variant, uint32_t flags);
hlp_status hlp_ntt_inverse(const hlp_ntt_context *ctx, uint64_t *data, size_t words, uint32_t first_modulus,
                           uint32_t modulus_count, hlp_variant variant, uint32_t flags);

#ifdef __cplusplus
}
#endif

#endif /* HLP_NTT_H */
