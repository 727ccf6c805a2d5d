// Host-callable CUDA NTT. Plain C++: no CUDA types here, so any .cpp (dispatch, tests)
// can include it; only ntt-cuda.cu needs nvcc. Results are bit-identical to
// ntt_forward_scalar / ntt_inverse_scalar (same tables, same lazy butterflies).
#pragma once

#include <cstddef>
#include <cstdint>

#include "../core/ntt_tables.hpp"

namespace hlp::cuda {

// True when the CUDA runtime reports at least one device (checked once per process).
bool device_available();

// Message for the last failed call on this thread ("" if none). Valid until the next
// call into this API on the same thread.
const char *last_error();

// Batched in-place transforms of `batch` polynomials of t.n words each, laid end to end
// in host memory, all modulo t's prime. Input words must be < q; outputs are < q.
// Forward: natural order in, bit-reversed out. Inverse: the reverse, scaled by n^-1.
// Tables are uploaded once per (device, n, q) and cached; data goes through a cached
// device buffer in chunks. Calls are serialised by a process-wide mutex. Returns false
// on any CUDA error or bad argument (message via last_error()); the data is then
// unspecified. batch == 0 is a no-op returning true.
bool ntt_forward_batch(std::uint64_t *host_data, std::size_t batch, const hlp::NttTables &t);
bool ntt_inverse_batch(std::uint64_t *host_data, std::size_t batch, const hlp::NttTables &t);

}  // namespace hlp::cuda
