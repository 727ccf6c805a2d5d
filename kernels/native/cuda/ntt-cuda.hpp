// Host-callable CUDA kernels (libhlp_cuda: ntt-cuda.cu, api-cuda.cu). Plain C++: no CUDA
// types here, so any .cpp (tests) can include it; only the .cu files need nvcc. The core
// reaches the same code through the dlopen'd C table in cuda-api.h; this header is for
// the native test binary, which also links the static library. Results are bit-identical
// to the scalar CPU variant (same tables, same lazy butterflies).
#pragma once

#include <cstddef>
#include <cstdint>

#include "../core/ntt_tables.hpp"
#include "cuda-api.h"

namespace hlp::cuda {

// True when the CUDA runtime reports at least one device (checked once per process).
bool device_available();

// Message for the last failed call on this thread ("" if none).
const char *last_error();

// Batched in-place transforms of `batch` polynomials of t.n words, all modulo t's prime
// (the one-prime case of the RNS batch in cuda-api.h). false on any CUDA error.
bool ntt_forward_batch(std::uint64_t *host_data, std::size_t batch, const hlp::NttTables &t);
bool ntt_inverse_batch(std::uint64_t *host_data, std::size_t batch, const hlp::NttTables &t);

// Benchmark helper: median seconds of one forward transform of `polys` RNS polynomials
// already resident on the device (no host copies), over `reps` runs timed with events.
// Negative on error.
double bench_ntt_resident(std::size_t polys, std::uint32_t n, const hlp_cuda_prime *primes, std::uint32_t count,
                          int reps);

}  // namespace hlp::cuda
