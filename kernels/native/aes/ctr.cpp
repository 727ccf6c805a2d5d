// hlp_aes256ctr_stream: the key schedule once, then the widest keystream this CPU has; a cut
// last block is made whole in scratch.
#include <cstring>

#include "../core/variants.hpp"
#include "aes.hpp"
#include "hlp/xof.h"

namespace {

using hlp::aes::kBlockBytes;

void keystream(hlp_variant v, const hlp::aes::RoundKeys &keys, hlp::aes::Counter c, std::size_t blocks,
               std::uint8_t *out) {
  const hlp::CpuFeatures &f = hlp::cpu_features();
  if (v == HLP_VARIANT_AVX512 && f.vaes && f.avx512bw) return hlp::aes::ctr_vaes512(keys, c, blocks, out);
  if (v != HLP_VARIANT_SCALAR && f.aes) return hlp::aes::ctr_aesni(keys, c, blocks, out);
  hlp::aes::ctr_scalar(keys, c, blocks, out);
}

}  // namespace

extern "C" hlp_status hlp_aes256ctr_stream(hlp_variant variant, const uint8_t *seed, size_t seed_bytes, uint8_t *out,
                                           size_t out_bytes) {
  if (seed == nullptr || (out == nullptr && out_bytes > 0)) return HLP_E_INVALID_ARGUMENT;
  if (seed_bytes != HLP_SHAKE_SEED_BYTES) return HLP_E_LENGTH_MISMATCH;
  if (variant < HLP_VARIANT_AUTO || variant > HLP_VARIANT_CUDA) return HLP_E_INVALID_ARGUMENT;
  const hlp_variant v = hlp::cpu_variant_for(variant);
  if (!hlp_variant_available(v)) return HLP_E_VARIANT_UNAVAILABLE;
  hlp::aes::RoundKeys keys;
  hlp::aes::expand_key(seed, &keys);
  const hlp::aes::Counter start = hlp::aes::load_counter(seed + HLP_AES_KEY_BYTES);
  const std::size_t whole = out_bytes / kBlockBytes;
  keystream(v, keys, start, whole, out);
  const std::size_t rest = out_bytes - whole * kBlockBytes;
  if (rest > 0) {
    hlp::aes::Counter last = start;
    hlp::aes::add(&last, whole);
    std::uint8_t block[kBlockBytes];
    hlp::aes::ctr_scalar(keys, last, 1, block);
    std::memcpy(out + whole * kBlockBytes, block, rest);
  }
  return HLP_OK;
}
