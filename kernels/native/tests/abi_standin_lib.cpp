// Stand-ins for a libhlp_cuda.so built from other sources, so the loader tests
// (tests/kernels/cuda-loader-tests.cpp) can check on any machine (no CUDA needed) that the
// loader refuses them. Built twice by CMake: with HLP_STANDIN_NEXT_ABI it reports the ABI
// version after this one; without it, it has no version function, like a library from
// before the ABI was versioned. Neither may be called past that check: their
// hlp_cuda_api_v1 aborts, so a loader that calls it fails the test run.
#include <cstdlib>

#include "cuda/cuda-api.h"
#include "hlp/kernels.h"

extern "C" {

#ifdef HLP_STANDIN_NEXT_ABI
uint32_t hlp_cuda_abi_version(void) { return HLP_KERNELS_ABI_VERSION + 1; }
#endif

const hlp_cuda_api *hlp_cuda_api_v1(void) { std::abort(); }

}  // extern "C"
