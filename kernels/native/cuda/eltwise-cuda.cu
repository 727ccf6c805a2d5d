// libhlp_cuda's element-wise add/sub/mul mod q over the RNS layout of ntt-cuda.cu
// ([poly][prime][n]; Barrett via __umul64hi), and the C table's eltwise entry point.
#include "cuda-internal.cuh"

namespace hlp::cuda::detail {
namespace {

template <int Op>
__global__ void eltwise_kernel(word *r, const word *a, const word *b, const PrimeConst *__restrict__ pc, unsigned count,
                               unsigned log_n, word words) {
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

}  // namespace

int api_eltwise(int op, std::uint64_t *r, const std::uint64_t *a, const std::uint64_t *b, std::size_t polys,
                std::uint32_t n, const hlp_cuda_prime *primes, std::uint32_t count) {
  t_error.clear();
  if (op < 0 || op > 2) return fail("eltwise: bad op");
  if (!valid_shape(n, primes, count)) return fail("eltwise: bad shape");
  if (polys == 0) return HLP_CUDA_OK;
  if (r == nullptr || a == nullptr || b == nullptr) return fail("eltwise: null data");
  return with_table_set(n, primes, count, [&](const TableSet &set) {
    const std::size_t item = static_cast<std::size_t>(count) * n;
    const unsigned log_n = log2u(n);
    const PrimeConst *pc = set.pc;
    // r may alias a or b: each chunk is read to the device before its result comes back,
    // and chunks are disjoint, so the aliasing is harmless.
    return pipeline(polys, chunk_items(polys, 2 * item), {HostIn{a, item * 8}, HostIn{b, item * 8}},
                    {HostOut{r, item * 8, 0}}, {},
                    [&](cudaStream_t st, std::size_t c, word *const *in, word *const *out, word *const *) {
                      const word words = static_cast<word>(c) * item;
                      const unsigned g = grid_for(words);
                      if (op == 0)
                        eltwise_kernel<0><<<g, kThreads, 0, st>>>(out[0], in[0], in[1], pc, count, log_n, words);
                      else if (op == 1)
                        eltwise_kernel<1><<<g, kThreads, 0, st>>>(out[0], in[0], in[1], pc, count, log_n, words);
                      else eltwise_kernel<2><<<g, kThreads, 0, st>>>(out[0], in[0], in[1], pc, count, log_n, words);
                    });
  });
}

}  // namespace hlp::cuda::detail
