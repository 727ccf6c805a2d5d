/*
 * The interface between the core (addon, test binary) and libhlp_cuda.so. The core never
 * links CUDA: it dlopens the library on first use of the cuda variant and calls
 * hlp_cuda_api_v1() for this table of functions. Plain C types only, so the two sides
 * share no C++ objects. Status codes: HLP_CUDA_OK etc. below.
 *
 * Data layout everywhere: `polys` RNS polynomials of `count` blocks of n words each, end
 * to end ([poly][prime][n]); block b of every polynomial is reduced by primes[b].
 */
#ifndef HLP_CUDA_API_H
#define HLP_CUDA_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HLP_CUDA_API_VERSION 1u
#define HLP_CUDA_MAX_PRIMES 65u
#define HLP_CUDA_NOISE_ENTRIES 19u

enum { HLP_CUDA_OK = 0, HLP_CUDA_NO_DEVICE = 1, HLP_CUDA_OUT_OF_MEMORY = 2, HLP_CUDA_INVALID = 3, HLP_CUDA_ERROR = 4 };

/* One prime's tables (host pointers to n words each) and constants. */
typedef struct hlp_cuda_prime {
  uint64_t q;
  uint64_t barrett_hi, barrett_lo; /* floor(2^128 / q) */
  uint64_t inv_n, inv_n_shoup;
  uint64_t last, last_shoup; /* inv[1] * inv_n mod q: the fused last inverse stage */
  const uint64_t *fwd, *fwd_shoup, *inv, *inv_shoup;
} hlp_cuda_prime;

typedef struct hlp_cuda_pool_counters {
  uint64_t allocations, frees, hits, misses;
  uint64_t bytes_in_use, bytes_reserved, peak_bytes_in_use, peak_bytes_reserved;
} hlp_cuda_pool_counters;

/* Everything a public-key encryptor at `level` needs; copied to the device once. */
typedef struct hlp_cuda_encrypt_setup {
  uint32_t n;
  uint32_t level;                                         /* L: ciphertexts have L blocks; prime L is divided out */
  uint32_t key_primes;                                    /* k + 1: blocks per public-key component */
  const hlp_cuda_prime *primes;                           /* level + 1 entries: q_0 .. q_L */
  const uint64_t *public_key;                             /* 2 * key_primes * n words, NTT form */
  uint64_t half;                                          /* q_L >> 1 */
  const uint64_t *inv, *inv_shoup, *neg_offset, *neg_inv; /* level entries (DivideRound) */
  const uint64_t *noise_cdt;                              /* HLP_CUDA_NOISE_ENTRIES thresholds */
  uint64_t noise_offset;                                  /* kNoiseOffset */
} hlp_cuda_encrypt_setup;

typedef struct hlp_cuda_api {
  uint32_t version;
  uint32_t struct_size;
  /* CUDA devices visible (0 on any error; see last_error). */
  int (*device_count)(void);
  /* Message of the last failure on this thread. */
  const char *(*last_error)(void);
  /* In-place batched transforms of host data. */
  int (*ntt)(int forward, uint64_t *data, size_t polys, uint32_t n, const hlp_cuda_prime *primes, uint32_t count);
  /* op: 0 add, 1 sub, 2 mul; r may alias a or b. Host data. */
  int (*eltwise)(int op, uint64_t *r, const uint64_t *a, const uint64_t *b, size_t polys, uint32_t n,
                 const hlp_cuda_prime *primes, uint32_t count);
  int (*encryptor_create)(const hlp_cuda_encrypt_setup *setup, void **out);
  /* count ciphertexts: plains count * L * n words or NULL, randomness count * 24 n bytes,
   * out count * 2 * L * n words. Host memory; pinned memory is used directly. */
  int (*encrypt)(void *encryptor, const uint64_t *plains, uint32_t count, const uint8_t *randomness, uint64_t *out);
  void (*encryptor_destroy)(void *encryptor);
  int (*pool_stats)(hlp_cuda_pool_counters *out);
  int (*pool_trim)(void);
  /* Pinned host memory (cudaHostAlloc); NULL on failure. */
  void *(*host_alloc)(size_t bytes);
  void (*host_free)(void *p);
} hlp_cuda_api;

typedef const hlp_cuda_api *(*hlp_cuda_api_fn)(void);
const hlp_cuda_api *hlp_cuda_api_v1(void);

/* HLP_KERNELS_ABI_VERSION (hlp/kernels.h) as the library was built. The loader calls it
 * before anything else in the library and refuses a library whose value differs from its
 * own, so its signature must stay the same in every version. */
typedef uint32_t (*hlp_cuda_abi_version_fn)(void);
uint32_t hlp_cuda_abi_version(void);

#ifdef __cplusplus
}
#endif

#endif /* HLP_CUDA_API_H */
