// The AES-256-CTR keystream (hlp_aes256ctr_stream in hlp/xof.h): NIST SP 800-38A's CTR-AES256
// example, answers from an independent AES (OpenSSL's aes-256-ctr, through Node) at the
// counter's carries, every variant byte for byte against the portable one across step and cut
// boundaries, and the argument errors.
#include "tests/kernels/kernel-tests.hpp"

namespace hlp_test {
namespace {

std::vector<uint8_t> from_hex(const std::string &s) {
  std::vector<uint8_t> out(s.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = static_cast<uint8_t>(std::stoul(s.substr(2 * i, 2), nullptr, 16));
  return out;
}

// A seed of key ‖ counter ‖ 16 bytes the stream does not read.
std::vector<uint8_t> seed_of(const std::string &key_hex, const std::string &counter_hex) {
  std::vector<uint8_t> seed = from_hex(key_hex + counter_hex);
  seed.resize(HLP_SHAKE_SEED_BYTES, 0xA5);
  return seed;
}

std::string stream_hex(hlp_variant variant, const std::vector<uint8_t> &seed, std::size_t bytes) {
  std::vector<uint8_t> out(bytes);
  if (hlp_aes256ctr_stream(variant, seed.data(), seed.size(), out.data(), out.size()) != HLP_OK) return "error";
  return hex(out.data(), out.size());
}

// Bytes (37 i + 11) mod 256, i < 32.
const char *const kTestKey = "0b30557a9fc4e90e33587da2c7ec11365b80a5caef14395e83a8cdf2173c6186";

void known_answers(hlp_variant variant, const char *name) {
  const std::string label = std::string("aes256ctr known answers variant=") + name;
  if (!selected(label)) return;
  if (!hlp_variant_available(variant)) return skip(label, "variant not available on this CPU");
  std::string detail;
  // SP 800-38A F.5.5: the output blocks (the keystream) of its four counter blocks.
  const std::string nist = stream_hex(
      variant,
      seed_of("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"),
      64);
  if (nist !=
      "0bdf7df1591716335e9a8b15c860c5025a6e699d536119065433863c8f657b941bc12c9c01610d5d0d8bd6a3378eca622956e1c8693536b1"
      "bee99c73a31576b6")
    detail += "SP 800-38A: " + nist + " ";
  // The counter is all 128 bits: ff…ff wraps to 0, and the low word carries into the high one.
  const std::string wrap = stream_hex(variant, seed_of(kTestKey, "ffffffffffffffffffffffffffffffff"), 48);
  if (wrap != "df9abbb5e21ee3f689e88ba9e8ab69bc9401ba76d4da52e16902a14bf486f053f1199ef5152e1a41e28e8a8bd62a5a30")
    detail += "wrap: " + wrap + " ";
  const std::string carry = stream_hex(variant, seed_of(kTestKey, "0000000000000000ffffffffffffffff"), 48);
  if (carry != "30d6ed31b011e6645a23c0d9d262dd394a305044306956df5c947be8e0549f0ff498be2a542840c337d8a87bb55d7538")
    detail += "carry: " + carry + " ";
  report(detail.empty(), label, detail);
}

void variants_agree() {
  const std::string label = "aes256ctr variants agree with the portable code across steps and cuts";
  if (!selected(label)) return;
  std::vector<uint8_t> seed(HLP_SHAKE_SEED_BYTES);
  for (auto &b : seed) b = static_cast<uint8_t>(rng()());
  // A counter 5 blocks short of a 64-bit carry: the wide steps cross it.
  for (std::size_t i = 40; i < 48; ++i) seed[i] = 0xff;
  seed[47] = 0xfb;
  const std::size_t lengths[] = {0, 1, 15, 16, 17, 255, 256, 257, 4096 + 7, 196608};
  std::string detail;
  for (const std::size_t bytes : lengths) {
    const std::string want = stream_hex(HLP_VARIANT_SCALAR, seed, bytes);
    for (const hlp_variant v : {HLP_VARIANT_AVX2, HLP_VARIANT_AVX512, HLP_VARIANT_AUTO}) {
      if (!hlp_variant_available(v) && v != HLP_VARIANT_AUTO) continue;
      if (stream_hex(v, seed, bytes) != want)
        detail += "variant " + std::to_string(v) + " at " + std::to_string(bytes) + " bytes; ";
    }
  }
  report(detail.empty(), label, detail);
}

void argument_errors() {
  const std::string label = "aes256ctr argument errors";
  if (!selected(label)) return;
  std::vector<uint8_t> seed(HLP_SHAKE_SEED_BYTES), out(32);
  bool ok = hlp_aes256ctr_stream(HLP_VARIANT_AUTO, seed.data(), 48, out.data(), out.size()) == HLP_E_LENGTH_MISMATCH;
  ok = ok &&
       hlp_aes256ctr_stream(HLP_VARIANT_AUTO, nullptr, seed.size(), out.data(), out.size()) == HLP_E_INVALID_ARGUMENT;
  ok = ok && hlp_aes256ctr_stream(HLP_VARIANT_AUTO, seed.data(), seed.size(), nullptr, 16) == HLP_E_INVALID_ARGUMENT;
  ok = ok && hlp_aes256ctr_stream(HLP_VARIANT_AUTO, seed.data(), seed.size(), nullptr, 0) == HLP_OK;
  ok = ok && hlp_aes256ctr_stream(static_cast<hlp_variant>(9), seed.data(), seed.size(), out.data(), out.size()) ==
                 HLP_E_INVALID_ARGUMENT;
  report(ok, label);
}

}  // namespace

void test_aes256ctr() {
  known_answers(HLP_VARIANT_SCALAR, "scalar");
  known_answers(HLP_VARIANT_AVX2, "avx2");
  known_answers(HLP_VARIANT_AVX512, "avx512");
  variants_agree();
  argument_errors();
}

}  // namespace hlp_test
