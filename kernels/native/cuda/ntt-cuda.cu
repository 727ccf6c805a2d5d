// libhlp_cuda: the CUDA variant. Built by CMake whenever nvcc is found, as a shared
// library (libhlp_cuda.so, dlopen'd by the core through cuda-api.h) and as a static one
// (linked by the native test binary).
//
// Contents
//  - RNS-batched negacyclic NTT, bit-identical to ntt/ntt-scalar.cpp: the same tables
//    and the same Harvey butterflies with lazy reduction ([0, 4q) forward, [0, 2q)
//    inverse). Data is [poly][prime][n]; block j of the batch uses prime j % count, whose
//    tables sit in a device table set [prime][fwd | fwd_shoup | inv | inv_shoup][n].
//    Stages with gap < tile (tile = min(n, 2048) words) run in one launch with the tile in
//    shared memory; each wider stage is one launch over all butterflies of the batch.
//  - Element-wise add/sub/mul mod q over the same layout (Barrett via __umul64hi).
//  - The CKKS public-key encryption core, the same integer steps as ckks/encrypt.cpp.
//  - A best-fit device memory pool (device-pool.hpp) for every device buffer, a pinned
//    host pool for staging, and a pipeline that splits a batch into chunks over three
//    streams so host-to-device copies, kernels and device-to-host copies overlap.
// No 128-bit types in device code: high words come from __umul64hi.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cuda-api.h"
#include "cuda-prime.hpp"
#include "device-pool.hpp"
#include "ntt-cuda.hpp"

#define HLP_CUDA_EXPORT __attribute__((visibility("default")))

