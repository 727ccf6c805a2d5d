/*
 * @hlp/kernels C ABI: element-wise modular arithmetic over an NTT context's RNS blocks.
 */
#ifndef HLP_ELTWISE_H
#define HLP_ELTWISE_H

#include "hlp/ntt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Element-wise r = a op b mod q over the same block layout; r may alias a or b. */
hlp_status hlp_eltwise_add_mod(const hlp_ntt_context *ctx, uint64_t *r, const uint64_t *a, const uint64_t *b,
                               size_t words, uint32_t first_modulus, uint32_t modulus_count, hlp_variant variant,
                               uint32_t flags);
hlp_status hlp_eltwise_sub_mod(const hlp_ntt_context *ctx, uint64_t *r, const uint64_t *a, const uint64_t *b,
                               size_t words, uint32_t first_modulus, uint32_t modulus_count, hlp_variant variant,
                               uint32_t flags);
hlp_status hlp_eltwise_mul_mod(const hlp_ntt_context *ctx, uint64_t *r, const uint64_t *a, const uint64_t *b,
                               size_t words, uint32_t first_modulus, uint32_t modulus_count, hlp_variant variant,
                               uint32_t flags);

#ifdef __cplusplus
}
#endif

#endif /* HLP_ELTWISE_H */
