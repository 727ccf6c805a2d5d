// Keccak-f[1600] on 8 states in the lanes of AVX-512 words: rotations are one vprolvq, chi
// one vpternlogq, the five-way parity two more.
#include <immintrin.h>

#include "keccak.hpp"

#pragma GCC push_options
#pragma GCC target("avx512f")
// GCC 12 flags the deliberately undefined pass-through operand inside the AVX-512
// intrinsics (GCC bug 105593); nothing here reads an uninitialised value.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include "keccak-permute.hpp"

namespace hlp {
namespace keccak {
namespace {

struct Avx512Lanes {
  using T = __m512i;
  static T zero() { return _mm512_setzero_si512(); }
  static T set1(u64 v) { return _mm512_set1_epi64(static_cast<long long>(v)); }
  static T xor2(T a, T b) { return _mm512_xor_si512(a, b); }
  // 0x96: a ^ b ^ c
  static T xor5(T a, T b, T c, T d, T e) {
    return _mm512_ternarylogic_epi64(_mm512_ternarylogic_epi64(a, b, c, 0x96), d, e, 0x96);
  }
  template <unsigned R>
  static T rotl(T v) {
    return _mm512_rol_epi64(v, R);
  }
  static T rotl_by(T v, unsigned r) { return _mm512_rolv_epi64(v, set1(r)); }
  // 0xD2: a ^ (~b & c)
  static T chi(T a, T b, T c) { return _mm512_ternarylogic_epi64(a, b, c, 0xD2); }
};

}  // namespace

void shake256_blocks8_avx512(const u64 *seed_words, u64 first, std::uint8_t *out) {
  __m512i a[25];
  const __m512i counters = _mm512_add_epi64(Avx512Lanes::set1(first), _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7));
  absorb_seed<Avx512Lanes>(a, seed_words, counters);
  // Word k of every state goes to word k of its own block: a scatter with the block stride.
  const __m512i stride = _mm512_setr_epi64(0, 1 * kBlockWords, 2 * kBlockWords, 3 * kBlockWords, 4 * kBlockWords,
                                           5 * kBlockWords, 6 * kBlockWords, 7 * kBlockWords);
  long long *words = reinterpret_cast<long long *>(out);
  std::size_t done = 0;
  while (done < kBlockWords) {
    permute<Avx512Lanes>(a);
    const std::size_t take = kBlockWords - done < kRateWords ? kBlockWords - done : kRateWords;
    for (std::size_t k = 0; k < take; ++k) _mm512_i64scatter_epi64(words + done + k, stride, a[k], 8);
    done += take;
  }
}

}  // namespace keccak
}  // namespace hlp

#pragma GCC diagnostic pop
#pragma GCC pop_options