namespace hlp::cuda {
namespace {

using word = unsigned long long;
static_assert(sizeof(word) == sizeof(std::uint64_t), "64-bit words");

constexpr unsigned kMaxLogTile = 11;  // 2048 words = 16 KiB of shared memory per block
constexpr unsigned kTileThreads = 256;
constexpr unsigned kThreads = 256;
constexpr unsigned kMaxBlocks = 1u << 16;
constexpr int kStreams = 3;
constexpr std::size_t kChunkWordBudget = std::size_t{1} << 24;  // per stream, per buffer

// ---- device arithmetic --------------------------------------------------------------

struct PrimeConst {
  word q, bh, bl, inv_n, inv_n_shoup, last, last_shoup;
};

__device__ __forceinline__ word shoup_lazy(word a, word w, word w_shoup, word q) {
  return a * w - __umul64hi(a, w_shoup) * q;
}

__device__ __forceinline__ word shoup_full(word a, word w, word w_shoup, word q) {
  const word r = shoup_lazy(a, w, w_shoup, q);
  return r >= q ? r - q : r;
}

// a * b mod q with floor(2^128 / q) = (bh, bl): barrett_reduce_128 of modarith.hpp with
// every 128-bit product split into a low word and __umul64hi.
__device__ __forceinline__ word barrett_mul(word a, word b, word q, word bh, word bl) {
  const word x_lo = a * b;
  const word x_hi = __umul64hi(a, b);
  const word lolo_hi = __umul64hi(x_lo, bl);
  const word lohi_lo = x_lo * bh;
  const word lohi_hi = __umul64hi(x_lo, bh);
  const word hilo_lo = x_hi * bl;
  const word hilo_hi = __umul64hi(x_hi, bl);
  word s = lolo_hi + lohi_lo;
  word carry = s < lohi_lo ? 1 : 0;
  s += hilo_lo;
  carry += s < hilo_lo ? 1 : 0;
  const word quotient = x_hi * bh + lohi_hi + hilo_hi + carry;
  word r = x_lo - quotient * q;
  r -= (r >= q) ? q : 0;
  return r;
}

__device__ __forceinline__ word add_mod(word a, word b, word q) {
  const word s = a + b;
  return s >= q ? s - q : s;
}

__device__ __forceinline__ word sub_mod(word a, word b, word q) { return a >= b ? a - b : a + q - b; }

__device__ __forceinline__ void forward_butterfly(word *x, word *y, word w, word w_shoup, word q) {
  const word two_q = 2 * q;
  word xj = *x;
  xj -= (xj >= two_q) ? two_q : 0;
  const word ty = shoup_lazy(*y, w, w_shoup, q);
  *x = xj + ty;
  *y = xj - ty + two_q;
}

__device__ __forceinline__ void inverse_butterfly(word *x, word *y, word w, word w_shoup, word q) {
  const word two_q = 2 * q;
  const word xj = *x;
  const word yj = *y;
  word sum = xj + yj;
  sum -= (sum >= two_q) ? two_q : 0;
  *x = sum;
  *y = shoup_lazy(xj - yj + two_q, w, w_shoup, q);
}

__device__ __forceinline__ void inverse_last_butterfly(word *x, word *y, const PrimeConst &c) {
  const word q = c.q;
  const word two_q = 2 * q;
  const word xj = *x;
  const word yj = *y;
  word sum = xj + yj;
  sum -= (sum >= two_q) ? two_q : 0;
  *x = shoup_full(sum, c.inv_n, c.inv_n_shoup, q);
  *y = shoup_full(xj - yj + two_q, c.last, c.last_shoup, q);
}

// ---- NTT kernels --------------------------------------------------------------------
// tab: table set from the first prime used, [count][4][n]; pc: constants from that prime.

template <bool Forward>
__global__ void stage_kernel(word *data, const word *__restrict__ tab, const PrimeConst *__restrict__ pc,
                             unsigned count, unsigned log_n, unsigned log_gap, word half_words) {
  const unsigned log_m = log_n - 1 - log_gap;
  const word gap = word{1} << log_gap;
  const word n = word{1} << log_n;
  const word stride = static_cast<word>(gridDim.x) * blockDim.x;
  for (word k = static_cast<word>(blockIdx.x) * blockDim.x + threadIdx.x; k < half_words; k += stride) {
    const unsigned prime = static_cast<unsigned>((k >> (log_n - 1)) % count);
    const word *w = tab + (static_cast<word>(prime) * 4 + (Forward ? 0 : 2)) * n;
    const word *ws = w + n;
    const word q = pc[prime].q;
    const word group = k >> log_gap;
    const word x = (group << (log_gap + 1)) + (k & (gap - 1));
    const word root = (word{1} << log_m) + (group & ((word{1} << log_m) - 1));
    if (Forward) {
      forward_butterfly(data + x, data + x + gap, w[root], ws[root], q);
    } else {
      inverse_butterfly(data + x, data + x + gap, w[root], ws[root], q);
    }
  }
}

__global__ void inverse_last_kernel(word *data, const PrimeConst *__restrict__ pc, unsigned count, unsigned log_n,
                                    word half_words) {
  const unsigned log_gap = log_n - 1;
  const word gap = word{1} << log_gap;
  const word stride = static_cast<word>(gridDim.x) * blockDim.x;
  for (word k = static_cast<word>(blockIdx.x) * blockDim.x + threadIdx.x; k < half_words; k += stride) {
    const unsigned prime = static_cast<unsigned>((k >> log_gap) % count);
    const PrimeConst c = pc[prime];
    const word x = ((k >> log_gap) << log_n) + (k & (gap - 1));
    inverse_last_butterfly(data + x, data + x + gap, c);
  }
}

// One tile of 2^log_tile words (log_tile = min(log_n, 11)) per block, so a tile lies in
// one residue block. Forward: gaps tile/2 .. 1, then reduce to [0, q). Inverse: gaps
// 1 .. tile/2 (plus the fused last stage when the tile is the whole block).
template <bool Forward>
__global__ void tile_kernel(word *data, const word *__restrict__ tab, const PrimeConst *__restrict__ pc,
                            unsigned count, unsigned log_n, unsigned log_tile) {
  extern __shared__ word tile[];
  const word n = word{1} << log_n;
  const word start = static_cast<word>(blockIdx.x) << log_tile;
  const unsigned prime = static_cast<unsigned>((start >> log_n) % count);
  const word *w = tab + (static_cast<word>(prime) * 4 + (Forward ? 0 : 2)) * n;
  const word *ws = w + n;
  const PrimeConst c = pc[prime];
  const word q = c.q;
  const unsigned valid = 1u << log_tile;
  const unsigned half = valid / 2;
  const word n_mask = n - 1;
  for (unsigned e = threadIdx.x; e < valid; e += blockDim.x) tile[e] = data[start + e];
  __syncthreads();
  if (Forward) {
    for (int lg = static_cast<int>(log_tile) - 1; lg >= 0; --lg) {
      const unsigned gap = 1u << lg;
      const unsigned log_m = log_n - 1 - lg;
      for (unsigned b = threadIdx.x; b < half; b += blockDim.x) {
        const unsigned x = ((b >> lg) << (lg + 1)) + (b & (gap - 1));
        const word pos = (start + x) & n_mask;
        const word root = (word{1} << log_m) + (pos >> (lg + 1));
        forward_butterfly(tile + x, tile + x + gap, w[root], ws[root], q);
      }
      __syncthreads();
    }
    const word two_q = 2 * q;
    for (unsigned e = threadIdx.x; e < valid; e += blockDim.x) {
      word v = tile[e];
      v -= (v >= two_q) ? two_q : 0;
      v -= (v >= q) ? q : 0;
      data[start + e] = v;
    }
  } else {
    const bool fuse_last = log_n <= log_tile;
    const unsigned top = fuse_last ? log_n - 1 : log_tile;
    for (unsigned lg = 0; lg < top; ++lg) {
      const unsigned gap = 1u << lg;
      const unsigned log_m = log_n - 1 - lg;
      for (unsigned b = threadIdx.x; b < half; b += blockDim.x) {
        const unsigned x = ((b >> lg) << (lg + 1)) + (b & (gap - 1));
        const word pos = (start + x) & n_mask;
        const word root = (word{1} << log_m) + (pos >> (lg + 1));
        inverse_butterfly(tile + x, tile + x + gap, w[root], ws[root], q);
      }
      __syncthreads();
    }
    if (fuse_last) {
      const unsigned lg = log_n - 1;
      const unsigned gap = 1u << lg;
      for (unsigned b = threadIdx.x; b < half; b += blockDim.x) {
        const unsigned x = ((b >> lg) << log_n) + (b & (gap - 1));
        inverse_last_butterfly(tile + x, tile + x + gap, c);
      }
      __syncthreads();
    }
    for (unsigned e = threadIdx.x; e < valid; e += blockDim.x) data[start + e] = tile[e];
  }
}

// ---- element-wise kernels -----------------------------------------------------------

template <int Op>
__global__ void eltwise_kernel(word *r, const word *a, const word *b, const PrimeConst *__restrict__ pc,
                               unsigned count, unsigned log_n, word words) {
  const word stride = static_cast<word>(gridDim.x) * blockDim.x;
  for (word i = static_cast<word>(blockIdx.x) * blockDim.x + threadIdx.x; i < words; i += stride) {
    const PrimeConst &c = pc[(i >> log_n) % count];
    const word x = a[i], y = b[i];
    word v;
    if (Op == 0) v = add_mod(x, y, c.q);
    else if (Op == 1) v = sub_mod(x, y, c.q);
    else v = barrett_mul(x, y, c.q, c.bh, c.bl);
    r[i] = v;
  }
}

// ---- CKKS encryption kernels (ckks/encrypt.cpp, kernels-scalar.cpp) -----------------

struct EncConst {
  word plus[HLP_CUDA_MAX_PRIMES];   // ternary +1 per prime 0..L (q_L^-1 folded in for i < L)
  word minus[HLP_CUDA_MAX_PRIMES];  // ternary -1 per prime
  word inv[HLP_CUDA_MAX_PRIMES];
  word inv_shoup[HLP_CUDA_MAX_PRIMES];
  word neg_offset[HLP_CUDA_MAX_PRIMES];
  word cdt[HLP_CUDA_NOISE_ENTRIES];
  word half;
  word noise_offset;
};

constexpr word kTernaryT1 = 6148914691236517206ULL;
constexpr word kTernaryT2 = 12297829382473034411ULL;

__device__ __forceinline__ long long noise_of(word w, const EncConst &ec) {
  const word r = w & 0x7FFFFFFFFFFFFFFFULL;
  const word sign = w >> 63;
  word mag = 0;
#pragma unroll
  for (unsigned k = 0; k < HLP_CUDA_NOISE_ENTRIES; ++k) mag += (r >= ec.cdt[k]) ? 1 : 0;
  const word neg = 0 - sign;
  return static_cast<long long>((mag ^ neg) + sign);
}

// u[ct][b][i] for b = 0..L: the ternary from word i of the ciphertext's bytes.
__global__ void ternary_kernel(const word *rand, word *u, const EncConst *__restrict__ ec, unsigned primes,
                               unsigned log_n, word total) {
  const word n = word{1} << log_n;
  const word stride = static_cast<word>(gridDim.x) * blockDim.x;
  for (word g = static_cast<word>(blockIdx.x) * blockDim.x + threadIdx.x; g < total; g += stride) {
    const word ct = g >> log_n, i = g & (n - 1);
    const word w = rand[ct * 3 * n + i];
    const unsigned t = (w >= kTernaryT1 ? 1u : 0u) + (w >= kTernaryT2 ? 1u : 0u);
    const word is_neg = 0 - static_cast<word>(t == 0);
    const word is_pos = 0 - static_cast<word>(t == 2);
    word *dst = u + ct * primes * n + i;
    for (unsigned b = 0; b < primes; ++b) dst[b * n] = (ec->minus[b] & is_neg) | (ec->plus[b] & is_pos);
  }
}

// y[ct][j][i] = pk_j[L][i] * u[ct][L][i] mod q_L.
__global__ void mul_last_kernel(const word *pk, const word *u, word *y, PrimeConst c, unsigned level,
                                unsigned key_primes, unsigned log_n, word total) {
  const word n = word{1} << log_n;
  const word stride = static_cast<word>(gridDim.x) * blockDim.x;
  for (word g = static_cast<word>(blockIdx.x) * blockDim.x + threadIdx.x; g < total; g += stride) {
    const word ct = g >> log_n, i = g & (n - 1);
    const word uv = u[(ct * (level + 1) + level) * n + i];
    for (unsigned j = 0; j < 2; ++j) {
      const word p = pk[(static_cast<word>(j) * key_primes + level) * n + i];
      y[(ct * 2 + j) * n + i] = barrett_mul(p, uv, c.q, c.bh, c.bl);
    }
  }
}

// Last block: y <- ((y + half + e) mod q_L) - e + offset (last_block_scalar).
__global__ void last_block_kernel(word *y, const word *rand, const EncConst *__restrict__ ec, word q,
                                  unsigned log_n, word total) {
  const word n = word{1} << log_n;
  const long long h = static_cast<long long>(ec->half);
  const long long qs = static_cast<long long>(q);
  const word stride = static_cast<word>(gridDim.x) * blockDim.x;
  for (word g = static_cast<word>(blockIdx.x) * blockDim.x + threadIdx.x; g < total; g += stride) {
    const word cj = g >> log_n, i = g & (n - 1);
    const word ct = cj >> 1, j = cj & 1;
    const long long e = noise_of(rand[ct * 3 * n + (1 + j) * n + i], *ec);
    long long x = static_cast<long long>(y[g]) + h + e;
    x += qs & (x >> 63);
    x -= qs & (0 - static_cast<long long>(x >= qs));
    y[g] = static_cast<word>(x - e) + ec->noise_offset;
  }
}

// out[ct][j][b][i] = (y[ct][j][i] * q_L^-1 + neg_offset) mod q_b (correction_scalar).
__global__ void correction_kernel(const word *y, word *out, const EncConst *__restrict__ ec,
                                  const PrimeConst *__restrict__ pc, unsigned level, unsigned log_n, word total) {
  const word n = word{1} << log_n;
  const word stride = static_cast<word>(gridDim.x) * blockDim.x;
  for (word g = static_cast<word>(blockIdx.x) * blockDim.x + threadIdx.x; g < total; g += stride) {
    const word blk = g >> log_n, i = g & (n - 1);  // blk = (ct * 2 + j) * level + b
    const unsigned b = static_cast<unsigned>(blk % level);
    const word cj = blk / level;
    const word q = pc[b].q;
    word x = shoup_lazy(y[cj * n + i], ec->inv[b], ec->inv_shoup[b], q) + ec->neg_offset[b];
    x -= q & (0 - static_cast<word>(x >= 2 * q));
    x -= q & (0 - static_cast<word>(x >= q));
    out[g] = x;
  }
}

// out = pk_j[b] * u[b] - NTT(corr) (+ plain for j = 0).
__global__ void finish_kernel(word *out, const word *pk, const word *u, const word *plains,
                              const PrimeConst *__restrict__ pc, unsigned level, unsigned key_primes, unsigned log_n,
                              word total) {
  const word n = word{1} << log_n;
  const word stride = static_cast<word>(gridDim.x) * blockDim.x;
  for (word g = static_cast<word>(blockIdx.x) * blockDim.x + threadIdx.x; g < total; g += stride) {
    const word blk = g >> log_n, i = g & (n - 1);
    const unsigned b = static_cast<unsigned>(blk % level);
    const word cj = blk / level;
    const word ct = cj >> 1, j = cj & 1;
    const PrimeConst &c = pc[b];
    const word p = pk[(j * key_primes + b) * n + i];
    const word uv = u[(ct * (level + 1) + b) * n + i];
    word v = sub_mod(barrett_mul(p, uv, c.q, c.bh, c.bl), out[g], c.q);
    if (j == 0 && plains != nullptr) v = add_mod(v, plains[(ct * level + b) * n + i], c.q);
    out[g] = v;
  }
}

// ---- host side: errors, pools -------------------------------------------------------

thread_local std::string t_error;

int fail(const std::string &what, cudaError_t err) {
  t_error = what + ": " + cudaGetErrorString(err);
  cudaGetLastError();
  return err == cudaErrorMemoryAllocation ? HLP_CUDA_OUT_OF_MEMORY : HLP_CUDA_ERROR;
}

int fail(const std::string &what, int code = HLP_CUDA_INVALID) {
  t_error = what;
  return code;
}

struct DeviceAllocator {
  bool allocate(void **out, std::size_t bytes) { return cudaMalloc(out, bytes) == cudaSuccess; }
  void release(void *p, std::size_t) { cudaFree(p); }
};

struct PinnedAllocator {
  bool allocate(void **out, std::size_t bytes) { return cudaHostAlloc(out, bytes, cudaHostAllocDefault) == cudaSuccess; }
  void release(void *p, std::size_t) { cudaFreeHost(p); }
};

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

std::recursive_mutex g_mutex;  // one call into the library at a time

// ---- table sets ---------------------------------------------------------------------

struct TableSet {
  int device = 0;
  std::uint32_t n = 0;
  std::vector<word> qs;
  word *tab = nullptr;     // [count][4][n]
  PrimeConst *pc = nullptr;  // [count]
  std::vector<PrimeConst> host_pc;
};

constexpr std::size_t kMaxTableSets = 32;
std::vector<std::unique_ptr<TableSet>> *g_sets = nullptr;

unsigned log2u(std::uint32_t n) {
  unsigned l = 0;
  while ((1u << l) < n) ++l;
  return l;
}

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
  if (err == cudaSuccess) err = cudaMemcpy(s->pc, s->host_pc.data(), count * sizeof(PrimeConst), cudaMemcpyHostToDevice);
  if (err != cudaSuccess) {
    device_pool().release(s->tab);
    device_pool().release(s->pc);
    return fail("cudaMemcpy(tables)", err);
  }
  *out = s.get();
  g_sets->push_back(std::move(s));
  return HLP_CUDA_OK;
}

unsigned grid_for(word items) {
  const word blocks = (items + kThreads - 1) / kThreads;
  return blocks > kMaxBlocks ? kMaxBlocks : static_cast<unsigned>(blocks == 0 ? 1 : blocks);
}

// Transforms `polys` polynomials of `count` blocks on the device, primes first..first+count-1
// of the set.
void launch_ntt(cudaStream_t stream, word *data, std::size_t polys, const TableSet &set, std::uint32_t first,
                std::uint32_t count, bool forward) {
  const std::size_t n = set.n;
  const unsigned log_n = log2u(set.n);
  const word words = static_cast<word>(polys) * count * n;
  const word half = words / 2;
  const word *tab = set.tab + static_cast<std::size_t>(first) * 4 * n;
  const PrimeConst *pc = set.pc + first;
  const unsigned log_tile = log_n < kMaxLogTile ? log_n : kMaxLogTile;
  const std::size_t tile_words = std::size_t{1} << log_tile;
  const unsigned tiles = static_cast<unsigned>(words / tile_words);
  const unsigned tile_threads = tile_words / 2 < kTileThreads ? static_cast<unsigned>(tile_words / 2) : kTileThreads;
  const std::size_t shared_bytes = tile_words * sizeof(word);
  const unsigned blocks = grid_for(half);
  if (forward) {
    for (unsigned lg = log_n - 1; lg >= log_tile && lg < log_n; --lg) {
      stage_kernel<true><<<blocks, kThreads, 0, stream>>>(data, tab, pc, count, log_n, lg, half);
    }
    tile_kernel<true><<<tiles, tile_threads, shared_bytes, stream>>>(data, tab, pc, count, log_n, log_tile);
  } else {
    tile_kernel<false><<<tiles, tile_threads, shared_bytes, stream>>>(data, tab, pc, count, log_n, log_tile);
    if (log_n > log_tile) {
      for (unsigned lg = log_tile; lg + 1 < log_n; ++lg) {
        stage_kernel<false><<<blocks, kThreads, 0, stream>>>(data, tab, pc, count, log_n, lg, half);
      }
      inverse_last_kernel<<<blocks, kThreads, 0, stream>>>(data, pc, count, log_n, half);
    }
  }
}

// ---- streams and the chunked pipeline -----------------------------------------------

struct Slot {
  cudaStream_t stream = nullptr;
  cudaEvent_t done = nullptr;
};

Slot *g_slots = nullptr;

int slots(Slot **out) {
  if (g_slots == nullptr) {
    auto *s = new Slot[kStreams];
    for (int i = 0; i < kStreams; ++i) {
      cudaError_t err = cudaStreamCreateWithFlags(&s[i].stream, cudaStreamNonBlocking);
      if (err == cudaSuccess) err = cudaEventCreateWithFlags(&s[i].done, cudaEventDisableTiming);
      if (err != cudaSuccess) {
        // g_slots stays null and the next call starts over, so nothing would free these.
        for (int j = 0; j <= i; ++j) {
          if (s[j].done != nullptr) cudaEventDestroy(s[j].done);
          if (s[j].stream != nullptr) cudaStreamDestroy(s[j].stream);
        }
        delete[] s;
        return fail("cudaStreamCreate", err);
      }
    }
    g_slots = s;
  }
  *out = g_slots;
  return HLP_CUDA_OK;
}

bool is_pinned(const void *p) {
  cudaPointerAttributes attr{};
  if (cudaPointerGetAttributes(&attr, p) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return attr.type == cudaMemoryTypeHost;
}

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
using Launcher = std::function<void(cudaStream_t, std::size_t count, word *const *in, word *const *out,
                                    word *const *scratch)>;

// Splits `items` into chunks of at most `chunk` items, round-robin over kStreams streams;
// each stream has its own device buffers (from the pool) and, for pageable host memory,
// its own pinned staging. While the device works on chunk c, the host stages chunk c + 1
// and copies out chunk c - kStreams + 1, whose completion event it waited for.
int pipeline(std::size_t items, std::size_t chunk, const std::vector<HostIn> &ins, const std::vector<HostOut> &outs,
             const std::vector<std::size_t> &scratch_item_bytes, const Launcher &launch) {
  Slot *sl = nullptr;
  int rc = slots(&sl);
  if (rc != HLP_CUDA_OK) return rc;
  const int used = static_cast<int>(std::min<std::size_t>(kStreams, (items + chunk - 1) / chunk));
  const std::size_t ni = ins.size(), no = outs.size(), ns = scratch_item_bytes.size();
  std::vector<bool> in_pinned(ni), out_pinned(no);
  for (std::size_t k = 0; k < ni; ++k) in_pinned[k] = ins[k].host == nullptr || is_pinned(ins[k].host);
  for (std::size_t k = 0; k < no; ++k) out_pinned[k] = is_pinned(outs[k].host);

  // Per slot: device in/out/scratch buffers and staging, all released at the end.
  std::vector<std::unique_ptr<DeviceBuffer>> buffers;
  std::vector<void *> staging;
  auto release_staging = [&] {
    for (void *p : staging) pinned_pool().release(p);
  };
  std::vector<std::vector<word *>> d_in(used, std::vector<word *>(ni)), d_out(used, std::vector<word *>(no)),
      d_scratch(used, std::vector<word *>(ns));
  std::vector<std::vector<void *>> s_in(used, std::vector<void *>(ni, nullptr)),
      s_out(used, std::vector<void *>(no, nullptr));
  auto device_buffer = [&](std::size_t bytes, word **out) {
    buffers.push_back(std::make_unique<DeviceBuffer>());
    if (!buffers.back()->get(bytes)) return false;
    *out = buffers.back()->words();
    return true;
  };
  auto staging_buffer = [&](std::size_t bytes, void **out) {
    void *p = pinned_pool().acquire(bytes);
    if (p == nullptr) return false;
    staging.push_back(p);
    *out = p;
    return true;
  };
  for (int s = 0; s < used; ++s) {
    bool ok = true;
    for (std::size_t k = 0; k < ni && ok; ++k) {
      ok = device_buffer(ins[k].item_bytes * chunk, &d_in[s][k]);
      if (ok && !in_pinned[k]) ok = staging_buffer(ins[k].item_bytes * chunk, &s_in[s][k]);
    }
    for (std::size_t k = 0; k < no && ok; ++k) {
      if (outs[k].alias_in >= 0) d_out[s][k] = d_in[s][outs[k].alias_in];
      else ok = device_buffer(outs[k].item_bytes * chunk, &d_out[s][k]);
      if (ok && !out_pinned[k]) ok = staging_buffer(outs[k].item_bytes * chunk, &s_out[s][k]);
    }
    for (std::size_t k = 0; k < ns && ok; ++k) ok = device_buffer(scratch_item_bytes[k] * chunk, &d_scratch[s][k]);
    if (!ok) {
      release_staging();
      return fail("memory pool: cannot reserve buffers", HLP_CUDA_OUT_OF_MEMORY);
    }
  }

  struct Pending {
    bool active = false;
    std::size_t first = 0, count = 0;
  };
  std::vector<Pending> pending(used);
  cudaError_t err = cudaSuccess;
  auto finish = [&](int s) {
    Pending &p = pending[s];
    if (!p.active) return cudaSuccess;
    p.active = false;
    cudaError_t e = cudaEventSynchronize(sl[s].done);
    if (e != cudaSuccess) return e;
    for (std::size_t k = 0; k < no; ++k) {
      if (out_pinned[k]) continue;
      std::memcpy(static_cast<char *>(outs[k].host) + p.first * outs[k].item_bytes, s_out[s][k],
                  p.count * outs[k].item_bytes);
    }
    return cudaSuccess;
  };

  std::size_t c = 0;
  for (std::size_t first = 0; first < items && err == cudaSuccess; first += chunk, ++c) {
    const int s = static_cast<int>(c % used);
    const std::size_t count = std::min(chunk, items - first);
    err = finish(s);
    if (err != cudaSuccess) break;
    cudaStream_t st = sl[s].stream;
    for (std::size_t k = 0; k < ni && err == cudaSuccess; ++k) {
      if (ins[k].host == nullptr) continue;
      const char *src = static_cast<const char *>(ins[k].host) + first * ins[k].item_bytes;
      const std::size_t bytes = count * ins[k].item_bytes;
      if (!in_pinned[k]) {
        std::memcpy(s_in[s][k], src, bytes);
        src = static_cast<const char *>(s_in[s][k]);
      }
      err = cudaMemcpyAsync(d_in[s][k], src, bytes, cudaMemcpyHostToDevice, st);
    }
    if (err != cudaSuccess) break;
    launch(st, count, d_in[s].data(), d_out[s].data(), d_scratch[s].data());
    err = cudaGetLastError();
    for (std::size_t k = 0; k < no && err == cudaSuccess; ++k) {
      void *dst = out_pinned[k] ? static_cast<char *>(outs[k].host) + first * outs[k].item_bytes : s_out[s][k];
      err = cudaMemcpyAsync(dst, d_out[s][k], count * outs[k].item_bytes, cudaMemcpyDeviceToHost, st);
    }
    if (err == cudaSuccess) err = cudaEventRecord(sl[s].done, st);
    if (err == cudaSuccess) pending[s] = Pending{true, first, count};
  }
  // Drain in submission order (all slots, also after an error so no copy is in flight).
  for (int k = 0; k < used; ++k) {
    const int s = static_cast<int>((c + k) % used);
    const cudaError_t e = finish(s);
    if (err == cudaSuccess) err = e;
  }
  if (err != cudaSuccess) {
    for (int s = 0; s < used; ++s) cudaStreamSynchronize(sl[s].stream);
  }
  release_staging();
  return err == cudaSuccess ? HLP_CUDA_OK : fail("pipeline", err);
}

std::size_t chunk_items(std::size_t items, std::size_t words_per_item) {
  std::size_t chunk = (items + 2 * kStreams - 1) / (2 * kStreams);  // a few chunks per stream
  const std::size_t cap = std::max<std::size_t>(1, kChunkWordBudget / std::max<std::size_t>(1, words_per_item));
  chunk = std::min(std::max<std::size_t>(chunk, 1), cap);
  return chunk;
}

bool valid_n(std::uint32_t n) { return n >= 2 && (n & (n - 1)) == 0 && n <= (1u << 17); }

int device_ready() {
  if (!device_available()) return fail(std::string("no CUDA device: ") + t_error, HLP_CUDA_NO_DEVICE);
  return HLP_CUDA_OK;
}

// ---- API implementations -------------------------------------------------------------

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

int api_ntt(int forward, std::uint64_t *data, std::size_t polys, std::uint32_t n, const hlp_cuda_prime *primes,
            std::uint32_t count) {
  t_error.clear();
  if (!valid_n(n) || primes == nullptr || count == 0 || count > HLP_CUDA_MAX_PRIMES) return fail("ntt: bad shape");
  if (polys == 0) return HLP_CUDA_OK;
  if (data == nullptr) return fail("ntt: null data");
  int rc = device_ready();
  if (rc != HLP_CUDA_OK) return rc;
  std::lock_guard<std::recursive_mutex> lock(g_mutex);
  TableSet *set = nullptr;
  rc = table_set(n, primes, count, &set);
  if (rc != HLP_CUDA_OK) return rc;
  const std::size_t item = static_cast<std::size_t>(count) * n;
  const bool fwd = forward != 0;
  return pipeline(polys, chunk_items(polys, item), {HostIn{data, item * 8}}, {HostOut{data, item * 8, 0}}, {},
                  [&](cudaStream_t st, std::size_t c, word *const *in, word *const *, word *const *) {
                    launch_ntt(st, in[0], c, *set, 0, count, fwd);
                  });
}

int api_eltwise(int op, std::uint64_t *r, const std::uint64_t *a, const std::uint64_t *b, std::size_t polys,
                std::uint32_t n, const hlp_cuda_prime *primes, std::uint32_t count) {
  t_error.clear();
  if (op < 0 || op > 2) return fail("eltwise: bad op");
  if (!valid_n(n) || primes == nullptr || count == 0 || count > HLP_CUDA_MAX_PRIMES) return fail("eltwise: bad shape");
  if (polys == 0) return HLP_CUDA_OK;
  if (r == nullptr || a == nullptr || b == nullptr) return fail("eltwise: null data");
  int rc = device_ready();
  if (rc != HLP_CUDA_OK) return rc;
  std::lock_guard<std::recursive_mutex> lock(g_mutex);
  TableSet *set = nullptr;
  rc = table_set(n, primes, count, &set);
  if (rc != HLP_CUDA_OK) return rc;
  const std::size_t item = static_cast<std::size_t>(count) * n;
  const unsigned log_n = log2u(n);
  // r may alias a or b: each chunk is read to the device before its result comes back,
  // and chunks are disjoint, so the aliasing is harmless.
  return pipeline(polys, chunk_items(polys, 2 * item), {HostIn{a, item * 8}, HostIn{b, item * 8}},
                  {HostOut{r, item * 8, 0}}, {},
                  [&](cudaStream_t st, std::size_t c, word *const *in, word *const *out, word *const *) {
                    const word words = static_cast<word>(c) * item;
                    const unsigned g = grid_for(words);
                    if (op == 0) eltwise_kernel<0><<<g, kThreads, 0, st>>>(out[0], in[0], in[1], set->pc, count, log_n, words);
                    else if (op == 1) eltwise_kernel<1><<<g, kThreads, 0, st>>>(out[0], in[0], in[1], set->pc, count, log_n, words);
                    else eltwise_kernel<2><<<g, kThreads, 0, st>>>(out[0], in[0], in[1], set->pc, count, log_n, words);
                  });
}

struct Encryptor {
  std::uint32_t n = 0, level = 0, key_primes = 0;
  TableSet *set = nullptr;  // primes 0..level (cached set; lives as long as the cache keeps it)
  std::vector<hlp_cuda_prime> primes;
  std::vector<std::vector<std::uint64_t>> host_tables;  // copies, so the set can be rebuilt if evicted
  word *pk = nullptr;
  EncConst *ec = nullptr;
};

int api_encryptor_create(const hlp_cuda_encrypt_setup *s, void **out) {
  t_error.clear();
  if (s == nullptr || out == nullptr || !valid_n(s->n) || s->level < 1 || s->level + 1 > HLP_CUDA_MAX_PRIMES ||
      s->key_primes < s->level + 1 || s->primes == nullptr || s->public_key == nullptr || s->inv == nullptr ||
      s->inv_shoup == nullptr || s->neg_offset == nullptr || s->neg_inv == nullptr || s->noise_cdt == nullptr) {
    return fail("encryptor: bad setup");
  }
  int rc = device_ready();
  if (rc != HLP_CUDA_OK) return rc;
  std::lock_guard<std::recursive_mutex> lock(g_mutex);
  auto e = std::make_unique<Encryptor>();
  e->n = s->n;
  e->level = s->level;
  e->key_primes = s->key_primes;
  const std::uint32_t primes = s->level + 1;
  const std::size_t n = s->n;
  for (std::uint32_t i = 0; i < primes; ++i) {
    hlp_cuda_prime p = s->primes[i];
    const std::uint64_t *parts[4] = {p.fwd, p.fwd_shoup, p.inv, p.inv_shoup};
    for (int k = 0; k < 4; ++k) {
      if (parts[k] == nullptr) return fail("encryptor: null tables");
      e->host_tables.emplace_back(parts[k], parts[k] + n);
    }
    const std::size_t base = e->host_tables.size() - 4;
    p.fwd = e->host_tables[base].data();
    p.fwd_shoup = e->host_tables[base + 1].data();
    p.inv = e->host_tables[base + 2].data();
    p.inv_shoup = e->host_tables[base + 3].data();
    e->primes.push_back(p);
  }
  EncConst ec{};
  for (std::uint32_t b = 0; b < primes; ++b) {
    if (b < s->level) {
      ec.plus[b] = s->inv[b];
      ec.minus[b] = s->neg_inv[b];
      ec.inv[b] = s->inv[b];
      ec.inv_shoup[b] = s->inv_shoup[b];
      ec.neg_offset[b] = s->neg_offset[b];
    } else {
      ec.plus[b] = 1;
      ec.minus[b] = s->primes[b].q - 1;
    }
  }
  for (unsigned k = 0; k < HLP_CUDA_NOISE_ENTRIES; ++k) ec.cdt[k] = s->noise_cdt[k];
  ec.half = s->half;
  ec.noise_offset = s->noise_offset;
  const std::size_t pk_words = 2 * static_cast<std::size_t>(s->key_primes) * n;
  e->pk = static_cast<word *>(device_pool().acquire(pk_words * 8));
  e->ec = static_cast<EncConst *>(device_pool().acquire(sizeof(EncConst)));
  if (e->pk == nullptr || e->ec == nullptr) {
    if (e->pk) device_pool().release(e->pk);
    if (e->ec) device_pool().release(e->ec);
    return fail("encryptor: device memory", HLP_CUDA_OUT_OF_MEMORY);
  }
  cudaError_t err = cudaMemcpy(e->pk, s->public_key, pk_words * 8, cudaMemcpyHostToDevice);
  if (err == cudaSuccess) err = cudaMemcpy(e->ec, &ec, sizeof(EncConst), cudaMemcpyHostToDevice);
  if (err != cudaSuccess) {
    device_pool().release(e->pk);
    device_pool().release(e->ec);
    return fail("encryptor: upload", err);
  }
  rc = table_set(e->n, e->primes.data(), primes, &e->set);
  if (rc != HLP_CUDA_OK) {
    device_pool().release(e->pk);
    device_pool().release(e->ec);
    return rc;
  }
  *out = e.release();
  return HLP_CUDA_OK;
}

int api_encrypt(void *handle, const std::uint64_t *plains, std::uint32_t count, const std::uint8_t *randomness,
                std::uint64_t *out) {
  t_error.clear();
  auto *e = static_cast<Encryptor *>(handle);
  if (e == nullptr || randomness == nullptr || out == nullptr) return fail("encrypt: null argument");
  if (count == 0) return HLP_CUDA_OK;
  std::lock_guard<std::recursive_mutex> lock(g_mutex);
  const std::uint32_t L = e->level;
  const std::size_t n = e->n;
  const unsigned log_n = log2u(e->n);
  // The set may have been evicted from the cache by other calls: look it up again.
  int rc = table_set(e->n, e->primes.data(), L + 1, &e->set);
  if (rc != HLP_CUDA_OK) return rc;
  const TableSet *set = e->set;
  const PrimeConst last = set->host_pc[L];
  const std::size_t rand_item = 3 * n * 8, plain_item = L * n * 8, out_item = 2 * L * n * 8;
  const std::size_t u_item = (L + 1) * n * 8, y_item = 2 * n * 8;
  const std::size_t chunk = chunk_items(count, (rand_item + plain_item + out_item + u_item + y_item) / 8);
  return pipeline(
      count, chunk, {HostIn{randomness, rand_item}, HostIn{plains, plain_item}}, {HostOut{out, out_item, -1}},
      {u_item, y_item},
      [&](cudaStream_t st, std::size_t c, word *const *in, word *const *o, word *const *scratch) {
        word *u = scratch[0], *y = scratch[1];
        const word coeffs = static_cast<word>(c) * n;
        ternary_kernel<<<grid_for(coeffs), kThreads, 0, st>>>(in[0], u, e->ec, L + 1, log_n, coeffs);
        launch_ntt(st, u, c, *set, 0, L + 1, true);
        mul_last_kernel<<<grid_for(coeffs), kThreads, 0, st>>>(e->pk, u, y, last, L, e->key_primes, log_n, coeffs);
        launch_ntt(st, y, 2 * c, *set, L, 1, false);
        last_block_kernel<<<grid_for(2 * coeffs), kThreads, 0, st>>>(y, in[0], e->ec, last.q, log_n, 2 * coeffs);
        const word out_words = 2 * coeffs * L;
        correction_kernel<<<grid_for(out_words), kThreads, 0, st>>>(y, o[0], e->ec, set->pc, L, log_n, out_words);
        launch_ntt(st, o[0], 2 * c, *set, 0, L, true);
        finish_kernel<<<grid_for(out_words), kThreads, 0, st>>>(o[0], e->pk, u, plains != nullptr ? in[1] : nullptr,
                                                              set->pc, L, e->key_primes, log_n, out_words);
      });
}

void api_encryptor_destroy(void *handle) {
  auto *e = static_cast<Encryptor *>(handle);
  if (e == nullptr) return;
  std::lock_guard<std::recursive_mutex> lock(g_mutex);
  device_pool().release(e->pk);
  device_pool().release(e->ec);
  delete e;
}

int api_pool_stats(hlp_cuda_pool_counters *out) {
  if (out == nullptr) return HLP_CUDA_INVALID;
  const PoolStats s = device_pool().stats();
  *out = hlp_cuda_pool_counters{s.allocations,  s.frees,          s.hits,
                                s.misses,       s.bytes_in_use,   s.bytes_reserved,
                                s.peak_bytes_in_use, s.peak_bytes_reserved};
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

const hlp_cuda_api kApi = {HLP_CUDA_API_VERSION, sizeof(hlp_cuda_api), api_device_count, api_last_error, api_ntt,
                           api_eltwise, api_encryptor_create, api_encrypt, api_encryptor_destroy, api_pool_stats,
                           api_pool_trim, api_host_alloc, api_host_free};

}  // namespace

bool device_available() {
  static const bool available = [] {
    const int count = api_device_count();
    return count > 0;
  }();
  return available;
}

const char *last_error() { return t_error.c_str(); }

bool ntt_forward_batch(std::uint64_t *host_data, std::size_t batch, const hlp::NttTables &t) {
  if (t.n < 2 || t.fwd.size() < t.n) return fail("tables: not initialised") == HLP_CUDA_OK;
  const hlp_cuda_prime p = prime_of(t);
  return api_ntt(1, host_data, batch, static_cast<std::uint32_t>(t.n), &p, 1) == HLP_CUDA_OK;
}

bool ntt_inverse_batch(std::uint64_t *host_data, std::size_t batch, const hlp::NttTables &t) {
  if (t.n < 2 || t.inv.size() < t.n) return fail("tables: not initialised") == HLP_CUDA_OK;
  const hlp_cuda_prime p = prime_of(t);
  return api_ntt(0, host_data, batch, static_cast<std::uint32_t>(t.n), &p, 1) == HLP_CUDA_OK;
}

double bench_ntt_resident(std::size_t polys, std::uint32_t n, const hlp_cuda_prime *primes, std::uint32_t count,
                          int reps) {
  if (!device_available() || !valid_n(n) || count == 0 || polys == 0 || reps < 1) return -1;
  std::lock_guard<std::recursive_mutex> lock(g_mutex);
  TableSet *set = nullptr;
  if (table_set(n, primes, count, &set) != HLP_CUDA_OK) return -1;
  const std::size_t words = polys * count * n;
  DeviceBuffer data;
  if (!data.get(words * 8)) return -1;
  // Valid inputs (< q): reduce a fill pattern per block on the host.
  std::vector<word> host(words);
  for (std::size_t i = 0; i < words; ++i) {
    const word q = primes[(i / n) % count].q;
    host[i] = (i * 0x9E3779B97F4A7C15ULL) % q;
  }
  if (cudaMemcpy(data.p, host.data(), words * 8, cudaMemcpyHostToDevice) != cudaSuccess) return -1;
  cudaEvent_t a, b;
  cudaEventCreate(&a);
  cudaEventCreate(&b);
  launch_ntt(nullptr, data.words(), polys, *set, 0, count, true);  // warm-up
  std::vector<float> ms;
  for (int r = 0; r < reps; ++r) {
    cudaEventRecord(a);
    launch_ntt(nullptr, data.words(), polys, *set, 0, count, true);
    cudaEventRecord(b);
    cudaEventSynchronize(b);
    float t = 0;
    cudaEventElapsedTime(&t, a, b);
    ms.push_back(t);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  if (cudaGetLastError() != cudaSuccess) return -1;
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2] * 1e-3;
}

}  // namespace hlp::cuda

extern "C" HLP_CUDA_EXPORT const hlp_cuda_api *hlp_cuda_api_v1(void) { return &hlp::cuda::kApi; }
