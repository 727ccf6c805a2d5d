// Key switching, as SEAL 4.1's Evaluator::switch_key_inplace computes it, and the keys it
// uses, as KeyGenerator::generate_one_kswitch_key makes them.
//
// A key-switching key from s' to s has one component per data prime j: a symmetric
// encryption of zero at the key level (k + 1 blocks) whose c0 gets P s' added in block j
// only (P the special prime). To switch a target polynomial d (NTT form, level L):
//   decompose   digit j = d mod q_j as an integer in [0, q_j), brought into every prime of
//               {q_0 .. q_{L-1}, P} and into NTT form
//   inner       acc = sum_j digit_j * key_j, two polynomials over those L + 1 primes
//   mod down    acc divided by P with rounding (divide_round_last), L blocks
// Relinearization switches c2 from s^2; a rotation by Galois element g permutes c0 and c1
// (NTT form: a permutation of positions) and switches the permuted c1 from s(X^g).
//
// Hoisting (Halevi-Shoup): the automorphism commutes with the decomposition once the digits
// are taken as integers, so many rotations of one ciphertext decompose c1 once and permute
// the digits per rotation, saving L inverse and L^2 forward NTTs a rotation. Its digits are
// the rotations of [0, q_j) representatives, not representatives of the rotation, so the
// hoisted result differs from SEAL's in noise only.
//
// Hoisting keys: rotation r's inner product sum_j pi(d_j) k_j reads each shared digit through
// pi's table, L (L + 1) blocks in random order a rotation. It equals pi(sum_j d_j pi^-1(k_j)),
// and the mod-down commutes with pi exactly (pi permutes coefficients and negates some; the
// centred rounding of -y is -(the centred rounding of y) for the odd P): with the key's blocks
// permuted once by pi^-1, the digits are read in order and only the result's two polynomials
// are permuted, giving the same words.
#include <algorithm>
#include <cstring>

#include "ckks.hpp"

