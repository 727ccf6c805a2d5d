// libhlp_cuda's CKKS public-key encryption: the same integer steps as ckks/encrypt.cpp
// and ckks/kernels-scalar.cpp, one kernel per step, chained on a stream with the NTTs of
// ntt-cuda.cu. Also the encryptor entry points of the C table.
#include <memory>
#include <mutex>
#include <vector>

#include "cuda-internal.cuh"

namespace hlp::cuda::detail {
namespace {

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
__global__ void last_block_kernel(word *y, const word *rand, const EncConst *__restrict__ ec, word q, unsigned log_n,
                                  word total) {
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

struct Encryptor {
  std::uint32_t n = 0, level = 0, key_primes = 0;
  TableSet *set = nullptr;  // primes 0..level (cached set; lives as long as the cache keeps it)
  std::vector<hlp_cuda_prime> primes;
  std::vector<std::vector<std::uint64_t>> host_tables;  // copies, so the set can be rebuilt if evicted
  word *pk = nullptr;
  EncConst *ec = nullptr;
};

}  // namespace

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
      {u_item, y_item}, [&](cudaStream_t st, std::size_t c, word *const *in, word *const *o, word *const *scratch) {
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

}  // namespace hlp::cuda::detail
