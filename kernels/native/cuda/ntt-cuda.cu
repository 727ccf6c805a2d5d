// libhlp_cuda's RNS-batched negacyclic NTT, bit-identical to ntt/ntt-scalar.cpp: the same
// tables and the same Harvey butterflies with lazy reduction ([0, 4q) forward, [0, 2q)
// inverse). Data is [poly][prime][n]; block j of the batch uses prime j % count, whose
// tables sit in a device table set [prime][fwd | fwd_shoup | inv | inv_shoup][n].
// Stages with gap < tile (tile = min(n, 2048) words) run in one launch with the tile in
// shared memory; each wider stage is one launch over all butterflies of the batch.
// Also the NTT entry points: the C table's ntt and the C++ ones of ntt-cuda.hpp.
#include <algorithm>
#include <vector>

#include "cuda-internal.cuh"
#include "cuda-prime.hpp"
#include "ntt-cuda.hpp"

namespace hlp::cuda::detail {
namespace {

constexpr unsigned kMaxLogTile = 11;  // 2048 words = 16 KiB of shared memory per block
constexpr unsigned kTileThreads = 256;

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
__global__ void tile_kernel(word *data, const word *__restrict__ tab, const PrimeConst *__restrict__ pc, unsigned count,
                            unsigned log_n, unsigned log_tile) {
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

}  // namespace

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

int api_ntt(int forward, std::uint64_t *data, std::size_t polys, std::uint32_t n, const hlp_cuda_prime *primes,
            std::uint32_t count) {
  t_error.clear();
  if (!valid_shape(n, primes, count)) return fail("ntt: bad shape");
  if (polys == 0) return HLP_CUDA_OK;
  if (data == nullptr) return fail("ntt: null data");
  return with_table_set(n, primes, count, [&](const TableSet &set) {
    const std::size_t item = static_cast<std::size_t>(count) * n;
    const bool fwd = forward != 0;
    return pipeline(polys, chunk_items(polys, item), {HostIn{data, item * 8}}, {HostOut{data, item * 8, 0}}, {},
                    [&](cudaStream_t st, std::size_t c, word *const *in, word *const *, word *const *) {
                      launch_ntt(st, in[0], c, set, 0, count, fwd);
                    });
  });
}

}  // namespace hlp::cuda::detail

namespace hlp::cuda {

bool ntt_forward_batch(std::uint64_t *host_data, std::size_t batch, const hlp::NttTables &t) {
  if (t.n < 2 || t.fwd.size() < t.n) return detail::fail("tables: not initialised") == HLP_CUDA_OK;
  const hlp_cuda_prime p = prime_of(t);
  return detail::api_ntt(1, host_data, batch, static_cast<std::uint32_t>(t.n), &p, 1) == HLP_CUDA_OK;
}

bool ntt_inverse_batch(std::uint64_t *host_data, std::size_t batch, const hlp::NttTables &t) {
  if (t.n < 2 || t.inv.size() < t.n) return detail::fail("tables: not initialised") == HLP_CUDA_OK;
  const hlp_cuda_prime p = prime_of(t);
  return detail::api_ntt(0, host_data, batch, static_cast<std::uint32_t>(t.n), &p, 1) == HLP_CUDA_OK;
}

double bench_ntt_resident(std::size_t polys, std::uint32_t n, const hlp_cuda_prime *primes, std::uint32_t count,
                          int reps) {
  if (!device_available() || !detail::valid_n(n) || count == 0 || polys == 0 || reps < 1) return -1;
  double seconds = -1;
  detail::with_table_set(n, primes, count, [&](const detail::TableSet &set) {
    const std::size_t words = polys * count * n;
    detail::DeviceBuffer data;
    if (!data.get(words * 8)) return HLP_CUDA_OUT_OF_MEMORY;
    // Valid inputs (< q): reduce a fill pattern per block on the host.
    std::vector<detail::word> host(words);
    for (std::size_t i = 0; i < words; ++i) {
      const detail::word q = primes[(i / n) % count].q;
      host[i] = (i * 0x9E3779B97F4A7C15ULL) % q;
    }
    if (cudaMemcpy(data.p, host.data(), words * 8, cudaMemcpyHostToDevice) != cudaSuccess) return HLP_CUDA_ERROR;
    cudaEvent_t a, b;
    cudaEventCreate(&a);
    cudaEventCreate(&b);
    detail::launch_ntt(nullptr, data.words(), polys, set, 0, count, true);  // warm-up
    std::vector<float> ms;
    for (int r = 0; r < reps; ++r) {
      cudaEventRecord(a);
      detail::launch_ntt(nullptr, data.words(), polys, set, 0, count, true);
      cudaEventRecord(b);
      cudaEventSynchronize(b);
      float t = 0;
      cudaEventElapsedTime(&t, a, b);
      ms.push_back(t);
    }
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    if (cudaGetLastError() != cudaSuccess) return HLP_CUDA_ERROR;
    std::sort(ms.begin(), ms.end());
    seconds = ms[ms.size() / 2] * 1e-3;
    return HLP_CUDA_OK;
  });
  return seconds;
}

}  // namespace hlp::cuda
