// Internal interface of the CKKS core (native/ckks). Callers use the C ABI in
// include/hlp/kernels.h; this header is shared by the ckks/*.cpp files and the native
// tests only.
//
// Layout, as in SEAL: the modulus chain is q_0 .. q_{k-1} (data primes) followed by the
// special prime p = q_k. A polynomial "at level L" (1 <= L <= k) has L blocks of n words,
// block i holding residues mod q_i; the key level has k + 1 blocks. Ciphertexts are
// `size` such polynomials end to end. Everything is in NTT form (the layout of
// include/hlp/kernels.h) unless a comment says otherwise.
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "../core/aligned.hpp"
#include "../core/modarith.hpp"
#include "../core/ntt_tables.hpp"
#include "../core/variants.hpp"
#include "../include/hlp/kernels.h"

namespace hlp {
namespace ckks {

using i64 = std::int64_t;

// Offset that keeps (centred last residue - noise) non-negative in the divide-and-round
// step; any value >= the largest noise magnitude works.
constexpr u64 kNoiseOffset = 64;
// Largest magnitude the clipped rounded normal produces: floor(6 * 3.2 + 1/2) = 19.
constexpr int kNoiseBound = 19;
constexpr double kNoiseSigma = 3.2;
constexpr double kNoiseMaxDeviation = 6 * kNoiseSigma;

// Ternary from a 64-bit word w: floor(3 w / 2^64) = [w >= kTernaryT1] + [w >= kTernaryT2].
constexpr u64 kTernaryT1 = 6148914691236517206ULL;   // ceil(2^64 / 3)
constexpr u64 kTernaryT2 = 12297829382473034411ULL;  // ceil(2^65 / 3)

// Random bytes consumed per coefficient by the samplers (sampling.cpp).
constexpr std::size_t kTernaryBytesPerCoeff = 8;
constexpr std::size_t kNoiseBytesPerCoeff = 8;
constexpr std::size_t kUniformBytesPerDraw = 8;

// Constants for dividing by chain prime t (the "last" prime) and rounding, for every
// prime i < t.
struct DivideRound {
  u64 half = 0;          // q_t >> 1
  std::vector<u64> inv;  // q_t^-1 mod q_i
  std::vector<u64> inv_shoup;
  std::vector<u64> neg_offset;  // -(half + kNoiseOffset) * q_t^-1 mod q_i
  std::vector<u64> neg_inv;     // q_i - inv (u = -1 times q_t^-1), for ternary folding
};

// Multi-precision CRT composition for the first L data primes.
struct CrtLevel {
  uint32_t primes = 0;
  std::vector<u64> q;              // Q = prod q_i, `primes` words, little-endian
  std::vector<u64> half;           // ceil(Q / 2) (SEAL's upper_half_threshold)
  std::vector<u64> punctured;      // primes x primes words: Q / q_i
  std::vector<u64> punctured_inv;  // (Q / q_i)^-1 mod q_i
  std::vector<u64> punctured_inv_shoup;
  int total_bits = 0;  // bit length of Q
};

// Per-call working memory. A context keeps a small free list of these so calls on
// different threads never share one and steady-state calls never allocate.
struct Scratch {
  AlignedVector<u64> u;         // (k + 1) * n: ternary u per prime, NTT form
  AlignedVector<u64> t0;        // n
  AlignedVector<u64> t1;        // n
  AlignedVector<u64> plain;     // k * n: coefficient-form plaintext (fused paths)
  AlignedVector<i64> e0;        // n
  AlignedVector<i64> e1;        // n
  AlignedVector<i64> coeffs;    // n: rounded integer plaintext coefficients
  AlignedVector<double> re;     // n / 2
  AlignedVector<double> im;     // n / 2
  AlignedVector<double> real;   // n: real coefficients for decode
  AlignedVector<uint8_t> tern;  // n: ternary samples as u + 1 in {0, 1, 2}
  // Key switching (keyswitch.cpp), sized on first use for the level at hand and kept
  // with the scratch: a fresh megabyte per call cost page faults comparable to the work.
  AlignedVector<u64> ks_digits;  // L (L + 1) n: the decomposition of the target
  AlignedVector<u64> ks_acc;     // 2 (L + 1) n: the inner product with the key
  AlignedVector<u64> ks_tmp;     // 3 L n: intermediate ciphertexts of the fused paths; up to 2 L n + n (rotations)
};

// The slot transform of one ring degree: M = n / 2 complex slots, split real/imag
// arrays, twiddles per butterfly stage.
struct Fft {
  std::size_t m = 0;  // slots
  unsigned log_m = 0;
  // Stage with half-width h uses tw[h + j] = exp(2 pi i j / (2h)), j < h (index 0 unused).
  AlignedVector<double> tw_re, tw_im;
  // twist[k] = zeta^k = exp(i pi k / n), k < M (zeta the 2n-th root of SEAL's embedding).
  AlignedVector<double> twist_re, twist_im;
  // Slot j lives at position slot_pos[j] of the bit-reversed FFT array, conjugated
  // when slot_conj[j] is 1 (see encoder.cpp).
  std::vector<uint32_t> slot_pos;
  std::vector<uint8_t> slot_conj;

