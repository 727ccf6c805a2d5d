/*
 * @hlp/kernels C ABI: seed expansions (the stream behind a seeded ciphertext's or key's c1):
 * SEAL's SHAKE256 and BLAKE2Xb, and the project's own AES-256-CTR, computed natively.
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

/* Bytes of the AES-256 key at the start of a seed; the 16 bytes after it are the initial counter. */
#define HLP_AES_KEY_BYTES 32u

/* Fills out[0, out_bytes) with the AES-256-CTR keystream of `seed` (HLP_SHAKE_SEED_BYTES bytes,
 * of which the first HLP_AES_KEY_BYTES are the key and the next 16 the initial counter block,
 * a 128-bit big-endian counter incremented per block, as OpenSSL's aes-256-ctr; the last 16
 * bytes are not read). The last block is cut at out_bytes. VAES on AVX-512 (BW) CPUs that have it,
 * AES-NI otherwise, portable code for the scalar variant or a CPU without AES-NI; every
 * variant gives the same bytes. `variant` AUTO or CUDA: the best CPU variant. */
hlp_status hlp_aes256ctr_stream(hlp_variant variant, const uint8_t *seed, size_t seed_bytes, uint8_t *out,
                                size_t out_bytes);

#ifdef __cplusplus
}
#endif

#endif /* HLP_XOF_H */
