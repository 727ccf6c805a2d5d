// The shared harness of the native test executables (hlp_kernels_tests, hlp_ckks_tests):
// pass/fail/skip counters, the --quick and --filter settings, one printed line per check.
// Each executable is several translation units (one per test family), so the state lives
// in inline variables: one instance per executable.
#pragma once

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace hlp_test {

inline int g_passed = 0;
inline int g_failed = 0;
inline int g_skipped = 0;
inline bool g_quick = false;
inline std::string g_filter;
// hlp_ckks_tests prints a passing check's detail too (its checks report measured errors).
inline bool g_detail_on_pass = false;

inline void report(bool ok, const std::string &name, const std::string &detail = "") {
  if (ok) {
    ++g_passed;
    if (g_detail_on_pass) {
      std::printf("ok   %s%s%s\n", name.c_str(), detail.empty() ? "" : " ", detail.c_str());
    } else {
      std::printf("ok   %s\n", name.c_str());
    }
  } else {
    ++g_failed;
    std::printf("FAIL %s %s\n", name.c_str(), detail.c_str());
  }
}

inline void skip(const std::string &name, const std::string &why) {
  ++g_skipped;
  std::printf("skip %s (%s)\n", name.c_str(), why.c_str());
}

inline bool selected(const std::string &name) { return g_filter.empty() || name.find(g_filter) != std::string::npos; }

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The executable's generator of test inputs, defined beside its main() (each has its own
// seed, so every executable draws the inputs it always drew).
std::mt19937_64 &rng();

}  // namespace hlp_test
