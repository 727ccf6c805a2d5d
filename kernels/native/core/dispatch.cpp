// Run-time choice of kernel variant: CPU detection once per process, HLP_KERNEL as an
// override. Variants are compiled into every build with their own target attributes,
// so one binary serves every x86-64 machine and picks the widest path it can run.
#include <cstdlib>
#include <cstring>
#include <string>

#include "../include/hlp/kernels.h"
#include "variants.hpp"

// The cuda variant lives in libhlp_cuda.so, loaded on first use (no link-time CUDA).
#include "../cuda/cuda-loader.hpp"

namespace hlp {

const CpuFeatures &cpu_features() {
  static const CpuFeatures features = [] {
    CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    // libgcc also checks XCR0, so these are false when the OS does not save the
    // wider register state, not just when the CPU lacks the instructions.
    f.avx2 = __builtin_cpu_supports("avx2");
    f.bmi2 = __builtin_cpu_supports("bmi2");
    f.avx512f = __builtin_cpu_supports("avx512f");
    f.avx512dq = __builtin_cpu_supports("avx512dq");
    f.avx512vl = __builtin_cpu_supports("avx512vl");
    f.avx512bw = __builtin_cpu_supports("avx512bw");
    f.avx512ifma = __builtin_cpu_supports("avx512ifma");
    f.aes = __builtin_cpu_supports("aes");
    f.vaes = __builtin_cpu_supports("vaes");
#endif
    return f;
  }();
  return features;
}

hlp_variant cpu_variant_for(hlp_variant requested) {
  if (requested != HLP_VARIANT_AUTO && requested != HLP_VARIANT_CUDA) return requested;
  const hlp_variant d = hlp_variant_default();
  if (d != HLP_VARIANT_CUDA) return d;
  return hlp_variant_available(HLP_VARIANT_AVX512) ? HLP_VARIANT_AVX512
         : hlp_variant_available(HLP_VARIANT_AVX2) ? HLP_VARIANT_AVX2
                                                   : HLP_VARIANT_SCALAR;
}

}  // namespace hlp

namespace {

bool cpu_variant_available(hlp_variant v) {
  const hlp::CpuFeatures &f = hlp::cpu_features();
  switch (v) {
    case HLP_VARIANT_SCALAR: return true;
    case HLP_VARIANT_AVX2: return f.avx2 && f.bmi2;
    case HLP_VARIANT_AVX512: return f.avx512f && f.avx512dq && f.avx512vl;
    default: return false;
  }
}

}  // namespace

extern "C" {

const char *hlp_variant_name(hlp_variant variant) {
  switch (variant) {
    case HLP_VARIANT_AUTO: return "auto";
    case HLP_VARIANT_SCALAR: return "scalar";
    case HLP_VARIANT_AVX2: return "avx2";
    case HLP_VARIANT_AVX512: return "avx512";
    case HLP_VARIANT_CUDA: return "cuda";
  }
  return "unknown";
}

hlp_status hlp_variant_parse(const char *name, hlp_variant *out) {
  if (name == nullptr || out == nullptr) return HLP_E_INVALID_ARGUMENT;
  static const hlp_variant all[] = {HLP_VARIANT_AUTO, HLP_VARIANT_SCALAR, HLP_VARIANT_AVX2, HLP_VARIANT_AVX512,
                                    HLP_VARIANT_CUDA};
  for (hlp_variant v : all) {
    if (std::strcmp(name, hlp_variant_name(v)) == 0) {
      *out = v;
      return HLP_OK;
    }
  }
  return HLP_E_INVALID_ARGUMENT;
}

int hlp_variant_compiled(hlp_variant variant) {
  switch (variant) {
    case HLP_VARIANT_SCALAR:
    case HLP_VARIANT_AVX2:
    case HLP_VARIANT_AVX512: return 1;
    case HLP_VARIANT_CUDA:
      // "Compiled" for a run-time loaded variant: libhlp_cuda.so was found and loads.
      return hlp::cuda_loader::state().api != nullptr ? 1 : 0;
    default: return 0;
  }
}

int hlp_variant_available(hlp_variant variant) {
  if (variant == HLP_VARIANT_CUDA) return hlp::cuda_loader::usable() != nullptr ? 1 : 0;
  return cpu_variant_available(variant) ? 1 : 0;
}

hlp_variant hlp_variant_default(void) {
  static const hlp_variant chosen = [] {
    const char *env = std::getenv("HLP_KERNEL");
    hlp_variant requested = HLP_VARIANT_AUTO;
    if (env != nullptr && *env != '\0' && hlp_variant_parse(env, &requested) == HLP_OK &&
        requested != HLP_VARIANT_AUTO && hlp_variant_available(requested)) {
      return requested;
    }
    // CUDA is never picked implicitly for single transforms: its win is batches, and the
    // CKKS layer opts into it where the batch is large.
    if (cpu_variant_available(HLP_VARIANT_AVX512)) return HLP_VARIANT_AVX512;
    if (cpu_variant_available(HLP_VARIANT_AVX2)) return HLP_VARIANT_AVX2;
    return HLP_VARIANT_SCALAR;
  }();
  return chosen;
}

hlp_status hlp_variant_resolve(hlp_variant requested, hlp_variant *out) {
  if (out == nullptr) return HLP_E_INVALID_ARGUMENT;
  if (requested == HLP_VARIANT_AUTO) {
    *out = hlp_variant_default();
    return HLP_OK;
  }
  if (requested < HLP_VARIANT_SCALAR || requested > HLP_VARIANT_CUDA) return HLP_E_INVALID_ARGUMENT;
  if (!hlp_variant_available(requested)) return HLP_E_VARIANT_UNAVAILABLE;
  *out = requested;
  return HLP_OK;
}

const char *hlp_cpu_features(void) {
  static const std::string list = [] {
    const hlp::CpuFeatures &f = hlp::cpu_features();
    std::string s;
    auto add = [&s](bool present, const char *name) {
      if (!present) return;
      if (!s.empty()) s += ',';
      s += name;
    };
    add(f.aes, "aes");
    add(f.vaes, "vaes");
    add(f.bmi2, "bmi2");
    add(f.avx2, "avx2");
    add(f.avx512f, "avx512f");
    add(f.avx512dq, "avx512dq");
    add(f.avx512vl, "avx512vl");
    add(f.avx512ifma, "avx512ifma");
    return s;
  }();
  return list.c_str();
}

}  // extern "C"
