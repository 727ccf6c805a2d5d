/*
 * @hlp/kernels C ABI: CKKS key switching (relinearization, Galois automorphisms).
 */
#ifndef HLP_KEYSWITCH_H
#define HLP_KEYSWITCH_H

#include "hlp/ckks.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- key switching (native/ckks/keyswitch.cpp) ----------------------------
 * A key-switching key is what SEAL's KSwitchKeys holds for one key (the relinearization
 * key, or the Galois key of one element): k components, one per data prime, each two
 * polynomials at the key level, k * 2 * (k + 1) * n words in NTT form. Component j is a
 * symmetric encryption of zero under s whose first polynomial has P s' added in block j
 * (P the special prime, s' = s^2 or s(X^elt)). Switching works at every level L: it
 * reads components j < L, blocks j < L and the special block. */

/* Words of one key-switching key. */
size_t hlp_ckks_kswitch_key_words(const hlp_ckks_context *ctx);
/* The Galois element of a rotation of the n/2 slots by `steps` (positive: left; SEAL's
 * get_elt_from_step), 0 < |steps| < n/2; steps = 0 gives conjugation, 2n - 1. */
hlp_status hlp_ckks_galois_element(const hlp_ckks_context *ctx, int32_t steps, uint32_t *out);
/* HLP_E_VALUE_OUT_OF_RANGE unless every residue of the key is below its prime (once, when
 * a key is loaded: the switching calls do not scan keys). */
hlp_status hlp_ckks_check_kswitch_key(const hlp_ckks_context *ctx, const uint64_t *key, size_t key_words);
/* A relinearization key (galois_elt = 0) or the Galois key of an odd galois_elt < 2n, from
 * the secret key. Component j draws its uniform polynomial from bytes [j S, (j + 1) S) of
 * `uniform`, S = randomness_bytes(UNIFORM, k + 1) (the expansion of its own seed for a
 * seeded key), and its noise from bytes [8 n j, 8 n (j + 1)) of `noise`. */
hlp_status hlp_ckks_keygen_kswitch(const hlp_ckks_context *ctx, const uint64_t *secret_key, size_t secret_key_words,
                                   uint32_t galois_elt, const uint8_t *uniform, size_t uniform_bytes,
                                   const uint8_t *noise, size_t noise_bytes, uint64_t *out, size_t out_words,
                                   uint32_t flags);
/* Size 3 -> size 2 at `level` with the relinearization key. out may be ct itself (its
 * first 2 level n words are written). */
hlp_status hlp_ckks_relinearize(const hlp_ckks_context *ctx, const uint64_t *key, size_t key_words, const uint64_t *ct,
                                size_t ct_words, uint32_t level, uint64_t *out, size_t out_words, uint32_t flags);
/* `count` automorphisms X -> X^elts[r] of one size-2 ciphertext, each switched back to s with
 * keys[r], into outs[r] (out_words = ct_words each, distinct). count = 1 computes exactly
 * SEAL's apply_galois; count > 1 shares one decomposition of c1 among them (hoisting),
 * equal to SEAL's up to key-switching noise. With HLP_FLAG_HOISTING_KEYS, keys[r] is the
 * hoisting key of elts[r] and every count is hoisted: the same words as hoisting with the
 * Galois keys, without reading the shared decomposition in permuted order. */
hlp_status hlp_ckks_apply_galois(const hlp_ckks_context *ctx, const uint64_t *const *keys, size_t key_words,
                                 const uint32_t *elts, uint32_t count, const uint64_t *ct, size_t ct_words,
                                 uint32_t level, uint64_t *const *outs, size_t out_words, uint32_t flags);
/* out = the sum of rot_{elts[r]}(cts[r]) for `count` size-2 ciphertexts at `level` (ct_words
 * each; out_words = ct_words, not overlapping an input), keys[r] the Galois key of elts[r]:
 * the key switches are summed before one division by P (a BSGS product's giant steps), so
 * the result is the sum of the rotations up to key-switching noise. */
hlp_status hlp_ckks_rotate_sum(const hlp_ckks_context *ctx, const uint64_t *const *keys, size_t key_words,
                               const uint32_t *elts, const uint64_t *const *cts, size_t ct_words, uint32_t count,
                               uint32_t level, uint64_t *out, size_t out_words, uint32_t flags);
/* The hoisting key of galois_elt from its Galois key (key_words words each): every block
 * permuted by the inverse of the automorphism, for hlp_ckks_apply_galois with
 * HLP_FLAG_HOISTING_KEYS. A second copy of the key, worth it for keys that hoisted rotations
 * use again and again (the baby steps of a matrix product). */
hlp_status hlp_ckks_hoisting_key(const hlp_ckks_context *ctx, const uint64_t *key, size_t key_words,
                                 uint32_t galois_elt, uint64_t *out, size_t out_words);
/* multiply, relinearize and rescale in one call: two size-2 ciphertexts at level >= 2 ->
 * a size-2 ciphertext at level - 1 (scale a b / q_{level-1}). */
hlp_status hlp_ckks_multiply_relin_rescale(const hlp_ckks_context *ctx, const uint64_t *key, size_t key_words,
                                           const uint64_t *a, size_t a_words, const uint64_t *b, size_t b_words,
                                           uint32_t level, uint64_t *out, size_t out_words, uint32_t flags);

#ifdef __cplusplus
}
#endif

#endif /* HLP_KEYSWITCH_H */
