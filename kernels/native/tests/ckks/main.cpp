// Native tests and benchmark of the CKKS core (native/ckks). Needs no Node.
// Usage: hlp_ckks_tests [--quick] [--bench] [--filter text]
// Prints one line per check and ends with "hlp_ckks_tests: N passed, N failed".
//
// Besides round trips, the encryption and rescale outputs are compared bit for bit with
// a direct transcription of SEAL's algorithms (encrypt_zero_asymmetric followed by
// RNSTool::divide_and_round_q_last_ntt_inplace, encrypt_zero_symmetric) run on the same
// samples, and the slot layout with a direct evaluation of m(zeta^(3^j)).
//
// The checks live in one file per family beside this one (ckks-tests.hpp lists them).
#include "tests/ckks/ckks-tests.hpp"

namespace hlp_test {

std::mt19937_64 &rng() {
  // Test inputs only; nothing cryptographic is drawn from this generator.
  static std::mt19937_64 engine(0xC0FFEE1234ULL);
  return engine;
}

}  // namespace hlp_test

using namespace hlp_test;

int main(int argc, char **argv) {
  g_detail_on_pass = true;
  bool run_bench = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) g_quick = true;
    else if (std::strcmp(argv[i], "--bench") == 0) run_bench = true;
    else if (std::strcmp(argv[i], "--filter") == 0 && i + 1 < argc) g_filter = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--quick] [--bench] [--filter text]\n", argv[0]);
      return 2;
    }
  }
  std::printf("cpu features: %s; CKKS kernels: %s\n", hlp_cpu_features(), hlp::ckks::ckks_ops().name);
  test_encoder_layout();
  test_encoder_round_trip();
  test_sampling();
  test_kernel_tables();
  test_dot2();
  test_dot2_pair();
  test_encryption();
  test_encryption_errors();
  test_evaluation();
  if (run_bench) bench();
  std::printf("hlp_ckks_tests: %d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}
