// BLAKE2Xb output nodes, eight at once in the lanes of AVX-512 words. The nodes of one stream
// block hash the same message (the 64-byte root, zero-padded) under parameter blocks that differ
// only in the node offset, so the message words are broadcasts, half of them zero, and the lanes
// differ in one word of the initial state; BLAKE2b's rotations are single vprorq instructions.
#include <immintrin.h>

#include "blake2b.hpp"

#pragma GCC push_options
#pragma GCC target("avx512f")
// GCC 12 flags the deliberately undefined pass-through operand inside the AVX-512
// intrinsics (GCC bug 105593); nothing here reads an uninitialised value.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

namespace hlp {
namespace blake2 {
namespace {

using V = __m512i;

inline V add(V a, V b) { return _mm512_add_epi64(a, b); }
inline V bcast(u64 x) { return _mm512_set1_epi64(static_cast<long long>(x)); }

template <int A, int B, int C, int D>
inline void g(V v[16], V x, V y) {
  v[A] = add(add(v[A], v[B]), x);
  v[D] = _mm512_ror_epi64(_mm512_xor_si512(v[D], v[A]), 32);
  v[C] = add(v[C], v[D]);
  v[B] = _mm512_ror_epi64(_mm512_xor_si512(v[B], v[C]), 24);
  v[A] = add(add(v[A], v[B]), y);
  v[D] = _mm512_ror_epi64(_mm512_xor_si512(v[D], v[A]), 16);
  v[C] = add(v[C], v[D]);
  v[B] = _mm512_ror_epi64(_mm512_xor_si512(v[B], v[C]), 63);
}

}  // namespace

void output_nodes8_avx512(const u64 root[8], std::uint32_t first, std::uint32_t xof_length, std::uint8_t *out) {
  u64 h0[8];
  init(h0, node_params(0, xof_length));
  V m[16];
  for (int i = 0; i < 8; ++i) m[i] = bcast(root[i]);
  for (int i = 8; i < 16; ++i) m[i] = _mm512_setzero_si512();
  V h[8];
  for (int i = 0; i < 8; ++i) h[i] = bcast(h0[i]);
  // Node offset first + lane in the low half of word 1.
  h[1] = _mm512_xor_si512(h[1], add(bcast(first), _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0)));
  V v[16];
  for (int i = 0; i < 8; ++i) {
    v[i] = h[i];
    v[i + 8] = bcast(kIv[i]);
  }
  v[12] = _mm512_xor_si512(v[12], bcast(64));       // bytes hashed: the 64-byte root
  v[14] = _mm512_xor_si512(v[14], bcast(~u64{0}));  // the last block
  for (const auto &s : kSigma) {
    g<0, 4, 8, 12>(v, m[s[0]], m[s[1]]);
    g<1, 5, 9, 13>(v, m[s[2]], m[s[3]]);
    g<2, 6, 10, 14>(v, m[s[4]], m[s[5]]);
    g<3, 7, 11, 15>(v, m[s[6]], m[s[7]]);
    g<0, 5, 10, 15>(v, m[s[8]], m[s[9]]);
    g<1, 6, 11, 12>(v, m[s[10]], m[s[11]]);
    g<2, 7, 8, 13>(v, m[s[12]], m[s[13]]);
    g<3, 4, 9, 14>(v, m[s[14]], m[s[15]]);
  }
  // Word w of every lane in v: lane j's node is words 0..7 at out + 64 j, so each word is
  // scattered with a stride of eight words.
  const V stride = _mm512_set_epi64(56, 48, 40, 32, 24, 16, 8, 0);
  for (int w = 0; w < 8; ++w) {
    const V word = _mm512_ternarylogic_epi64(h[w], v[w], v[w + 8], 0x96);
    _mm512_i64scatter_epi64(reinterpret_cast<long long *>(out) + w, stride, word, 8);
  }
}

}  // namespace blake2
}  // namespace hlp

#pragma GCC diagnostic pop
#pragma GCC pop_options
