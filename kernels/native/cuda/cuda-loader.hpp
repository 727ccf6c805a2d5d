// Run-time loading of libhlp_cuda.so by the core (no link-time CUDA dependency, so the
// Node addon builds and loads on machines without CUDA). Header-only; included by
// core/dispatch.cpp and core/capi.cpp.
//
// Search order: $HLP_CUDA_LIB (a file path), then libhlp_cuda.so beside the module that
// holds the core (the .node addon in build/Release or the test binary in build/native),
// then ../native/ and native/ relative to it. The first library that loads, reports this
// core's HLP_KERNELS_ABI_VERSION and exports hlp_cuda_api_v1 with a matching version
// wins; the result (or the reason for failure) is kept for the life of the process.
#pragma once

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "cuda-api.h"
#include "cuda-prime.hpp"
#include "hlp/kernels.h"

namespace hlp::cuda_loader {

struct State {
  const hlp_cuda_api *api = nullptr;  // library loaded
  int devices = 0;
  std::string reason;  // why cuda is unavailable ("" when available)
  std::string path;
};

inline void anchor() {}

// Why the library's ABI is not this core's ("" when it is).
inline std::string abi_mismatch(void *handle) {
  const std::string expected = "this core was built for ABI version " + std::to_string(HLP_KERNELS_ABI_VERSION);
  auto fn = reinterpret_cast<hlp_cuda_abi_version_fn>(dlsym(handle, "hlp_cuda_abi_version"));
  if (fn == nullptr) return "no hlp_cuda_abi_version (built before the ABI was versioned), but " + expected;
  const uint32_t version = fn();
  if (version == HLP_KERNELS_ABI_VERSION) return "";
  return "ABI version " + std::to_string(version) + ", but " + expected;
}

inline State load() {
  State s;
  std::vector<std::string> candidates;
  const char *env = std::getenv("HLP_CUDA_LIB");
  if (env != nullptr && *env != '\0') {
    candidates.emplace_back(env);
  } else {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void *>(&anchor), &info) != 0 && info.dli_fname != nullptr) {
      std::string dir = info.dli_fname;
      const std::size_t slash = dir.rfind('/');
      dir = slash == std::string::npos ? "." : dir.substr(0, slash);
      candidates.push_back(dir + "/libhlp_cuda.so");
      candidates.push_back(dir + "/../native/libhlp_cuda.so");
      candidates.push_back(dir + "/native/libhlp_cuda.so");
    }
  }
  std::string errors;
  bool abi_refused = false;
  for (const std::string &path : candidates) {
    void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char *e = dlerror();
      errors += (errors.empty() ? "" : "; ") + std::string(e != nullptr ? e : path.c_str());
      continue;
    }
    // Before anything else in the library runs: one built from other sources may read the
    // table, or the arguments of its functions, differently.
    const std::string mismatch = abi_mismatch(handle);
    if (!mismatch.empty()) {
      errors += (errors.empty() ? "" : "; ") + path + ": " + mismatch;
      abi_refused = true;
      dlclose(handle);
      continue;
    }
    auto fn = reinterpret_cast<hlp_cuda_api_fn>(dlsym(handle, "hlp_cuda_api_v1"));
    const hlp_cuda_api *api = fn != nullptr ? fn() : nullptr;
    if (api == nullptr || api->version != HLP_CUDA_API_VERSION || api->struct_size < sizeof(hlp_cuda_api)) {
      errors += (errors.empty() ? "" : "; ") + path + ": not a compatible libhlp_cuda (API version)";
      dlclose(handle);
      continue;
    }
    s.api = api;
    s.path = path;
    s.devices = api->device_count();
    if (s.devices <= 0) s.reason = "cuda: " + path + " loaded, but no CUDA device (" + api->last_error() + ")";
    return s;
  }
  s.reason = "cuda: libhlp_cuda.so not loaded (" + (errors.empty() ? std::string("no candidate path") : errors) +
             (abi_refused ? "); rebuild it from the same sources as the core (CMake) or set HLP_CUDA_LIB"
                          : "); build it with nvcc (CMake) or set HLP_CUDA_LIB");
  return s;
}

inline const State &state() {
  static const State s = load();
  return s;
}

// The API when the library loaded and a device exists, else nullptr.
inline const hlp_cuda_api *usable() {
  const State &s = state();
  return s.api != nullptr && s.devices > 0 ? s.api : nullptr;
}

}  // namespace hlp::cuda_loader
