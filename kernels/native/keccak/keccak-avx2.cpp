// Keccak-f[1600] on 4 states in the lanes of AVX2 words (no rotate or three-input logic in
// AVX2: shifts, or, andnot).
#include <immintrin.h>

#include "keccak.hpp"

#pragma GCC push_options
#pragma GCC target("avx2")

#include "keccak-permute.hpp"

namespace hlp {
namespace keccak {
namespace {

struct Avx2Lanes {
  using T = __m256i;
  static T zero() { return _mm256_setzero_si256(); }
  static T set1(u64 v) { return _mm256_set1_epi64x(static_cast<long long>(v)); }
  static T xor2(T a, T b) { return _mm256_xor_si256(a, b); }
  static T xor5(T a, T b, T c, T d, T e) {
    return _mm256_xor_si256(_mm256_xor_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(c, d)), e);
  }
  template <unsigned R>
  static T rotl(T v) {
    return _mm256_or_si256(_mm256_slli_epi64(v, R), _mm256_srli_epi64(v, 64 - R));
  }
  static T rotl_by(T v, unsigned r) {
    if (r == 0) return v;
    return _mm256_or_si256(_mm256_sllv_epi64(v, set1(r)), _mm256_srlv_epi64(v, set1(64 - r)));
  }
  static T chi(T a, T b, T c) { return _mm256_xor_si256(a, _mm256_andnot_si256(b, c)); }
};

}  // namespace

void shake256_blocks4_avx2(const u64 *seed_words, u64 first, std::uint8_t *out) {
  __m256i a[25];
  const __m256i counters = _mm256_add_epi64(Avx2Lanes::set1(first), _mm256_setr_epi64x(0, 1, 2, 3));
  absorb_seed<Avx2Lanes>(a, seed_words, counters);
  u64 *words = reinterpret_cast<u64 *>(out);
  alignas(32) u64 lanes[4];
  std::size_t done = 0;
  while (done < kBlockWords) {
    permute<Avx2Lanes>(a);
    const std::size_t take = kBlockWords - done < kRateWords ? kBlockWords - done : kRateWords;
    for (std::size_t k = 0; k < take; ++k) {
      _mm256_store_si256(reinterpret_cast<__m256i *>(lanes), a[k]);
      for (std::size_t i = 0; i < 4; ++i) words[i * kBlockWords + done + k] = lanes[i];
    }
    done += take;
  }
}

}  // namespace keccak
}  // namespace hlp

#pragma GCC pop_options
