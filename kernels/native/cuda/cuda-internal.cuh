// What the parts of libhlp_cuda share on the host side. CUDA only: included by the .cu
// files, never by the core. Each part is defined in one file:
//  - runtime-cuda.cu: errors, the device and pinned pools, the library lock, table sets
//  - pipeline-cuda.cu: the streams and the chunked pipeline
//  - ntt-cuda.cu, eltwise-cuda.cu, encrypt-cuda.cu: kernels, launchers, their entry points
//  - api-cuda.cu: the C table (hlp_cuda_api_v1) that gathers the entry points
// Everything here has hidden visibility (CMake), so only the C table leaves the library.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "cuda-api.h"
#include "device-arith.cuh"
#include "device-pool.hpp"

namespace hlp::cuda::detail {

constexpr unsigned kThreads = 256;
constexpr unsigned kMaxBlocks = 1u << 16;
constexpr int kStreams = 3;
constexpr std::size_t kChunkWordBudget = std::size_t{1} << 24;  // per stream, per buffer

// ---- errors, pools, lock (runtime-cuda.cu) ------------------------------------------

extern thread_local std::string t_error;

int fail(const std::string &what, cudaError_t err);
int fail(const std::string &what, int code = HLP_CUDA_INVALID);

struct DeviceAllocator {
  bool allocate(void **out, std::size_t bytes) { return cudaMalloc(out, bytes) == cudaSuccess; }
  void release(void *p, std::size_t) { cudaFree(p); }
};

struct PinnedAllocator {
  bool allocate(void **out, std::size_t bytes) {
    return cudaHostAlloc(out, bytes, cudaHostAllocDefault) == cudaSuccess;
  }
  void release(void *p, std::size_t) { cudaFreeHost(p); }
};

BlockPool<DeviceAllocator> &device_pool();
BlockPool<PinnedAllocator> &pinned_pool();

// A device buffer from the pool, released on scope exit.
struct DeviceBuffer {
  void *p = nullptr;
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer &) = delete;
  DeviceBuffer &operator=(const DeviceBuffer &) = delete;
  ~DeviceBuffer() {
    if (p != nullptr) device_pool().release(p);
  }
  bool get(std::size_t bytes) {
    p = device_pool().acquire(bytes);
    return p != nullptr;
  }
  word *words() const { return static_cast<word *>(p); }
};

extern std::recursive_mutex g_mutex;  // one call into the library at a time

// ---- table sets ---------------------------------------------------------------------

struct TableSet {
  int device = 0;
  std::uint32_t n = 0;
  std::vector<word> qs;
  word *tab = nullptr;       // [count][4][n]
  PrimeConst *pc = nullptr;  // [count]
  std::vector<PrimeConst> host_pc;
};

inline unsigned log2u(std::uint32_t n) {
  unsigned l = 0;
  while ((1u << l) < n) ++l;
  return l;
}

int table_set(std::uint32_t n, const hlp_cuda_prime *primes, std::uint32_t count, TableSet **out);

inline unsigned grid_for(word items) {
  const word blocks = (items + kThreads - 1) / kThreads;
  return blocks > kMaxBlocks ? kMaxBlocks : static_cast<unsigned>(blocks == 0 ? 1 : blocks);
}

inline bool valid_n(std::uint32_t n) { return n >= 2 && (n & (n - 1)) == 0 && n <= (1u << 17); }

// Shape of a batch entry point's primes: a valid degree and 1..HLP_CUDA_MAX_PRIMES primes.
inline bool valid_shape(std::uint32_t n, const hlp_cuda_prime *primes, std::uint32_t count) {
  return valid_n(n) && primes != nullptr && count != 0 && count <= HLP_CUDA_MAX_PRIMES;
}

int device_ready();

// What every batch entry point over one table set does before its work: a device is
// ready, the library lock is held (for `body` too) and the set for (n, primes) is on the
// device. Returns the first failure, else body(set).
template <class Body>
int with_table_set(std::uint32_t n, const hlp_cuda_prime *primes, std::uint32_t count, Body &&body) {
  int rc = device_ready();
  if (rc != HLP_CUDA_OK) return rc;
  std::lock_guard<std::recursive_mutex> lock(g_mutex);
  TableSet *set = nullptr;
  rc = table_set(n, primes, count, &set);
  if (rc != HLP_CUDA_OK) return rc;
  return body(*set);
}

// ---- the chunked pipeline (pipeline-cuda.cu) ----------------------------------------

struct HostIn {
  const void *host;  // may be null: no copy (the kernel ignores the buffer)
  std::size_t item_bytes;
};
struct HostOut {
  void *host;
  std::size_t item_bytes;
  int alias_in;  // >= 0: the device buffer is that input's (in-place work)
};
// Launch kernels for `count` items on `stream`; buffers hold the chunk's items from 0.
using Launcher =
    std::function<void(cudaStream_t, std::size_t count, word *const *in, word *const *out, word *const *scratch)>;

// Splits `items` into chunks of at most `chunk` items, round-robin over kStreams streams;
// each stream has its own device buffers (from the pool) and, for pageable host memory,
// its own pinned staging. While the device works on chunk c, the host stages chunk c + 1
// and copies out chunk c - kStreams + 1, whose completion event it waited for.
int pipeline(std::size_t items, std::size_t chunk, const std::vector<HostIn> &ins, const std::vector<HostOut> &outs,
             const std::vector<std::size_t> &scratch_item_bytes, const Launcher &launch);

std::size_t chunk_items(std::size_t items, std::size_t words_per_item);

// ---- NTT (ntt-cuda.cu) --------------------------------------------------------------

// Transforms `polys` polynomials of `count` blocks on the device, primes first..first+count-1
// of the set.
void launch_ntt(cudaStream_t stream, word *data, std::size_t polys, const TableSet &set, std::uint32_t first,
                std::uint32_t count, bool forward);

// ---- entry points of the C table (cuda-api.h); api-cuda.cu holds the rest -----------

int api_ntt(int forward, std::uint64_t *data, std::size_t polys, std::uint32_t n, const hlp_cuda_prime *primes,
            std::uint32_t count);
int api_eltwise(int op, std::uint64_t *r, const std::uint64_t *a, const std::uint64_t *b, std::size_t polys,
                std::uint32_t n, const hlp_cuda_prime *primes, std::uint32_t count);
int api_encryptor_create(const hlp_cuda_encrypt_setup *s, void **out);
int api_encrypt(void *handle, const std::uint64_t *plains, std::uint32_t count, const std::uint8_t *randomness,
                std::uint64_t *out);
void api_encryptor_destroy(void *handle);

}  // namespace hlp::cuda::detail
