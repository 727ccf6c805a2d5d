/*
 * C ABI of the cuda variant beyond the family headers' calls (which take
 * HLP_VARIANT_CUDA): pool statistics, the reason cuda is unavailable, pinned host memory
 * and a batched CKKS public-key encryptor on the device. Defined in core/capi.cpp; every
 * function works (returning HLP_E_VARIANT_UNAVAILABLE) when libhlp_cuda.so is absent or
 * no device exists, so callers need no CUDA at link time.
 *
 * Versioning: these functions live in the same library as the other hlp/ headers, so they share its
 * version rather than carrying one of their own: HLP_KERNELS_ABI_VERSION is raised for a
 * breaking change here too, and a caller checks hlp_kernels_abi_version() against it (a
 * second number would only ever move in step with the first).
 */
#ifndef HLP_CUDA_H
#define HLP_CUDA_H

#include "hlp/ckks.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Device memory pool counters. Efficiency = bytes_in_use / bytes_reserved. */
typedef struct hlp_cuda_memory_stats {
  uint64_t allocations, frees, hits, misses;
  uint64_t bytes_in_use;   /* requested bytes (rounded to 256) of live blocks */
  uint64_t bytes_reserved; /* bytes held from cudaMalloc, live or cached */
  uint64_t peak_bytes_in_use;
  uint64_t peak_bytes_reserved;
} hlp_cuda_memory_stats;

hlp_status hlp_cuda_pool_stats(hlp_cuda_memory_stats *out);
/* Returns cached device and pinned blocks to CUDA and restarts the peak counters from
 * the current values (a new measurement window). */
hlp_status hlp_cuda_pool_trim(void);
/* Why the cuda variant is unavailable ("" when it is available). */
const char *hlp_cuda_unavailable_reason(void);
/* Pinned (page-locked) host memory: copies from and to it skip the staging copy. */
hlp_status hlp_cuda_host_alloc(size_t bytes, void **out);
hlp_status hlp_cuda_host_free(void *block);

/* A public-key encryptor at `level` on the device: the public key, tables and constants
 * are uploaded once (the one-time setup). */
typedef struct hlp_cuda_encryptor hlp_cuda_encryptor;
hlp_status hlp_cuda_encryptor_create(const hlp_ckks_context *ctx, const uint64_t *public_key, size_t public_key_words,
                                     uint32_t level, uint32_t flags, hlp_cuda_encryptor **out);
void hlp_cuda_encryptor_destroy(hlp_cuda_encryptor *encryptor);
/* Same arguments and results, bit for bit, as hlp_ckks_encrypt_public with the
 * encryptor's key and level. */
hlp_status hlp_cuda_encrypt_public(hlp_cuda_encryptor *encryptor, const uint64_t *plains, size_t plain_words,
                                   uint32_t count, const uint8_t *randomness, size_t randomness_bytes, uint64_t *out,
                                   size_t out_words, uint32_t flags);
/* Encode on the host (hlp_ckks_encode, count * values_per_plain reals, values_per_plain <=
 * n/2, zero padded) and encrypt on the device: the same ciphertexts as
 * hlp_ckks_encode_encrypt_public with the encryptor's key and level. One call, so a caller
 * can run both halves off its main thread. */
hlp_status hlp_cuda_encode_encrypt_public(hlp_cuda_encryptor *encryptor, const double *values, size_t values_per_plain,
                                          uint32_t count, double scale, const uint8_t *randomness,
                                          size_t randomness_bytes, uint64_t *out, size_t out_words, uint32_t flags);

#ifdef __cplusplus
}
#endif

#endif /* HLP_CUDA_H */