  void init(std::size_t n);
  // In place, natural order in, bit-reversed out: X[bitrev(r)] = sum_k x_k w^(rk),
  // w = exp(2 pi i / M).
  void forward(double *re, double *im) const;
  // In place, bit-reversed in, natural order out: x_k = sum_r X[bitrev(r)] w^(-rk)
  // (unnormalised).
  void inverse(double *re, double *im) const;
};

}  // namespace ckks
}  // namespace hlp

struct hlp_ckks_context {
  std::size_t n = 0;
  unsigned log_n = 0;
  uint32_t k = 0;  // data primes; moduli has k + 1 entries
  std::vector<hlp::u64> moduli;
  std::vector<hlp::NttTables> tables;          // k + 1
  std::vector<hlp::u64> barrett64;             // floor(2^64 / q_i)
  std::vector<hlp::ckks::DivideRound> divide;  // index t = 1..k (0 unused)
  std::vector<hlp::ckks::CrtLevel> crt;        // index L = 1..k (0 unused)
  std::vector<double> uniform_rejections;      // expected replacement draws per prime (uniform_bytes)
  hlp::ckks::Fft fft;
  const hlp::KernelOps *ops = nullptr;

  // Per-call working memory handed out by ScratchLease; mutable because leasing it does
  // not change what the context computes.
  mutable std::mutex scratch_mutex;
  mutable std::vector<std::unique_ptr<hlp::ckks::Scratch>> scratch_free;

  // Galois permutations of NTT-form blocks by element, made on first use (keyswitch.cpp).
  // Mutable: a cache, not state; callers hold the context const.
  mutable std::mutex galois_mutex;
  mutable std::unordered_map<uint32_t, std::unique_ptr<const std::vector<uint32_t>>> galois_tables;
};

namespace hlp {
namespace ckks {

// What a lease's holder puts in the scratch. Secret intermediates (u, noise, plaintext
// coefficients, decryptions) are wiped when the lease ends; a lease for ciphertext-only
// work (evaluation, key switching) skips the wipe, which is close to a megabyte of stores
// and cost the cheap operations as much as their own work.
enum class ScratchUse { kSecret, kPublic };

// RAII lease of a Scratch from the context's free list.
class ScratchLease {
 public:
  explicit ScratchLease(const hlp_ckks_context *ctx, ScratchUse use = ScratchUse::kSecret);
  ~ScratchLease();
  ScratchLease(const ScratchLease &) = delete;
  ScratchLease &operator=(const ScratchLease &) = delete;
  Scratch *get() const { return scratch_.get(); }
  Scratch *operator->() const { return scratch_.get(); }