namespace hlp {
namespace ckks {
void ensure_words(AlignedVector<u64> &v, std::size_t words) {
  if (v.size() < words) v.resize(words);
}

// SEAL's GaloisTool::generate_table_ntt: block position i of the result reads position
// table[i] of the operand. Each aligned group of 8 positions reads one aligned group of 8
// (gather8 in simd-avx512.hpp makes use of it): position i stands for j = 2 rev(i) + 1, and the
// positions i + t of a group (i a multiple of 8, t < 8) have rev(i + t) = rev(i) + t' n/8 (t' is
// t's 3-bit reversal), so j + t' n/4; times the odd elt and halved, raw moves by elt t' n/8
// modulo n, which changes only its top three bits: the low three of its reversal.
std::vector<uint32_t> make_galois_table(std::size_t n, unsigned log_n, uint32_t elt) {
  std::vector<uint32_t> table(n);
  const u64 mask = n - 1;
  for (std::size_t i = 0; i < n; ++i) {
    const u64 reversed = reverse_bits(i + n, log_n + 1);
    const u64 raw = ((static_cast<u64>(elt) * reversed) >> 1) & mask;
    table[i] = static_cast<uint32_t>(reverse_bits(raw, log_n));
  }
  return table;
}

namespace {

// Key prime at position p of a level-L key switch: the data primes, then the special prime.
inline uint32_t key_prime(const hlp_ckks_context *ctx, uint32_t level, uint32_t p) { return p < level ? p : ctx->k; }

// digits[(j (L + 1) + p) n ...]: digit j of `target` (L blocks, NTT form) in key prime p, but
// for p = j: that digit is target's block j itself, which inner_product reads in place.
void decompose(const hlp_ckks_context *ctx, Scratch &s, const u64 *target, uint32_t level, u64 *digits) {
  const std::size_t n = ctx->n;
  const KernelOps &ops = *ctx->ops;
  u64 *coeffs = s.t0.data();
  for (uint32_t j = 0; j < level; ++j) {
    std::memcpy(coeffs, target + j * n, n * sizeof(u64));
    ops.ntt_inverse(coeffs, ctx->tables[j]);
    const u64 qj = ctx->moduli[j];
    for (uint32_t p = 0; p <= level; ++p) {
      const uint32_t i = key_prime(ctx, level, p);
      u64 *dst = digits + (static_cast<std::size_t>(j) * (level + 1) + p) * n;
      if (i == j) continue;
      const u64 qi = ctx->moduli[i];
      if (qj > qi) {
        simd().reduce(coeffs, n, qi, ctx->barrett64[i], dst);
      } else {
        std::memcpy(dst, coeffs, n * sizeof(u64));
      }
      ops.ntt_forward(dst, ctx->tables[i]);
    }
  }
}

// Reads one word of every cache line of `block` in order: the hardware prefetcher brings the
// block in at streaming speed, so the gather that follows reads it in random order from cache.
void stream_in(const u64 *block, std::size_t n) {
  u64 any = 0;
  for (std::size_t i = 0; i < n; i += 8) any |= block[i];
  __asm__ volatile("" : : "r"(any));
}

// acc (2 polynomials of L + 1 blocks) = sum_j digit_j key_j, each digit read through the
// Galois permutation `table` when one is given: per key prime, one pass that reduces each
// sum once (dot2) instead of a product and a sum pass per digit and a permuted copy. Digit j
// in prime j is block j of the decomposed `target`. With `permuted` (L blocks of scratch), each
// digit is instead streamed in and gathered into it first (HoistRead::kPermuteFirst).
//
// With `ones` (n words of 1), acc is added to rather than overwritten: acc itself is one more
// term, times one, read in place (dot2 reads a chunk's terms before it writes the chunk), so a
// sum of key switches costs no pass of its own.
void inner_product(const hlp_ckks_context *ctx, const u64 *digits, const u64 *target, const uint32_t *table,
                   const u64 *key, uint32_t level, u64 *acc, u64 *permuted = nullptr, const u64 *ones = nullptr) {
  const std::size_t n = ctx->n;
  const std::size_t key_poly = static_cast<std::size_t>(ctx->k + 1) * n;
  const std::size_t acc_poly = static_cast<std::size_t>(level + 1) * n;
  const SimdKernels &simd_ops = simd();
  const std::size_t slots = static_cast<std::size_t>(level) + 1;
  std::vector<const u64 *> terms(3 * slots);
  const u64 **d = terms.data(), **k0 = d + slots, **k1 = k0 + slots;
  for (uint32_t p = 0; p <= level; ++p) {
    const uint32_t i = key_prime(ctx, level, p);
    for (uint32_t j = 0; j < level; ++j) {
      d[j] = j == p ? target + static_cast<std::size_t>(j) * n
                    : digits + (static_cast<std::size_t>(j) * (level + 1) + p) * n;
      k0[j] = key + (2 * static_cast<std::size_t>(j)) * key_poly + static_cast<std::size_t>(i) * n;
      k1[j] = key + (2 * static_cast<std::size_t>(j) + 1) * key_poly + static_cast<std::size_t>(i) * n;
    }
    const uint32_t *read_through = table;
    if (table != nullptr && permuted != nullptr) {
      for (uint32_t j = 0; j < level; ++j) {
        u64 *dst = permuted + static_cast<std::size_t>(j) * n;
        stream_in(d[j], n);
        simd_ops.gather(d[j], table, n, dst);
        d[j] = dst;
      }
      read_through = nullptr;
    }
    u64 *out0 = acc + static_cast<std::size_t>(p) * n, *out1 = acc + acc_poly + static_cast<std::size_t>(p) * n;
    uint32_t count = level;
    if (ones != nullptr) {
      d[level] = ones;
      k0[level] = out0;
      k1[level] = out1;
      ++count;
    }
    simd_ops.dot2(d, read_through, k0, k1, count, n, ctx->tables[i].modulus, out0, out1);
  }
}

// Weights2 for v w + u x + off mod m.
Weights2 weights2(const Modulus &m, u64 w, u64 x, u64 off) {
  return Weights2{w, shoup_precompute(w, m.value), x, shoup_precompute(x, m.value), off};
}

// out = (addend +) acc / P, rounded (L blocks), as divide_round_last computes it but on acc's P
// block in place (the scratch is spent afterwards), and adding in the same pass as the
// correction: out_b = acc_b P^-1 + addend_b - NTT(r P^-1), r the centred acc mod P. addend may
// be out itself, or null. With `perm` (a Galois table), out gets the result permuted by it, read
// through the table as it is made (addend then must not be out).
void mod_down_one(const hlp_ckks_context *ctx, Scratch &s, u64 *acc, uint32_t level, const u64 *addend, u64 *out,
                  const uint32_t *perm = nullptr) {
  const std::size_t n = ctx->n;
  const KernelOps &ops = *ctx->ops;
  const SimdKernels &k = simd();
  const uint32_t special = ctx->k;
  const DivideRound &dp = ctx->divide[special];
  u64 *y = acc + static_cast<std::size_t>(level) * n;
  ops.ntt_inverse(y, ctx->tables[special]);
  k.last_block(y, nullptr, n, dp.half, ctx->moduli[special]);
  u64 *corr = s.t1.data();
  for (uint32_t b = 0; b < level; ++b) {
    const Modulus &mb = ctx->tables[b].modulus;
    const u64 inv = dp.inv[b], inv_shoup = dp.inv_shoup[b];
    k.correction(y, n, mb.value, inv, inv_shoup, dp.neg_offset[b], nullptr, corr);
    ops.ntt_forward(corr, ctx->tables[b]);
    const u64 *src = acc + static_cast<std::size_t>(b) * n;
    u64 *dst = out + static_cast<std::size_t>(b) * n;
    if (perm != nullptr) {
      k.correction2_gather(src, addend != nullptr ? addend + static_cast<std::size_t>(b) * n : nullptr, perm, n,
                           mb.value, weights2(mb, inv, 1, 0), corr, dst);
    } else if (addend != nullptr) {
      k.correction2(src, addend + static_cast<std::size_t>(b) * n, n, mb.value, weights2(mb, inv, 1, 0), corr, dst);
    } else {
      k.correction(src, n, mb.value, inv, inv_shoup, 0, corr, dst);
    }
  }
}

// out0 += acc0 / P, out1 (+)= acc1 / P, rounded (L blocks each); acc is spent.
void mod_down(const hlp_ckks_context *ctx, Scratch &s, u64 *acc, uint32_t level, u64 *out0, u64 *out1,
              bool accumulate1) {
  const std::size_t acc_poly = static_cast<std::size_t>(level + 1) * ctx->n;
  mod_down_one(ctx, s, acc, level, out0, out0);
  mod_down_one(ctx, s, acc + acc_poly, level, accumulate1 ? out1 : nullptr, out1);
}

// One component of rescale(relinearize(.)) without the NTTs in between: out (L - 1 blocks) =
// round((c + round(acc / P)) / q_t), t = L - 1, both roundings exactly as mod_down and
// divide_round_last make them, so the result is theirs bit for bit. c' = c + round(acc / P) is
// needed in coefficient form in block t only, which one inverse NTT of c_t + acc_t P^-1 gives
// (less the rounding's correction there); in the other blocks both corrections join into one
// polynomial before its forward NTT:
//   out_b = acc_b (P q_t)^-1 + c_b q_t^-1 - NTT(r_b (P q_t)^-1 + s_b q_t^-1),
// r the centred acc mod P, s the centred c'_t. Per component that is one inverse and L - 1
// forward NTTs where the two steps take two inverse and 2L - 1 forward ones.
void mod_down_rescale(const hlp_ckks_context *ctx, Scratch &s, u64 *acc, const u64 *c, uint32_t level, u64 *out) {
  const std::size_t n = ctx->n;
  const KernelOps &ops = *ctx->ops;
  const SimdKernels &k = simd();
  const uint32_t t = level - 1, special = ctx->k;
  const DivideRound &dp = ctx->divide[special], &dt = ctx->divide[t];
  u64 *y = acc + static_cast<std::size_t>(level) * n;  // acc mod P + half, coefficient form, in place
  u64 *z = s.t0.data();                                // c'_t + half, coefficient form
  u64 *corr = s.t1.data();
  ops.ntt_inverse(y, ctx->tables[special]);
  k.last_block(y, nullptr, n, dp.half, ctx->moduli[special]);

  const Modulus &mt = ctx->tables[t].modulus;
  const u64 qt = mt.value;
  k.correction2(acc + static_cast<std::size_t>(t) * n, c + static_cast<std::size_t>(t) * n, n, qt,
                weights2(mt, dp.inv[t], 1, 0), nullptr, z);
  ops.ntt_inverse(z, ctx->tables[t]);
  // c'_t = z - (y P^-1 + neg_offset), as z + y (q_t - P^-1) + (q_t - neg_offset)
  k.correction2(z, y, n, qt, weights2(mt, 1, qt - dp.inv[t], dp.neg_offset[t] == 0 ? 0 : qt - dp.neg_offset[t]),
                nullptr, z);
  k.last_block(z, nullptr, n, dt.half, qt);

  for (uint32_t b = 0; b < t; ++b) {
    const Modulus &mb = ctx->tables[b].modulus;
    const u64 pt_inv = mul_mod_barrett(dp.inv[b], dt.inv[b], mb);
    const u64 off = add_mod(mul_mod_barrett(dp.neg_offset[b], dt.inv[b], mb), dt.neg_offset[b], mb.value);
    k.correction2(y, z, n, mb.value, weights2(mb, pt_inv, dt.inv[b], off), nullptr, corr);
    ops.ntt_forward(corr, ctx->tables[b]);
    k.correction2(acc + static_cast<std::size_t>(b) * n, c + static_cast<std::size_t>(b) * n, n, mb.value,
                  weights2(mb, pt_inv, dt.inv[b], 0), corr, out + static_cast<std::size_t>(b) * n);
  }
}

void prepare(const hlp_ckks_context *ctx, Scratch &s, uint32_t level) {
  const std::size_t n = ctx->n;
  ensure_words(s.ks_digits, static_cast<std::size_t>(level) * (level + 1) * n);
  ensure_words(s.ks_acc, 2 * static_cast<std::size_t>(level + 1) * n);
}

}  // namespace

const std::vector<uint32_t> &galois_table(const hlp_ckks_context *ctx, uint32_t elt) {
  std::lock_guard<std::mutex> lock(ctx->galois_mutex);
  auto it = ctx->galois_tables.find(elt);
  if (it == ctx->galois_tables.end()) {
    auto table = std::make_unique<const std::vector<uint32_t>>(make_galois_table(ctx->n, ctx->log_n, elt));
    it = ctx->galois_tables.emplace(elt, std::move(table)).first;
  }
  return *it->second;
}

void relinearize_into(const hlp_ckks_context *ctx, Scratch &s, const u64 *key, const u64 *ct, uint32_t level,
                      u64 *out) {
  const std::size_t poly = static_cast<std::size_t>(level) * ctx->n;
  prepare(ctx, s, level);
  if (out != ct) std::memcpy(out, ct, 2 * poly * sizeof(u64));
  decompose(ctx, s, ct + 2 * poly, level, s.ks_digits.data());
  inner_product(ctx, s.ks_digits.data(), ct + 2 * poly, nullptr, key, level, s.ks_acc.data());
  mod_down(ctx, s, s.ks_acc.data(), level, out, out + poly, true);
}

void relin_rescale_into(const hlp_ckks_context *ctx, Scratch &s, const u64 *key, const u64 *prod, uint32_t level,
                        u64 *out) {
  const std::size_t n = ctx->n;
  const std::size_t poly = static_cast<std::size_t>(level) * n;
  const std::size_t acc_poly = static_cast<std::size_t>(level + 1) * n;
  prepare(ctx, s, level);
  decompose(ctx, s, prod + 2 * poly, level, s.ks_digits.data());
  inner_product(ctx, s.ks_digits.data(), prod + 2 * poly, nullptr, key, level, s.ks_acc.data());
  for (uint32_t j = 0; j < 2; ++j) {
    mod_down_rescale(ctx, s, s.ks_acc.data() + j * acc_poly, prod + j * poly, level, out + j * (poly - n));
  }
}

void apply_galois_into(const hlp_ckks_context *ctx, Scratch &s, const u64 *key, uint32_t elt, const u64 *ct,
                       uint32_t level, u64 *out) {
  const std::size_t n = ctx->n;
  const std::size_t poly = static_cast<std::size_t>(level) * n;
  const uint32_t *table = galois_table(ctx, elt).data();
  prepare(ctx, s, level);
  for (uint32_t b = 0; b < level; ++b) simd().gather(ct + b * n, table, n, out + b * n);
  // The permuted c1 is the target; out's second polynomial holds it until the switch overwrites it.
  u64 *target = out + poly;
  for (uint32_t b = 0; b < level; ++b) simd().gather(ct + poly + b * n, table, n, target + b * n);
  decompose(ctx, s, target, level, s.ks_digits.data());
  inner_product(ctx, s.ks_digits.data(), target, nullptr, key, level, s.ks_acc.data());
  mod_down(ctx, s, s.ks_acc.data(), level, out, target, false);
}

HoistRead hoist_read_for(const hlp_ckks_context *ctx, uint32_t level) {
  return static_cast<std::size_t>(level) * ctx->n * sizeof(u64) > kHoistThroughTableBytes ? HoistRead::kPermuteFirst
                                                                                          : HoistRead::kThroughTable;
}

void apply_galois_hoisted(const hlp_ckks_context *ctx, Scratch &s, const u64 *const *keys, const uint32_t *elts,
                          uint32_t count, const u64 *ct, uint32_t level, u64 *const *outs, HoistRead read) {
  const std::size_t n = ctx->n;
  const std::size_t poly = static_cast<std::size_t>(level) * n;
  prepare(ctx, s, level);
  if (read == HoistRead::kAuto) read = hoist_read_for(ctx, level);
  u64 *tmp = nullptr;
  if (read == HoistRead::kPermuteFirst) {
    ensure_words(s.ks_tmp, poly);
    tmp = s.ks_tmp.data();
  }
  decompose(ctx, s, ct + poly, level, s.ks_digits.data());
  for (uint32_t r = 0; r < count; ++r) {
    const uint32_t *table = galois_table(ctx, elts[r]).data();
    u64 *dst = outs[r];
    if (read == HoistRead::kHoistingKeys) {
      // (c0 + acc0 / P, acc1 / P), permuted as the division by P writes it
      inner_product(ctx, s.ks_digits.data(), ct + poly, nullptr, keys[r], level, s.ks_acc.data());
      const std::size_t acc_poly = static_cast<std::size_t>(level + 1) * n;
      mod_down_one(ctx, s, s.ks_acc.data(), level, ct, dst, table);
      mod_down_one(ctx, s, s.ks_acc.data() + acc_poly, level, nullptr, dst + poly, table);
      continue;
    }
    for (uint32_t b = 0; b < level; ++b) simd().gather(ct + b * n, table, n, dst + b * n);
    inner_product(ctx, s.ks_digits.data(), ct + poly, table, keys[r], level, s.ks_acc.data(), tmp);
    mod_down(ctx, s, s.ks_acc.data(), level, dst, dst + poly, false);
  }
}

void hoisting_key_into(const hlp_ckks_context *ctx, const u64 *key, uint32_t elt, u64 *out) {
  const std::size_t n = ctx->n;
  const uint32_t *table = galois_table(ctx, elt).data();
  const std::size_t blocks = static_cast<std::size_t>(ctx->k) * 2 * (ctx->k + 1);
  // pi(v)[i] = v[table[i]], so pi^-1(k)[table[i]] = k[i]
  for (std::size_t b = 0; b < blocks; ++b) {
    const u64 *src = key + b * n;
    u64 *dst = out + b * n;
    for (std::size_t i = 0; i < n; ++i) dst[table[i]] = src[i];
  }
}

// Asks for a block's words in order ahead of a gather that reads them at random: a rotateSum
// term (fresh from a plaintext dot product, not in cache) otherwise missed line by line at
// memory latency (38 terms at n = 8192, level 2: 8.4 ms; fetched ahead, 7.4 ms). Not in the
// gather itself: a block already in cache, as in one rotation, paid ~3 % for the fetches.
namespace {
void fetch_block(const u64 *src, std::size_t n) {
  for (std::size_t line = 0; line < n; line += 8) __builtin_prefetch(src + line, 0, 2);
}
}  // namespace

void rotate_sum_into(const hlp_ckks_context *ctx, Scratch &s, const u64 *const *keys, const uint32_t *elts,
                     const u64 *const *cts, uint32_t count, uint32_t level, u64 *out) {
  const std::size_t n = ctx->n;
  const std::size_t poly = static_cast<std::size_t>(level) * n;
  prepare(ctx, s, level);
  // ks_tmp: the permuted c1 (L blocks), then the permuted c0 of the later terms (L blocks)
  ensure_words(s.ks_tmp, 2 * poly + n);
  u64 *target = s.ks_tmp.data(), *c0 = target + poly, *ones = c0 + poly;
  std::fill(ones, ones + n, u64{1});
  for (uint32_t r = 0; r < count; ++r) {
    const uint32_t *table = galois_table(ctx, elts[r]).data();
    const u64 *ct = cts[r];
    for (uint32_t b = 0; b < level; ++b) {
      fetch_block(ct + poly + b * n, n);
      simd().gather(ct + poly + b * n, table, n, target + b * n);
    }
    decompose(ctx, s, target, level, s.ks_digits.data());
    inner_product(ctx, s.ks_digits.data(), target, nullptr, keys[r], level, s.ks_acc.data(), nullptr,
                  r == 0 ? nullptr : ones);
    // out's first polynomial gathers the sum of the permuted c0s
    for (uint32_t b = 0; b < level; ++b) {
      u64 *dst = out + b * n;
      fetch_block(ct + b * n, n);
      if (r == 0) {
        simd().gather(ct + b * n, table, n, dst);
      } else {
        simd().gather(ct + b * n, table, n, c0 + b * n);
        ctx->ops->add_mod(dst, dst, c0 + b * n, n, ctx->tables[b].modulus);
      }
    }
  }
  mod_down(ctx, s, s.ks_acc.data(), level, out, out + poly, false);
}

hlp_status kswitch_keygen(const hlp_ckks_context *ctx, Scratch &s, const u64 *sk, const u64 *new_key,
                          const uint8_t *uniform, std::size_t uniform_stride, const uint8_t *noise, u64 *out) {
  const std::size_t n = ctx->n;
  const uint32_t primes = ctx->k + 1;
  const std::size_t component = 2 * static_cast<std::size_t>(primes) * n;
  const u64 special = ctx->moduli[ctx->k];
  for (uint32_t j = 0; j < ctx->k; ++j) {
    u64 *c = out + j * component;
    const hlp_status st = encrypt_symmetric_one(ctx, s, sk, primes, uniform + j * uniform_stride, uniform_stride,
                                                noise + j * n * kNoiseBytesPerCoeff, nullptr, c);
    if (st != HLP_OK) return st;
    const u64 q = ctx->moduli[j];
    const u64 factor = special % q;
    const u64 factor_shoup = shoup_precompute(factor, q);
    u64 *block = c + static_cast<std::size_t>(j) * n;
    const u64 *key = new_key + static_cast<std::size_t>(j) * n;
    for (std::size_t x = 0; x < n; ++x) block[x] = add_mod(block[x], mul_mod_shoup(key[x], factor, factor_shoup, q), q);
  }
  return HLP_OK;
}

}  // namespace ckks
}  // namespace hlp
