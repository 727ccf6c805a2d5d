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
  HLP_E_INTERNAL = 11
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

#ifdef __cplusplus
}
#endif

#endif /* HLP_KERNELS_H */
