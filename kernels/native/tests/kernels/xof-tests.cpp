// SEAL's SHAKE256 block stream (hlp/xof.h): known answers from an independent SHAKE256
// (OpenSSL's, through Node), every variant byte for byte against the scalar one across
// group, block and cut boundaries, and the argument errors.
#include "tests/kernels/kernel-tests.hpp"

namespace hlp_test {
namespace {

std::vector<uint8_t> test_seed() {
  std::vector<uint8_t> seed(HLP_SHAKE_SEED_BYTES);
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<uint8_t>((i * 37 + 11) & 255);
  return seed;
}

void known_answers(hlp_variant variant, const char *name) {
  const std::string label = std::string("shake256 known answers variant=") + name;
  if (!selected(label)) return;
  if (!hlp_variant_available(variant)) return skip(label, "variant not available on this CPU");
  const auto seed = test_seed();
  // Blocks 0 .. 9: block 9 is the second block of the second group of 8.
  std::vector<uint8_t> out(10 * HLP_SHAKE_BLOCK_BYTES);
  bool ok = hlp_shake256_blocks(variant, seed.data(), seed.size(), 0, out.data(), out.size()) == HLP_OK;
  const auto at = [&](std::size_t block, std::size_t offset) {
    return hex(out.data() + block * HLP_SHAKE_BLOCK_BYTES + offset, 16);
  };
  std::string detail;
  const struct {
    std::size_t block, offset;
    const char *want;
  } expected[] = {{0, 0, "49349557dc478b412668ba2dad8b8595"}, {0, 4080, "0996e44f0875c818f15a7884ab04e6c0"},
                  {1, 0, "51b52524905f6c4f870c55393e64e751"}, {1, 4080, "57f0607783a227b931c6f5aed5344100"},
                  {9, 0, "47f7468265e5333e8cbbaf006e7d4a26"}, {9, 4080, "91c0fb56eaeed91fb7a02a2635cd4996"}};
  for (const auto &e : expected) {
    if (at(e.block, e.offset) != e.want) {
      ok = false;
      detail +=
          "block " + std::to_string(e.block) + "+" + std::to_string(e.offset) + ": " + at(e.block, e.offset) + " ";
    }
  }
  // A counter near the top of its 64 bits: every counter byte is hashed.
  std::vector<uint8_t> top(8 * HLP_SHAKE_BLOCK_BYTES);
  ok = ok &&
       hlp_shake256_blocks(variant, seed.data(), seed.size(), 0xFFFFFFFFFFFFFFF0ULL, top.data(), top.size()) == HLP_OK;
  if (hex(top.data(), 16) != "2114941d499f82192a1d4e35921eabca") {
    ok = false;
    detail += "block 2^64-16: " + hex(top.data(), 16);
  }
  report(ok, label, detail);
}

void variants_agree(hlp_variant variant, const char *name) {
  const std::string label =
      std::string("shake256 variant=") + name + " equals scalar across group, block and cut boundaries";
  if (!selected(label)) return;
  if (!hlp_variant_available(variant)) return skip(label, "variant not available on this CPU");
  const auto seed = test_seed();
  const std::size_t B = HLP_SHAKE_BLOCK_BYTES;
  const std::size_t lengths[] = {0,      1,      100,           B - 1,        B,     B + 1,     2 * B + 17,
                                 3 * B,  4 * B,  5 * B + 8,     7 * B + 1234, 8 * B, 8 * B + 1, 9 * B + 4000,
                                 11 * B, 16 * B, 16 * B + 4095, 48 * B + 3000};
  bool ok = true;
  std::string detail;
  for (const uint64_t first : {uint64_t{0}, uint64_t{3}}) {
    for (const std::size_t len : lengths) {
      std::vector<uint8_t> want(len + 1, 0xA5), got(len + 1, 0xA5);
      const hlp_status s1 = hlp_shake256_blocks(HLP_VARIANT_SCALAR, seed.data(), seed.size(), first, want.data(), len);
      const hlp_status s2 = hlp_shake256_blocks(variant, seed.data(), seed.size(), first, got.data(), len);
      // The byte past the output must be left alone.
      if (s1 != HLP_OK || s2 != HLP_OK || want != got || got[len] != 0xA5) {
        ok = false;
        detail += "first " + std::to_string(first) + " bytes " + std::to_string(len) + "; ";
      }
    }
  }
  report(ok, label, detail);
}

void argument_errors() {
  const std::string label = "shake256 argument errors";
  if (!selected(label)) return;
  const auto seed = test_seed();
  std::vector<uint8_t> out(2 * HLP_SHAKE_BLOCK_BYTES);
  bool ok = hlp_shake256_blocks(HLP_VARIANT_AUTO, seed.data(), 63, 0, out.data(), out.size()) == HLP_E_LENGTH_MISMATCH;
  ok = ok && hlp_shake256_blocks(HLP_VARIANT_AUTO, nullptr, 64, 0, out.data(), out.size()) == HLP_E_INVALID_ARGUMENT;
  ok = ok && hlp_shake256_blocks(HLP_VARIANT_AUTO, seed.data(), 64, 0, nullptr, 1) == HLP_E_INVALID_ARGUMENT;
  ok = ok && hlp_shake256_blocks(HLP_VARIANT_AUTO, seed.data(), 64, 0, nullptr, 0) == HLP_OK;
  ok = ok && hlp_shake256_blocks(static_cast<hlp_variant>(7), seed.data(), 64, 0, out.data(), out.size()) ==
                 HLP_E_INVALID_ARGUMENT;
  // Blocks 2^64 - 1 and 2^64: the second does not exist.
  ok = ok && hlp_shake256_blocks(HLP_VARIANT_AUTO, seed.data(), 64, ~uint64_t{0}, out.data(), out.size()) ==
                 HLP_E_INVALID_ARGUMENT;
  ok = ok && hlp_shake256_blocks(HLP_VARIANT_AUTO, seed.data(), 64, ~uint64_t{0}, out.data(), HLP_SHAKE_BLOCK_BYTES) ==
                 HLP_OK;
  report(ok, label);
}

}  // namespace

void test_shake256() {
  const std::pair<hlp_variant, const char *> variants[] = {
      {HLP_VARIANT_SCALAR, "scalar"}, {HLP_VARIANT_AVX2, "avx2"}, {HLP_VARIANT_AVX512, "avx512"}};
  for (const auto &[v, name] : variants) known_answers(v, name);
  for (const auto &[v, name] : variants) {
    if (v != HLP_VARIANT_SCALAR) variants_agree(v, name);
  }
  argument_errors();
}

}  // namespace hlp_test
