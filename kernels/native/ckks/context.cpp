// The CKKS context: the modulus chain with its NTT tables, the constants of SEAL's
// divide-and-round by the last prime, multi-precision CRT tables per level, the slot
// transform, and a free list of per-call scratch memory.
#include <algorithm>
#include <cmath>
#include <new>

#include "ckks.hpp"

namespace hlp {
namespace ckks {

namespace {

// Little-endian multi-word helpers (only used at context creation and in decode).
void mul_word(std::vector<u64> &x, u64 w) {
  u64 carry = 0;
  for (auto &limb : x) {
    const u128 p = static_cast<u128>(limb) * w + carry;
    limb = static_cast<u64>(p);
    carry = static_cast<u64>(p >> 64);
  }
  if (carry != 0) x.push_back(carry);
}

int bit_length(const std::vector<u64> &x) {
  for (std::size_t i = x.size(); i-- > 0;) {
    if (x[i] != 0) return static_cast<int>(i * 64 + (64 - __builtin_clzll(x[i])));
  }
  return 0;
}

bool init_crt(CrtLevel &c, const std::vector<u64> &moduli, uint32_t level) {
  c.primes = level;
  std::vector<u64> q{1};
  for (uint32_t i = 0; i < level; ++i) mul_word(q, moduli[i]);
  q.resize(level, 0);
  c.q = q;
  c.total_bits = bit_length(q);
  // half = (Q + 1) / 2; Q is odd so no carry out of the top word.
  c.half = q;
  for (uint32_t i = 0; i < level; ++i) {
    if (++c.half[i] != 0) break;
  }
  for (uint32_t i = 0; i < level; ++i) {
    const u64 next = i + 1 < level ? c.half[i + 1] : 0;
    c.half[i] = (c.half[i] >> 1) | (next << 63);
  }
  c.punctured.assign(static_cast<std::size_t>(level) * level, 0);
  c.punctured_inv.assign(level, 0);
  c.punctured_inv_shoup.assign(level, 0);
  for (uint32_t i = 0; i < level; ++i) {
    std::vector<u64> p{1};
    const Modulus mi(moduli[i]);
    u64 residue = 1 % moduli[i];
    for (uint32_t j = 0; j < level; ++j) {
      if (j == i) continue;
      mul_word(p, moduli[j]);
      residue = mul_mod_barrett(residue, moduli[j] % moduli[i], mi);
    }
    p.resize(level, 0);
    std::copy(p.begin(), p.end(), c.punctured.begin() + static_cast<std::ptrdiff_t>(i) * level);
    const u64 inv = inv_mod_prime(residue, mi);
    if (inv == 0) return false;
    c.punctured_inv[i] = inv;
    c.punctured_inv_shoup[i] = shoup_precompute(inv, moduli[i]);
  }
  return true;
}

}  // namespace

// Expected replacement draws for one prime: n times the chance that a 64-bit word falls
// at or above the largest multiple of q (SEAL's rejection rule, see sample_uniform).
double expected_rejections(std::size_t n, u64 q) {
  constexpr u64 kMax = ~u64{0};
  return static_cast<double>(n) * (static_cast<double>(kMax % q) + 2.0) / 18446744073709551616.0;
}

namespace {

// Secret intermediates (u, noise, plaintext coefficients) are not left behind.
void wipe(Scratch &s) {
  std::fill(s.u.begin(), s.u.end(), 0);
  std::fill(s.e0.begin(), s.e0.end(), 0);
  std::fill(s.e1.begin(), s.e1.end(), 0);
  std::fill(s.coeffs.begin(), s.coeffs.end(), 0);
  std::fill(s.plain.begin(), s.plain.end(), 0);
  std::fill(s.t0.begin(), s.t0.end(), 0);
  std::fill(s.t1.begin(), s.t1.end(), 0);
  std::fill(s.re.begin(), s.re.end(), 0.0);
  std::fill(s.im.begin(), s.im.end(), 0.0);
  std::fill(s.real.begin(), s.real.end(), 0.0);
  std::fill(s.tern.begin(), s.tern.end(), 0);
}

}  // namespace

ScratchLease::ScratchLease(const hlp_ckks_context *ctx, ScratchUse use) : ctx_(ctx), use_(use) {
  {
    std::lock_guard<std::mutex> lock(ctx->scratch_mutex);
    if (!ctx->scratch_free.empty()) {
      scratch_ = std::move(ctx->scratch_free.back());
      ctx->scratch_free.pop_back();
      return;
    }
  }
  auto s = std::make_unique<Scratch>();
  const std::size_t n = ctx->n;
  s->u.assign((ctx->k + 1) * n, 0);
  s->t0.assign(n, 0);
  s->t1.assign(n, 0);
  s->plain.assign(ctx->k * n, 0);
  s->e0.assign(n, 0);
  s->e1.assign(n, 0);
  s->coeffs.assign(n, 0);
  s->re.assign(n / 2, 0.0);
  s->im.assign(n / 2, 0.0);
  s->real.assign(n, 0.0);
  s->tern.assign(n, 0);
  scratch_ = std::move(s);
}

ScratchLease::~ScratchLease() {
  if (!scratch_) return;
  if (use_ == ScratchUse::kSecret) wipe(*scratch_);
  try {
    std::lock_guard<std::mutex> lock(ctx_->scratch_mutex);
    ctx_->scratch_free.push_back(std::move(scratch_));
  } catch (...) {
    // Dropping the scratch (freed by unique_ptr) is fine.
  }
}

bool rns_below(const hlp_ckks_context *ctx, const u64 *data, uint32_t blocks) {
  const std::size_t n = ctx->n;
  bool ok = true;
  for (uint32_t b = 0; b < blocks; ++b) ok &= simd().below(data + b * n, n, ctx->moduli[b]);
  return ok;
}

const KernelOps &ckks_ops() {
  static const KernelOps *ops = [] {
    hlp_variant v = hlp_variant_default();
    // Element-wise work and single transforms stay on the CPU (see capi.cpp).
    if (v == HLP_VARIANT_CUDA) {
      v = hlp_variant_available(HLP_VARIANT_AVX512) ? HLP_VARIANT_AVX512
          : hlp_variant_available(HLP_VARIANT_AVX2) ? HLP_VARIANT_AVX2
                                                    : HLP_VARIANT_SCALAR;
    }
    switch (v) {
      case HLP_VARIANT_AVX512: return &avx512_ops();
      case HLP_VARIANT_AVX2: return &avx2_ops();
      default: return &scalar_ops();
    }
  }();
  return *ops;
}

std::size_t uniform_bytes(const hlp_ckks_context *ctx, uint32_t primes) {
  // n candidates per prime plus replacements: the expected count plus 12 standard
  // deviations (Poisson) and a constant, so running out has probability below 2^-100.
  double expected = 0;
  for (uint32_t i = 0; i < primes; ++i) expected += ctx->uniform_rejections[i];
  const std::size_t spare = static_cast<std::size_t>(std::ceil(expected + 12.0 * std::sqrt(expected + 1.0) + 64.0));
  return (ctx->n * primes + spare) * kUniformBytesPerDraw;
}

}  // namespace ckks
}  // namespace hlp

