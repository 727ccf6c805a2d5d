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

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the native ABI: this header, hlp/cuda.h and the interface between the
 * core and libhlp_cuda.so (cuda/cuda-api.h). Raise it with any change that breaks a
 * caller or library built from older sources (a struct or signature, a removed function,
 * a changed meaning); additions that leave old callers working keep it. The core refuses a
 * libhlp_cuda.so built with another value, since a stale library beside a fresh addon
 * would otherwise be called with arguments it reads differently. */
#define HLP_KERNELS_ABI_VERSION 1u

/* HLP_KERNELS_ABI_VERSION as this core was built, so a caller can check the library it
 * loaded against the header it compiled with. */
uint32_t hlp_kernels_abi_version(void);

typedef enum hlp_status {
  HLP_OK = 0,
  HLP_E_INVALID_ARGUMENT = 1,
  HLP_E_NOT_POWER_OF_TWO = 2,
  HLP_E_MODULUS_NOT_PRIME = 3,
  HLP_E_MODULUS_NOT_NTT_FRIENDLY = 4,
  HLP_E_MODULUS_TOO_LARGE = 5,
  HLP_E_VALUE_OUT_OF_RANGE = 6,
  HLP_E_LENGTH_MISMATCH = 7,
  HLP_E_VARIANT_UNAVAILABLE = 8,
  HLP_E_OUT_OF_MEMORY = 9,
  HLP_E_NO_DEVICE = 10,
  HLP_E_INTERNAL = 11,
  HLP_E_SCALE_OUT_OF_BOUNDS = 12,  /* CKKS: scale, or an encoded coefficient, too large */
  HLP_E_RANDOMNESS_EXHAUSTED = 13  /* CKKS: too few random bytes for the operation */
} hlp_status;

typedef enum hlp_variant {
  HLP_VARIANT_AUTO = -1,
  HLP_VARIANT_SCALAR = 0,
  HLP_VARIANT_AVX2 = 1,
  HLP_VARIANT_AVX512 = 2,
  HLP_VARIANT_CUDA = 3
} hlp_variant;

#define HLP_VARIANT_COUNT 4
/* Largest modulus the kernels accept: 60 bits, as in SEAL, so that lazy values < 4q fit a word. */
#define HLP_MAX_MODULUS_BITS 60
#define HLP_MIN_NTT_N 2
#define HLP_MAX_NTT_N 131072

/* Flags for calls that take them. */
#define HLP_FLAG_NONE 0u
/* Verify every input word is below its modulus before touching the data. */
#define HLP_FLAG_CHECK_INPUT 1u

const char *hlp_status_message(hlp_status status);
/* Stable symbolic name, e.g. "VALUE_OUT_OF_RANGE"; used as the JS error code. */
const char *hlp_status_code(hlp_status status);

const char *hlp_variant_name(hlp_variant variant);
/* Parses "scalar", "avx2", "avx512", "cuda" or "auto"; returns HLP_E_INVALID_ARGUMENT otherwise. */
hlp_status hlp_variant_parse(const char *name, hlp_variant *out);
/* 1 when this process can run the variant (CPU features, or a CUDA device). */
int hlp_variant_available(hlp_variant variant);
/* 1 when the variant was compiled into this build at all. */
int hlp_variant_compiled(hlp_variant variant);
/* Best available variant, or HLP_KERNEL when set to an available one. */
hlp_variant hlp_variant_default(void);
/* Resolves AUTO to the default and checks availability. */
hlp_status hlp_variant_resolve(hlp_variant requested, hlp_variant *out);
/* Comma-separated CPU features this process detected (avx2,avx512f,avx512dq,avx512ifma,...). */
const char *hlp_cpu_features(void);

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

/* ---- NTT context: tables for one ring degree and a list of primes -------- */
typedef struct hlp_ntt_context hlp_ntt_context;

