/*
 * @hlp/kernels C ABI: the ABI version, status codes, kernel variants and flags that
 * every family header shares.
 */
#ifndef HLP_COMMON_H
#define HLP_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the native ABI: the headers under hlp/ and the interface between the
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
  HLP_E_SCALE_OUT_OF_BOUNDS = 12, /* CKKS: scale, or an encoded coefficient, too large */
  HLP_E_RANDOMNESS_EXHAUSTED = 13 /* CKKS: too few random bytes for the operation */
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
/* hlp_ckks_apply_galois: the keys are hoisting keys (hlp_ckks_hoisting_key). */
#define HLP_FLAG_HOISTING_KEYS 2u
/* hlp_ckks_encode_encrypt_seeded: the seeds expand with AES-256-CTR (hlp_aes256ctr_stream), not SHAKE256. */
#define HLP_FLAG_SEED_AES256CTR 4u

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

#ifdef __cplusplus
}
#endif

#endif /* HLP_COMMON_H */
