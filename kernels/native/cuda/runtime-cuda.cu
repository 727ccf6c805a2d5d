// libhlp_cuda's host-side state: the error of the last failed call, the device and
// pinned pools, the lock that serialises calls, and the cache of prime tables uploaded
// to the device (table sets). Declarations in cuda-internal.cuh.
#include <cstring>
#include <memory>

#include "cuda-internal.cuh"
#include "ntt-cuda.hpp"

namespace hlp::cuda::detail {

thread_local std::string t_error;

int fail(const std::string &what, cudaError_t err) {
  t_error = what + ": " + cudaGetErrorString(err);
  cudaGetLastError();
  return err == cudaErrorMemoryAllocation ? HLP_CUDA_OUT_OF_MEMORY : HLP_CUDA_ERROR;
}

int fail(const std::string &what, int code) {
  t_error = what;
  return code;
}

// Never destroyed: freeing device memory from static destructors races the runtime's
// own teardown.
BlockPool<DeviceAllocator> &device_pool() {
  static auto *pool = new BlockPool<DeviceAllocator>();
  return *pool;
}

BlockPool<PinnedAllocator> &pinned_pool() {
  static auto *pool = new BlockPool<PinnedAllocator>();
  return *pool;
}

std::recursive_mutex g_mutex;

namespace {

constexpr std::size_t kMaxTableSets = 32;
std::vector<std::unique_ptr<TableSet>> *g_sets = nullptr;

}  // namespace

int table_set(std::uint32_t n, const hlp_cuda_prime *primes, std::uint32_t count, TableSet **out) {
  int device = 0;
  cudaError_t err = cudaGetDevice(&device);
  if (err != cudaSuccess) return fail("cudaGetDevice", err);
  if (g_sets == nullptr) g_sets = new std::vector<std::unique_ptr<TableSet>>();
  for (auto &s : *g_sets) {
    if (s->device != device || s->n != n || s->qs.size() != count) continue;
    bool same = true;
    for (std::uint32_t i = 0; i < count && same; ++i) same = s->qs[i] == primes[i].q;
    if (same) {
      *out = s.get();
      return HLP_CUDA_OK;
    }
  }
  if (g_sets->size() >= kMaxTableSets) {
    device_pool().release(g_sets->front()->tab);
    device_pool().release(g_sets->front()->pc);
    g_sets->erase(g_sets->begin());
  }
  auto s = std::make_unique<TableSet>();
  s->device = device;
  s->n = n;
  std::vector<word> host(static_cast<std::size_t>(count) * 4 * n);
  for (std::uint32_t i = 0; i < count; ++i) {
    const hlp_cuda_prime &p = primes[i];
    if (p.fwd == nullptr || p.fwd_shoup == nullptr || p.inv == nullptr || p.inv_shoup == nullptr) {
      return fail("tables: null table pointer");
    }
    s->qs.push_back(p.q);
    s->host_pc.push_back(PrimeConst{p.q, p.barrett_hi, p.barrett_lo, p.inv_n, p.inv_n_shoup, p.last, p.last_shoup});
    const std::uint64_t *parts[4] = {p.fwd, p.fwd_shoup, p.inv, p.inv_shoup};
    for (int k = 0; k < 4; ++k) std::memcpy(host.data() + (static_cast<std::size_t>(i) * 4 + k) * n, parts[k], n * 8);
  }
  s->tab = static_cast<word *>(device_pool().acquire(host.size() * 8));
  s->pc = static_cast<PrimeConst *>(device_pool().acquire(count * sizeof(PrimeConst)));
  if (s->tab == nullptr || s->pc == nullptr) {
    if (s->tab) device_pool().release(s->tab);
    if (s->pc) device_pool().release(s->pc);
    return fail("device pool: tables", HLP_CUDA_OUT_OF_MEMORY);
  }
  err = cudaMemcpy(s->tab, host.data(), host.size() * 8, cudaMemcpyHostToDevice);
  if (err == cudaSuccess)
    err = cudaMemcpy(s->pc, s->host_pc.data(), count * sizeof(PrimeConst), cudaMemcpyHostToDevice);
  if (err != cudaSuccess) {
    device_pool().release(s->tab);
    device_pool().release(s->pc);
    return fail("cudaMemcpy(tables)", err);
  }
  *out = s.get();
  g_sets->push_back(std::move(s));
  return HLP_CUDA_OK;
}

int device_ready() {
  if (!device_available()) return fail(std::string("no CUDA device: ") + t_error, HLP_CUDA_NO_DEVICE);
  return HLP_CUDA_OK;
}

}  // namespace hlp::cuda::detail
