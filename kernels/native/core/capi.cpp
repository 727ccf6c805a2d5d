// The C ABI over the C++ core: argument validation, status codes, and the walk over
// RNS blocks. Nothing here throws across the boundary.
#include <new>
#include <vector>

#include "../include/hlp/kernels.h"
#include "variants.hpp"

// The cuda variant: libhlp_cuda.so, dlopen'd on first use (cuda-loader.hpp).
#include "../ckks/ckks.hpp"
#include "../cuda/cuda-loader.hpp"
#include "../include/hlp/cuda.h"

struct hlp_ntt_context {
  std::vector<hlp::NttTables> tables;
};

namespace {

using hlp::u64;

hlp_status validate_modulus(u64 q, u64 n) {
  if (q >= (u64{1} << HLP_MAX_MODULUS_BITS)) return HLP_E_MODULUS_TOO_LARGE;
  if (!hlp::is_prime(q)) return HLP_E_MODULUS_NOT_PRIME;
  if ((q - 1) % (2 * n) != 0) return HLP_E_MODULUS_NOT_NTT_FRIENDLY;
  return HLP_OK;
}

// Plain scalar range check: cheap next to the transform it guards, and it must never
// be the reason a variant disagrees.
bool all_below(const u64 *data, std::size_t count, u64 q) {
  u64 violations = 0;
  for (std::size_t i = 0; i < count; ++i) violations |= static_cast<u64>(data[i] >= q);
  return violations == 0;
}

const hlp::KernelOps *cpu_ops(hlp_variant v) {
  switch (v) {
    case HLP_VARIANT_SCALAR: return &hlp::scalar_ops();
    case HLP_VARIANT_AVX2: return &hlp::avx2_ops();
    case HLP_VARIANT_AVX512: return &hlp::avx512_ops();
    default: return nullptr;
  }
}

// Shared shape checks for every call over RNS data.
hlp_status check_layout(const hlp_ntt_context *ctx, const void *data, std::size_t words, uint32_t first,
                        uint32_t count) {
  if (ctx == nullptr) return HLP_E_INVALID_ARGUMENT;
  if (count == 0 || first >= ctx->tables.size() || count > ctx->tables.size() - first) {
    return HLP_E_INVALID_ARGUMENT;
  }
  const std::size_t n = ctx->tables[0].n;
  const std::size_t stride = n * count;
  if (words == 0 || words % stride != 0) return HLP_E_LENGTH_MISMATCH;
  return data == nullptr ? HLP_E_INVALID_ARGUMENT : HLP_OK;
}

enum class Direction { kForward, kInverse };

hlp_status transform(const hlp_ntt_context *ctx, u64 *data, std::size_t words, uint32_t first, uint32_t count,
                     hlp_variant requested, uint32_t flags, Direction dir) {
  hlp_status st = check_layout(ctx, data, words, first, count);
  if (st != HLP_OK) return st;
  hlp_variant variant;
  st = hlp_variant_resolve(requested, &variant);
  if (st != HLP_OK) return st;
  const std::size_t n = ctx->tables[0].n;
  const std::size_t polys = words / (n * count);
  if (flags & HLP_FLAG_CHECK_INPUT) {
    for (std::size_t p = 0; p < polys; ++p) {
      for (uint32_t b = 0; b < count; ++b) {
        const u64 *block = data + (p * count + b) * n;
        if (!all_below(block, n, ctx->tables[first + b].modulus.value)) return HLP_E_VALUE_OUT_OF_RANGE;
      }
    }
  }
  if (variant == HLP_VARIANT_CUDA) {
    // The whole RNS batch in one call: [poly][prime][n], primes first..first+count-1.
    const hlp_cuda_api *api = hlp::cuda_loader::usable();
    if (api == nullptr) return HLP_E_VARIANT_UNAVAILABLE;
    std::vector<hlp_cuda_prime> primes;
    for (uint32_t b = 0; b < count; ++b) primes.push_back(hlp::cuda::prime_of(ctx->tables[first + b]));
    const int rc =
        api->ntt(dir == Direction::kForward ? 1 : 0, data, polys, static_cast<uint32_t>(n), primes.data(), count);
    return rc == HLP_CUDA_OK              ? HLP_OK
           : rc == HLP_CUDA_OUT_OF_MEMORY ? HLP_E_OUT_OF_MEMORY
           : rc == HLP_CUDA_NO_DEVICE     ? HLP_E_NO_DEVICE
                                          : HLP_E_INTERNAL;
  }
  const hlp::KernelOps *ops = cpu_ops(variant);
  if (ops == nullptr) return HLP_E_VARIANT_UNAVAILABLE;
  const hlp::NttFn fn = dir == Direction::kForward ? ops->ntt_forward : ops->ntt_inverse;
  for (std::size_t p = 0; p < polys; ++p) {
    for (uint32_t b = 0; b < count; ++b) fn(data + (p * count + b) * n, ctx->tables[first + b]);
  }
  return HLP_OK;
}

enum class Op { kAdd, kSub, kMul };

hlp_status eltwise(const hlp_ntt_context *ctx, u64 *r, const u64 *a, const u64 *b, std::size_t words, uint32_t first,
                   uint32_t count, hlp_variant requested, uint32_t flags, Op op) {
  if (r == nullptr || a == nullptr || b == nullptr) return HLP_E_INVALID_ARGUMENT;
  hlp_status st = check_layout(ctx, a, words, first, count);
  if (st != HLP_OK) return st;
  hlp_variant variant;
  st = hlp_variant_resolve(requested, &variant);
  if (st != HLP_OK) return st;
  const std::size_t n = ctx->tables[0].n;
  const std::size_t polys = words / (n * count);
  if (flags & HLP_FLAG_CHECK_INPUT) {
    for (std::size_t p = 0; p < polys; ++p) {
      for (uint32_t k = 0; k < count; ++k) {
        const std::size_t offset = (p * count + k) * n;
        const u64 q = ctx->tables[first + k].modulus.value;
        if (!all_below(a + offset, n, q) || !all_below(b + offset, n, q)) return HLP_E_VALUE_OUT_OF_RANGE;
      }
    }
  }
  if (variant == HLP_VARIANT_CUDA) {
    // Memory-bound: worth it for data already headed to the device; explicit requests only.
    const hlp_cuda_api *api = hlp::cuda_loader::usable();
    if (api == nullptr) return HLP_E_VARIANT_UNAVAILABLE;
    std::vector<hlp_cuda_prime> primes;
    for (uint32_t k = 0; k < count; ++k) primes.push_back(hlp::cuda::prime_of(ctx->tables[first + k]));
    const int rc = api->eltwise(op == Op::kAdd   ? 0
                                : op == Op::kSub ? 1
                                                 : 2,
                                r, a, b, polys, static_cast<uint32_t>(n), primes.data(), count);
    return rc == HLP_CUDA_OK              ? HLP_OK
           : rc == HLP_CUDA_OUT_OF_MEMORY ? HLP_E_OUT_OF_MEMORY
           : rc == HLP_CUDA_NO_DEVICE     ? HLP_E_NO_DEVICE
                                          : HLP_E_INTERNAL;
  }
  const hlp::KernelOps *ops = cpu_ops(variant);
  if (ops == nullptr) return HLP_E_VARIANT_UNAVAILABLE;
  const hlp::EltwiseFn fn = op == Op::kAdd ? ops->add_mod : op == Op::kSub ? ops->sub_mod : ops->mul_mod;
  for (std::size_t p = 0; p < polys; ++p) {
    for (uint32_t k = 0; k < count; ++k) {
      const std::size_t offset = (p * count + k) * n;
      fn(r + offset, a + offset, b + offset, n, ctx->tables[first + k].modulus);
    }
  }
  return HLP_OK;
}

hlp_status check_small_modulus(uint64_t q) {
  if (q < 2) return HLP_E_INVALID_ARGUMENT;
  if (q >= (u64{1} << 62)) return HLP_E_MODULUS_TOO_LARGE;
  return HLP_OK;
}

}  // namespace

