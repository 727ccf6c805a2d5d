/*
 * @hlp/kernels C ABI: the CKKS core (native/ckks) without key switching.
 */
#ifndef HLP_CKKS_H
#define HLP_CKKS_H

#include "hlp/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==========================================================================
 * CKKS core (native/ckks): encoding, sampling, encryption, decryption and the
 * evaluation operations that need no key switching, following Microsoft SEAL 4.1's
 * CKKS mathematics exactly where ciphertexts must interoperate with SEAL.
 *
 *  - Modulus chain: `moduli` = data primes q_0 .. q_{k-1} followed by the special
 *    prime p = q_k (SEAL's key level). A plaintext or ciphertext "at level L" uses the
 *    first L data primes (1 <= L <= k); SEAL's first (top) data level is L = k, and each
 *    rescale or modulus switch lowers L by one.
 *  - A plaintext at level L is L blocks of n words (NTT form, SEAL's Plaintext data).
 *    A ciphertext of size s at level L is s such polynomials end to end (SEAL's
 *    Ciphertext data). Keys are at the key level (k + 1 blocks): the secret key is one
 *    polynomial, the public key two (pk0 then pk1), all in NTT form.
 *  - All randomness comes in as bytes from the caller (a CSPRNG); the core maps bytes to
 *    distributions in constant time for secret values. hlp_ckks_randomness_bytes tells
 *    how many bytes each operation consumes. Every sample reads little-endian 64-bit
 *    words w:
 *      ternary  one word a coefficient: floor(3 w / 2^64) - 1 in {-1, 0, 1}
 *      noise    one word a coefficient: w mod 2^63 picks |e| by comparing against all
 *               19 entries of a 63-bit cumulative table of the rounded normal
 *               (sigma 3.2, clipped at 19.2), w >> 63 the sign; |e| <= 19
 *      uniform  w masked to the prime's bit length, rejected when >= q; words are
 *               consumed in order, prime 0's n coefficients first
 *    A public-key encryption reads u from bytes [0, 8n), e0 from [8n, 16n) and e1 from
 *    [16n, 24n) of its chunk.
 *  - `flags` takes HLP_FLAG_CHECK_INPUT: verify every residue of keys, plaintexts and
 *    ciphertexts is below its prime. Lengths, levels and sizes are always checked.
 *  - Outputs are written only on success paths; on an error status their contents are
 *    unspecified. Unless a function says otherwise, `out` must not overlap any input.
 * ========================================================================== */

/* The CKKS core's own failures are HLP_E_SCALE_OUT_OF_BOUNDS and HLP_E_RANDOMNESS_EXHAUSTED. */

#define HLP_CKKS_MAX_DATA_PRIMES 64
#define HLP_CKKS_MIN_N 4

typedef struct hlp_ckks_context hlp_ckks_context;

/* n a power of two in [HLP_CKKS_MIN_N, HLP_MAX_NTT_N]; count = k + 1 distinct NTT-friendly
 * primes of at most 60 bits, 1 <= k <= HLP_CKKS_MAX_DATA_PRIMES, special prime last. */
hlp_status hlp_ckks_create(uint32_t n, const uint64_t *moduli, uint32_t count, hlp_ckks_context **out);
void hlp_ckks_destroy(hlp_ckks_context *ctx);
uint32_t hlp_ckks_degree(const hlp_ckks_context *ctx);
/* k: the number of data primes (moduli minus the special prime). */
uint32_t hlp_ckks_data_prime_count(const hlp_ckks_context *ctx);

typedef enum hlp_ckks_randomness {
  HLP_CKKS_RANDOMNESS_TERNARY = 0,        /* one ternary polynomial: 8 bytes a coefficient */
  HLP_CKKS_RANDOMNESS_NOISE = 1,          /* one noise polynomial: 8 bytes a coefficient */
  HLP_CKKS_RANDOMNESS_UNIFORM = 2,        /* one uniform polynomial with `level` primes (k + 1: key level);
                                             an upper bound, rejection sampling consumes a prefix */
  HLP_CKKS_RANDOMNESS_ENCRYPT_PUBLIC = 3, /* one public-key encryption: u, e0, e1 = 24 bytes a coefficient */
  HLP_CKKS_RANDOMNESS_SECRET_KEY = 4      /* a secret key: one ternary polynomial */
} hlp_ckks_randomness;

/* Bytes one operation of `kind` consumes; `level` matters for UNIFORM only (1..k+1). */
hlp_status hlp_ckks_randomness_bytes(const hlp_ckks_context *ctx, hlp_ckks_randomness kind, uint32_t level,
                                     size_t *out);

/* Encodes value_count <= n/2 real values (zero padded) with `scale` into a plaintext at
 * `level` (out_words = level * n). HLP_E_SCALE_OUT_OF_BOUNDS when scale is not positive
 * and finite, exceeds SEAL's bound, or a rounded coefficient reaches 2^63 or the
 * level's modulus; HLP_E_VALUE_OUT_OF_RANGE for non-finite values. */
hlp_status hlp_ckks_encode(const hlp_ckks_context *ctx, const double *values, size_t value_count, double scale,
                           uint32_t level, uint64_t *out, size_t out_words);
/* As hlp_ckks_encode for value_count complex values given as (re, im) pairs. */
hlp_status hlp_ckks_encode_complex(const hlp_ckks_context *ctx, const double *values, size_t value_count, double scale,
                                   uint32_t level, uint64_t *out, size_t out_words);
/* Decodes a plaintext at level (plain_words = level * n) to its first out_count <= n/2
 * slots (real parts). */
hlp_status hlp_ckks_decode(const hlp_ckks_context *ctx, const uint64_t *plain, size_t plain_words, uint32_t level,
                           double scale, double *out, size_t out_count, uint32_t flags);
/* As hlp_ckks_decode, writing out_count (re, im) pairs (2 * out_count doubles). */
hlp_status hlp_ckks_decode_complex(const hlp_ckks_context *ctx, const uint64_t *plain, size_t plain_words,
                                   uint32_t level, double scale, double *out, size_t out_count, uint32_t flags);

/* Secret key: ternary s at the key level in NTT form ((k + 1) * n words) from
 * randomness_bytes(SECRET_KEY) bytes. */
hlp_status hlp_ckks_keygen_secret(const hlp_ckks_context *ctx, const uint8_t *randomness, size_t randomness_bytes,
                                  uint64_t *secret_key, size_t secret_key_words);
/* Public key (pk0, pk1) = (-(a s + e), a) at the key level, as SEAL's KeyGenerator:
 * a from `uniform` (randomness_bytes(UNIFORM, k + 1)), e from `noise` (NOISE).
 * public_key_words = 2 * (k + 1) * n. */
hlp_status hlp_ckks_keygen_public(const hlp_ckks_context *ctx, const uint64_t *secret_key, size_t secret_key_words,
                                  const uint8_t *uniform, size_t uniform_bytes, const uint8_t *noise,
                                  size_t noise_bytes, uint64_t *public_key, size_t public_key_words, uint32_t flags);

/* Public-key encryption of `count` plaintexts at `level`, SEAL's method (sample u, e0,
 * e1; c_j = pk_j u + e_j over primes q_0..q_level, divide and round by q_level, add the
 * plaintext). plains: count * level * n words, or NULL with plain_words 0 to encrypt
 * zeros; randomness: count * randomness_bytes(ENCRYPT_PUBLIC), ciphertext c using the
 * c-th chunk; out: count ciphertexts of size 2 (count * 2 * level * n words). */
hlp_status hlp_ckks_encrypt_public(const hlp_ckks_context *ctx, const uint64_t *public_key, size_t public_key_words,
                                   const uint64_t *plains, size_t plain_words, uint32_t count, uint32_t level,
                                   const uint8_t *randomness, size_t randomness_bytes, uint64_t *out, size_t out_words,
                                   uint32_t flags);
/* Encode and public-key encrypt in one pass (saves the plaintext's NTTs): values holds
 * count * values_per_plain reals (values_per_plain <= n/2, zero padded). Ciphertexts
 * equal encode followed by hlp_ckks_encrypt_public with the same randomness. */
hlp_status hlp_ckks_encode_encrypt_public(const hlp_ckks_context *ctx, const uint64_t *public_key,
                                          size_t public_key_words, const double *values, size_t values_per_plain,
                                          uint32_t count, double scale, uint32_t level, const uint8_t *randomness,
                                          size_t randomness_bytes, uint64_t *out, size_t out_words, uint32_t flags);
/* Secret-key encryption, SEAL's method: c1 = a (uniform, directly in NTT form),
 * c0 = -(a s + e) + m. uniform: count chunks of randomness_bytes(UNIFORM, level) bytes;
 * noise: count * randomness_bytes(NOISE) bytes. plains as in hlp_ckks_encrypt_public. */
hlp_status hlp_ckks_encrypt_symmetric(const hlp_ckks_context *ctx, const uint64_t *secret_key, size_t secret_key_words,
                                      const uint64_t *plains, size_t plain_words, uint32_t count, uint32_t level,
                                      const uint8_t *uniform, size_t uniform_bytes, const uint8_t *noise,
                                      size_t noise_bytes, uint64_t *out, size_t out_words, uint32_t flags);

/* Encode and secret-key encrypt in one pass, each ciphertext seeded: c1 is what seed c
 * (HLP_SHAKE_SEED_BYTES bytes of seeds, hlp/xof.h) expands to with SEAL's SHAKE256 PRNG, or
 * with AES-256-CTR under HLP_FLAG_SEED_AES256CTR, so the seed can travel in c1's place (SEAL's
 * seeded format, or the project's own) and the receiver expand it again.
 * Ciphertexts equal hlp_ckks_encrypt_symmetric of the encoded values with that expansion as
 * the uniform randomness. noise: count * randomness_bytes(NOISE) bytes. */
hlp_status hlp_ckks_encode_encrypt_seeded(const hlp_ckks_context *ctx, const uint64_t *secret_key,
                                          size_t secret_key_words, const double *values, size_t values_per_plain,
                                          uint32_t count, double scale, uint32_t level, const uint8_t *seeds,
                                          size_t seeds_bytes, const uint8_t *noise, size_t noise_bytes, uint64_t *out,
                                          size_t out_words, uint32_t flags);

/* m = c0 + c1 s (+ c2 s^2) for one ciphertext of size 2 or 3 at level; out is a
 * plaintext at level (NTT form). */
hlp_status hlp_ckks_decrypt(const hlp_ckks_context *ctx, const uint64_t *secret_key, size_t secret_key_words,
                            const uint64_t *ciphertext, size_t ciphertext_words, uint32_t size, uint32_t level,
                            uint64_t *plain, size_t plain_words, uint32_t flags);

/* Decrypt and decode `count` ciphertexts of `size` polynomials at `level`, stored back to
 * back (ciphertext_words = count * size * level * n), into count * values_per_ciphertext
 * reals (out_count, each ciphertext's first values_per_ciphertext <= n/2 slots). One call
 * per batch, so a caller can run it off its main thread. */
hlp_status hlp_ckks_decrypt_decode(const hlp_ckks_context *ctx, const uint64_t *secret_key, size_t secret_key_words,
                                   const uint64_t *ciphertexts, size_t ciphertext_words, uint32_t count, uint32_t size,
                                   uint32_t level, double scale, double *out, size_t out_count,
                                   size_t values_per_ciphertext, uint32_t flags);

/* Evaluation without key switching, one ciphertext at a time, all at the same level.
 * add/sub: sizes 2 or 3, the result has the larger size; out may be exactly a. */
hlp_status hlp_ckks_add(const hlp_ckks_context *ctx, const uint64_t *a, size_t a_words, uint32_t a_size,
                        const uint64_t *b, size_t b_words, uint32_t b_size, uint32_t level, uint64_t *out,
                        size_t out_words, uint32_t flags);
hlp_status hlp_ckks_sub(const hlp_ckks_context *ctx, const uint64_t *a, size_t a_words, uint32_t a_size,
                        const uint64_t *b, size_t b_words, uint32_t b_size, uint32_t level, uint64_t *out,
                        size_t out_words, uint32_t flags);
/* out may be exactly a. */
hlp_status hlp_ckks_negate(const hlp_ckks_context *ctx, const uint64_t *a, size_t a_words, uint32_t a_size,
                           uint32_t level, uint64_t *out, size_t out_words, uint32_t flags);
/* ct + plain (added to c0) and ct * plain (every component); out may be exactly ct. */
hlp_status hlp_ckks_add_plain(const hlp_ckks_context *ctx, const uint64_t *ct, size_t ct_words, uint32_t ct_size,
                              const uint64_t *plain, size_t plain_words, uint32_t level, uint64_t *out,
                              size_t out_words, uint32_t flags);
hlp_status hlp_ckks_multiply_plain(const hlp_ckks_context *ctx, const uint64_t *ct, size_t ct_words, uint32_t ct_size,
                                   const uint64_t *plain, size_t plain_words, uint32_t level, uint64_t *out,
                                   size_t out_words, uint32_t flags);
/* sum_t cts[t] * plains[t] over `count` size-2 ciphertexts and plaintexts of one level: each
 * sum reduced once, bit for bit multiply_plain then add term by term, in one pass over the
 * operands (the diagonal method's inner loop). out (2 polynomials) overlaps no operand. */
hlp_status hlp_ckks_multiply_plain_accumulate(const hlp_ckks_context *ctx, const uint64_t *const *cts,
                                              const uint64_t *const *plains, uint32_t count, uint32_t level,
                                              uint64_t *out, size_t out_words, uint32_t flags);
/* `groups` such sums over the same ciphertexts: outs[g] = sum_t cts[t] * plains[g * count + t],
 * a null plaintext leaving its term out of that sum (every group needs one that is not null).
 * Each output is bit for bit multiply_plain_accumulate over its group's terms; the groups are
 * taken two at a time, so each ciphertext word is read once for both (the giant steps of a
 * baby-step giant-step matrix product). No output overlaps an operand or another output.
 * With plain_repeat R > 1 (2, 4 or 8) every plaintext is compact: level blocks of n / R words,
 * word x / R of a block standing for its position x (see hlp_ckks_plain_repeat). */
hlp_status hlp_ckks_multiply_plain_accumulate_groups(const hlp_ckks_context *ctx, const uint64_t *const *cts,
                                                     uint32_t count, const uint64_t *const *plains, uint32_t groups,
                                                     uint32_t plain_repeat, uint32_t level, uint64_t *const *outs,
                                                     size_t out_words, uint32_t flags);
/* The largest compaction plain_repeat (1, 2, 4 or up to HLP_CKKS_MAX_PLAIN_REPEAT) of a plaintext
 * (level blocks, NTT form): R such that each run of R consecutive words is one value. A slot
 * vector that repeats with period slots / R encodes to a polynomial in X^R, and in SEAL's
 * bit-reversed NTT order its values at roots with one R-th power sit side by side; the blocked
 * layout's masks, one matrix for every token block, are such vectors. 0 for a bad shape. */
#define HLP_CKKS_MAX_PLAIN_REPEAT 8u
uint32_t hlp_ckks_plain_repeat(const hlp_ckks_context *ctx, const uint64_t *plain, size_t words, uint32_t level);
/* Size 2 x size 2 -> size 3 (no relinearization); the scale is the product of scales. */
hlp_status hlp_ckks_multiply(const hlp_ckks_context *ctx, const uint64_t *a, size_t a_words, const uint64_t *b,
                             size_t b_words, uint32_t level, uint64_t *out, size_t out_words, uint32_t flags);
/* SEAL's rescale_to_next: divide and round every component by q_{level-1}; out is at
 * level - 1 (level >= 2) and its scale is scale / q_{level-1}. size 1 rescales a plaintext. */
hlp_status hlp_ckks_rescale(const hlp_ckks_context *ctx, const uint64_t *ct, size_t ct_words, uint32_t size,
                            uint32_t level, uint64_t *out, size_t out_words, uint32_t flags);
/* rescale(multiply_plain(ct, plain)), plus `addend` (a plaintext at level - 1 and the rescaled
 * scale, or null) added to component 0: an affine map's multiply_plain, rescale and add_plain
 * in one call, bit for bit their results, with no intermediate ciphertext and the addition
 * folded into the rescale's last pass. out (size components at level - 1) overlaps no operand. */
hlp_status hlp_ckks_multiply_plain_rescale(const hlp_ckks_context *ctx, const uint64_t *ct, size_t ct_words,
                                           uint32_t size, const uint64_t *plain, size_t plain_words,
                                           const uint64_t *addend, size_t addend_words, uint32_t level, uint64_t *out,
                                           size_t out_words, uint32_t flags);
/* SEAL's mod_switch_to_next for CKKS: drop the last prime's block of every component
 * (scale unchanged); size 1 switches a plaintext. */
hlp_status hlp_ckks_mod_switch(const hlp_ckks_context *ctx, const uint64_t *ct, size_t ct_words, uint32_t size,
                               uint32_t level, uint64_t *out, size_t out_words, uint32_t flags);

/* The samplers on their own (for statistical tests): count values from
 * count * randomness_bytes(TERNARY or NOISE) / n bytes, i.e. 8 bytes each. */
hlp_status hlp_ckks_sample_ternary(const uint8_t *randomness, size_t randomness_bytes, int8_t *out, size_t count);
hlp_status hlp_ckks_sample_noise(const uint8_t *randomness, size_t randomness_bytes, int8_t *out, size_t count);
/* The uniform polynomial an encryption would draw from these bytes: `level` primes
 * (1..k+1), level * n words, NTT form. Deterministic in the bytes, so a seed expanded
 * by the caller's PRNG reproduces a symmetric ciphertext's c1. */
hlp_status hlp_ckks_sample_uniform(const hlp_ckks_context *ctx, const uint8_t *randomness, size_t randomness_bytes,
                                   uint32_t level, uint64_t *out, size_t out_words);

#ifdef __cplusplus
}
#endif

#endif /* HLP_CKKS_H */
