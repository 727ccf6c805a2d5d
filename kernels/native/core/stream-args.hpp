// The argument checks every seed-stream entry point of hlp/xof.h makes (SHAKE256, BLAKE2Xb),
// in one place so that both keep one contract.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hlp/xof.h"
#include "variants.hpp"

namespace hlp {

// Checks a stream call and gives the CPU variant it runs as and the stream blocks it fills
// (the last one possibly cut). The counter is 64 bits: a stream past 2^64 blocks does not exist.
inline hlp_status check_stream_args(hlp_variant variant, const uint8_t *seed, std::size_t seed_bytes,
                                    uint64_t first_block, const uint8_t *out, std::size_t out_bytes,
                                    hlp_variant *runs_as, std::size_t *blocks) {
  if (seed == nullptr || (out == nullptr && out_bytes > 0)) return HLP_E_INVALID_ARGUMENT;
  if (seed_bytes != HLP_SHAKE_SEED_BYTES) return HLP_E_LENGTH_MISMATCH;
  if (variant < HLP_VARIANT_AUTO || variant > HLP_VARIANT_CUDA) return HLP_E_INVALID_ARGUMENT;
  const hlp_variant v = cpu_variant_for(variant);
  if (!hlp_variant_available(v)) return HLP_E_VARIANT_UNAVAILABLE;
  const std::size_t total = (out_bytes + HLP_SHAKE_BLOCK_BYTES - 1) / HLP_SHAKE_BLOCK_BYTES;
  if (total > 0 && first_block + (total - 1) < first_block) return HLP_E_INVALID_ARGUMENT;
  *runs_as = v;
  *blocks = total;
  return HLP_OK;
}

}  // namespace hlp