hlp_status hlp_ntt_create(uint32_t n, const uint64_t *moduli, uint32_t count, hlp_ntt_context **out);
void hlp_ntt_destroy(hlp_ntt_context *ctx);
uint32_t hlp_ntt_degree(const hlp_ntt_context *ctx);
uint32_t hlp_ntt_modulus_count(const hlp_ntt_context *ctx);
uint64_t hlp_ntt_modulus(const hlp_ntt_context *ctx, uint32_t index);
/* The root psi used for modulus `index` (see the layout note above). */
uint64_t hlp_ntt_root(const hlp_ntt_context *ctx, uint32_t index);

/*
 * In-place transforms. `first_modulus` and `modulus_count` pick a contiguous run of the
 * context's primes; `words` must be a multiple of modulus_count * n, and the data is read
 * as words / (modulus_count * n) RNS polynomials, block b of each reduced by modulus
 * first_modulus + b. So one call can transform a single residue block, one polynomial,
 * or a whole batch of ciphertext polynomials.
 */
hlp_status hlp_ntt_forward(const hlp_ntt_context *ctx, uint64_t *data, size_t words,
                           uint32_t first_modulus, uint32_t modulus_count, hlp_variant variant,
                           uint32_t flags);
hlp_status hlp_ntt_inverse(const hlp_ntt_context *ctx, uint64_t *data, size_t words,
                           uint32_t first_modulus, uint32_t modulus_count, hlp_variant variant,
                           uint32_t flags);

/* Element-wise r = a op b mod q over the same block layout; r may alias a or b. */
hlp_status hlp_eltwise_add_mod(const hlp_ntt_context *ctx, uint64_t *r, const uint64_t *a,
                               const uint64_t *b, size_t words, uint32_t first_modulus,
                               uint32_t modulus_count, hlp_variant variant, uint32_t flags);
hlp_status hlp_eltwise_sub_mod(const hlp_ntt_context *ctx, uint64_t *r, const uint64_t *a,
                               const uint64_t *b, size_t words, uint32_t first_modulus,
                               uint32_t modulus_count, hlp_variant variant, uint32_t flags);
hlp_status hlp_eltwise_mul_mod(const hlp_ntt_context *ctx, uint64_t *r, const uint64_t *a,
                               const uint64_t *b, size_t words, uint32_t first_modulus,
                               uint32_t modulus_count, hlp_variant variant, uint32_t flags);

/* ---- memory: a pool and plain malloc behind one interface ---------------- */
typedef enum hlp_allocator_kind { HLP_ALLOCATOR_MALLOC = 0, HLP_ALLOCATOR_POOL = 1 } hlp_allocator_kind;

typedef struct hlp_allocator hlp_allocator;

typedef struct hlp_allocator_stats {
  uint64_t allocations;   /* calls to hlp_alloc that succeeded */
  uint64_t frees;
  uint64_t hits;          /* served from a cache without asking the system */
  uint64_t misses;        /* needed a fresh block from the system */
  uint64_t bytes_in_use;  /* bytes handed out and not yet freed (rounded to size class) */
  uint64_t bytes_reserved;/* bytes held from the system, in use or cached */
  uint64_t peak_bytes_in_use;
  uint64_t huge_page_blocks; /* blocks for which huge pages were requested */
} hlp_allocator_stats;

hlp_status hlp_allocator_create(hlp_allocator_kind kind, hlp_allocator **out);
/* Releases every cached block; blocks still in use are leaked to the system, never reused. */
void hlp_allocator_destroy(hlp_allocator *allocator);
/* 64-byte aligned; NULL and *out untouched on failure. */
hlp_status hlp_alloc(hlp_allocator *allocator, size_t bytes, void **out);
/* `bytes` must be the size given to hlp_alloc. */
hlp_status hlp_free(hlp_allocator *allocator, void *block, size_t bytes);
hlp_status hlp_allocator_get_stats(const hlp_allocator *allocator, hlp_allocator_stats *out);
/*
 * Deterministic allocation churn for benchmarks: `rounds` rounds, each allocating
 * `live` blocks with sizes cycling through `sizes`, touching each, then freeing them.
 */
