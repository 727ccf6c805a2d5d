/*
 * @hlp/kernels C ABI: SEAL's seed expansions (the stream behind a seeded ciphertext's or key's
 * c1), SHAKE256 and BLAKE2Xb, computed natively.
 */
#ifndef HLP_XOF_H
#define HLP_XOF_H

#include "hlp/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes of one block of the stream, and of the seed it is made from (SEAL's values). */
#define HLP_SHAKE_BLOCK_BYTES 4096u
#define HLP_SHAKE_SEED_BYTES 64u

/* Fills out[0, out_bytes) with the stream SEAL 4.1's Shake256PRNG gives for `seed`: block c
 * (c = first_block, first_block + 1, ...) is the first HLP_SHAKE_BLOCK_BYTES bytes of
 * SHAKE256(seed || c as 8 little-endian bytes), the blocks back to back, the last one cut at
 * out_bytes. Blocks are independent, so the SIMD variants hash 4 (AVX2) or 8 (AVX-512) at
 * once; every variant gives the same bytes. `variant` AUTO or CUDA: the best CPU variant. */
hlp_status hlp_shake256_blocks(hlp_variant variant, const uint8_t *seed, size_t seed_bytes, uint64_t first_block,
                               uint8_t *out, size_t out_bytes);

/* The same for SEAL 4.1's Blake2xbPRNG (SEAL's default generator, node-seal's): block c is
 * BLAKE2Xb(output length HLP_SHAKE_BLOCK_BYTES, input c as 8 little-endian bytes, key = seed).
 * A block's 64 output nodes are independent: AVX-512 hashes 8 at once, other CPUs one;
 * every variant gives the same bytes. `variant` AUTO or CUDA: the best CPU variant. */
hlp_status hlp_blake2xb_blocks(hlp_variant variant, const uint8_t *seed, size_t seed_bytes, uint64_t first_block,
                               uint8_t *out, size_t out_bytes);

#ifdef __cplusplus
}
#endif

#endif /* HLP_XOF_H */
