// The cuda variant without a device: the pool's bookkeeping, the loader and its ABI check.
#include "tests/kernels/kernel-tests.hpp"

namespace hlp_test {

// A host allocator standing in for cudaMalloc: counts calls, can fail or misalign on demand.
struct FakeAllocator {
  struct Counters {
    int allocs = 0, releases = 0;
    bool fail = false, misalign = false;
    std::size_t live_bytes = 0;
  };
  Counters *c;
  bool allocate(void **out, std::size_t bytes) {
    if (c->fail) return false;
    ++c->allocs;
    char *p = static_cast<char *>(std::aligned_alloc(256, bytes + 256));
    if (p == nullptr) return false;
    *out = c->misalign ? p + 64 : p;
    c->live_bytes += bytes;
    return true;
  }
  void release(void *p, std::size_t bytes) {
    ++c->releases;
    c->live_bytes -= bytes;
    const auto addr = reinterpret_cast<std::uintptr_t>(p);
    std::free(reinterpret_cast<void *>(addr - addr % 256));
  }
};

void test_cuda_pool_logic() {
  if (!selected("cuda-pool")) return;
  FakeAllocator::Counters c;
  {
    hlp::cuda::BlockPool<FakeAllocator> pool(FakeAllocator{&c});
    void *a = pool.acquire(1000);  // rounds to 1024
    void *b = pool.acquire(4096);
    bool ok = a != nullptr && b != nullptr && reinterpret_cast<std::uintptr_t>(a) % 256 == 0 &&
              reinterpret_cast<std::uintptr_t>(b) % 256 == 0;
    auto s = pool.stats();
    ok &= s.misses == 2 && s.hits == 0 && s.bytes_in_use == 1024 + 4096 && s.bytes_reserved == 1024 + 4096;
    report(ok, "cuda-pool: 256-byte rounding, alignment and exact stats");

    ok = pool.release(a) && !pool.release(a) && !pool.release(reinterpret_cast<void *>(0x1000));
    void *a2 = pool.acquire(1024);  // same class: reused
    s = pool.stats();
    ok &= a2 == a && s.hits == 1 && s.misses == 2 && c.allocs == 2;
    report(ok, "cuda-pool: freed block reused; double and foreign frees rejected");

    // Best fit: of free 8192 and 5000->5120, a 4600 request (4608) takes 5120, not 8192.
    void *big = pool.acquire(8192);
    void *mid = pool.acquire(5000);
    pool.release(big);
    pool.release(mid);
    void *fit = pool.acquire(4600);
    ok = fit == mid;
    // Slack bound: a 256-byte request must not take the 8192 block (waste > 1/8).
    void *small = pool.acquire(256);
    ok &= small != big;
    s = pool.stats();
    ok &= s.bytes_in_use == 1024 + 4096 + 4608 + 256 && s.bytes_reserved == 1024 + 4096 + 8192 + 5120 + 256;
    report(ok, "cuda-pool: best fit with bounded slack; in_use counts requests, reserved counts blocks");

    // Stored handles stay valid across unrelated frees (no index shuffling).
    std::vector<void *> many;
    for (int i = 0; i < 16; ++i) many.push_back(pool.acquire(256 * (i + 1)));
    for (int i = 0; i < 16; i += 2) pool.release(many[i]);
    bool handles_ok = true;
    for (int i = 1; i < 16; i += 2) handles_ok &= pool.release(many[i]);
    report(handles_ok, "cuda-pool: live handles survive other frees");

    // Failure path: allocator refuses -> cached blocks are trimmed, retry fails cleanly.
    const int releases_before = c.releases;
    c.fail = true;
    void *none = pool.acquire(1 << 20);
    c.fail = false;
    ok = none == nullptr && c.releases > releases_before && pool.cached_blocks() == 0;
    c.misalign = true;
    ok &= pool.acquire(512) == nullptr;
    c.misalign = false;
    s = pool.stats();
    ok &= s.peak_bytes_in_use >= s.bytes_in_use && s.peak_bytes_reserved >= s.bytes_reserved;
    report(ok, "cuda-pool: allocator failure trims the cache; misaligned blocks refused");
    pool.release(a2);
    pool.release(b);
    pool.release(fit);
    pool.release(small);
  }
  report(c.live_bytes == 0 && c.allocs == c.releases, "cuda-pool: destructor returns every cached block");
}

// A file in the directory of this executable, where CMake puts the libraries it loads.
std::string beside_tests(const std::string &file) {
  Dl_info info{};
  dladdr(reinterpret_cast<void *>(&beside_tests), &info);
  const std::string exe = info.dli_fname ? info.dli_fname : "./x";
  return exe.substr(0, exe.rfind('/') + 1) + file;
}

void test_abi_version() {
  if (!selected("abi")) return;
  report(HLP_KERNELS_ABI_VERSION >= 1 && hlp_kernels_abi_version() == HLP_KERNELS_ABI_VERSION,
         "abi: the core reports the header's ABI version (" + std::to_string(HLP_KERNELS_ABI_VERSION) + ")");
}

// A libhlp_cuda.so from other sources is refused before anything in it is called (the
// stand-ins' hlp_cuda_api_v1 aborts), with a reason that says why. load(), not state():
// the process settled state() with the real library already.
void test_cuda_loader_abi() {
  if (!selected("cuda-loader")) return;
  const char *env = std::getenv("HLP_CUDA_LIB");
  const std::string saved = env != nullptr ? env : "";
  auto load_from = [](const std::string &path) {
    setenv("HLP_CUDA_LIB", path.c_str(), 1);
    return hlp::cuda_loader::load();
  };
  const std::string expected = "this core was built for ABI version " + std::to_string(HLP_KERNELS_ABI_VERSION);
  const hlp::cuda_loader::State next = load_from(beside_tests(HLP_ABI_NEXT_LIB));
  const std::string next_reason = "ABI version " + std::to_string(HLP_KERNELS_ABI_VERSION + 1) + ", but " + expected;
  report(next.api == nullptr && next.reason.find(next_reason) != std::string::npos &&
             next.reason.find("rebuild it from the same sources") != std::string::npos,
         "cuda-loader: a library of another ABI version is refused, the reason names both versions", next.reason);
  const hlp::cuda_loader::State none = load_from(beside_tests(HLP_ABI_NONE_LIB));
  report(none.api == nullptr && none.reason.find("no hlp_cuda_abi_version") != std::string::npos &&
             none.reason.find(expected) != std::string::npos,
         "cuda-loader: a library without an ABI version is refused, the reason says so", none.reason);
  if (saved.empty()) unsetenv("HLP_CUDA_LIB");
  else setenv("HLP_CUDA_LIB", saved.c_str(), 1);
}

// The dlopen path: with no device (or no library) every cuda entry reports unavailable.
void test_cuda_loader() {
  if (!selected("cuda-loader")) return;
  const bool available = hlp_variant_available(HLP_VARIANT_CUDA) != 0;
  std::printf("note cuda variant: compiled=%d available=%d reason=\"%s\"\n", hlp_variant_compiled(HLP_VARIANT_CUDA),
              available ? 1 : 0, hlp_cuda_unavailable_reason());
  if (available) {
    report(hlp_cuda_unavailable_reason()[0] == '\0', "cuda-loader: available, no reason given");
    return;
  }
  bool ok = hlp_cuda_unavailable_reason()[0] != '\0';
  hlp_cuda_memory_stats ms{};
  ok &= hlp_cuda_pool_stats(&ms) == HLP_E_VARIANT_UNAVAILABLE;
  void *p = nullptr;
  ok &= hlp_cuda_host_alloc(64, &p) == HLP_E_VARIANT_UNAVAILABLE && p == nullptr;
  hlp_variant v;
  ok &= hlp_variant_resolve(HLP_VARIANT_CUDA, &v) == HLP_E_VARIANT_UNAVAILABLE;
  const u64 q = hlp::generate_ntt_primes(50, 64, 1).at(0);
  hlp_ntt_context *ctx = nullptr;
  ok &= hlp_ntt_create(64, &q, 1, &ctx) == HLP_OK;
  std::vector<u64> data(64, 1), copy = data;
  ok &= hlp_ntt_forward(ctx, data.data(), data.size(), 0, 1, HLP_VARIANT_CUDA, 0) == HLP_E_VARIANT_UNAVAILABLE;
  ok &= hlp_eltwise_mul_mod(ctx, data.data(), data.data(), copy.data(), data.size(), 0, 1, HLP_VARIANT_CUDA, 0) ==
        HLP_E_VARIANT_UNAVAILABLE;
  ok &= data == copy && hlp_variant_default() != HLP_VARIANT_CUDA;
  hlp_ntt_destroy(ctx);
  report(ok, "cuda-loader: unavailable cuda reported cleanly through the C ABI");
#ifdef HLP_WITH_CUDA
  // The library was built: it must load, export a compatible table and report no device here.
  std::string path = std::getenv("HLP_CUDA_LIB") ? std::getenv("HLP_CUDA_LIB") : "";
  if (path.empty()) path = beside_tests("libhlp_cuda.so");
  void *h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  auto abi = h ? reinterpret_cast<hlp_cuda_abi_version_fn>(dlsym(h, "hlp_cuda_abi_version")) : nullptr;
  report(abi != nullptr && abi() == HLP_KERNELS_ABI_VERSION,
         "cuda-loader: built libhlp_cuda.so reports this build's ABI version");
  auto fn = h ? reinterpret_cast<hlp_cuda_api_fn>(dlsym(h, "hlp_cuda_api_v1")) : nullptr;
  const hlp_cuda_api *api = fn ? fn() : nullptr;
  ok = api != nullptr && api->version == HLP_CUDA_API_VERSION && api->device_count() == 0;
  if (api != nullptr) {
    hlp_cuda_prime pr{};
    ok &= api->ntt(1, copy.data(), 1, 64, &pr, 1) == HLP_CUDA_NO_DEVICE ||
          api->ntt(1, copy.data(), 1, 64, &pr, 1) == HLP_CUDA_INVALID;
    std::printf("note libhlp_cuda.so loaded directly from %s; device_count=0 (%s)\n", path.c_str(), api->last_error());
  }
  report(ok, "cuda-loader: built libhlp_cuda.so loads and reports no device", h ? "" : dlerror());
#endif
}

}  // namespace hlp_test