hlp_status hlp_allocator_churn(hlp_allocator *allocator, const size_t *sizes, uint32_t size_count,
                               uint32_t live, uint32_t rounds);

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
hlp_status hlp_ckks_encode_complex(const hlp_ckks_context *ctx, const double *values, size_t value_count,
                                   double scale, uint32_t level, uint64_t *out, size_t out_words);
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
                                   const uint8_t *randomness, size_t randomness_bytes, uint64_t *out,
                                   size_t out_words, uint32_t flags);
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
hlp_status hlp_ckks_encrypt_symmetric(const hlp_ckks_context *ctx, const uint64_t *secret_key,
                                      size_t secret_key_words, const uint64_t *plains, size_t plain_words,
                                      uint32_t count, uint32_t level, const uint8_t *uniform, size_t uniform_bytes,
                                      const uint8_t *noise, size_t noise_bytes, uint64_t *out, size_t out_words,
                                      uint32_t flags);

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
                                   const uint64_t *ciphertexts, size_t ciphertext_words, uint32_t count,
                                   uint32_t size, uint32_t level, double scale, double *out, size_t out_count,
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
hlp_status hlp_ckks_multiply_plain(const hlp_ckks_context *ctx, const uint64_t *ct, size_t ct_words,
                                   uint32_t ct_size, const uint64_t *plain, size_t plain_words, uint32_t level,
                                   uint64_t *out, size_t out_words, uint32_t flags);
/* sum_t cts[t] * plains[t] over `count` size-2 ciphertexts and plaintexts of one level: each
 * sum reduced once, bit for bit multiply_plain then add term by term, in one pass over the
 * operands (the diagonal method's inner loop). out (2 polynomials) overlaps no operand. */
hlp_status hlp_ckks_multiply_plain_accumulate(const hlp_ckks_context *ctx, const uint64_t *const *cts,
                                              const uint64_t *const *plains, uint32_t count, uint32_t level,
                                              uint64_t *out, size_t out_words, uint32_t flags);
/* Size 2 x size 2 -> size 3 (no relinearization); the scale is the product of scales. */
hlp_status hlp_ckks_multiply(const hlp_ckks_context *ctx, const uint64_t *a, size_t a_words, const uint64_t *b,
                             size_t b_words, uint32_t level, uint64_t *out, size_t out_words, uint32_t flags);
/* SEAL's rescale_to_next: divide and round every component by q_{level-1}; out is at
 * level - 1 (level >= 2) and its scale is scale / q_{level-1}. size 1 rescales a plaintext. */
hlp_status hlp_ckks_rescale(const hlp_ckks_context *ctx, const uint64_t *ct, size_t ct_words, uint32_t size,
                            uint32_t level, uint64_t *out, size_t out_words, uint32_t flags);
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
hlp_status hlp_ckks_relinearize(const hlp_ckks_context *ctx, const uint64_t *key, size_t key_words,
                                const uint64_t *ct, size_t ct_words, uint32_t level, uint64_t *out, size_t out_words,
                                uint32_t flags);
/* `count` automorphisms X -> X^elts[r] of one size-2 ciphertext, each switched back to s with
 * keys[r], into outs[r] (out_words = ct_words each, distinct). count = 1 computes exactly
 * SEAL's apply_galois; count > 1 shares one decomposition of c1 among them (hoisting),
 * equal to SEAL's up to key-switching noise. */
hlp_status hlp_ckks_apply_galois(const hlp_ckks_context *ctx, const uint64_t *const *keys, size_t key_words,
                                 const uint32_t *elts, uint32_t count, const uint64_t *ct, size_t ct_words,
                                 uint32_t level, uint64_t *const *outs, size_t out_words, uint32_t flags);
/* multiply, relinearize and rescale in one call: two size-2 ciphertexts at level >= 2 ->
 * a size-2 ciphertext at level - 1 (scale a b / q_{level-1}). */
hlp_status hlp_ckks_multiply_relin_rescale(const hlp_ckks_context *ctx, const uint64_t *key, size_t key_words,
                                           const uint64_t *a, size_t a_words, const uint64_t *b, size_t b_words,
                                           uint32_t level, uint64_t *out, size_t out_words, uint32_t flags);

/* ---- end of CKKS core ---------------------------------------------------- */

#ifdef __cplusplus
}
#endif

#endif /* HLP_KERNELS_H */