 private:
  const hlp_ckks_context *ctx_;
  ScratchUse use_;
  std::unique_ptr<Scratch> scratch_;
};

// ---- shared helpers ---------------------------------------------------------------

// x mod q for any x < 2^64 with r = floor(2^64 / q).
inline u64 reduce64(u64 x, u64 q, u64 r) {
  const u64 est = mul_hi(x, r);
  u64 v = x - est * q;
  v -= q & (0 - static_cast<u64>(v >= q));
  return v;
}

// Signed integer into [0, q) without branching on its value.
inline u64 reduce_signed(i64 x, u64 q, u64 r) {
  const u64 neg = 0 - (static_cast<u64>(x) >> 63);  // all ones when x < 0
  const u64 mag = (static_cast<u64>(x) ^ neg) - neg;
  const u64 m = reduce64(mag, q, r);
  // q - m when negative and m != 0; m otherwise.
  const u64 negated = q - m;
  const u64 nonzero = 0 - static_cast<u64>(m != 0);
  return (negated & neg & nonzero) | (m & ~neg);
}

// True when [a, a + a_words) and [b, b + b_words) share memory.
inline bool overlaps(const void *a, std::size_t a_words, const void *b, std::size_t b_words) {
  const auto pa = reinterpret_cast<std::uintptr_t>(a), pb = reinterpret_cast<std::uintptr_t>(b);
  return pa < pb + b_words * sizeof(u64) && pb < pa + a_words * sizeof(u64);
}

// Checks every word of `blocks` consecutive residue blocks (starting at chain prime 0)
// is below its modulus.
bool rns_below(const hlp_ckks_context *ctx, const u64 *data, uint32_t blocks);

// Shape checks of the evaluation calls (evaluate.cpp): `size` polynomials (1..3) of `level`
// blocks, every residue below its prime with HLP_FLAG_CHECK_INPUT; level in 1..k and a
// non-null output.
hlp_status check_poly(const hlp_ckks_context *ctx, const uint64_t *p, std::size_t words, uint32_t size, uint32_t level,
                      uint32_t flags);
hlp_status check_level(const hlp_ckks_context *ctx, uint32_t level, const void *out);

// SEAL's divide_and_round_q_last_ntt, generalised: out[b] = (in[b] - r) q_t^-1 mod q_b for
// the first `blocks` primes b, where r is the centred residue of `last` (NTT form, mod q_t,
// t > every b). `accumulate` adds the result to out instead of storing it. Rescaling
// divides by q_{L-1}; key switching divides by the special prime.
void divide_round_last(const hlp_ckks_context *ctx, Scratch &s, const u64 *in, uint32_t blocks, const u64 *last,
                       uint32_t t, u64 *out, bool accumulate);

// ---- hot loops, one implementation per instruction set -------------------------------
// kernels-scalar.cpp is the reference; kernels-avx512.cpp (with kernels-keyswitch-avx512.cpp
// and kernels-dot-avx512.cpp) computes bit-identical integer results (the FFT may round differently in the last bit of
// a double). simd() picks the table matching ckks_ops(): AVX-512 when that variant is in use, scalar otherwise. The
// constants of SimdKernels::correction2: out = v w + u x + off (mod q), each weight with its Shoup companion
// floor(weight 2^64 / q).
struct Weights2 {
  u64 w, w_shoup, x, x_shoup, off;
};

struct SimdKernels {
  const char *name;
  // Noise magnitudes by the constant-time scan of `cdt` (kNoiseBound entries), see sampling.cpp.
  void (*sample_noise)(const uint8_t *bytes, std::size_t count, i64 *out, const u64 *cdt);
  // t[i] = floor(3 w_i / 2^64) in {0, 1, 2} for the little-endian words w_i of bytes.
  void (*ternary_raw)(const uint8_t *bytes, std::size_t count, uint8_t *t);
  // out[i] = t[i] == 0 ? minus : t[i] == 2 ? plus : 0, without branches.
  void (*ternary_select)(const uint8_t *t, std::size_t n, u64 minus, u64 plus, u64 *out);
  // out[i] = c[i] mod q in [0, q), |c[i]| < 2^63; barrett = floor(2^64 / q).
  void (*signed_to_mod)(const i64 *c, std::size_t n, u64 q, u64 barrett, u64 *out);
  // true when every p[i] < q.
  bool (*below)(const u64 *p, std::size_t n, u64 q);
  // Divide-and-round, last block: y[i] <- ((y[i] + half + e[i]) mod q) - e[i] + kNoiseOffset,
  // y[i] < q, |e[i]| <= 19; e may be null (zero noise).
  void (*last_block)(u64 *y, const i64 *e, std::size_t n, u64 half, u64 q);
  // Divide-and-round, data prime: out[i] = (v[i] * inv + off) mod q, minus m[i] when m
  // is not null; inv_shoup = floor(inv * 2^64 / q), v[i] < 2^62 (the AVX-512 version halves
  // the companion; callers pass words below q_t + 84 < 2^60 + 84).
  void (*correction)(const u64 *v, std::size_t n, u64 q, u64 inv, u64 inv_shoup, u64 off, const u64 *m, u64 *out);
  // Two of those at once: out[i] = (v[i] * k.w + u[i] * k.x + k.off) mod q, minus m[i] when m is
  // not null; v[i], u[i] < 2^62, weights and off below q < 2^60 (the fused rescale, keyswitch.cpp).
  void (*correction2)(const u64 *v, const u64 *u, std::size_t n, u64 q, const Weights2 &k, const u64 *m, u64 *out);
  // dst[i] = src[idx[i]], idx[i] < n: a Galois automorphism of a block in NTT form.
  void (*gather)(const u64 *src, const uint32_t *idx, std::size_t n, u64 *dst);
  void (*fft_forward)(const struct Fft &f, double *re, double *im);
  void (*fft_inverse)(const struct Fft &f, double *re, double *im);
  // Encoder tail: b_k = conj(twist_k) * (re_k + i im_k) * factor, rounded to nearest;
  // c[k] = Re, c[k + M] = Im. Returns false when a rounded value reaches 2^63 (or is
  // NaN); *max_abs gets the largest unrounded magnitude.
  bool (*to_integers)(const struct Fft &f, const double *re, const double *im, double factor, i64 *c, double *max_abs);
  // Two sums of products sharing one factor, each reduced once (exact, so bit for bit what
  // term-by-term mul_mod and add_mod give): for x < n,
  //   out0[x] = sum_t a[t][i] * b0[t][x] mod q,  out1[x] = sum_t a[t][i] * b1[t][x] mod q,
  // i = perm[x] when perm is given (a Galois permutation read in place), x otherwise.
  // Every input word < q < 2^62. Key switching's inner product (a the digits, b the two key
  // polynomials) and a plaintext dot product (a the plaintexts, b a ciphertext's c0 and c1).
  void (*dot2)(const u64 *const *a, const uint32_t *perm, const u64 *const *b0, const u64 *const *b1, uint32_t terms,
               std::size_t n, const Modulus &m, u64 *out0, u64 *out1);
  // Two dot2 sums over the same b0, b1, without a permutation: out0, out1 from the factors a,
  // out2, out3 from a2. A null a[t] (a2[t]) leaves term t out of that pair of sums; a pair with
  // no term is zero. Reading each b word once for both is what makes it cheaper than two dot2
  // calls: the giant steps of a matrix product share their baby-step ciphertexts.
  // With `repeat` R (1, 2, 4 or 8) the factors are compact: a[t][x / R] stands for position x,
  // n / R words each (a plaintext whose slots repeat, see compact_plain_repeat).
  void (*dot2_pair)(const u64 *const *a, const u64 *const *a2, uint32_t repeat, const u64 *const *b0,
                    const u64 *const *b1, uint32_t terms, std::size_t n, const Modulus &m, u64 *out0, u64 *out1,
                    u64 *out2, u64 *out3);
  // out[i] = x[i] mod q for x[i] < 2^62, barrett = floor(2^64 / q) (reduce64): key switching
  // brings a digit's words (below q_j < 2^60) into a smaller key prime.
  void (*reduce)(const u64 *x, std::size_t n, u64 q, u64 barrett, u64 *out);
  // out[i] = (the little-endian word at bytes + 8 i) mod q, any word, q < 2^60: uniform
  // sampling's candidates, read in place and reduced in one pass (sampling.cpp).
  void (*uniform)(const uint8_t *bytes, std::size_t n, u64 q, u64 barrett, u64 *out);
  // correction2 whose operands are read through a Galois table, so its result comes out
  // permuted: out[i] = (v[t] k.w + u[t] k.x + k.off) mod q, minus m[t] when m is not null,
  // t = idx[i]. A null u drops its term. out overlaps none of v, u and m (a word read at t may
  // lie past i). A hoisted rotation's division by P writes its permuted result this way instead
  // of dividing and then gathering: one pass over the result, not two.
  void (*correction2_gather)(const u64 *v, const u64 *u, const uint32_t *idx, std::size_t n, u64 q, const Weights2 &k,
                             const u64 *m, u64 *out);
};

// Products of words below q that a 128-bit accumulator holding a value below q can take
// before it must be reduced: q + F (q - 1)^2 < 2^128.
inline uint32_t dot_fold_terms(u64 q) {
  const u128 square = static_cast<u128>(q - 1) * (q - 1);
  const u128 room = ~static_cast<u128>(0) - q;
  const u128 f = square == 0 ? room : room / square;
  return f > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<uint32_t>(f);
}

// x mod q for any 128-bit x (barrett_reduce_128 leaves up to 2q for sums beyond q^2).
inline u64 reduce_128_full(u128 x, const Modulus &m) {
  const u64 r = barrett_reduce_128(x, m);
  return r >= m.value ? r - m.value : r;
}
const SimdKernels &scalar_kernels();
const SimdKernels &avx512_kernels();
// The AVX-512 table's reduce, correction2 and the gathers (kernels-keyswitch-avx512.cpp).
void reduce_avx512(const u64 *x, std::size_t n, u64 q, u64 barrett, u64 *out);
void uniform_avx512(const uint8_t *bytes, std::size_t n, u64 q, u64 barrett, u64 *out);
void correction2_avx512(const u64 *v, const u64 *u, std::size_t n, u64 q, const Weights2 &k, const u64 *m, u64 *out);
void gather_avx512(const u64 *src, const uint32_t *idx, std::size_t n, u64 *dst);
void correction2_gather_avx512(const u64 *v, const u64 *u, const uint32_t *idx, std::size_t n, u64 q, const Weights2 &k,
                               const u64 *m, u64 *out);
// The AVX-512 table's sums of products (kernels-dot-avx512.cpp).
void dot2_avx512(const u64 *const *a, const uint32_t *perm, const u64 *const *b0, const u64 *const *b1, uint32_t terms,
                 std::size_t n, const Modulus &m, u64 *out0, u64 *out1);
void dot2_pair_avx512(const u64 *const *a, const u64 *const *a2, uint32_t repeat, const u64 *const *b0,
                      const u64 *const *b1, uint32_t terms, std::size_t n, const Modulus &m, u64 *out0, u64 *out1,
                      u64 *out2, u64 *out3);
// dot2_pair as two calls of `dot2`, each over its pair's terms (zero where it has none); compact
// factors are read through dot2's permutation, x -> x / repeat.
void dot2_pair_split(decltype(SimdKernels::dot2) dot2, const u64 *const *a, const u64 *const *a2, uint32_t repeat,
                     const u64 *const *b0, const u64 *const *b1, uint32_t terms, std::size_t n, const Modulus &m,
                     u64 *out0, u64 *out1, u64 *out2, u64 *out3);
// AVX-512 dot2 without IFMA whatever the CPU has: what AVX-512 machines without it run (tests).
void dot2_avx512_wide(const u64 *const *a, const uint32_t *perm, const u64 *const *b0, const u64 *const *b1,
                      uint32_t terms, std::size_t n, const Modulus &m, u64 *out0, u64 *out1);
const SimdKernels &simd();

// ---- sampling (sampling.cpp) -------------------------------------------------------

// Ternary u in {-1, 0, 1}, 8 bytes per coefficient: t = floor(3 w / 2^64) from the
// little-endian 64-bit word w, u = t - 1. Output as t in {0, 1, 2} (u + 1) so callers
// can select per-prime constants without branches.
void sample_ternary_raw(const uint8_t *bytes, std::size_t count, uint8_t *out_t);
// Rounded normal (sigma 3.2) clipped at 6 sigma, 8 bytes per coefficient: the low 63
// bits select the magnitude by a constant-time scan of the cumulative table, the top
// bit the sign.
void sample_noise(const uint8_t *bytes, std::size_t count, i64 *out);
// Uniform residues mod each prime of `primes` blocks from 64-bit draws masked to the
// prime's bit length (rejection sampling; the result is public). Consumes draws in
// order across blocks. Returns HLP_E_RANDOMNESS_EXHAUSTED when the bytes run out.
hlp_status sample_uniform(const hlp_ckks_context *ctx, uint32_t primes, const uint8_t *bytes, std::size_t byte_count,
                          u64 *out);
// Upper bound of bytes sample_uniform needs for `primes` blocks.
std::size_t uniform_bytes(const hlp_ckks_context *ctx, uint32_t primes);
double expected_rejections(std::size_t n, u64 q);
// The magnitude thresholds (for tests): entry k-1 = floor(2^63 * P(|e| < k)), k = 1..19.
const u64 *noise_cdt(std::size_t *count);

// ---- encoder (encoder.cpp) ----------------------------------------------------------

// Values (real, or interleaved re/im when complex) -> rounded integer coefficients.
hlp_status encode_to_integers(const hlp_ckks_context *ctx, Scratch &s, const double *values, std::size_t count,
                              bool complex_values, double scale, uint32_t level);
// Integer coefficients (s.coeffs) -> coefficient-form residues for primes 0..level-1.
void integers_to_rns(const hlp_ckks_context *ctx, const i64 *coeffs, uint32_t level, u64 *out);
// SEAL's scale bound for encoding at `level`.
bool scale_ok_for_encode(const hlp_ckks_context *ctx, double scale, uint32_t level);
// The plaintext in s.plain (level x n words, NTT form; consumed) -> slot values; the caller has
// checked level, scale and out_count. Lets a batch decrypt and decode on one scratch.
void decode_scratch(const hlp_ckks_context *ctx, Scratch &s, uint32_t level, double scale, double *out,
                    std::size_t out_count, bool complex_values);

// ---- encryption and key switching (encrypt.cpp, keyswitch.cpp) ---------------------

// One symmetric encryption with `primes` primes of a plaintext given in NTT form (`plain_ntt`)
// or in coefficient form (`plain_coeff`, RNS; it then shares the noise's NTT), zero when both
// are null: c1 = a uniform from `uniform`, c0 = NTT(-e (+ m)) - a s (+ m); noise reads n * 8 bytes.
hlp_status encrypt_symmetric_one(const hlp_ckks_context *ctx, Scratch &s, const u64 *sk, uint32_t primes,
                                 const uint8_t *uniform, std::size_t uniform_bytes_given, const uint8_t *noise,
                                 const u64 *plain_ntt, u64 *out, const u64 *plain_coeff = nullptr);
// Grows a scratch vector to at least `words` (kept at its largest size).
void ensure_words(AlignedVector<u64> &v, std::size_t words);
// The NTT-form permutation of Galois element elt (odd, < 2n): block position i of the result
// reads position table[i] of the operand.
std::vector<uint32_t> make_galois_table(std::size_t n, unsigned log_n, uint32_t elt);
// make_galois_table, cached in the context.
const std::vector<uint32_t> &galois_table(const hlp_ckks_context *ctx, uint32_t elt);
// Size 3 -> size 2 at `level`; out may equal ct (its first two polynomials).
void relinearize_into(const hlp_ckks_context *ctx, Scratch &s, const u64 *key, const u64 *ct, uint32_t level, u64 *out);
// rescale(relinearize(prod)) for a size-3 product at level >= 2 into out (2 polynomials of
// level - 1 blocks), bit for bit, with three forward NTTs fewer per polynomial.
void relin_rescale_into(const hlp_ckks_context *ctx, Scratch &s, const u64 *key, const u64 *prod, uint32_t level,
                        u64 *out);
// The automorphism X -> X^elt and a key switch back to s; out must not overlap ct.
void apply_galois_into(const hlp_ckks_context *ctx, Scratch &s, const u64 *key, uint32_t elt, const u64 *ct,
                       uint32_t level, u64 *out);
// How a hoisted rotation's inner product reads the shared digits in permuted order. Through the
// table, dot2 gathers as it sums: no copy, and the cheaper way while the L digit blocks one key
// prime reads stay in L2 beside the key streaming past. Beyond kHoistThroughTableBytes of them
// (n = 16384 at eight primes: 1 MiB) the gathers missed to memory and a hoisted rotation cost
// 5.4 ms against 4.4 ms unhoisted; each block streamed in and gathered into scratch first, 3.3 ms.
// Both give the same words. kAuto: by that size. kHoistingKeys: keys[r] are hoisting keys
// (hoisting_key_into), which take the digits in order; the sums are permuted by the mod-down's
// last pass as it writes them (correction2_gather), two polynomials a rotation instead of
// L (L + 1) digit blocks, and give the same words again.
enum class HoistRead { kAuto, kThroughTable, kPermuteFirst, kHoistingKeys };
constexpr std::size_t kHoistThroughTableBytes = 512 * 1024;
HoistRead hoist_read_for(const hlp_ckks_context *ctx, uint32_t level);
// `count` automorphisms of one ciphertext sharing one decomposition, into outs[r].
void apply_galois_hoisted(const hlp_ckks_context *ctx, Scratch &s, const u64 *const *keys, const uint32_t *elts,
                          uint32_t count, const u64 *ct, uint32_t level, u64 *const *outs,
                          HoistRead read = HoistRead::kAuto);
// out = sum_r rot_{elts[r]}(cts[r]) (size 2, level), dividing the summed key switches by P once:
// the sum of the rotations up to key-switching noise (one rounding instead of count).
void rotate_sum_into(const hlp_ckks_context *ctx, Scratch &s, const u64 *const *keys, const uint32_t *elts,
                     const u64 *const *cts, uint32_t count, uint32_t level, u64 *out);
// The Galois key of elt for hoisting: every block permuted by the inverse of elt's automorphism.
void hoisting_key_into(const hlp_ckks_context *ctx, const u64 *key, uint32_t elt, u64 *out);
// A key-switching key from new_key (NTT form, key level) to sk: k components of two
// key-level polynomials; component j reads uniform + j * uniform_stride and noise + j * 8n.
hlp_status kswitch_keygen(const hlp_ckks_context *ctx, Scratch &s, const u64 *sk, const u64 *new_key,
                          const uint8_t *uniform, std::size_t uniform_stride, const uint8_t *noise, u64 *out);

// Kernel table used by the CKKS core (best CPU variant).
const KernelOps &ckks_ops();

}  // namespace ckks
}  // namespace hlp
