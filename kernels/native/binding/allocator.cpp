#include "allocator.hpp"

#include <string>
#include <unordered_map>
#include <vector>

#include "convert.hpp"
#include "hlp/kernels.h"

namespace hlp_binding {
namespace {

class AllocatorWrap : public Napi::ObjectWrap<AllocatorWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Allocator",
                       {InstanceMethod("alloc", &AllocatorWrap::Alloc), InstanceMethod("free", &AllocatorWrap::Free),
                        InstanceMethod("churn", &AllocatorWrap::Churn), InstanceMethod("stats", &AllocatorWrap::Stats),
                        InstanceMethod("dispose", &AllocatorWrap::Dispose)});
  }

  explicit AllocatorWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<AllocatorWrap>(info) {
    Napi::Env env = info.Env();
    const std::string kind = to_string(info[0], "allocator kind");
    hlp_allocator_kind k;
    if (kind == "pool") {
      k = HLP_ALLOCATOR_POOL;
    } else if (kind == "malloc") {
      k = HLP_ALLOCATOR_MALLOC;
    } else {
      throw_invalid(env, "allocator kind must be \"pool\" or \"malloc\"");
    }
    const hlp_status st = hlp_allocator_create(k, &allocator_);
    if (st != HLP_OK) throw_status(env, st, "Allocator(" + kind + ")");
  }

  ~AllocatorWrap() override { Release(); }

 private:
  struct Block {
    void *ptr;
    std::size_t bytes;
  };

  hlp_allocator *Get(Napi::Env env) {
    if (allocator_ == nullptr) throw_invalid(env, "Allocator used after dispose()");
    return allocator_;
  }

  void Release() {
    if (allocator_ == nullptr) return;
    for (auto &entry : blocks_) hlp_free(allocator_, entry.second.ptr, entry.second.bytes);
    blocks_.clear();
    hlp_allocator_destroy(allocator_);
    allocator_ = nullptr;
  }

  Napi::Value Alloc(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_allocator *a = Get(env);
    const uint32_t bytes = to_u32(info[0], "bytes");
    void *p = nullptr;
    const hlp_status st = hlp_alloc(a, bytes, &p);
    if (st != HLP_OK) throw_status(env, st, "alloc(" + std::to_string(bytes) + ")");
    const uint32_t handle = next_handle_++;
    blocks_.emplace(handle, Block{p, bytes});
    return Napi::Number::New(env, handle);
  }

  Napi::Value Free(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_allocator *a = Get(env);
    const uint32_t handle = to_u32(info[0], "handle");
    auto it = blocks_.find(handle);
    if (it == blocks_.end()) throw_invalid(env, "unknown or already freed block handle " + std::to_string(handle));
    const hlp_status st = hlp_free(a, it->second.ptr, it->second.bytes);
    blocks_.erase(it);
    check(env, st, "free");
    return env.Undefined();
  }

  Napi::Value Churn(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_allocator *a = Get(env);
    if (!info[0].IsArray()) throw_invalid(env, "sizes must be an array of byte counts");
    Napi::Array arr = info[0].As<Napi::Array>();
    std::vector<std::size_t> sizes;
    for (uint32_t i = 0; i < arr.Length(); ++i) sizes.push_back(to_u32(arr.Get(i), "size"));
    if (sizes.empty()) throw_invalid(env, "sizes must not be empty");
    const hlp_status st = hlp_allocator_churn(a, sizes.data(), static_cast<uint32_t>(sizes.size()),
                                              to_u32(info[1], "live"), to_u32(info[2], "rounds"));
    check(env, st, "churn");
    return env.Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_allocator_stats s{};
    check(env, hlp_allocator_get_stats(Get(env), &s), "stats");
    Napi::Object o = Napi::Object::New(env);
    o.Set("allocations", static_cast<double>(s.allocations));
    o.Set("frees", static_cast<double>(s.frees));
    o.Set("hits", static_cast<double>(s.hits));
    o.Set("misses", static_cast<double>(s.misses));
    o.Set("bytesInUse", static_cast<double>(s.bytes_in_use));
    o.Set("bytesReserved", static_cast<double>(s.bytes_reserved));
    o.Set("peakBytesInUse", static_cast<double>(s.peak_bytes_in_use));
    o.Set("hugePageBlocks", static_cast<double>(s.huge_page_blocks));
    return o;
  }

  Napi::Value Dispose(const Napi::CallbackInfo &info) {
    Release();
    return info.Env().Undefined();
  }

  hlp_allocator *allocator_ = nullptr;
  std::unordered_map<uint32_t, Block> blocks_;
  uint32_t next_handle_ = 1;
};

}  // namespace

Napi::Function DefineAllocator(Napi::Env env) { return AllocatorWrap::Define(env); }

}  // namespace hlp_binding
