// The C entry points of key switching (hlp_ckks_* in hlp/kernels.h): argument, shape and
// overlap checks, then the algorithms of keyswitch.cpp on a leased scratch.
#include <new>

#include "ckks.hpp"

using hlp::u64;
using hlp::ckks::ScratchLease;

namespace {

std::size_t key_words(const hlp_ckks_context *ctx) {
  return static_cast<std::size_t>(ctx->k) * 2 * (ctx->k + 1) * ctx->n;
}

bool valid_elt(const hlp_ckks_context *ctx, uint32_t elt) {
  return (elt & 1u) == 1u && static_cast<std::size_t>(elt) < 2 * ctx->n;
}

}  // namespace

extern "C" {

size_t hlp_ckks_kswitch_key_words(const hlp_ckks_context *ctx) { return ctx == nullptr ? 0 : key_words(ctx); }

hlp_status hlp_ckks_galois_element(const hlp_ckks_context *ctx, int32_t steps, uint32_t *out) {
  if (ctx == nullptr || out == nullptr) return HLP_E_INVALID_ARGUMENT;
  const u64 m = 2 * static_cast<u64>(ctx->n);
  const u64 slots = ctx->n / 2;
  if (steps == 0) {
    *out = static_cast<uint32_t>(m - 1);
    return HLP_OK;
  }
  const u64 magnitude = steps < 0 ? static_cast<u64>(-static_cast<int64_t>(steps)) : static_cast<u64>(steps);
  if (magnitude >= slots) return HLP_E_INVALID_ARGUMENT;
  // Left by `steps` is 3^steps; right by |steps| is left by slots - |steps|.
  u64 e = steps < 0 ? slots - magnitude : magnitude;
  u64 elt = 1;
  while (e-- > 0) elt = (elt * 3) & (m - 1);
  *out = static_cast<uint32_t>(elt);
  return HLP_OK;
}

hlp_status hlp_ckks_check_kswitch_key(const hlp_ckks_context *ctx, const uint64_t *key, size_t words) {
  if (ctx == nullptr || key == nullptr) return HLP_E_INVALID_ARGUMENT;
  if (words != key_words(ctx)) return HLP_E_LENGTH_MISMATCH;
  const std::size_t poly = static_cast<std::size_t>(ctx->k + 1) * ctx->n;
  for (std::size_t c = 0; c < 2 * static_cast<std::size_t>(ctx->k); ++c) {
    if (!hlp::ckks::rns_below(ctx, key + c * poly, ctx->k + 1)) return HLP_E_VALUE_OUT_OF_RANGE;
  }
  return HLP_OK;
}

hlp_status hlp_ckks_keygen_kswitch(const hlp_ckks_context *ctx, const uint64_t *secret_key, size_t secret_key_words,
                                   uint32_t galois_elt, const uint8_t *uniform, size_t uniform_bytes,
                                   const uint8_t *noise, size_t noise_bytes, uint64_t *out, size_t out_words,
                                   uint32_t flags) {
  if (ctx == nullptr || secret_key == nullptr || uniform == nullptr || noise == nullptr || out == nullptr) {
    return HLP_E_INVALID_ARGUMENT;
  }
  const std::size_t n = ctx->n;
  const uint32_t primes = ctx->k + 1;
  if (secret_key_words != primes * n) return HLP_E_LENGTH_MISMATCH;
  if (galois_elt != 0 && !valid_elt(ctx, galois_elt)) return HLP_E_INVALID_ARGUMENT;
  if (out_words != key_words(ctx)) return HLP_E_LENGTH_MISMATCH;
  if ((flags & HLP_FLAG_CHECK_INPUT) && !hlp::ckks::rns_below(ctx, secret_key, primes)) return HLP_E_VALUE_OUT_OF_RANGE;
  const std::size_t stride = hlp::ckks::uniform_bytes(ctx, primes);
  if (uniform_bytes < ctx->k * stride || noise_bytes < ctx->k * n * hlp::ckks::kNoiseBytesPerCoeff) {
    return HLP_E_RANDOMNESS_EXHAUSTED;
  }
  if (hlp::ckks::overlaps(out, out_words, secret_key, secret_key_words)) return HLP_E_INVALID_ARGUMENT;
  try {
    ScratchLease lease(ctx);
    hlp::ckks::Scratch &s = *lease.get();
    // The key being switched from, in the scratch's secret buffer (zeroed on release).
    u64 *from = s.u.data();
    const hlp::KernelOps &ops = *ctx->ops;
    if (galois_elt == 0) {
      for (uint32_t b = 0; b < primes; ++b) {
        ops.mul_mod(from + b * n, secret_key + b * n, secret_key + b * n, n, ctx->tables[b].modulus);
      }
    } else {
      const uint32_t *table = hlp::ckks::galois_table(ctx, galois_elt).data();
      for (uint32_t b = 0; b < primes; ++b) {
        for (std::size_t x = 0; x < n; ++x) from[b * n + x] = secret_key[b * n + table[x]];
      }
    }
    return hlp::ckks::kswitch_keygen(ctx, s, secret_key, from, uniform, stride, noise, out);
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

hlp_status hlp_ckks_relinearize(const hlp_ckks_context *ctx, const uint64_t *key, size_t key_words_given,
                                const uint64_t *ct, size_t ct_words, uint32_t level, uint64_t *out, size_t out_words,
                                uint32_t flags) {
  hlp_status st = hlp::ckks::check_level(ctx, level, out);
  if (st != HLP_OK) return st;
  if (key == nullptr) return HLP_E_INVALID_ARGUMENT;
  if (key_words_given != key_words(ctx)) return HLP_E_LENGTH_MISMATCH;
  if ((st = hlp::ckks::check_poly(ctx, ct, ct_words, 3, level, flags)) != HLP_OK) return st;
  if (out_words != 2 * static_cast<std::size_t>(level) * ctx->n) return HLP_E_LENGTH_MISMATCH;
  if ((out != ct && hlp::ckks::overlaps(out, out_words, ct, ct_words)) ||
      hlp::ckks::overlaps(out, out_words, key, key_words_given)) {
    return HLP_E_INVALID_ARGUMENT;
  }
  try {
    ScratchLease lease(ctx, hlp::ckks::ScratchUse::kPublic);
    hlp::ckks::relinearize_into(ctx, *lease.get(), key, ct, level, out);
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

hlp_status hlp_ckks_apply_galois(const hlp_ckks_context *ctx, const uint64_t *const *keys, size_t key_words_given,
                                 const uint32_t *elts, uint32_t count, const uint64_t *ct, size_t ct_words,
                                 uint32_t level, uint64_t *const *outs, size_t out_words, uint32_t flags) {
  if (outs == nullptr || count == 0) return HLP_E_INVALID_ARGUMENT;
  hlp_status st = hlp::ckks::check_level(ctx, level, outs[0]);
  if (st != HLP_OK) return st;
  if (keys == nullptr || elts == nullptr) return HLP_E_INVALID_ARGUMENT;
  if (key_words_given != key_words(ctx)) return HLP_E_LENGTH_MISMATCH;
  if ((st = hlp::ckks::check_poly(ctx, ct, ct_words, 2, level, flags)) != HLP_OK) return st;
  if (out_words != ct_words) return HLP_E_LENGTH_MISMATCH;
  for (uint32_t r = 0; r < count; ++r) {
    if (keys[r] == nullptr || outs[r] == nullptr || !valid_elt(ctx, elts[r])) return HLP_E_INVALID_ARGUMENT;
    if (hlp::ckks::overlaps(outs[r], out_words, keys[r], key_words_given) ||
        hlp::ckks::overlaps(outs[r], out_words, ct, ct_words)) {
      return HLP_E_INVALID_ARGUMENT;
    }
    for (uint32_t q = 0; q < r; ++q) {
      if (hlp::ckks::overlaps(outs[r], out_words, outs[q], out_words)) return HLP_E_INVALID_ARGUMENT;
    }
  }
  try {
    ScratchLease lease(ctx, hlp::ckks::ScratchUse::kPublic);
    if (flags & HLP_FLAG_HOISTING_KEYS) {
      hlp::ckks::apply_galois_hoisted(ctx, *lease.get(), keys, elts, count, ct, level, outs,
                                      hlp::ckks::HoistRead::kHoistingKeys);
    } else if (count == 1) {
      hlp::ckks::apply_galois_into(ctx, *lease.get(), keys[0], elts[0], ct, level, outs[0]);
    } else {
      hlp::ckks::apply_galois_hoisted(ctx, *lease.get(), keys, elts, count, ct, level, outs);
    }
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

hlp_status hlp_ckks_rotate_sum(const hlp_ckks_context *ctx, const uint64_t *const *keys, size_t key_words_given,
                               const uint32_t *elts, const uint64_t *const *cts, size_t ct_words, uint32_t count,
                               uint32_t level, uint64_t *out, size_t out_words, uint32_t flags) {
  if (cts == nullptr || count == 0) return HLP_E_INVALID_ARGUMENT;
  hlp_status st = hlp::ckks::check_level(ctx, level, out);
  if (st != HLP_OK) return st;
  if (keys == nullptr || elts == nullptr) return HLP_E_INVALID_ARGUMENT;
  if (key_words_given != key_words(ctx)) return HLP_E_LENGTH_MISMATCH;
  if (out_words != ct_words) return HLP_E_LENGTH_MISMATCH;
  for (uint32_t r = 0; r < count; ++r) {
    if (keys[r] == nullptr || cts[r] == nullptr || !valid_elt(ctx, elts[r])) return HLP_E_INVALID_ARGUMENT;
    if ((st = hlp::ckks::check_poly(ctx, cts[r], ct_words, 2, level, flags)) != HLP_OK) return st;
    if (hlp::ckks::overlaps(out, out_words, cts[r], ct_words) ||
        hlp::ckks::overlaps(out, out_words, keys[r], key_words_given)) {
      return HLP_E_INVALID_ARGUMENT;
    }
  }
  try {
    ScratchLease lease(ctx, hlp::ckks::ScratchUse::kPublic);
    hlp::ckks::rotate_sum_into(ctx, *lease.get(), keys, elts, cts, count, level, out);
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

hlp_status hlp_ckks_hoisting_key(const hlp_ckks_context *ctx, const uint64_t *key, size_t key_words_given,
                                 uint32_t galois_elt, uint64_t *out, size_t out_words) {
  if (ctx == nullptr || key == nullptr || out == nullptr || !valid_elt(ctx, galois_elt)) return HLP_E_INVALID_ARGUMENT;
  if (key_words_given != key_words(ctx) || out_words != key_words(ctx)) return HLP_E_LENGTH_MISMATCH;
  if (hlp::ckks::overlaps(out, out_words, key, key_words_given)) return HLP_E_INVALID_ARGUMENT;
  try {
    hlp::ckks::hoisting_key_into(ctx, key, galois_elt, out);
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

hlp_status hlp_ckks_multiply_relin_rescale(const hlp_ckks_context *ctx, const uint64_t *key, size_t key_words_given,
                                           const uint64_t *a, size_t a_words, const uint64_t *b, size_t b_words,
                                           uint32_t level, uint64_t *out, size_t out_words, uint32_t flags) {
  hlp_status st = hlp::ckks::check_level(ctx, level, out);
  if (st != HLP_OK) return st;
  if (level < 2 || key == nullptr) return HLP_E_INVALID_ARGUMENT;
  if (key_words_given != key_words(ctx)) return HLP_E_LENGTH_MISMATCH;
  const std::size_t poly = static_cast<std::size_t>(level) * ctx->n;
  if (out_words != 2 * (poly - ctx->n)) return HLP_E_LENGTH_MISMATCH;
  if ((st = hlp::ckks::check_poly(ctx, a, a_words, 2, level, flags)) != HLP_OK) return st;
  if ((st = hlp::ckks::check_poly(ctx, b, b_words, 2, level, flags)) != HLP_OK) return st;
  if (hlp::ckks::overlaps(out, out_words, a, a_words) || hlp::ckks::overlaps(out, out_words, b, b_words)) {
    return HLP_E_INVALID_ARGUMENT;
  }
  try {
    ScratchLease lease(ctx, hlp::ckks::ScratchUse::kPublic);
    hlp::ckks::Scratch &s = *lease.get();
    hlp::ckks::ensure_words(s.ks_tmp, 3 * poly);
    u64 *prod = s.ks_tmp.data();
    st = hlp_ckks_multiply(ctx, a, a_words, b, b_words, level, prod, 3 * poly, HLP_FLAG_NONE);
    if (st != HLP_OK) return st;
    hlp::ckks::relin_rescale_into(ctx, s, key, prod, level, out);
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  }
}

}  // extern "C"
