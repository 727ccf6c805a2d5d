// CUDA negacyclic NTT, bit-identical to ntt/ntt-scalar.cpp: the same tables and the
// same Harvey butterflies with lazy reduction ([0, 4q) forward, [0, 2q) inverse). Every
// value goes through exactly the operations the scalar loop applies to it, so results
// agree word for word.
//
// Layout of the work: a batch is words = batch * n contiguous words. Stages whose
// butterfly pairs lie within a 2048-word tile (gap <= 1024) run in one launch of
// tile_kernel with the tile held in shared memory; the wider stages, if n > 2048, run one
// launch each over all words/2 butterflies of the batch. Forward: wide stages, then the
// tile launch (which also does the final reduction to [0, q)). Inverse: the tile launch,
// the wide stages, then the last stage fused with the n^-1 scaling (inside the tile
// launch when n <= 2048). When n < 2048 a tile holds several whole polynomials.
//
// Shoup products use __umul64hi; there is no 128-bit arithmetic in device code.
#include "ntt-cuda.hpp"

#include <cuda_runtime.h>

#include <mutex>
#include <string>
#include <vector>

namespace hlp::cuda {
namespace {

using word = unsigned long long;  // CUDA's 64-bit type; same width as std::uint64_t
static_assert(sizeof(word) == sizeof(std::uint64_t), "64-bit words");

constexpr unsigned kLogTile = 11;  // 2048 words = 16 KiB of shared memory per block
constexpr unsigned kTileThreads = 256;
constexpr unsigned kStageThreads = 256;
constexpr unsigned kMaxStageBlocks = 1u << 16;
// Largest chunk of a batch moved to the device at once (256 MiB).
constexpr std::size_t kChunkWords = std::size_t{1} << 25;

// ---- device code ------------------------------------------------------------------

__device__ __forceinline__ word shoup_lazy(word a, word w, word w_shoup, word q) {
  return a * w - __umul64hi(a, w_shoup) * q;
}

__device__ __forceinline__ word shoup_full(word a, word w, word w_shoup, word q) {
  const word r = shoup_lazy(a, w, w_shoup, q);
  return r >= q ? r - q : r;
}

// Cooley-Tukey: inputs in [0, 4q), outputs in [0, 4q).
__device__ __forceinline__ void forward_butterfly(word *x, word *y, word w, word w_shoup, word q) {
  const word two_q = 2 * q;
  word xj = *x;
  xj -= (xj >= two_q) ? two_q : 0;
  const word ty = shoup_lazy(*y, w, w_shoup, q);
  *x = xj + ty;
  *y = xj - ty + two_q;
}

// Gentleman-Sande: inputs in [0, 2q), outputs in [0, 2q).
__device__ __forceinline__ void inverse_butterfly(word *x, word *y, word w, word w_shoup, word q) {
  const word two_q = 2 * q;
  const word xj = *x;
  const word yj = *y;
  word sum = xj + yj;
  sum -= (sum >= two_q) ? two_q : 0;
  *x = sum;
  *y = shoup_lazy(xj - yj + two_q, w, w_shoup, q);
}

// Last inverse stage (one group, gap n/2) fused with the scaling by n^-1.
struct LastStage {
  word inv_n, inv_n_shoup, last, last_shoup;
};

__device__ __forceinline__ void inverse_last_butterfly(word *x, word *y, const LastStage &s, word q) {
  const word two_q = 2 * q;
  const word xj = *x;
  const word yj = *y;
  word sum = xj + yj;
  sum -= (sum >= two_q) ? two_q : 0;
  *x = shoup_full(sum, s.inv_n, s.inv_n_shoup, q);
  *y = shoup_full(xj - yj + two_q, s.last, s.last_shoup, q);
}

// One stage with gap 2^log_gap over every polynomial of the batch: `half_words`
// butterflies. Butterfly k of the batch belongs to global group k >> log_gap, whose
// index inside its polynomial (m = n / (2 gap) groups) picks the twiddle w[m + i].
template <bool Forward>
__global__ void stage_kernel(word *data, const word *__restrict__ w, const word *__restrict__ ws,
                             word q, unsigned log_n, unsigned log_gap, word half_words) {
  const unsigned log_m = log_n - 1 - log_gap;
  const word gap = word{1} << log_gap;
  const word stride = static_cast<word>(gridDim.x) * blockDim.x;
  for (word k = static_cast<word>(blockIdx.x) * blockDim.x + threadIdx.x; k < half_words;
       k += stride) {
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

__global__ void inverse_last_kernel(word *data, word q, unsigned log_n, LastStage s,
                                    word half_words) {
  const unsigned log_gap = log_n - 1;
  const word gap = word{1} << log_gap;
  const word stride = static_cast<word>(gridDim.x) * blockDim.x;
  for (word k = static_cast<word>(blockIdx.x) * blockDim.x + threadIdx.x; k < half_words;
       k += stride) {
    const word x = ((k >> log_gap) << log_n) + (k & (gap - 1));
    inverse_last_butterfly(data + x, data + x + gap, s, q);
  }
}

// Stages with gap < tile size on one tile of 2^log_tile words (the last tile of the
// batch may be shorter; it still holds whole polynomials, since then n < tile or the
// batch is a multiple of the tile). Forward: gaps min(n, tile)/2 .. 1, then reduce to
// [0, q). Inverse: gaps 1 .. min(n/4, tile/2), plus the fused last stage if n <= tile.
template <bool Forward>
__global__ void tile_kernel(word *data, const word *__restrict__ w, const word *__restrict__ ws,
                            word q, unsigned log_n, unsigned log_tile, word words, LastStage s) {
  extern __shared__ word tile[];
  const word start = static_cast<word>(blockIdx.x) << log_tile;
  const word left = words - start;
  const unsigned valid = left < (word{1} << log_tile) ? static_cast<unsigned>(left) : 1u << log_tile;
  const unsigned half = valid / 2;
  const word n_mask = (word{1} << log_n) - 1;
  for (unsigned e = threadIdx.x; e < valid; e += blockDim.x) tile[e] = data[start + e];
  __syncthreads();

  if (Forward) {
    const unsigned log_span = log_n < log_tile ? log_n : log_tile;
    for (int lg = static_cast<int>(log_span) - 1; lg >= 0; --lg) {
      const unsigned gap = 1u << lg;
      const unsigned log_m = log_n - 1 - lg;
      for (unsigned b = threadIdx.x; b < half; b += blockDim.x) {
        const unsigned x = ((b >> lg) << (lg + 1)) + (b & (gap - 1));
        const word pos = (start + x) & n_mask;  // position of x inside its polynomial
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
        inverse_last_butterfly(tile + x, tile + x + gap, s, q);
      }
      __syncthreads();
    }
    for (unsigned e = threadIdx.x; e < valid; e += blockDim.x) data[start + e] = tile[e];
  }
}

// ---- host code --------------------------------------------------------------------

thread_local std::string t_error;

bool fail(const std::string &what, cudaError_t err) {
  t_error = what + ": " + cudaGetErrorString(err);
  cudaGetLastError();  // clear a non-sticky error so later calls can proceed
  return false;
}

bool fail(const std::string &what) {
  t_error = what;
  return false;
}

// Device tables [fwd | fwd_shoup | inv | inv_shoup], n words each. The tables are a
// function of (n, q) alone (psi is the minimal root), so entries are keyed by value,
// never by the address of an NttTables that may be freed and reused.
struct TableEntry {
  int device;
  std::size_t n;
  std::uint64_t q;
  std::uint64_t root;
  word *words;
};

struct Scratch {
  int device;
  word *words;
  std::size_t capacity;
};

constexpr std::size_t kMaxCachedTables = 32;

// Guarded by g_mutex. Never freed: releasing device memory from static destructors would
// race the CUDA runtime's own teardown.
std::mutex g_mutex;
std::vector<TableEntry> *g_tables = nullptr;
std::vector<Scratch> *g_scratch = nullptr;
// Why device_available() said no: the cudaGetDeviceCount error, or "0 devices".
const char *g_device_count_error = "not checked";

bool device_tables(int device, const hlp::NttTables &t, word **out) {
  if (g_tables == nullptr) g_tables = new std::vector<TableEntry>();
  for (const TableEntry &e : *g_tables) {
    if (e.device == device && e.n == t.n && e.q == t.modulus.value && e.root == t.root) {
      *out = e.words;
      return true;
    }
  }
  if (g_tables->size() >= kMaxCachedTables) {
    cudaFree(g_tables->front().words);
    g_tables->erase(g_tables->begin());
  }
  const std::size_t n = t.n;
  word *d = nullptr;
  cudaError_t err = cudaMalloc(reinterpret_cast<void **>(&d), 4 * n * sizeof(word));
  if (err != cudaSuccess) return fail("cudaMalloc(tables)", err);
  const std::uint64_t *parts[4] = {t.fwd.data(), t.fwd_shoup.data(), t.inv.data(),
                                   t.inv_shoup.data()};
  for (int p = 0; p < 4; ++p) {
    err = cudaMemcpy(d + p * n, parts[p], n * sizeof(word), cudaMemcpyHostToDevice);
    if (err != cudaSuccess) {
      cudaFree(d);
      return fail("cudaMemcpy(tables)", err);
    }
  }
  g_tables->push_back(TableEntry{device, n, t.modulus.value, t.root, d});
  *out = d;
  return true;
}

bool device_scratch(int device, std::size_t words, word **out) {
  if (g_scratch == nullptr) g_scratch = new std::vector<Scratch>();
  Scratch *slot = nullptr;
  for (Scratch &s : *g_scratch) {
    if (s.device == device) slot = &s;
  }
  if (slot == nullptr) {
    g_scratch->push_back(Scratch{device, nullptr, 0});
    slot = &g_scratch->back();
  }
  if (slot->capacity < words) {
    if (slot->words != nullptr) cudaFree(slot->words);
    slot->words = nullptr;
    slot->capacity = 0;
    cudaError_t err = cudaMalloc(reinterpret_cast<void **>(&slot->words), words * sizeof(word));
    if (err != cudaSuccess) {
      slot->words = nullptr;
      return fail("cudaMalloc(data)", err);
    }
    slot->capacity = words;
  }
  *out = slot->words;
  return true;
}

unsigned stage_blocks(word half_words) {
  const word blocks = (half_words + kStageThreads - 1) / kStageThreads;
  return blocks > kMaxStageBlocks ? kMaxStageBlocks : static_cast<unsigned>(blocks);
}

// Transforms `words` (a multiple of n) words already on the device.
void launch(word *data, std::size_t words, const word *tables, const hlp::NttTables &t,
            const LastStage &last, bool forward) {
  const std::size_t n = t.n;
  const unsigned log_n = t.log_n;
  const word q = t.modulus.value;
  const word half = words / 2;
  const unsigned log_tile = kLogTile;
  const std::size_t tile_words = std::size_t{1} << log_tile;
  const unsigned tiles = static_cast<unsigned>((words + tile_words - 1) / tile_words);
  const std::size_t span = words < tile_words ? words : tile_words;
  const unsigned tile_threads = span / 2 < kTileThreads ? static_cast<unsigned>(span / 2) : kTileThreads;
  const std::size_t shared_bytes = tile_words * sizeof(word);
  const unsigned blocks = stage_blocks(half);
  if (forward) {
    const word *w = tables;
    const word *ws = tables + n;
    for (unsigned lg = log_n - 1; lg >= log_tile && lg < log_n; --lg) {
      stage_kernel<true><<<blocks, kStageThreads>>>(data, w, ws, q, log_n, lg, half);
    }
    tile_kernel<true><<<tiles, tile_threads, shared_bytes>>>(data, w, ws, q, log_n, log_tile, words, last);
  } else {
    const word *w = tables + 2 * n;
    const word *ws = tables + 3 * n;
    tile_kernel<false><<<tiles, tile_threads, shared_bytes>>>(data, w, ws, q, log_n, log_tile, words, last);
    if (log_n > log_tile) {
      for (unsigned lg = log_tile; lg + 1 < log_n; ++lg) {
        stage_kernel<false><<<blocks, kStageThreads>>>(data, w, ws, q, log_n, lg, half);
      }
      inverse_last_kernel<<<blocks, kStageThreads>>>(data, q, log_n, last, half);
    }
  }
}

bool run(std::uint64_t *host_data, std::size_t batch, const hlp::NttTables &t, bool forward) {
  t_error.clear();
  const std::size_t n = t.n;
  if (n < 2 || (n & (n - 1)) != 0 || (std::size_t{1} << t.log_n) != n) {
    return fail("tables: n must be a power of two >= 2");
  }
  if (t.fwd.size() < n || t.fwd_shoup.size() < n || t.inv.size() < n || t.inv_shoup.size() < n) {
    return fail("tables: not initialised");
  }
  const std::uint64_t q = t.modulus.value;
  if (q < 3 || q >= (std::uint64_t{1} << 62)) return fail("tables: modulus out of range");
  if (batch == 0) return true;
  if (host_data == nullptr) return fail("null data");
  if (batch > static_cast<std::size_t>(-1) / n / sizeof(word)) return fail("batch too large");
  if (!device_available()) return fail(std::string("no CUDA device (") + g_device_count_error + ")");

  // The scalar code's last-stage constant, computed the same way on the host.
  LastStage last{t.inv_n, t.inv_n_shoup, 0, 0};
  last.last = hlp::mul_mod_barrett(t.inv[1], t.inv_n, t.modulus);
  last.last_shoup = hlp::shoup_precompute(last.last, q);

  std::lock_guard<std::mutex> lock(g_mutex);
  int device = 0;
  cudaError_t err = cudaGetDevice(&device);
  if (err != cudaSuccess) return fail("cudaGetDevice", err);
  word *tables = nullptr;
  if (!device_tables(device, t, &tables)) return false;
  const std::size_t chunk_polys = kChunkWords / n > 0 ? kChunkWords / n : 1;
  const std::size_t first = batch < chunk_polys ? batch : chunk_polys;
  word *data = nullptr;
  if (!device_scratch(device, first * n, &data)) return false;

  for (std::size_t done = 0; done < batch;) {
    const std::size_t polys = batch - done < chunk_polys ? batch - done : chunk_polys;
    const std::size_t words = polys * n;
    word *host = reinterpret_cast<word *>(host_data + done * n);
    err = cudaMemcpy(data, host, words * sizeof(word), cudaMemcpyHostToDevice);
    if (err != cudaSuccess) return fail("cudaMemcpy(to device)", err);
    launch(data, words, tables, t, last, forward);
    err = cudaGetLastError();
    if (err != cudaSuccess) return fail("kernel launch", err);
    err = cudaMemcpy(host, data, words * sizeof(word), cudaMemcpyDeviceToHost);
    if (err != cudaSuccess) return fail("cudaMemcpy(to host)", err);
    done += polys;
  }
  return true;
}

}  // namespace

bool device_available() {
  static const bool available = [] {
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
      g_device_count_error = cudaGetErrorString(err);
      cudaGetLastError();
      return false;
    }
    g_device_count_error = count > 0 ? "ok" : "0 devices";
    return count > 0;
  }();
  return available;
}

const char *last_error() { return t_error.c_str(); }

bool ntt_forward_batch(std::uint64_t *host_data, std::size_t batch, const hlp::NttTables &t) {
  return run(host_data, batch, t, true);
}

bool ntt_inverse_batch(std::uint64_t *host_data, std::size_t batch, const hlp::NttTables &t) {
  return run(host_data, batch, t, false);
}

}  // namespace hlp::cuda
