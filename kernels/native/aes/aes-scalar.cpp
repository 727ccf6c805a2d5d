// AES-256 without special instructions: the key schedule every variant uses, and a byte-wise
// block cipher for CPUs without AES-NI (and to check the others against).
#include <cstring>

#include "aes.hpp"

namespace hlp {
namespace aes {
namespace {

inline std::uint8_t xtime(std::uint8_t x) { return static_cast<std::uint8_t>((x << 1) ^ ((x & 0x80) ? 0x1b : 0)); }

std::uint8_t gf_mul(std::uint8_t a, std::uint8_t b) {
  std::uint8_t product = 0;
  for (; b != 0; b >>= 1, a = xtime(a))
    if (b & 1) product ^= a;
  return product;
}

// The S-box of FIPS-197, computed once: x^254 (the inverse in GF(2^8), 0 for 0), then the affine map.
struct Sbox {
  std::uint8_t s[256];
  Sbox() {
    const auto rotl = [](std::uint8_t x, int k) { return static_cast<std::uint8_t>((x << k) | (x >> (8 - k))); };
    for (int x = 0; x < 256; ++x) {
      std::uint8_t inverse = 1, power = static_cast<std::uint8_t>(x);
      for (int e = 254; e != 0; e >>= 1, power = gf_mul(power, power))
        if (e & 1) inverse = gf_mul(inverse, power);
      if (x == 0) inverse = 0;
      s[x] = static_cast<std::uint8_t>(inverse ^ rotl(inverse, 1) ^ rotl(inverse, 2) ^ rotl(inverse, 3) ^
                                       rotl(inverse, 4) ^ 0x63);
    }
  }
};

const std::uint8_t *sbox() {
  static const Sbox table;
  return table.s;
}

void encrypt_block(const RoundKeys &keys, std::uint8_t state[16]) {
  const std::uint8_t *s = sbox();
  for (int i = 0; i < 16; ++i) state[i] ^= keys.bytes[i];
  for (std::size_t round = 1; round <= kRounds; ++round) {
    std::uint8_t t[16];
    // SubBytes and ShiftRows: byte (row r, column c) comes from column c + r.
    for (int c = 0; c < 4; ++c)
      for (int r = 0; r < 4; ++r) t[4 * c + r] = s[state[4 * ((c + r) % 4) + r]];
    if (round != kRounds) {
      for (int c = 0; c < 4; ++c) {
        std::uint8_t *col = t + 4 * c;
        const std::uint8_t a0 = col[0], a1 = col[1], a2 = col[2], a3 = col[3];
        const std::uint8_t all = static_cast<std::uint8_t>(a0 ^ a1 ^ a2 ^ a3);
        col[0] = static_cast<std::uint8_t>(a0 ^ all ^ xtime(static_cast<std::uint8_t>(a0 ^ a1)));
        col[1] = static_cast<std::uint8_t>(a1 ^ all ^ xtime(static_cast<std::uint8_t>(a1 ^ a2)));
        col[2] = static_cast<std::uint8_t>(a2 ^ all ^ xtime(static_cast<std::uint8_t>(a2 ^ a3)));
        col[3] = static_cast<std::uint8_t>(a3 ^ all ^ xtime(static_cast<std::uint8_t>(a3 ^ a0)));
      }
    }
    for (int i = 0; i < 16; ++i) state[i] = static_cast<std::uint8_t>(t[i] ^ keys.bytes[16 * round + i]);
  }
}

}  // namespace

void expand_key(const std::uint8_t key[kKeyBytes], RoundKeys *out) {
  const std::uint8_t *s = sbox();
  std::uint8_t *w = out->bytes;
  std::memcpy(w, key, kKeyBytes);
  std::uint8_t rcon = 1;
  // 60 words of 4 bytes; word i from word i - 1 and word i - 8.
  for (std::size_t i = 8; i < 4 * (kRounds + 1); ++i) {
    std::uint8_t t[4];
    std::memcpy(t, w + 4 * (i - 1), 4);
    if (i % 8 == 0) {
      const std::uint8_t first = t[0];
      t[0] = static_cast<std::uint8_t>(s[t[1]] ^ rcon);
      t[1] = s[t[2]];
      t[2] = s[t[3]];
      t[3] = s[first];
      rcon = xtime(rcon);
    } else if (i % 8 == 4) {
      for (auto &b : t) b = s[b];
    }
    for (int k = 0; k < 4; ++k) w[4 * i + k] = static_cast<std::uint8_t>(w[4 * (i - 8) + k] ^ t[k]);
  }
}

Counter load_counter(const std::uint8_t iv[kBlockBytes]) {
  Counter c{0, 0};
  for (int i = 0; i < 8; ++i) c.hi = (c.hi << 8) | iv[i];
  for (int i = 8; i < 16; ++i) c.lo = (c.lo << 8) | iv[i];
  return c;
}

void store_counter(Counter c, std::uint8_t out[kBlockBytes]) {
  for (int i = 7; i >= 0; --i, c.hi >>= 8) out[i] = static_cast<std::uint8_t>(c.hi);
  for (int i = 15; i >= 8; --i, c.lo >>= 8) out[i] = static_cast<std::uint8_t>(c.lo);
}

void ctr_scalar(const RoundKeys &keys, Counter c, std::size_t blocks, std::uint8_t *out) {
  for (std::size_t b = 0; b < blocks; ++b, add(&c, 1)) {
    store_counter(c, out + b * kBlockBytes);
    encrypt_block(keys, out + b * kBlockBytes);
  }
}

}  // namespace aes
}  // namespace hlp
