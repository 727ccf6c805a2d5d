// libhlp_cuda: the CUDA variant. Built by CMake whenever nvcc is found, as a shared
// library (libhlp_cuda.so, dlopen'd by the core through cuda-api.h) and as a static one
// (linked by the native test binary).
//
// Contents, one family per file (shared declarations in cuda-internal.cuh)
//  - ntt-cuda.cu: RNS-batched negacyclic NTT, bit-identical to ntt/ntt-scalar.cpp.
//  - eltwise-cuda.cu: element-wise add/sub/mul mod q over the same layout.
//  - encrypt-cuda.cu: the CKKS public-key encryption core, the same integer steps as
//    ckks/encrypt.cpp.
//  - runtime-cuda.cu: a best-fit device memory pool (device-pool.hpp) for every device
//    buffer, a pinned host pool for staging, the cache of device prime tables.
//  - pipeline-cuda.cu: splits a batch into chunks over three streams so host-to-device
//    copies, kernels and device-to-host copies overlap.
//  - this file: the C table the core loads (hlp_cuda_api_v1), the ABI version the core
//    checks first, and the entry points that belong to no kernel family (devices,
//    errors, pool, pinned memory).
#include <cuda_runtime.h>

#include "cuda-internal.cuh"
#include "hlp/kernels.h"
#include "ntt-cuda.hpp"

#define HLP_CUDA_EXPORT __attribute__((visibility("default")))

namespace hlp::cuda::detail {
namespace {

int api_device_count() {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    fail("cudaGetDeviceCount", err);
    return 0;
  }
  if (count == 0) t_error = "0 devices";
  return count;
}

const char *api_last_error() { return t_error.c_str(); }

int api_pool_stats(hlp_cuda_pool_counters *out) {
  if (out == nullptr) return HLP_CUDA_INVALID;
  const PoolStats s = device_pool().stats();
  *out = hlp_cuda_pool_counters{
      s.allocations,        s.frees, s.hits, s.misses, s.bytes_in_use, s.bytes_reserved, s.peak_bytes_in_use,
      s.peak_bytes_reserved};
  return HLP_CUDA_OK;
}

int api_pool_trim() {
  device_pool().trim();
  pinned_pool().trim();
  device_pool().reset_peaks();
  return HLP_CUDA_OK;
}

void *api_host_alloc(std::size_t bytes) {
  void *p = nullptr;
  if (bytes == 0 || cudaHostAlloc(&p, bytes, cudaHostAllocDefault) != cudaSuccess) {
    cudaGetLastError();
    return nullptr;
  }
  return p;
}

void api_host_free(void *p) {
  if (p != nullptr) cudaFreeHost(p);
}

const hlp_cuda_api kApi = {
    HLP_CUDA_API_VERSION, sizeof(hlp_cuda_api), api_device_count, api_last_error,        api_ntt,
    api_eltwise,          api_encryptor_create, api_encrypt,      api_encryptor_destroy, api_pool_stats,
    api_pool_trim,        api_host_alloc,       api_host_free};

}  // namespace
}  // namespace hlp::cuda::detail

namespace hlp::cuda {

bool device_available() {
  static const bool available = [] {
    const int count = detail::api_device_count();
    return count > 0;
  }();
  return available;
}

const char *last_error() { return detail::t_error.c_str(); }

}  // namespace hlp::cuda

extern "C" HLP_CUDA_EXPORT const hlp_cuda_api *hlp_cuda_api_v1(void) { return &hlp::cuda::detail::kApi; }

extern "C" HLP_CUDA_EXPORT uint32_t hlp_cuda_abi_version(void) { return HLP_KERNELS_ABI_VERSION; }
