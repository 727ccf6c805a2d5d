// Maps caller-supplied random bytes (a CSPRNG's output) to the distributions CKKS
// needs. Secret values (ternary u and s, noise e) are sampled in constant time: every
// coefficient reads the same bytes, runs the same instructions and touches the same
// table entries whatever its value. Bytes are read as little-endian 64-bit words.
//
// Bytes per coefficient:
//   ternary  8  (t = floor(3 w / 2^64) in {0, 1, 2}, value t - 1; bias below 2^-63)
//   noise    8  (63 bits pick the magnitude from a cumulative table, 1 bit the sign)
//   uniform  8 per draw: n words per prime, then replacements for rejected draws
//            (SEAL's rule, see sample_uniform); uniform_bytes() bounds the total.
#include <cmath>
#include <cstring>

#include "ckks.hpp"

namespace hlp {
namespace ckks {

namespace {

// One load: a shift-and-or loop over the bytes stayed eight byte loads (GCC 12 does not merge
// it), which cost uniform sampling more than its reduction.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the samplers read little-endian words in place");
inline u64 load_le64(const uint8_t *p) {
  u64 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Cumulative table of |e| for e = round(Y), Y ~ N(0, 3.2^2) conditioned on
// |Y| <= 19.2: kCdt[k - 1] = round(2^63 * P(|e| < k)), k = 1 .. 19. Computed once
// from the complementary error function in extended precision (the tails, where
// double erf would lose digits, come from erfc directly).
struct NoiseTable {
  u64 t[kNoiseBound];
  NoiseTable() {
    const long double s2 = static_cast<long double>(kNoiseSigma) * std::sqrt(2.0L);
    const long double c = static_cast<long double>(kNoiseMaxDeviation) / s2;
    const long double mass = std::erfl(c);     // P(|Y| <= 19.2)
    const long double tail_c = std::erfcl(c);  // P(|Y| > 19.2)
    const long double two63 = std::ldexp(1.0L, 63);
    for (int k = 1; k <= kNoiseBound; ++k) {
      const long double a = (static_cast<long double>(k) - 0.5L) / s2;
      // P(|e| >= k) = P(k - 1/2 <= |Y| <= 19.2) / P(|Y| <= 19.2)
      const long double tail = (std::erfcl(a) - tail_c) / mass;
      const long double scaled = std::nearbyintl(tail * two63);
      t[k - 1] = static_cast<u64>(two63 - scaled);
    }
  }
};

const NoiseTable &noise_table() {
  static const NoiseTable table;
  return table;
}

}  // namespace

const u64 *noise_cdt(std::size_t *count) {
  if (count != nullptr) *count = kNoiseBound;
  return noise_table().t;
}

void sample_ternary_raw(const uint8_t *bytes, std::size_t count, uint8_t *out_t) {
  simd().ternary_raw(bytes, count, out_t);
}

void sample_noise(const uint8_t *bytes, std::size_t count, i64 *out) {
  simd().sample_noise(bytes, count, out, noise_table().t);
}

hlp_status sample_uniform(const hlp_ckks_context *ctx, uint32_t primes, const uint8_t *bytes, std::size_t byte_count,
                          u64 *out) {
  // SEAL's sample_poly_uniform, word for word, so that one byte stream (a seed expanded
  // by SEAL's PRNG) gives SEAL's polynomial: the first n * primes words are the
  // candidates in (prime, coefficient) order; each candidate at or above the largest
  // multiple of q below 2^64 is replaced by the next unused word after them; the
  // coefficient is the accepted word mod q. The value becomes public (it is c1), so
  // rejecting on it leaks nothing.
  const std::size_t n = ctx->n;
  const std::size_t draws = byte_count / kUniformBytesPerDraw;
  const std::size_t first = n * primes;
  if (draws < first) return HLP_E_RANDOMNESS_EXHAUSTED;
  std::size_t next = first;
  constexpr u64 kMax = ~u64{0};
  const SimdKernels &k = simd();
  for (uint32_t b = 0; b < primes; ++b) {
    const u64 q = ctx->moduli[b];
    const Modulus &mod = ctx->tables[b].modulus;
    const u64 limit = kMax - (kMax % q) - 1;
    u64 *dst = out + b * n;
    const uint8_t *candidates = bytes + static_cast<std::size_t>(b) * n * kUniformBytesPerDraw;
    // Every candidate mod q first, read in place and reduced in one pass of the uniform kernel
    // (vector code where there is some). Then the rare rejected candidates (below 2^-4 per
    // draw at 60 bits) are replaced in order, as SEAL replaces them.
    static_assert(kUniformBytesPerDraw == sizeof(u64), "a candidate is one little-endian word");
    k.uniform(candidates, n, q, ctx->barrett64[b], dst);
    for (std::size_t i = 0; i < n; ++i) {
      u64 r = load_le64(candidates + i * kUniformBytesPerDraw);
      if (r < limit) continue;
      while (r >= limit) {
        if (next >= draws) return HLP_E_RANDOMNESS_EXHAUSTED;
        r = load_le64(bytes + next * kUniformBytesPerDraw);
        ++next;
      }
      dst[i] = barrett_reduce_128(r, mod);
    }
  }
  return HLP_OK;
}

}  // namespace ckks
}  // namespace hlp

extern "C" {

hlp_status hlp_ckks_sample_ternary(const uint8_t *randomness, size_t randomness_bytes, int8_t *out, size_t count) {
  if (out == nullptr || (randomness == nullptr && count > 0)) return HLP_E_INVALID_ARGUMENT;
  if (count > randomness_bytes / hlp::ckks::kTernaryBytesPerCoeff) return HLP_E_RANDOMNESS_EXHAUSTED;
  constexpr std::size_t kChunk = 1024;
  uint8_t t[kChunk];
  for (std::size_t base = 0; base < count; base += kChunk) {
    const std::size_t m = count - base < kChunk ? count - base : kChunk;
    hlp::ckks::sample_ternary_raw(randomness + base * hlp::ckks::kTernaryBytesPerCoeff, m, t);
    for (std::size_t i = 0; i < m; ++i) out[base + i] = static_cast<int8_t>(static_cast<int>(t[i]) - 1);
  }
  return HLP_OK;
}

hlp_status hlp_ckks_sample_noise(const uint8_t *randomness, size_t randomness_bytes, int8_t *out, size_t count) {
  if (out == nullptr || (randomness == nullptr && count > 0)) return HLP_E_INVALID_ARGUMENT;
  if (count > randomness_bytes / hlp::ckks::kNoiseBytesPerCoeff) return HLP_E_RANDOMNESS_EXHAUSTED;
  constexpr std::size_t kChunk = 1024;
  hlp::ckks::i64 e[kChunk];
  for (std::size_t base = 0; base < count; base += kChunk) {
    const std::size_t m = count - base < kChunk ? count - base : kChunk;
    hlp::ckks::sample_noise(randomness + base * hlp::ckks::kNoiseBytesPerCoeff, m, e);
    for (std::size_t i = 0; i < m; ++i) out[base + i] = static_cast<int8_t>(e[i]);
  }
  return HLP_OK;
}

hlp_status hlp_ckks_sample_uniform(const hlp_ckks_context *ctx, const uint8_t *randomness, size_t randomness_bytes,
                                   uint32_t level, uint64_t *out, size_t out_words) {
  if (ctx == nullptr || out == nullptr || randomness == nullptr) return HLP_E_INVALID_ARGUMENT;
  if (level < 1 || level > ctx->k + 1) return HLP_E_INVALID_ARGUMENT;
  if (out_words != static_cast<size_t>(level) * ctx->n) return HLP_E_LENGTH_MISMATCH;
  return hlp::ckks::sample_uniform(ctx, level, randomness, randomness_bytes, out);
}

}  // extern "C"
