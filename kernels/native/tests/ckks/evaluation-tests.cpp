// Evaluation on ciphertexts against plain arithmetic, and rescale bit for bit against SEAL's algorithm.
#include <cstring>

#include "tests/ckks/ckks-tests.hpp"

namespace hlp_test {

void test_evaluation() {
  if (!selected("evaluate")) return;
  const uint32_t n = 8192;
  Ctx c(n, seal_moduli(n, {60, 40, 40, 60}));
  const auto sk = c.secret_key();
  const auto pk = c.public_key(sk);
  const double scale = std::ldexp(1.0, 40);
  const uint32_t L = 3, slots = n / 2;
  const std::size_t poly = L * n;
  const auto va = random_values(slots), vb = random_values(slots);
  const auto pa = c.encode(va, scale, L), pb = c.encode(vb, scale, L);
  const auto ca = c.encrypt(pk, pa, L), cb = c.encrypt(pk, pb, L);
  auto check = [&](const std::vector<u64> &ct, uint32_t size, uint32_t level, double sc,
                   const std::function<double(std::size_t)> &expect, const std::string &name, double tol) {
    const auto d = c.decode(c.decrypt(sk, ct, size, level), sc, level, slots);
    double err = 0;
    for (std::size_t i = 0; i < slots; ++i) err = std::max(err, std::fabs(d[i] - expect(i)));
    if (std::isnan(d[0])) err = INFINITY;
    report(err <= tol, name, "max err " + fmt(err));
  };
  std::vector<u64> out(2 * poly), out3(3 * poly);
  report(hlp_ckks_add(c.ctx, ca.data(), ca.size(), 2, cb.data(), cb.size(), 2, L, out.data(), out.size(),
                      HLP_FLAG_CHECK_INPUT) == HLP_OK,
         "evaluate: add runs");
  check(
      out, 2, L, scale, [&](std::size_t i) { return va[i] + vb[i]; }, "evaluate: add", 1e-6);
  hlp_ckks_sub(c.ctx, ca.data(), ca.size(), 2, cb.data(), cb.size(), 2, L, out.data(), out.size(), 0);
  check(
      out, 2, L, scale, [&](std::size_t i) { return va[i] - vb[i]; }, "evaluate: sub", 1e-6);
  hlp_ckks_negate(c.ctx, ca.data(), ca.size(), 2, L, out.data(), out.size(), 0);
  check(
      out, 2, L, scale, [&](std::size_t i) { return -va[i]; }, "evaluate: negate", 1e-6);
  hlp_ckks_add_plain(c.ctx, ca.data(), ca.size(), 2, pb.data(), pb.size(), L, out.data(), out.size(), 0);
  check(
      out, 2, L, scale, [&](std::size_t i) { return va[i] + vb[i]; }, "evaluate: add_plain", 1e-6);
  {
    auto inplace = ca;
    hlp_ckks_add(c.ctx, inplace.data(), inplace.size(), 2, cb.data(), cb.size(), 2, L, inplace.data(), inplace.size(),
                 0);
    check(
        inplace, 2, L, scale, [&](std::size_t i) { return va[i] + vb[i]; }, "evaluate: add in place (out = a)", 1e-6);
  }
  // multiply_plain + rescale: scale^2 / q_2.
  hlp_ckks_multiply_plain(c.ctx, ca.data(), ca.size(), 2, pb.data(), pb.size(), L, out.data(), out.size(), 0);
  check(
      out, 2, L, scale * scale, [&](std::size_t i) { return va[i] * vb[i]; }, "evaluate: multiply_plain", 1e-6);
  std::vector<u64> rs(2 * (L - 1) * n);
  bool ok = hlp_ckks_rescale(c.ctx, out.data(), out.size(), 2, L, rs.data(), rs.size(), HLP_FLAG_CHECK_INPUT) == HLP_OK;
  report(ok && rs == seal_reference_rescale(c, out, 2, L), "evaluate: rescale bit-exact with SEAL's algorithm");
  const double rescaled = scale * scale / static_cast<double>(c.moduli[L - 1]);
  check(
      rs, 2, L - 1, rescaled, [&](std::size_t i) { return va[i] * vb[i]; },
      "evaluate: multiply_plain + rescale (scale^2 / q_2)", 1e-5);
  // multiply_plain + rescale (+ add_plain) fused: the same words as the three calls.
  {
    const auto addend = c.encode(vb, rescaled, L - 1);
    std::vector<u64> fused(rs.size()), three(rs.size());
    ok = hlp_ckks_multiply_plain_rescale(c.ctx, ca.data(), ca.size(), 2, pb.data(), pb.size(), nullptr, 0, L,
                                         fused.data(), fused.size(), HLP_FLAG_CHECK_INPUT) == HLP_OK;
    report(ok && fused == rs, "evaluate: multiply_plain_rescale = multiply_plain then rescale, bit for bit");
    hlp_ckks_add_plain(c.ctx, rs.data(), rs.size(), 2, addend.data(), addend.size(), L - 1, three.data(), three.size(),
                       0);
    ok = hlp_ckks_multiply_plain_rescale(c.ctx, ca.data(), ca.size(), 2, pb.data(), pb.size(), addend.data(),
                                         addend.size(), L, fused.data(), fused.size(), HLP_FLAG_CHECK_INPUT) == HLP_OK;
    report(ok && fused == three, "evaluate: multiply_plain_rescale with an addend = the three calls, bit for bit");
    check(
        fused, 2, L - 1, rescaled, [&](std::size_t i) { return va[i] * vb[i] + vb[i]; },
        "evaluate: multiply_plain_rescale decrypts to a x + b", 1e-5);
    std::vector<u64> bad_addend(addend.begin(), addend.end()), fused3(ca.begin(), ca.end());
    bad_addend[3] = c.moduli[0];
    report(
        hlp_ckks_multiply_plain_rescale(c.ctx, ca.data(), ca.size(), 2, pb.data(), pb.size(), addend.data(),
                                        addend.size() - 1, L, fused.data(), fused.size(), 0) == HLP_E_LENGTH_MISMATCH &&
            hlp_ckks_multiply_plain_rescale(c.ctx, ca.data(), ca.size(), 2, pb.data(), pb.size(), bad_addend.data(),
                                            bad_addend.size(), L, fused.data(), fused.size(),
                                            HLP_FLAG_CHECK_INPUT) == HLP_E_VALUE_OUT_OF_RANGE &&
            hlp_ckks_multiply_plain_rescale(c.ctx, ca.data(), 2 * n, 2, pb.data(), n, nullptr, 0, 1, fused.data(), 0,
                                            0) == HLP_E_INVALID_ARGUMENT &&
            hlp_ckks_multiply_plain_rescale(c.ctx, ca.data(), ca.size(), 2, pb.data(), pb.size(), nullptr, 0, L,
                                            fused.data(), fused.size() - 1, 0) == HLP_E_LENGTH_MISMATCH &&
            hlp_ckks_multiply_plain_rescale(c.ctx, fused3.data(), fused3.size(), 2, pb.data(), pb.size(), nullptr, 0, L,
                                            fused3.data(), fused.size(), 0) == HLP_E_INVALID_ARGUMENT,
        "evaluate: multiply_plain_rescale refuses a short or out-of-range addend, level 1, a wrong or aliased out");
  }
  // multiply (size 3), decrypt with s^2, rescale the size-3 ciphertext too.
  ok = hlp_ckks_multiply(c.ctx, ca.data(), ca.size(), cb.data(), cb.size(), L, out3.data(), out3.size(),
                         HLP_FLAG_CHECK_INPUT) == HLP_OK;
  report(ok, "evaluate: multiply runs");
  check(
      out3, 3, L, scale * scale, [&](std::size_t i) { return va[i] * vb[i]; },
      "evaluate: multiply -> size 3, decrypt with s^2", 1e-6);
  std::vector<u64> rs3(3 * (L - 1) * n);
  hlp_ckks_rescale(c.ctx, out3.data(), out3.size(), 3, L, rs3.data(), rs3.size(), 0);
  check(
      rs3, 3, L - 1, rescaled, [&](std::size_t i) { return va[i] * vb[i]; }, "evaluate: multiply + rescale", 1e-5);
  // Size 3 + size 2.
  std::vector<u64> sum3(3 * poly);
  hlp_ckks_add(c.ctx, out3.data(), out3.size(), 3, cb.data(), cb.size(), 2, L, sum3.data(), sum3.size(), 0);
  check(
      sum3, 3, L, scale * scale, [&](std::size_t i) { return va[i] * vb[i] + vb[i] / scale; },
      "evaluate: add size 3 + size 2", 1e-6);
  hlp_ckks_sub(c.ctx, cb.data(), cb.size(), 2, out3.data(), out3.size(), 3, L, sum3.data(), sum3.size(), 0);
  check(
      sum3, 3, L, scale * scale, [&](std::size_t i) { return vb[i] / scale - va[i] * vb[i]; },
      "evaluate: sub size 2 - size 3", 1e-6);
  // mod_switch: drop the last prime, scale unchanged.
  std::vector<u64> ms(2 * (L - 1) * n);
  ok = hlp_ckks_mod_switch(c.ctx, ca.data(), ca.size(), 2, L, ms.data(), ms.size(), 0) == HLP_OK;
  report(ok, "evaluate: mod_switch runs");
  check(
      ms, 2, L - 1, scale, [&](std::size_t i) { return va[i]; }, "evaluate: mod_switch keeps the value", 1e-6);
  // Two rescales down to level 1 (multi-level chain).
  {
    const auto pc = c.encode(std::vector<double>(slots, 0.5), scale, L);
    std::vector<u64> m1(2 * poly), r1(2 * (L - 1) * n);
    hlp_ckks_multiply_plain(c.ctx, ca.data(), ca.size(), 2, pc.data(), pc.size(), L, m1.data(), m1.size(), 0);
    hlp_ckks_rescale(c.ctx, m1.data(), m1.size(), 2, L, r1.data(), r1.size(), 0);
    const double s1 = scale * scale / static_cast<double>(c.moduli[2]);
    const auto pc2 = c.encode(std::vector<double>(slots, 0.5), static_cast<double>(c.moduli[1]), L - 1);
    std::vector<u64> m2(2 * (L - 1) * n), r2(2 * (L - 2) * n);
    hlp_ckks_multiply_plain(c.ctx, r1.data(), r1.size(), 2, pc2.data(), pc2.size(), L - 1, m2.data(), m2.size(), 0);
    hlp_ckks_rescale(c.ctx, m2.data(), m2.size(), 2, L - 1, r2.data(), r2.size(), 0);
    check(
        r2, 2, 1, s1, [&](std::size_t i) { return va[i] * 0.25; }, "evaluate: two multiply_plain + rescale to level 1",
        1e-5);
  }
  // Errors.
  report(hlp_ckks_rescale(c.ctx, ca.data(), ca.size(), 2, L, rs.data(), 0, 0) == HLP_E_LENGTH_MISMATCH &&
             hlp_ckks_rescale(c.ctx, ms.data(), 2 * n, 2, 1, rs.data(), 0, 0) == HLP_E_INVALID_ARGUMENT &&
             hlp_ckks_mod_switch(c.ctx, ca.data(), ca.size(), 2, L, ca.data() == nullptr ? nullptr : out.data(),
                                 out.size(), 0) == HLP_E_LENGTH_MISMATCH &&
             hlp_ckks_multiply(c.ctx, out3.data(), out3.size(), cb.data(), cb.size(), L, sum3.data(), sum3.size(), 0) ==
                 HLP_E_LENGTH_MISMATCH &&
             hlp_ckks_add(c.ctx, ca.data(), ca.size(), 2, cb.data(), cb.size(), 2, L, out3.data(), out3.size(), 0) ==
                 HLP_E_LENGTH_MISMATCH &&
             hlp_ckks_add(c.ctx, ca.data(), ca.size(), 2, cb.data(), cb.size(), 2, 4, out.data(), out.size(), 0) ==
                 HLP_E_INVALID_ARGUMENT &&
             hlp_ckks_multiply(c.ctx, ca.data(), ca.size(), cb.data(), cb.size(), L, const_cast<u64 *>(ca.data()),
                               3 * poly, 0) == HLP_E_INVALID_ARGUMENT,
         "evaluate errors: level too low, wrong sizes and lengths, level out of range, overlapping output");

  // Hoisted rotations read the shared digits either through the Galois table or gathered into
  // scratch first (large levels): the same words either way, and the right rotations.
  const std::size_t kw = hlp_ckks_kswitch_key_words(c.ctx);
  const int32_t steps[] = {1, 5, -2};
  std::vector<std::vector<u64>> gkeys;
  std::vector<uint32_t> elts;
  for (int32_t st : steps) {
    uint32_t elt = 0;
    hlp_ckks_galois_element(c.ctx, st, &elt);
    elts.push_back(elt);
    gkeys.emplace_back(kw);
    const auto u = random_bytes(c.k * c.rand_bytes(HLP_CKKS_RANDOMNESS_UNIFORM, c.k + 1));
    const auto e = random_bytes(c.k * c.rand_bytes(HLP_CKKS_RANDOMNESS_NOISE));
    hlp_ckks_keygen_kswitch(c.ctx, sk.data(), sk.size(), elt, u.data(), u.size(), e.data(), e.size(),
                            gkeys.back().data(), kw, 0);
  }
  std::vector<const u64 *> key_ptrs;
  for (const auto &k : gkeys) key_ptrs.push_back(k.data());
  std::vector<std::vector<u64>> by_table(3, std::vector<u64>(2 * poly)), first(3, std::vector<u64>(2 * poly, 7));
  std::vector<u64 *> table_outs, first_outs;
  for (uint32_t r = 0; r < 3; ++r) {
    table_outs.push_back(by_table[r].data());
    first_outs.push_back(first[r].data());
  }
  {
    hlp::ckks::ScratchLease lease(c.ctx, hlp::ckks::ScratchUse::kPublic);
    hlp::ckks::apply_galois_hoisted(c.ctx, *lease.get(), key_ptrs.data(), elts.data(), 3, ca.data(), L,
                                    table_outs.data(), hlp::ckks::HoistRead::kThroughTable);
    hlp::ckks::apply_galois_hoisted(c.ctx, *lease.get(), key_ptrs.data(), elts.data(), 3, ca.data(), L,
                                    first_outs.data(), hlp::ckks::HoistRead::kPermuteFirst);
  }
  report(by_table == first, "evaluate: hoisted rotations, digits gathered first = read through the table");

  // Hoisting keys: the same words again, through the C API, at every count and at a lower level
  // too; an unpermuted key with the flag must not give them (the test would pass vacuously if
  // the flag were ignored).
  std::vector<std::vector<u64>> hkeys(3, std::vector<u64>(kw));
  std::vector<const u64 *> hkey_ptrs;
  bool made = true;
  for (uint32_t r = 0; r < 3; ++r) {
    made = made && hlp_ckks_hoisting_key(c.ctx, gkeys[r].data(), kw, elts[r], hkeys[r].data(), kw) == HLP_OK;
    hkey_ptrs.push_back(hkeys[r].data());
  }
  report(made && hkeys[0] != gkeys[0], "evaluate: hoisting keys made, and differ from the Galois keys");
  std::vector<std::vector<u64>> by_keys(3, std::vector<u64>(2 * poly, 9));
  std::vector<u64 *> key_outs;
  for (auto &o : by_keys) key_outs.push_back(o.data());
  const hlp_status hst = hlp_ckks_apply_galois(c.ctx, hkey_ptrs.data(), kw, elts.data(), 3, ca.data(), ca.size(), L,
                                               key_outs.data(), 2 * poly, HLP_FLAG_HOISTING_KEYS);
  report(hst == HLP_OK && by_keys == by_table, "evaluate: hoisted rotations with hoisting keys = with Galois keys");
  std::vector<u64> one(2 * poly);
  u64 *one_out = one.data();
  hlp_ckks_apply_galois(c.ctx, &hkey_ptrs[1], kw, &elts[1], 1, ca.data(), ca.size(), L, &one_out, 2 * poly,
                        HLP_FLAG_HOISTING_KEYS);
  report(one == by_table[1], "evaluate: one rotation with a hoisting key = hoisted with the Galois key");
  hlp_ckks_apply_galois(c.ctx, key_ptrs.data(), kw, elts.data(), 1, ca.data(), ca.size(), L, &one_out, 2 * poly,
                        HLP_FLAG_HOISTING_KEYS);
  report(one != by_table[0], "evaluate: a Galois key flagged as a hoisting key does not rotate right");
  {
    // level 2: the ciphertext's first two blocks of each polynomial
    const std::size_t p2 = 2 * static_cast<std::size_t>(n);
    std::vector<u64> c2(2 * p2);
    std::memcpy(c2.data(), ca.data(), p2 * sizeof(u64));
    std::memcpy(c2.data() + p2, ca.data() + poly, p2 * sizeof(u64));
    std::vector<std::vector<u64>> a2(3, std::vector<u64>(2 * p2)), b2(3, std::vector<u64>(2 * p2));
    std::vector<u64 *> pa, pb;
    for (uint32_t r = 0; r < 3; ++r) {
      pa.push_back(a2[r].data());
      pb.push_back(b2[r].data());
    }
    hlp_ckks_apply_galois(c.ctx, key_ptrs.data(), kw, elts.data(), 3, c2.data(), c2.size(), 2, pa.data(), 2 * p2, 0);
    hlp_ckks_apply_galois(c.ctx, hkey_ptrs.data(), kw, elts.data(), 3, c2.data(), c2.size(), 2, pb.data(), 2 * p2,
                          HLP_FLAG_HOISTING_KEYS);
    report(a2 == b2, "evaluate: hoisting keys at level 2 = Galois keys");
  }
  {
    // The sum of three rotations of two ciphertexts, divided by P once: rot1(a) + rot5(b) + rot-2(a).
    const u64 *terms[] = {ca.data(), cb.data(), ca.data()};
    std::vector<u64> sum(2 * poly);
    const hlp_status rst = hlp_ckks_rotate_sum(c.ctx, key_ptrs.data(), kw, elts.data(), terms, 2 * poly, 3, L,
                                               sum.data(), 2 * poly, HLP_FLAG_CHECK_INPUT);
    report(rst == HLP_OK, "evaluate: rotate_sum runs");
    auto at = [&](const std::vector<double> &v, std::size_t i, int32_t st) {
      return v[(i + slots + static_cast<std::size_t>(st + static_cast<int32_t>(slots))) % slots];
    };
    check(
        sum, 2, L, scale, [&](std::size_t i) { return at(va, i, 1) + at(vb, i, 5) + at(va, i, -2); },
        "evaluate: rotate_sum = rot 1 (a) + rot 5 (b) + rot -2 (a)", 1e-4);
    std::vector<u64> single(2 * poly);
    hlp_ckks_rotate_sum(c.ctx, key_ptrs.data(), kw, elts.data(), terms, 2 * poly, 1, L, single.data(), 2 * poly, 0);
    std::vector<u64> one_rot(2 * poly);
    u64 *one_rot_out = one_rot.data();
    hlp_ckks_apply_galois(c.ctx, key_ptrs.data(), kw, elts.data(), 1, ca.data(), ca.size(), L, &one_rot_out, 2 * poly,
                          0);
    report(single == one_rot, "evaluate: rotate_sum of one term = apply_galois, bit for bit");
    u64 *bad_terms[] = {sum.data()};
    report(hlp_ckks_rotate_sum(c.ctx, key_ptrs.data(), kw, elts.data(), const_cast<const u64 *const *>(bad_terms),
                               2 * poly, 1, L, sum.data(), 2 * poly, 0) == HLP_E_INVALID_ARGUMENT &&
               hlp_ckks_rotate_sum(c.ctx, key_ptrs.data(), kw, elts.data(), terms, 2 * poly, 0, L, sum.data(), 2 * poly,
                                   0) == HLP_E_INVALID_ARGUMENT &&
               hlp_ckks_rotate_sum(c.ctx, key_ptrs.data(), kw, elts.data(), terms, 2 * poly, 3, L, sum.data(),
                                   2 * poly - 1, 0) == HLP_E_LENGTH_MISMATCH,
           "evaluate: rotate_sum errors: output overlapping a term, no terms, wrong length");
  }
  report(
      hlp_ckks_hoisting_key(c.ctx, gkeys[0].data(), kw, 2, hkeys[0].data(), kw) == HLP_E_INVALID_ARGUMENT &&
          hlp_ckks_hoisting_key(c.ctx, gkeys[0].data(), kw - 1, elts[0], hkeys[0].data(), kw) ==
              HLP_E_LENGTH_MISMATCH &&
          hlp_ckks_hoisting_key(c.ctx, gkeys[0].data(), kw, elts[0], gkeys[0].data() + 1, kw) == HLP_E_INVALID_ARGUMENT,
      "evaluate: hoisting key errors: even element, wrong length, overlapping output");
  for (uint32_t r = 0; r < 3; ++r) {
    const int32_t st = steps[r];
    check(
        first[r], 2, L, scale,
        [&](std::size_t i) {
          return va[(i + slots + static_cast<std::size_t>(st + static_cast<int32_t>(slots))) % slots];
        },
        "evaluate: hoisted rotation by " + std::to_string(st) + ", digits gathered first", 1e-4);
  }
}

}  // namespace hlp_test