using hlp::u64;

extern "C" {

hlp_status hlp_ckks_create(uint32_t n, const uint64_t *moduli, uint32_t count, hlp_ckks_context **out) {
  if (out == nullptr || moduli == nullptr) return HLP_E_INVALID_ARGUMENT;
  if (!hlp::is_power_of_two(n) || n < HLP_CKKS_MIN_N || n > HLP_MAX_NTT_N) return HLP_E_NOT_POWER_OF_TWO;
  if (count < 2 || count > HLP_CKKS_MAX_DATA_PRIMES + 1) return HLP_E_INVALID_ARGUMENT;
  for (uint32_t i = 0; i < count; ++i) {
    const u64 q = moduli[i];
    if (q >= (u64{1} << HLP_MAX_MODULUS_BITS)) return HLP_E_MODULUS_TOO_LARGE;
    if (!hlp::is_prime(q)) return HLP_E_MODULUS_NOT_PRIME;
    if ((q - 1) % (2 * static_cast<u64>(n)) != 0) return HLP_E_MODULUS_NOT_NTT_FRIENDLY;
    for (uint32_t j = 0; j < i; ++j) {
      if (moduli[j] == q) return HLP_E_INVALID_ARGUMENT;  // SEAL requires distinct primes
    }
  }
  try {
    auto ctx = std::make_unique<hlp_ckks_context>();
    ctx->n = n;
    ctx->log_n = hlp::log2_exact(n);
    ctx->k = count - 1;
    ctx->moduli.assign(moduli, moduli + count);
    ctx->tables.resize(count);
    ctx->barrett64.resize(count);
    ctx->uniform_rejections.resize(count);
    for (uint32_t i = 0; i < count; ++i) {
      if (!ctx->tables[i].init(n, moduli[i])) return HLP_E_INTERNAL;
      ctx->barrett64[i] = ctx->tables[i].modulus.barrett_hi;  // floor(2^64 / q)
      ctx->uniform_rejections[i] = hlp::ckks::expected_rejections(n, moduli[i]);
    }
    ctx->divide.resize(count);
    for (uint32_t t = 1; t < count; ++t) {
      hlp::ckks::DivideRound &d = ctx->divide[t];
      const u64 qt = moduli[t];
      d.half = qt >> 1;
      d.inv.resize(t);
      d.inv_shoup.resize(t);
      d.neg_offset.resize(t);
      d.neg_inv.resize(t);
      for (uint32_t i = 0; i < t; ++i) {
        const u64 qi = moduli[i];
        const hlp::Modulus mi(qi);
        const u64 inv = hlp::inv_mod_prime(qt % qi, mi);
        if (inv == 0) return HLP_E_INTERNAL;
        d.inv[i] = inv;
        d.inv_shoup[i] = hlp::shoup_precompute(inv, qi);
        const u64 off = (d.half % qi + hlp::ckks::kNoiseOffset % qi) % qi;
        d.neg_offset[i] = hlp::sub_mod(0, hlp::mul_mod_barrett(off, inv, mi), qi);
        d.neg_inv[i] = qi - inv;
      }
    }
    ctx->crt.resize(count);
    for (uint32_t level = 1; level < count; ++level) {
      if (!hlp::ckks::init_crt(ctx->crt[level], ctx->moduli, level)) return HLP_E_INTERNAL;
    }
    ctx->fft.init(n);
    ctx->ops = &hlp::ckks::ckks_ops();
    *out = ctx.release();
    return HLP_OK;
  } catch (const std::bad_alloc &) {
    return HLP_E_OUT_OF_MEMORY;
  } catch (...) {
    return HLP_E_INTERNAL;
  }
}

void hlp_ckks_destroy(hlp_ckks_context *ctx) { delete ctx; }

uint32_t hlp_ckks_degree(const hlp_ckks_context *ctx) { return ctx == nullptr ? 0 : static_cast<uint32_t>(ctx->n); }

uint32_t hlp_ckks_data_prime_count(const hlp_ckks_context *ctx) { return ctx == nullptr ? 0 : ctx->k; }

hlp_status hlp_ckks_randomness_bytes(const hlp_ckks_context *ctx, hlp_ckks_randomness kind, uint32_t level,
                                     size_t *out) {
  if (ctx == nullptr || out == nullptr) return HLP_E_INVALID_ARGUMENT;
  const std::size_t n = ctx->n;
  switch (kind) {
    case HLP_CKKS_RANDOMNESS_TERNARY:
    case HLP_CKKS_RANDOMNESS_SECRET_KEY: *out = n * hlp::ckks::kTernaryBytesPerCoeff; return HLP_OK;
    case HLP_CKKS_RANDOMNESS_NOISE: *out = n * hlp::ckks::kNoiseBytesPerCoeff; return HLP_OK;
    case HLP_CKKS_RANDOMNESS_UNIFORM:
      if (level < 1 || level > ctx->k + 1) return HLP_E_INVALID_ARGUMENT;
      *out = hlp::ckks::uniform_bytes(ctx, level);
      return HLP_OK;
    case HLP_CKKS_RANDOMNESS_ENCRYPT_PUBLIC:
      *out = n * (hlp::ckks::kTernaryBytesPerCoeff + 2 * hlp::ckks::kNoiseBytesPerCoeff);
      return HLP_OK;
  }
  return HLP_E_INVALID_ARGUMENT;
}

}  // extern "C"
