// Native test and benchmark executable for @hlp/kernels. Needs no Node, so it is what
// runs on a GPU machine. Usage: hlp_kernels_tests [--quick] [--bench] [--bench-gpu] [--filter text]
// Prints one line per check and ends with "hlp_kernels_tests: N passed, N failed".
// The checks live in one file per family beside this one (kernel-tests.hpp lists them).
#include "tests/kernels/kernel-tests.hpp"

namespace hlp_test {

std::mt19937_64 &rng() {
  // Test inputs only; nothing cryptographic is drawn from this generator.
  static std::mt19937_64 engine(0x5eed1234ULL);
  return engine;
}

}  // namespace hlp_test

using namespace hlp_test;

int main(int argc, char **argv) {
  bool run_bench = false;
  bool run_bench_gpu = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) g_quick = true;
    else if (std::strcmp(argv[i], "--bench") == 0) run_bench = true;
    else if (std::strcmp(argv[i], "--bench-gpu") == 0) run_bench_gpu = true;
    else if (std::strcmp(argv[i], "--filter") == 0 && i + 1 < argc) g_filter = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--quick] [--bench] [--bench-gpu] [--filter text]\n", argv[0]);
      return 2;
    }
  }
  std::printf("cpu features: %s; default variant: %s\n", hlp_cpu_features(), hlp_variant_name(hlp_variant_default()));
  test_modarith();
  test_naive_reference();
  test_variants_agree();
  test_shake256();
  test_aes256ctr();
  test_c_abi_errors();
  test_abi_version();
  test_pool();
  test_cuda();
  test_cuda_pool_logic();
  test_cuda_loader();
  test_cuda_loader_abi();
  test_cuda_device();
  if (run_bench) bench();
  if (run_bench_gpu) bench_gpu();
  std::printf("hlp_kernels_tests: %d passed, %d failed, %d skipped\n", g_passed, g_failed, g_skipped);
  return g_failed == 0 ? 0 : 1;
}