extern "C" {

uint32_t hlp_kernels_abi_version(void) { return HLP_KERNELS_ABI_VERSION; }

const char *hlp_status_message(hlp_status status) {
  switch (status) {
    case HLP_OK: return "ok";
    case HLP_E_INVALID_ARGUMENT: return "invalid argument";
    case HLP_E_NOT_POWER_OF_TWO: return "ring degree must be a power of two within the supported range";
    case HLP_E_MODULUS_NOT_PRIME: return "modulus is not prime";
    case HLP_E_MODULUS_NOT_NTT_FRIENDLY: return "modulus is not 1 mod 2n, so no 2n-th root of unity exists";
    case HLP_E_MODULUS_TOO_LARGE: return "modulus exceeds the supported bit size";
    case HLP_E_VALUE_OUT_OF_RANGE: return "input value not below its modulus";
    case HLP_E_LENGTH_MISMATCH: return "data length does not match the ring degree and modulus count";
    case HLP_E_VARIANT_UNAVAILABLE: return "kernel variant not available on this machine or build";
    case HLP_E_OUT_OF_MEMORY: return "out of memory";
    case HLP_E_NO_DEVICE: return "GPU device error";
    case HLP_E_INTERNAL: return "internal error";
    case HLP_E_SCALE_OUT_OF_BOUNDS: return "scale or encoded value too large for the modulus";
    case HLP_E_RANDOMNESS_EXHAUSTED: return "not enough random bytes for the operation";
  }
  return "unknown status";
}

const char *hlp_status_code(hlp_status status) {
  switch (status) {
    case HLP_OK: return "OK";
    case HLP_E_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case HLP_E_NOT_POWER_OF_TWO: return "NOT_POWER_OF_TWO";
    case HLP_E_MODULUS_NOT_PRIME: return "MODULUS_NOT_PRIME";
    case HLP_E_MODULUS_NOT_NTT_FRIENDLY: return "MODULUS_NOT_NTT_FRIENDLY";
    case HLP_E_MODULUS_TOO_LARGE: return "MODULUS_TOO_LARGE";
    case HLP_E_VALUE_OUT_OF_RANGE: return "VALUE_OUT_OF_RANGE";
    case HLP_E_LENGTH_MISMATCH: return "LENGTH_MISMATCH";
    case HLP_E_VARIANT_UNAVAILABLE: return "VARIANT_UNAVAILABLE";
    case HLP_E_OUT_OF_MEMORY: return "OUT_OF_MEMORY";
    case HLP_E_NO_DEVICE: return "NO_DEVICE";
    case HLP_E_INTERNAL: return "INTERNAL";
    case HLP_E_SCALE_OUT_OF_BOUNDS: return "SCALE_OUT_OF_BOUNDS";
    case HLP_E_RANDOMNESS_EXHAUSTED: return "RANDOMNESS_EXHAUSTED";
  }
  return "INTERNAL";
}

int hlp_is_prime(uint64_t value) { return hlp::is_prime(value) ? 1 : 0; }

hlp_status hlp_generate_ntt_primes(uint32_t bits, uint32_t n, uint32_t count, uint64_t *out) {
  if (out == nullptr || count == 0) return HLP_E_INVALID_ARGUMENT;
  if (!hlp::is_power_of_two(n) || n < HLP_MIN_NTT_N || n > HLP_MAX_NTT_N) return HLP_E_NOT_POWER_OF_TWO;
  if (bits > HLP_MAX_MODULUS_BITS) return HLP_E_MODULUS_TOO_LARGE;
  if (bits < 2) return HLP_E_INVALID_ARGUMENT;
  try {
    const std::vector<u64> primes = hlp::generate_ntt_primes(static_cast<int>(bits), n, count);
    if (primes.size() != count) return HLP_E_INVALID_ARGUMENT;
    for (uint32_t i = 0; i < count; ++i) out[i] = primes[i];
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

hlp_status hlp_minimal_primitive_root(uint64_t q, uint64_t order, uint64_t *out) {
  if (out == nullptr) return HLP_E_INVALID_ARGUMENT;
  hlp_status st = check_small_modulus(q);
  if (st != HLP_OK) return st;
  if (!hlp::is_power_of_two(order) || order < 2) return HLP_E_NOT_POWER_OF_TWO;
  if (!hlp::is_prime(q)) return HLP_E_MODULUS_NOT_PRIME;
  if ((q - 1) % order != 0) return HLP_E_MODULUS_NOT_NTT_FRIENDLY;
  const u64 root = hlp::minimal_primitive_root(order, hlp::Modulus(q));
  if (root == 0) return HLP_E_INTERNAL;
  *out = root;
  return HLP_OK;
}

hlp_status hlp_mul_mod_barrett(uint64_t a, uint64_t b, uint64_t q, uint64_t *out) {
  if (out == nullptr) return HLP_E_INVALID_ARGUMENT;
  hlp_status st = check_small_modulus(q);
  if (st != HLP_OK) return st;
  if (a >= q || b >= q) return HLP_E_VALUE_OUT_OF_RANGE;
  *out = hlp::mul_mod_barrett(a, b, hlp::Modulus(q));
  return HLP_OK;
}

hlp_status hlp_mul_mod_shoup(uint64_t a, uint64_t w, uint64_t q, uint64_t *out) {
  if (out == nullptr) return HLP_E_INVALID_ARGUMENT;
  hlp_status st = check_small_modulus(q);
  if (st != HLP_OK) return st;
  if (a >= q || w >= q) return HLP_E_VALUE_OUT_OF_RANGE;
  *out = hlp::mul_mod_shoup(a, w, hlp::shoup_precompute(w, q), q);
  return HLP_OK;
}

hlp_status hlp_pow_mod(uint64_t base, uint64_t exponent, uint64_t q, uint64_t *out) {
  if (out == nullptr) return HLP_E_INVALID_ARGUMENT;
  hlp_status st = check_small_modulus(q);
  if (st != HLP_OK) return st;
  *out = hlp::pow_mod(base, exponent, hlp::Modulus(q));
  return HLP_OK;
}

hlp_status hlp_inv_mod(uint64_t a, uint64_t q, uint64_t *out) {
  if (out == nullptr) return HLP_E_INVALID_ARGUMENT;
  hlp_status st = check_small_modulus(q);
  if (st != HLP_OK) return st;
  if (!hlp::is_prime(q)) return HLP_E_MODULUS_NOT_PRIME;
  if (a % q == 0) return HLP_E_VALUE_OUT_OF_RANGE;
  *out = hlp::inv_mod_prime(a, hlp::Modulus(q));
  return HLP_OK;
}

hlp_status hlp_ntt_create(uint32_t n, const uint64_t *moduli, uint32_t count, hlp_ntt_context **out) {
  if (out == nullptr || moduli == nullptr || count == 0) return HLP_E_INVALID_ARGUMENT;
  if (!hlp::is_power_of_two(n) || n < HLP_MIN_NTT_N || n > HLP_MAX_NTT_N) return HLP_E_NOT_POWER_OF_TWO;
  for (uint32_t i = 0; i < count; ++i) {
    const hlp_status st = validate_modulus(moduli[i], n);
    if (st != HLP_OK) return st;
  }
  try {
    auto *ctx = new hlp_ntt_context();
    ctx->tables.resize(count);
    for (uint32_t i = 0; i < count; ++i) {
      if (!ctx->tables[i].init(n, moduli[i])) {
        delete ctx;
        return HLP_E_INTERNAL;
      }
    }
    *out = ctx;
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

void hlp_ntt_destroy(hlp_ntt_context *ctx) { delete ctx; }

uint32_t hlp_ntt_degree(const hlp_ntt_context *ctx) {
  return ctx == nullptr ? 0 : static_cast<uint32_t>(ctx->tables[0].n);
}

uint32_t hlp_ntt_modulus_count(const hlp_ntt_context *ctx) {
  return ctx == nullptr ? 0 : static_cast<uint32_t>(ctx->tables.size());
}

uint64_t hlp_ntt_modulus(const hlp_ntt_context *ctx, uint32_t index) {
  if (ctx == nullptr || index >= ctx->tables.size()) return 0;
  return ctx->tables[index].modulus.value;
}

uint64_t hlp_ntt_root(const hlp_ntt_context *ctx, uint32_t index) {
  if (ctx == nullptr || index >= ctx->tables.size()) return 0;
  return ctx->tables[index].root;
}

hlp_status hlp_ntt_forward(const hlp_ntt_context *ctx, uint64_t *data, size_t words, uint32_t first_modulus,
                           uint32_t modulus_count, hlp_variant variant, uint32_t flags) {
  return transform(ctx, data, words, first_modulus, modulus_count, variant, flags, Direction::kForward);
}

hlp_status hlp_ntt_inverse(const hlp_ntt_context *ctx, uint64_t *data, size_t words, uint32_t first_modulus,
                           uint32_t modulus_count, hlp_variant variant, uint32_t flags) {
  return transform(ctx, data, words, first_modulus, modulus_count, variant, flags, Direction::kInverse);
}

hlp_status hlp_eltwise_add_mod(const hlp_ntt_context *ctx, uint64_t *r, const uint64_t *a, const uint64_t *b,
                               size_t words, uint32_t first_modulus, uint32_t modulus_count, hlp_variant variant,
                               uint32_t flags) {
  return eltwise(ctx, r, a, b, words, first_modulus, modulus_count, variant, flags, Op::kAdd);
}

hlp_status hlp_eltwise_sub_mod(const hlp_ntt_context *ctx, uint64_t *r, const uint64_t *a, const uint64_t *b,
                               size_t words, uint32_t first_modulus, uint32_t modulus_count, hlp_variant variant,
                               uint32_t flags) {
  return eltwise(ctx, r, a, b, words, first_modulus, modulus_count, variant, flags, Op::kSub);
}

hlp_status hlp_eltwise_mul_mod(const hlp_ntt_context *ctx, uint64_t *r, const uint64_t *a, const uint64_t *b,
                               size_t words, uint32_t first_modulus, uint32_t modulus_count, hlp_variant variant,
                               uint32_t flags) {
  return eltwise(ctx, r, a, b, words, first_modulus, modulus_count, variant, flags, Op::kMul);
}

}  // extern "C"

// ---- cuda variant: pool, pinned memory, CKKS encryptor (libhlp_cuda.so) -------------

struct hlp_cuda_encryptor {
  const hlp_cuda_api *api;
  void *handle;
  const hlp_ckks_context *ctx;
  uint32_t level;
};

namespace {

hlp_status cuda_status(int rc) {
  switch (rc) {
    case HLP_CUDA_OK: return HLP_OK;
    case HLP_CUDA_NO_DEVICE: return HLP_E_NO_DEVICE;
    case HLP_CUDA_OUT_OF_MEMORY: return HLP_E_OUT_OF_MEMORY;
    case HLP_CUDA_INVALID: return HLP_E_INVALID_ARGUMENT;
    default: return HLP_E_INTERNAL;
  }
}

}  // namespace

extern "C" {

const char *hlp_cuda_unavailable_reason(void) { return hlp::cuda_loader::state().reason.c_str(); }

hlp_status hlp_cuda_pool_stats(hlp_cuda_memory_stats *out) {
  if (out == nullptr) return HLP_E_INVALID_ARGUMENT;
  const hlp_cuda_api *api = hlp::cuda_loader::usable();
  if (api == nullptr) return HLP_E_VARIANT_UNAVAILABLE;
  hlp_cuda_pool_counters c{};
  const int rc = api->pool_stats(&c);
  if (rc != HLP_CUDA_OK) return cuda_status(rc);
  *out = hlp_cuda_memory_stats{
      c.allocations,        c.frees, c.hits, c.misses, c.bytes_in_use, c.bytes_reserved, c.peak_bytes_in_use,
      c.peak_bytes_reserved};
  return HLP_OK;
}

hlp_status hlp_cuda_pool_trim(void) {
  const hlp_cuda_api *api = hlp::cuda_loader::usable();
  if (api == nullptr) return HLP_E_VARIANT_UNAVAILABLE;
  return cuda_status(api->pool_trim());
}

hlp_status hlp_cuda_host_alloc(size_t bytes, void **out) {
  if (out == nullptr || bytes == 0) return HLP_E_INVALID_ARGUMENT;
  const hlp_cuda_api *api = hlp::cuda_loader::usable();
  if (api == nullptr) return HLP_E_VARIANT_UNAVAILABLE;
  void *p = api->host_alloc(bytes);
  if (p == nullptr) return HLP_E_OUT_OF_MEMORY;
  *out = p;
  return HLP_OK;
}

hlp_status hlp_cuda_host_free(void *block) {
  if (block == nullptr) return HLP_E_INVALID_ARGUMENT;
  const hlp_cuda_api *api = hlp::cuda_loader::usable();
  if (api == nullptr) return HLP_E_VARIANT_UNAVAILABLE;
  api->host_free(block);
  return HLP_OK;
}

hlp_status hlp_cuda_encryptor_create(const hlp_ckks_context *ctx, const uint64_t *public_key, size_t public_key_words,
                                     uint32_t level, uint32_t flags, hlp_cuda_encryptor **out) {
  if (ctx == nullptr || public_key == nullptr || out == nullptr) return HLP_E_INVALID_ARGUMENT;
  if (level < 1 || level > ctx->k || level + 1 > HLP_CUDA_MAX_PRIMES) return HLP_E_INVALID_ARGUMENT;
  const std::size_t n = ctx->n;
  const std::size_t key_words = static_cast<std::size_t>(ctx->k + 1) * n;
  if (public_key_words != 2 * key_words) return HLP_E_LENGTH_MISMATCH;
  if ((flags & HLP_FLAG_CHECK_INPUT) && (!hlp::ckks::rns_below(ctx, public_key, ctx->k + 1) ||
                                         !hlp::ckks::rns_below(ctx, public_key + key_words, ctx->k + 1))) {
    return HLP_E_VALUE_OUT_OF_RANGE;
  }
  const hlp_cuda_api *api = hlp::cuda_loader::usable();
  if (api == nullptr) return HLP_E_VARIANT_UNAVAILABLE;
  try {
    std::vector<hlp_cuda_prime> primes;
    for (uint32_t b = 0; b <= level; ++b) primes.push_back(hlp::cuda::prime_of(ctx->tables[b]));
    const hlp::ckks::DivideRound &d = ctx->divide[level];
    std::size_t cdt_count = 0;
    const u64 *cdt = hlp::ckks::noise_cdt(&cdt_count);
    if (cdt_count != HLP_CUDA_NOISE_ENTRIES) return HLP_E_INTERNAL;
    hlp_cuda_encrypt_setup setup{};
    setup.n = static_cast<uint32_t>(n);
    setup.level = level;
    setup.key_primes = ctx->k + 1;
    setup.primes = primes.data();
    setup.public_key = public_key;
    setup.half = d.half;
    setup.inv = d.inv.data();
    setup.inv_shoup = d.inv_shoup.data();
    setup.neg_offset = d.neg_offset.data();
    setup.neg_inv = d.neg_inv.data();
    setup.noise_cdt = cdt;
    setup.noise_offset = hlp::ckks::kNoiseOffset;
    void *handle = nullptr;
    const int rc = api->encryptor_create(&setup, &handle);
    if (rc != HLP_CUDA_OK) return cuda_status(rc);
    *out = new hlp_cuda_encryptor{api, handle, ctx, level};
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

void hlp_cuda_encryptor_destroy(hlp_cuda_encryptor *encryptor) {
  if (encryptor == nullptr) return;
  encryptor->api->encryptor_destroy(encryptor->handle);
  delete encryptor;
}

hlp_status hlp_cuda_encrypt_public(hlp_cuda_encryptor *encryptor, const uint64_t *plains, size_t plain_words,
                                   uint32_t count, const uint8_t *randomness, size_t randomness_bytes, uint64_t *out,
                                   size_t out_words, uint32_t flags) {
  if (encryptor == nullptr || out == nullptr || randomness == nullptr || count == 0) return HLP_E_INVALID_ARGUMENT;
  const hlp_ckks_context *ctx = encryptor->ctx;
  const std::size_t n = ctx->n;
  const uint32_t level = encryptor->level;
  const std::size_t ct_words = 2 * static_cast<std::size_t>(level) * n;
  if (out_words != ct_words * count) return HLP_E_LENGTH_MISMATCH;
  if (plains == nullptr) {
    if (plain_words != 0) return HLP_E_INVALID_ARGUMENT;
  } else {
    const std::size_t per = static_cast<std::size_t>(level) * n;
    if (plain_words != per * count) return HLP_E_LENGTH_MISMATCH;
    if (flags & HLP_FLAG_CHECK_INPUT) {
      for (uint32_t c = 0; c < count; ++c) {
        if (!hlp::ckks::rns_below(ctx, plains + c * per, level)) return HLP_E_VALUE_OUT_OF_RANGE;
      }
    }
    if (hlp::ckks::overlaps(out, out_words, plains, plain_words)) return HLP_E_INVALID_ARGUMENT;
  }
  const std::size_t per_ct = n * (hlp::ckks::kTernaryBytesPerCoeff + 2 * hlp::ckks::kNoiseBytesPerCoeff);
  if (randomness_bytes / per_ct < count) return HLP_E_RANDOMNESS_EXHAUSTED;
  return cuda_status(encryptor->api->encrypt(encryptor->handle, plains, count, randomness, out));
}

hlp_status hlp_cuda_encode_encrypt_public(hlp_cuda_encryptor *encryptor, const double *values, size_t values_per_plain,
                                          uint32_t count, double scale, const uint8_t *randomness,
                                          size_t randomness_bytes, uint64_t *out, size_t out_words, uint32_t flags) {
  if (encryptor == nullptr || values == nullptr || count == 0) return HLP_E_INVALID_ARGUMENT;
  const hlp_ckks_context *ctx = encryptor->ctx;
  const std::size_t n = ctx->n;
  if (values_per_plain == 0 || values_per_plain > n / 2) return HLP_E_LENGTH_MISMATCH;
  const uint32_t level = encryptor->level;
  const std::size_t per = static_cast<std::size_t>(level) * n;
  try {
    std::vector<uint64_t> plains(per * count);
    for (uint32_t c = 0; c < count; ++c) {
      const hlp_status st = hlp_ckks_encode(ctx, values + static_cast<std::size_t>(c) * values_per_plain,
                                            values_per_plain, scale, level, plains.data() + c * per, per);
      if (st != HLP_OK) return st;
    }
    // The encoder's output is below its primes by construction: no input check needed.
    return hlp_cuda_encrypt_public(encryptor, plains.data(), plains.size(), count, randomness, randomness_bytes, out,
                                   out_words, flags & ~HLP_FLAG_CHECK_INPUT);
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

}  // extern "C"
