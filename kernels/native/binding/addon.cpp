// Thin Node-API binding over the C ABI. It converts JS values, maps hlp_status to
// errors whose `code` is the stable status name, and moves batch work off the event
// loop. No kernel logic lives here.
#include <napi.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "hlp/kernels.h"
#include "hlp/cuda.h"
#include "worker-priority.hpp"

namespace {

Napi::Error status_error(Napi::Env env, hlp_status st, const std::string &context) {
  Napi::Error err = Napi::Error::New(env, context + ": " + hlp_status_message(st));
  err.Set("code", Napi::String::New(env, hlp_status_code(st)));
  return err;
}

[[noreturn]] void throw_status(Napi::Env env, hlp_status st, const std::string &context) {
  throw status_error(env, st, context);
}

[[noreturn]] void throw_invalid(Napi::Env env, const std::string &message) {
  Napi::TypeError err = Napi::TypeError::New(env, message);
  err.Set("code", Napi::String::New(env, "INVALID_ARGUMENT"));
  throw err;
}

uint64_t to_u64(const Napi::Value &v, const char *what) {
  Napi::Env env = v.Env();
  if (v.IsBigInt()) {
    bool lossless = false;
    const uint64_t r = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) throw_invalid(env, std::string(what) + " must be a bigint in [0, 2^64)");
    return r;
  }
  if (v.IsNumber()) {
    const double d = v.As<Napi::Number>().DoubleValue();
    if (d >= 0 && d <= 9007199254740991.0 && d == static_cast<double>(static_cast<uint64_t>(d))) {
      return static_cast<uint64_t>(d);
    }
  }
  throw_invalid(env, std::string(what) + " must be a non-negative integer (bigint)");
}

uint32_t to_u32(const Napi::Value &v, const char *what) {
  if (!v.IsNumber()) throw_invalid(v.Env(), std::string(what) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || d != static_cast<double>(static_cast<uint32_t>(d))) {
    throw_invalid(v.Env(), std::string(what) + " must be an integer in [0, 2^32)");
  }
  return static_cast<uint32_t>(d);
}

Napi::TypedArrayOf<uint64_t> to_u64_array(const Napi::Value &v, const char *what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_biguint64_array) {
    throw_invalid(v.Env(), std::string(what) + " must be a BigUint64Array");
  }
  return v.As<Napi::TypedArrayOf<uint64_t>>();
}

hlp_variant to_variant(const Napi::Value &v) {
  if (!v.IsString()) throw_invalid(v.Env(), "variant must be a string");
  const std::string name = v.As<Napi::String>().Utf8Value();
  hlp_variant out;
  if (hlp_variant_parse(name.c_str(), &out) != HLP_OK) {
    throw_invalid(v.Env(), "unknown kernel variant \"" + name + "\" (scalar, avx2, avx512, cuda, auto)");
  }
  return out;
}

Napi::Value bigint(Napi::Env env, uint64_t v) { return Napi::BigInt::New(env, v); }

// ---- free functions --------------------------------------------------------

Napi::Value CpuFeatures(const Napi::CallbackInfo &info) {
  return Napi::String::New(info.Env(), hlp_cpu_features());
}

Napi::Value Variants(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  Napi::Array list = Napi::Array::New(env);
  for (int v = 0; v < HLP_VARIANT_COUNT; ++v) {
    const auto variant = static_cast<hlp_variant>(v);
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", hlp_variant_name(variant));
    o.Set("compiled", Napi::Boolean::New(env, hlp_variant_compiled(variant) != 0));
    o.Set("available", Napi::Boolean::New(env, hlp_variant_available(variant) != 0));
    list.Set(static_cast<uint32_t>(v), o);
  }
  return list;
}

Napi::Value DefaultVariant(const Napi::CallbackInfo &info) {
  return Napi::String::New(info.Env(), hlp_variant_name(hlp_variant_default()));
}

Napi::Value IsPrime(const Napi::CallbackInfo &info) {
  return Napi::Boolean::New(info.Env(), hlp_is_prime(to_u64(info[0], "q")) != 0);
}

Napi::Value GenerateNttPrimes(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  const uint32_t bits = to_u32(info[0], "bits");
  const uint32_t n = to_u32(info[1], "n");
  const uint32_t count = to_u32(info[2], "count");
  if (count == 0 || count > 4096) throw_invalid(env, "count must be in [1, 4096]");
  std::vector<uint64_t> out(count);
  const hlp_status st = hlp_generate_ntt_primes(bits, n, count, out.data());
  if (st != HLP_OK) throw_status(env, st, "generateNttPrimes(" + std::to_string(bits) + ", " + std::to_string(n) + ")");
  auto arr = Napi::TypedArrayOf<uint64_t>::New(env, count, napi_biguint64_array);
  for (uint32_t i = 0; i < count; ++i) arr[i] = out[i];
  return arr;
}

Napi::Value MinimalPrimitiveRoot(const Napi::CallbackInfo &info) {
  uint64_t out = 0;
  const hlp_status st = hlp_minimal_primitive_root(to_u64(info[0], "q"), to_u64(info[1], "order"), &out);
  if (st != HLP_OK) throw_status(info.Env(), st, "minimalPrimitiveRoot");
  return bigint(info.Env(), out);
}

template <hlp_status (*Fn)(uint64_t, uint64_t, uint64_t, uint64_t *)>
Napi::Value Ternary(const Napi::CallbackInfo &info) {
  uint64_t out = 0;
  const hlp_status st = Fn(to_u64(info[0], "a"), to_u64(info[1], "b"), to_u64(info[2], "q"), &out);
  if (st != HLP_OK) throw_status(info.Env(), st, "modular arithmetic");
  return bigint(info.Env(), out);
}

Napi::Value InvMod(const Napi::CallbackInfo &info) {
  uint64_t out = 0;
  const hlp_status st = hlp_inv_mod(to_u64(info[0], "a"), to_u64(info[1], "q"), &out);
  if (st != HLP_OK) throw_status(info.Env(), st, "invMod");
  return bigint(info.Env(), out);
}

// ---- NttContext ---------------------------------------------------------------

using ContextPtr = std::shared_ptr<hlp_ntt_context>;

struct TransformArgs {
  uint64_t *data;
  std::size_t words;
  uint32_t first;
  uint32_t count;
  hlp_variant variant;
  uint32_t flags;
};

class TransformWorker : public Napi::AsyncWorker {
 public:
  TransformWorker(Napi::Env env, ContextPtr ctx, Napi::Object holder, TransformArgs args, bool forward)
      : Napi::AsyncWorker(env), ctx_(std::move(ctx)), deferred_(Napi::Promise::Deferred::New(env)),
        args_(args), forward_(forward) {
    // Keeps the typed array alive (and its memory in place) until the work is done.
    holder_ = Napi::Persistent(holder);
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    hlp_binding::apply_worker_nice();
    status_ = forward_ ? hlp_ntt_forward(ctx_.get(), args_.data, args_.words, args_.first, args_.count,
                                         args_.variant, args_.flags)
                       : hlp_ntt_inverse(ctx_.get(), args_.data, args_.words, args_.first, args_.count,
                                         args_.variant, args_.flags);
  }

  void OnOK() override {
    if (status_ == HLP_OK) {
      deferred_.Resolve(Env().Undefined());
    } else {
      deferred_.Reject(status_error(Env(), status_, forward_ ? "ntt forward" : "ntt inverse").Value());
    }
  }

  void OnError(const Napi::Error &e) override { deferred_.Reject(e.Value()); }

 private:
  ContextPtr ctx_;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference holder_;
  TransformArgs args_;
  bool forward_;
  hlp_status status_ = HLP_E_INTERNAL;
};

class NttContextWrap : public Napi::ObjectWrap<NttContextWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NttContext",
                       {InstanceMethod("forward", &NttContextWrap::Forward),
                        InstanceMethod("inverse", &NttContextWrap::Inverse),
                        InstanceMethod("forwardAsync", &NttContextWrap::ForwardAsync),
                        InstanceMethod("inverseAsync", &NttContextWrap::InverseAsync),
                        InstanceMethod("eltwise", &NttContextWrap::Eltwise),
                        InstanceMethod("dispose", &NttContextWrap::Dispose),
                        InstanceAccessor("n", &NttContextWrap::N, nullptr),
                        InstanceAccessor("moduli", &NttContextWrap::Moduli, nullptr),
                        InstanceAccessor("roots", &NttContextWrap::Roots, nullptr)});
  }

  explicit NttContextWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<NttContextWrap>(info) {
    Napi::Env env = info.Env();
    const uint32_t n = to_u32(info[0], "n");
    Napi::TypedArrayOf<uint64_t> moduli = to_u64_array(info[1], "moduli");
    if (moduli.ElementLength() == 0 || moduli.ElementLength() > 1024) {
      throw_invalid(env, "moduli must hold between 1 and 1024 primes");
    }
    hlp_ntt_context *raw = nullptr;
    const hlp_status st = hlp_ntt_create(n, moduli.Data(), static_cast<uint32_t>(moduli.ElementLength()), &raw);
    if (st != HLP_OK) throw_status(env, st, "NttContext(n=" + std::to_string(n) + ")");
    ctx_ = ContextPtr(raw, hlp_ntt_destroy);
  }

 private:
  hlp_ntt_context *Ctx(Napi::Env env) const {
    if (!ctx_) throw_invalid(env, "NttContext used after dispose()");
    return ctx_.get();
  }

  TransformArgs Args(const Napi::CallbackInfo &info, Napi::TypedArrayOf<uint64_t> &data) {
    return TransformArgs{data.Data(), data.ElementLength(), to_u32(info[1], "firstModulus"),
                         to_u32(info[2], "modulusCount"), to_variant(info[3]), to_u32(info[4], "flags")};
  }

  Napi::Value Run(const Napi::CallbackInfo &info, bool forward) {
    Napi::Env env = info.Env();
    hlp_ntt_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint64_t> data = to_u64_array(info[0], "data");
    const TransformArgs a = Args(info, data);
    const hlp_status st = forward ? hlp_ntt_forward(ctx, a.data, a.words, a.first, a.count, a.variant, a.flags)
                                  : hlp_ntt_inverse(ctx, a.data, a.words, a.first, a.count, a.variant, a.flags);
    if (st != HLP_OK) throw_status(env, st, forward ? "ntt forward" : "ntt inverse");
    return env.Undefined();
  }

  Napi::Value RunAsync(const Napi::CallbackInfo &info, bool forward) {
    Napi::Env env = info.Env();
    Ctx(env);
    Napi::TypedArrayOf<uint64_t> data = to_u64_array(info[0], "data");
    const TransformArgs a = Args(info, data);
    auto *worker = new TransformWorker(env, ctx_, data, a, forward);
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  }

  Napi::Value Forward(const Napi::CallbackInfo &info) { return Run(info, true); }
  Napi::Value Inverse(const Napi::CallbackInfo &info) { return Run(info, false); }
  Napi::Value ForwardAsync(const Napi::CallbackInfo &info) { return RunAsync(info, true); }
  Napi::Value InverseAsync(const Napi::CallbackInfo &info) { return RunAsync(info, false); }

  Napi::Value Eltwise(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ntt_context *ctx = Ctx(env);
    if (!info[0].IsString()) throw_invalid(env, "op must be a string");
    const std::string op = info[0].As<Napi::String>().Utf8Value();
    Napi::TypedArrayOf<uint64_t> out = to_u64_array(info[1], "out");
    Napi::TypedArrayOf<uint64_t> a = to_u64_array(info[2], "a");
    Napi::TypedArrayOf<uint64_t> b = to_u64_array(info[3], "b");
    if (out.ElementLength() != a.ElementLength() || b.ElementLength() != a.ElementLength()) {
      throw_status(env, HLP_E_LENGTH_MISMATCH, "eltwise " + op + ": out, a and b differ in length");
    }
    const uint32_t first = to_u32(info[4], "firstModulus");
    const uint32_t count = to_u32(info[5], "modulusCount");
    const hlp_variant variant = to_variant(info[6]);
    const uint32_t flags = to_u32(info[7], "flags");
    hlp_status st;
    if (op == "add") {
      st = hlp_eltwise_add_mod(ctx, out.Data(), a.Data(), b.Data(), a.ElementLength(), first, count, variant, flags);
    } else if (op == "sub") {
      st = hlp_eltwise_sub_mod(ctx, out.Data(), a.Data(), b.Data(), a.ElementLength(), first, count, variant, flags);
    } else if (op == "mul") {
      st = hlp_eltwise_mul_mod(ctx, out.Data(), a.Data(), b.Data(), a.ElementLength(), first, count, variant, flags);
    } else {
      throw_invalid(env, "unknown element-wise op \"" + op + "\"");
    }
    if (st != HLP_OK) throw_status(env, st, "eltwise " + op);
    return env.Undefined();
  }

  Napi::Value Dispose(const Napi::CallbackInfo &info) {
    // In-flight async work holds its own reference, so the tables outlive it.
    ctx_.reset();
    return info.Env().Undefined();
  }

  Napi::Value N(const Napi::CallbackInfo &info) {
    return Napi::Number::New(info.Env(), hlp_ntt_degree(Ctx(info.Env())));
  }

  Napi::Value Moduli(const Napi::CallbackInfo &info) { return Column(info, hlp_ntt_modulus); }
  Napi::Value Roots(const Napi::CallbackInfo &info) { return Column(info, hlp_ntt_root); }

  Napi::Value Column(const Napi::CallbackInfo &info, uint64_t (*get)(const hlp_ntt_context *, uint32_t)) {
    Napi::Env env = info.Env();
    hlp_ntt_context *ctx = Ctx(env);
    const uint32_t k = hlp_ntt_modulus_count(ctx);
    auto arr = Napi::TypedArrayOf<uint64_t>::New(env, k, napi_biguint64_array);
    for (uint32_t i = 0; i < k; ++i) arr[i] = get(ctx, i);
    return arr;
  }

  ContextPtr ctx_;
};

// ---- Allocator ----------------------------------------------------------------

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
    if (!info[0].IsString()) throw_invalid(env, "allocator kind must be a string");
    const std::string kind = info[0].As<Napi::String>().Utf8Value();
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
    if (st != HLP_OK) throw_status(env, st, "free");
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
    if (st != HLP_OK) throw_status(env, st, "churn");
    return env.Undefined();
  }

  Napi::Value Stats(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_allocator_stats s{};
    const hlp_status st = hlp_allocator_get_stats(Get(env), &s);
    if (st != HLP_OK) throw_status(env, st, "stats");
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

// ---- CKKS core ------------------------------------------------------------------
// Wraps hlp_ckks_* (native/ckks). Results are fresh typed arrays; the async variants
// allocate the result on the JS thread, fill it on a libuv worker, and keep every
// input array referenced (and in place) until the promise settles.

Napi::Error ckks_error(Napi::Env env, hlp_status st, const std::string &context) {
  Napi::Error err = Napi::Error::New(env, context + ": " + hlp_status_message(st));
  err.Set("code", Napi::String::New(env, hlp_status_code(st)));
  return err;
}

void ckks_check(Napi::Env env, hlp_status st, const std::string &context) {
  if (st != HLP_OK) throw ckks_error(env, st, context);
}

Napi::TypedArrayOf<uint8_t> to_u8_array(const Napi::Value &v, const char *what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw_invalid(v.Env(), std::string(what) + " must be a Uint8Array");
  }
  return v.As<Napi::TypedArrayOf<uint8_t>>();
}

Napi::TypedArrayOf<double> to_f64_array(const Napi::Value &v, const char *what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw_invalid(v.Env(), std::string(what) + " must be a Float64Array");
  }
  return v.As<Napi::TypedArrayOf<double>>();
}

double to_f64(const Napi::Value &v, const char *what) {
  if (!v.IsNumber()) throw_invalid(v.Env(), std::string(what) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

Napi::TypedArrayOf<uint64_t> new_u64(Napi::Env env, std::size_t words) {
  return Napi::TypedArrayOf<uint64_t>::New(env, words, napi_biguint64_array);
}

// The caller's result buffer when one is given (undefined or null: a fresh array). A
// reused buffer saves the allocation, zeroing and page faults of a fresh one, which at a
// few hundred kilobytes a call cost as much as the cheap operations themselves.
Napi::TypedArrayOf<uint64_t> out_u64(Napi::Env env, const Napi::Value &given, std::size_t words) {
  if (given.IsUndefined() || given.IsNull()) return new_u64(env, words);
  Napi::TypedArrayOf<uint64_t> out = to_u64_array(given, "out");
  if (out.ElementLength() != words) {
    throw_invalid(env, "out must hold " + std::to_string(words) + " words, got " + std::to_string(out.ElementLength()));
  }
  return out;
}

using CkksPtr = std::shared_ptr<hlp_ckks_context>;

// Shared by the synchronous and asynchronous batch encryptions: plain pointers into
// arrays that the caller keeps alive.
struct CkksEncryptArgs {
  enum Kind { kPublic, kEncodePublic } kind = kPublic;
  const uint64_t *key = nullptr;
  std::size_t key_words = 0;
  const uint64_t *plains = nullptr;
  std::size_t plain_words = 0;
  const double *values = nullptr;
  std::size_t values_per_plain = 0;
  uint32_t count = 0;
  uint32_t level = 0;
  double scale = 0;
  const uint8_t *rand = nullptr;
  std::size_t rand_bytes = 0;
  uint64_t *out = nullptr;
  std::size_t out_words = 0;
  uint32_t flags = 0;

  hlp_status Run(const hlp_ckks_context *ctx) const {
    if (kind == kPublic) {
      return hlp_ckks_encrypt_public(ctx, key, key_words, plains, plain_words, count, level, rand, rand_bytes, out,
                                     out_words, flags);
    }
    return hlp_ckks_encode_encrypt_public(ctx, key, key_words, values, values_per_plain, count, scale, level, rand,
                                          rand_bytes, out, out_words, flags);
  }
};

// A batch's decryption and decoding (hlp_ckks_decrypt_decode), for the same worker.
struct CkksDecryptDecodeArgs {
  const uint64_t *key = nullptr;
  std::size_t key_words = 0;
  const uint64_t *cts = nullptr;
  std::size_t ct_words = 0;
  uint32_t count = 0;
  uint32_t size = 0;
  uint32_t level = 0;
  double scale = 0;
  double *out = nullptr;
  std::size_t out_count = 0;
  std::size_t per = 0;
  uint32_t flags = 0;
  // When not empty, ciphertext i is read from views[i] (its bytes where they arrived, at any
  // alignment; ct_words words each) instead of from cts: gathered here, on the worker thread,
  // one at a time, so that the event loop never copies a batch and no batch-sized buffer exists.
  std::vector<const uint8_t *> views;

  hlp_status Run(const hlp_ckks_context *ctx) const {
    if (views.empty()) {
      return hlp_ckks_decrypt_decode(ctx, key, key_words, cts, ct_words, count, size, level, scale, out, out_count,
                                     per, flags);
    }
    try {
      std::vector<uint64_t> one(ct_words);
      for (uint32_t i = 0; i < count; ++i) {
        std::memcpy(one.data(), views[i], ct_words * sizeof(uint64_t));
        const hlp_status st = hlp_ckks_decrypt_decode(ctx, key, key_words, one.data(), ct_words, 1, size, level, scale,
                                                      out + static_cast<std::size_t>(i) * per, per, per, flags);
        if (st != HLP_OK) return st;
      }
      return HLP_OK;
    } catch (const std::bad_alloc &) {
      return HLP_E_OUT_OF_MEMORY;
    }
  }
};

using ErrorFactory = Napi::Error (*)(Napi::Env, hlp_status, const std::string &);

// One batch (encryption, or decryption and decoding) on a libuv worker thread, settling a promise with `out`. `owners` keep
// the native objects alive until then (an encryptor points into its context), and the
// references keep the JS buffers it reads and writes from being collected meanwhile.
template <class Target, class Args>
class BatchWorker : public Napi::AsyncWorker {
 public:
  BatchWorker(Napi::Env env, std::vector<std::shared_ptr<void>> owners, Target *target, Args args,
                std::vector<Napi::Value> keep, Napi::TypedArray out, ErrorFactory error, const char *what)
      : Napi::AsyncWorker(env), owners_(std::move(owners)), target_(target),
        deferred_(Napi::Promise::Deferred::New(env)), args_(args), error_(error), what_(what) {
    for (auto &v : keep) keep_.push_back(Napi::Persistent(v.As<Napi::Object>()));
    out_ = Napi::Persistent(out.As<Napi::Object>());
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    hlp_binding::apply_worker_nice();
    status_ = args_.Run(target_);
  }

  void OnOK() override {
    if (status_ == HLP_OK) {
      deferred_.Resolve(out_.Value());
    } else {
      deferred_.Reject(error_(Env(), status_, what_).Value());
    }
  }

  void OnError(const Napi::Error &e) override { deferred_.Reject(e.Value()); }

 private:
  std::vector<std::shared_ptr<void>> owners_;
  Target *target_;
  Napi::Promise::Deferred deferred_;
  Args args_;
  ErrorFactory error_;
  const char *what_;
  std::vector<Napi::ObjectReference> keep_;
  Napi::ObjectReference out_;
  hlp_status status_ = HLP_E_INTERNAL;
};

hlp_ckks_randomness to_randomness_kind(const Napi::Value &v) {
  if (!v.IsString()) throw_invalid(v.Env(), "randomness kind must be a string");
  const std::string k = v.As<Napi::String>().Utf8Value();
  if (k == "ternary") return HLP_CKKS_RANDOMNESS_TERNARY;
  if (k == "noise") return HLP_CKKS_RANDOMNESS_NOISE;
  if (k == "uniform") return HLP_CKKS_RANDOMNESS_UNIFORM;
  if (k == "encryptPublic") return HLP_CKKS_RANDOMNESS_ENCRYPT_PUBLIC;
  if (k == "secretKey") return HLP_CKKS_RANDOMNESS_SECRET_KEY;
  throw_invalid(v.Env(), "unknown randomness kind \"" + k + "\" (ternary, noise, uniform, encryptPublic, secretKey)");
}

class CkksCoreWrap : public Napi::ObjectWrap<CkksCoreWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "CkksCore",
                       {InstanceMethod("randomnessBytes", &CkksCoreWrap::RandomnessBytes),
                        InstanceMethod("encode", &CkksCoreWrap::Encode),
                        InstanceMethod("decode", &CkksCoreWrap::Decode),
                        InstanceMethod("keygenSecret", &CkksCoreWrap::KeygenSecret),
                        InstanceMethod("sampleUniform", &CkksCoreWrap::SampleUniform),
                        InstanceMethod("keygenPublic", &CkksCoreWrap::KeygenPublic),
                        InstanceMethod("encryptPublic", &CkksCoreWrap::EncryptPublic),
                        InstanceMethod("encryptPublicAsync", &CkksCoreWrap::EncryptPublicAsync),
                        InstanceMethod("encodeEncryptPublic", &CkksCoreWrap::EncodeEncryptPublic),
                        InstanceMethod("encodeEncryptPublicAsync", &CkksCoreWrap::EncodeEncryptPublicAsync),
                        InstanceMethod("encryptSymmetric", &CkksCoreWrap::EncryptSymmetric),
                        InstanceMethod("decrypt", &CkksCoreWrap::Decrypt),
                        InstanceMethod("decryptDecodeAsync", &CkksCoreWrap::DecryptDecodeAsync),
                        InstanceMethod("addSub", &CkksCoreWrap::AddSub),
                        InstanceMethod("negate", &CkksCoreWrap::Negate),
                        InstanceMethod("plainOp", &CkksCoreWrap::PlainOp),
                        InstanceMethod("multiplyPlainAccumulate", &CkksCoreWrap::MultiplyPlainAccumulate),
                        InstanceMethod("multiply", &CkksCoreWrap::Multiply),
                        InstanceMethod("dropLevel", &CkksCoreWrap::DropLevel),
                        InstanceMethod("galoisElement", &CkksCoreWrap::GaloisElement),
                        InstanceMethod("checkKswitchKey", &CkksCoreWrap::CheckKswitchKey),
                        InstanceMethod("keygenKswitch", &CkksCoreWrap::KeygenKswitch),
                        InstanceMethod("relinearize", &CkksCoreWrap::Relinearize),
                        InstanceMethod("applyGalois", &CkksCoreWrap::ApplyGalois),
                        InstanceMethod("multiplyRelinRescale", &CkksCoreWrap::MultiplyRelinRescale),
                        InstanceMethod("dispose", &CkksCoreWrap::Dispose)});
  }

  explicit CkksCoreWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<CkksCoreWrap>(info) {
    Napi::Env env = info.Env();
    const uint32_t n = to_u32(info[0], "n");
    Napi::TypedArrayOf<uint64_t> moduli = to_u64_array(info[1], "moduli");
    if (moduli.ElementLength() < 2 || moduli.ElementLength() > HLP_CKKS_MAX_DATA_PRIMES + 1) {
      throw_invalid(env, "moduli must hold 2 to " + std::to_string(HLP_CKKS_MAX_DATA_PRIMES + 1) +
                             " primes (data primes, then the special prime)");
    }
    hlp_ckks_context *raw = nullptr;
    ckks_check(env, hlp_ckks_create(n, moduli.Data(), static_cast<uint32_t>(moduli.ElementLength()), &raw),
               "CkksCore(n=" + std::to_string(n) + ")");
    ctx_ = CkksPtr(raw, hlp_ckks_destroy);
    n_ = n;
    k_ = hlp_ckks_data_prime_count(raw);
  }

 private:
  hlp_ckks_context *Ctx(Napi::Env env) const {
    if (!ctx_) throw_invalid(env, "CkksCore used after dispose()");
    return ctx_.get();
  }

  std::size_t Poly(uint32_t level) const { return static_cast<std::size_t>(level) * n_; }

  Napi::Value RandomnessBytes(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    std::size_t out = 0;
    ckks_check(env, hlp_ckks_randomness_bytes(Ctx(env), to_randomness_kind(info[0]), to_u32(info[1], "level"), &out),
               "randomnessBytes");
    return Napi::Number::New(env, static_cast<double>(out));
  }

  // encode(values: Float64Array, scale, level, complex: boolean)
  Napi::Value Encode(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<double> values = to_f64_array(info[0], "values");
    const double scale = to_f64(info[1], "scale");
    const uint32_t level = to_u32(info[2], "level");
    const bool complex = info[3].ToBoolean().Value();
    if (level < 1 || level > k_) ckks_check(env, HLP_E_INVALID_ARGUMENT, "encode: level out of range");
    if (complex && values.ElementLength() % 2 != 0) {
      ckks_check(env, HLP_E_LENGTH_MISMATCH, "encode: complex values come as (re, im) pairs");
    }
    auto out = new_u64(env, Poly(level));
    const hlp_status st =
        complex ? hlp_ckks_encode_complex(ctx, values.Data(), values.ElementLength() / 2, scale, level, out.Data(),
                                          out.ElementLength())
                : hlp_ckks_encode(ctx, values.Data(), values.ElementLength(), scale, level, out.Data(),
                                  out.ElementLength());
    ckks_check(env, st, "encode");
    return out;
  }

  // decode(plain, level, scale, count, complex, flags)
  Napi::Value Decode(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint64_t> plain = to_u64_array(info[0], "plain");
    const uint32_t level = to_u32(info[1], "level");
    const double scale = to_f64(info[2], "scale");
    const uint32_t count = to_u32(info[3], "count");
    const bool complex = info[4].ToBoolean().Value();
    const uint32_t flags = to_u32(info[5], "flags");
    if (count > n_ / 2) ckks_check(env, HLP_E_LENGTH_MISMATCH, "decode: more slots than n/2");
    auto out = Napi::Float64Array::New(env, complex ? 2 * static_cast<std::size_t>(count) : count);
    const hlp_status st =
        complex ? hlp_ckks_decode_complex(ctx, plain.Data(), plain.ElementLength(), level, scale, out.Data(), count,
                                          flags)
                : hlp_ckks_decode(ctx, plain.Data(), plain.ElementLength(), level, scale, out.Data(), count, flags);
    ckks_check(env, st, "decode");
    return out;
  }

  Napi::Value SampleUniform(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint8_t> rand = to_u8_array(info[0], "randomness");
    const uint32_t level = to_u32(info[1], "level");
    if (level < 1 || level > k_ + 1) throw_invalid(env, "level must be in [1, k + 1]");
    auto out = new_u64(env, Poly(level));
    ckks_check(env, hlp_ckks_sample_uniform(ctx, rand.Data(), rand.ElementLength(), level, out.Data(), out.ElementLength()),
               "sampleUniform");
    return out;
  }

  Napi::Value KeygenSecret(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint8_t> rand = to_u8_array(info[0], "randomness");
    auto out = new_u64(env, Poly(k_ + 1));
    ckks_check(env, hlp_ckks_keygen_secret(ctx, rand.Data(), rand.ElementLength(), out.Data(), out.ElementLength()),
               "keygenSecret");
    return out;
  }

  Napi::Value KeygenPublic(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint64_t> sk = to_u64_array(info[0], "secretKey");
    Napi::TypedArrayOf<uint8_t> uniform = to_u8_array(info[1], "uniformRandomness");
    Napi::TypedArrayOf<uint8_t> noise = to_u8_array(info[2], "noiseRandomness");
    const uint32_t flags = to_u32(info[3], "flags");
    auto out = new_u64(env, 2 * Poly(k_ + 1));
    ckks_check(env,
               hlp_ckks_keygen_public(ctx, sk.Data(), sk.ElementLength(), uniform.Data(), uniform.ElementLength(),
                                      noise.Data(), noise.ElementLength(), out.Data(), out.ElementLength(), flags),
               "keygenPublic");
    return out;
  }

  // (pk, plains | null, count, level, randomness, flags)
  CkksEncryptArgs PublicArgs(const Napi::CallbackInfo &info, std::vector<Napi::Value> &keep) {
    Napi::Env env = info.Env();
    CkksEncryptArgs a;
    a.kind = CkksEncryptArgs::kPublic;
    Napi::TypedArrayOf<uint64_t> pk = to_u64_array(info[0], "publicKey");
    a.key = pk.Data();
    a.key_words = pk.ElementLength();
    keep.push_back(pk);
    if (!info[1].IsNull() && !info[1].IsUndefined()) {
      Napi::TypedArrayOf<uint64_t> plains = to_u64_array(info[1], "plains");
      a.plains = plains.Data();
      a.plain_words = plains.ElementLength();
      keep.push_back(plains);
    }
    a.count = to_u32(info[2], "count");
    a.level = to_u32(info[3], "level");
    Napi::TypedArrayOf<uint8_t> rand = to_u8_array(info[4], "randomness");
    a.rand = rand.Data();
    a.rand_bytes = rand.ElementLength();
    keep.push_back(rand);
    a.flags = to_u32(info[5], "flags");
    Shape(env, a);
    return a;
  }

  // (pk, values, valuesPerPlain, count, scale, level, randomness, flags)
  CkksEncryptArgs EncodePublicArgs(const Napi::CallbackInfo &info, std::vector<Napi::Value> &keep) {
    Napi::Env env = info.Env();
    CkksEncryptArgs a;
    a.kind = CkksEncryptArgs::kEncodePublic;
    Napi::TypedArrayOf<uint64_t> pk = to_u64_array(info[0], "publicKey");
    a.key = pk.Data();
    a.key_words = pk.ElementLength();
    keep.push_back(pk);
    Napi::TypedArrayOf<double> values = to_f64_array(info[1], "values");
    a.values = values.Data();
    keep.push_back(values);
    a.values_per_plain = to_u32(info[2], "valuesPerPlain");
    a.count = to_u32(info[3], "count");
    if (static_cast<std::size_t>(a.count) * a.values_per_plain != values.ElementLength()) {
      ckks_check(env, HLP_E_LENGTH_MISMATCH, "encodeEncryptPublic: values.length != count * valuesPerPlain");
    }
    a.scale = to_f64(info[4], "scale");
    a.level = to_u32(info[5], "level");
    Napi::TypedArrayOf<uint8_t> rand = to_u8_array(info[6], "randomness");
    a.rand = rand.Data();
    a.rand_bytes = rand.ElementLength();
    keep.push_back(rand);
    a.flags = to_u32(info[7], "flags");
    Shape(env, a);
    return a;
  }

  // Output size checks that the C ABI would also make, done here so no oversized
  // array is allocated for a call that must fail.
  void Shape(Napi::Env env, const CkksEncryptArgs &a) const {
    if (a.count == 0 || a.count > (1u << 20)) ckks_check(env, HLP_E_INVALID_ARGUMENT, "encrypt: count out of range");
    if (a.level < 1 || a.level > k_) ckks_check(env, HLP_E_INVALID_ARGUMENT, "encrypt: level out of range");
  }

  Napi::Value RunEncrypt(const Napi::CallbackInfo &info, bool encode, bool async) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    std::vector<Napi::Value> keep;
    CkksEncryptArgs a = encode ? EncodePublicArgs(info, keep) : PublicArgs(info, keep);
    // An optional result buffer follows the flags (the caller's pooled memory).
    auto out = out_u64(env, info[encode ? 8 : 6], static_cast<std::size_t>(a.count) * 2 * Poly(a.level));
    a.out = out.Data();
    a.out_words = out.ElementLength();
    if (!async) {
      ckks_check(env, a.Run(ctx), encode ? "encodeEncryptPublic" : "encryptPublic");
      return out;
    }
    auto *worker = new BatchWorker<const hlp_ckks_context, CkksEncryptArgs>(env, {ctx_}, ctx_.get(), a, keep, out, ckks_error,
                                                                             "ckks encrypt (async)");
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  }

  Napi::Value EncryptPublic(const Napi::CallbackInfo &info) { return RunEncrypt(info, false, false); }
  Napi::Value EncryptPublicAsync(const Napi::CallbackInfo &info) { return RunEncrypt(info, false, true); }
  Napi::Value EncodeEncryptPublic(const Napi::CallbackInfo &info) { return RunEncrypt(info, true, false); }
  Napi::Value EncodeEncryptPublicAsync(const Napi::CallbackInfo &info) { return RunEncrypt(info, true, true); }

  // (sk, plains | null, count, level, uniform, noise, flags)
  Napi::Value EncryptSymmetric(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint64_t> sk = to_u64_array(info[0], "secretKey");
    const uint64_t *plains = nullptr;
    std::size_t plain_words = 0;
    if (!info[1].IsNull() && !info[1].IsUndefined()) {
      Napi::TypedArrayOf<uint64_t> p = to_u64_array(info[1], "plains");
      plains = p.Data();
      plain_words = p.ElementLength();
    }
    const uint32_t count = to_u32(info[2], "count");
    const uint32_t level = to_u32(info[3], "level");
    Napi::TypedArrayOf<uint8_t> uniform = to_u8_array(info[4], "uniformRandomness");
    Napi::TypedArrayOf<uint8_t> noise = to_u8_array(info[5], "noiseRandomness");
    const uint32_t flags = to_u32(info[6], "flags");
    if (count == 0 || count > (1u << 20)) ckks_check(env, HLP_E_INVALID_ARGUMENT, "encryptSymmetric: count out of range");
    if (level < 1 || level > k_) ckks_check(env, HLP_E_INVALID_ARGUMENT, "encryptSymmetric: level out of range");
    auto out = new_u64(env, static_cast<std::size_t>(count) * 2 * Poly(level));
    ckks_check(env,
               hlp_ckks_encrypt_symmetric(ctx, sk.Data(), sk.ElementLength(), plains, plain_words, count, level,
                                          uniform.Data(), uniform.ElementLength(), noise.Data(),
                                          noise.ElementLength(), out.Data(), out.ElementLength(), flags),
               "encryptSymmetric");
    return out;
  }

  // (sk, ct, size, level, flags)
  Napi::Value Decrypt(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint64_t> sk = to_u64_array(info[0], "secretKey");
    Napi::TypedArrayOf<uint64_t> ct = to_u64_array(info[1], "ciphertext");
    const uint32_t size = to_u32(info[2], "size");
    const uint32_t level = to_u32(info[3], "level");
    const uint32_t flags = to_u32(info[4], "flags");
    if (level < 1 || level > k_) ckks_check(env, HLP_E_INVALID_ARGUMENT, "decrypt: level out of range");
    auto out = new_u64(env, Poly(level));
    ckks_check(env,
               hlp_ckks_decrypt(ctx, sk.Data(), sk.ElementLength(), ct.Data(), ct.ElementLength(), size, level,
                                out.Data(), out.ElementLength(), flags),
               "decrypt");
    return out;
  }

  // decryptDecodeAsync(sk, cts | [ct bytes, ...], count, size, level, scale, valuesPerCiphertext, flags)
  //   -> Promise<Float64Array>; cts is count ciphertexts back to back, or one Uint8Array per ciphertext.
  Napi::Value DecryptDecodeAsync(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Ctx(env);  // throws after dispose()
    CkksDecryptDecodeArgs a;
    Napi::TypedArrayOf<uint64_t> sk = to_u64_array(info[0], "secretKey");
    a.key = sk.Data();
    a.key_words = sk.ElementLength();
    a.count = to_u32(info[2], "count");
    a.size = to_u32(info[3], "size");
    a.level = to_u32(info[4], "level");
    a.scale = to_f64(info[5], "scale");
    a.per = to_u32(info[6], "valuesPerCiphertext");
    a.flags = to_u32(info[7], "flags");
    if (a.count == 0 || a.count > (1u << 20)) ckks_check(env, HLP_E_INVALID_ARGUMENT, "decryptDecode: count out of range");
    if (a.level < 1 || a.level > k_) ckks_check(env, HLP_E_INVALID_ARGUMENT, "decryptDecode: level out of range");
    if (a.per > n_ / 2) ckks_check(env, HLP_E_LENGTH_MISMATCH, "decryptDecode: more slots than n/2");
    if (info[1].IsArray()) {
      Napi::Array list = info[1].As<Napi::Array>();
      if (list.Length() != a.count) ckks_check(env, HLP_E_LENGTH_MISMATCH, "decryptDecode: one view per ciphertext");
      a.ct_words = static_cast<std::size_t>(a.size) * Poly(a.level);
      a.views.reserve(a.count);
      for (uint32_t i = 0; i < a.count; ++i) {
        Napi::TypedArrayOf<uint8_t> view = to_u8_array(list.Get(i), "ciphertext bytes");
        if (view.ByteLength() != a.ct_words * sizeof(uint64_t)) {
          ckks_check(env, HLP_E_LENGTH_MISMATCH, "decryptDecode: a ciphertext view is not size x level x n words");
        }
        a.views.push_back(view.Data());
      }
      auto out = Napi::Float64Array::New(env, static_cast<std::size_t>(a.count) * a.per);
      a.out = out.Data();
      a.out_count = out.ElementLength();
      // The array holds the views, which hold their buffers, until the worker settles.
      auto *worker = new BatchWorker<const hlp_ckks_context, CkksDecryptDecodeArgs>(
          env, {ctx_}, ctx_.get(), a, {sk, list}, out, ckks_error, "ckks decrypt+decode (async)");
      Napi::Promise promise = worker->Promise();
      worker->Queue();
      return promise;
    }
    Napi::TypedArrayOf<uint64_t> cts = to_u64_array(info[1], "ciphertexts");
    a.cts = cts.Data();
    a.ct_words = cts.ElementLength();
    auto out = Napi::Float64Array::New(env, static_cast<std::size_t>(a.count) * a.per);
    a.out = out.Data();
    a.out_count = out.ElementLength();
    auto *worker = new BatchWorker<const hlp_ckks_context, CkksDecryptDecodeArgs>(
        env, {ctx_}, ctx_.get(), a, {sk, cts}, out, ckks_error, "ckks decrypt+decode (async)");
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  }

  // addSub(op: 'add' | 'sub', a, aSize, b, bSize, level, flags, out?)
  Napi::Value AddSub(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    if (!info[0].IsString()) throw_invalid(env, "op must be a string");
    const std::string op = info[0].As<Napi::String>().Utf8Value();
    if (op != "add" && op != "sub") throw_invalid(env, "op must be \"add\" or \"sub\"");
    Napi::TypedArrayOf<uint64_t> a = to_u64_array(info[1], "a");
    const uint32_t a_size = to_u32(info[2], "aSize");
    Napi::TypedArrayOf<uint64_t> b = to_u64_array(info[3], "b");
    const uint32_t b_size = to_u32(info[4], "bSize");
    const uint32_t level = to_u32(info[5], "level");
    const uint32_t flags = to_u32(info[6], "flags");
    if (level < 1 || level > k_ || a_size < 1 || a_size > 3 || b_size < 1 || b_size > 3) {
      ckks_check(env, HLP_E_INVALID_ARGUMENT, op + ": level or size out of range");
    }
    auto out = out_u64(env, info[7], (a_size > b_size ? a_size : b_size) * Poly(level));
    auto fn = op == "add" ? hlp_ckks_add : hlp_ckks_sub;
    ckks_check(env,
               fn(ctx, a.Data(), a.ElementLength(), a_size, b.Data(), b.ElementLength(), b_size, level, out.Data(),
                  out.ElementLength(), flags),
               op);
    return out;
  }

  // negate(a, size, level, flags, out?)
  Napi::Value Negate(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint64_t> a = to_u64_array(info[0], "ciphertext");
    const uint32_t size = to_u32(info[1], "size");
    const uint32_t level = to_u32(info[2], "level");
    const uint32_t flags = to_u32(info[3], "flags");
    auto out = out_u64(env, info[4], a.ElementLength());
    ckks_check(env, hlp_ckks_negate(ctx, a.Data(), a.ElementLength(), size, level, out.Data(), out.ElementLength(), flags),
               "negate");
    return out;
  }

  // plainOp(op: 'add' | 'multiply', ct, size, plain, level, flags, out?)
  Napi::Value PlainOp(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    if (!info[0].IsString()) throw_invalid(env, "op must be a string");
    const std::string op = info[0].As<Napi::String>().Utf8Value();
    if (op != "add" && op != "multiply") throw_invalid(env, "op must be \"add\" or \"multiply\"");
    Napi::TypedArrayOf<uint64_t> ct = to_u64_array(info[1], "ciphertext");
    const uint32_t size = to_u32(info[2], "size");
    Napi::TypedArrayOf<uint64_t> plain = to_u64_array(info[3], "plain");
    const uint32_t level = to_u32(info[4], "level");
    const uint32_t flags = to_u32(info[5], "flags");
    auto out = out_u64(env, info[6], ct.ElementLength());
    auto fn = op == "add" ? hlp_ckks_add_plain : hlp_ckks_multiply_plain;
    ckks_check(env,
               fn(ctx, ct.Data(), ct.ElementLength(), size, plain.Data(), plain.ElementLength(), level, out.Data(),
                  out.ElementLength(), flags),
               op == "add" ? "addPlain" : "multiplyPlain");
    return out;
  }

  // multiplyPlainAccumulate(cts: BigUint64Array[], plains: BigUint64Array[], level, flags, out?)
  Napi::Value MultiplyPlainAccumulate(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    if (!info[0].IsArray() || !info[1].IsArray()) throw_invalid(env, "ciphertexts and plaintexts must be arrays");
    Napi::Array cts = info[0].As<Napi::Array>();
    Napi::Array plains = info[1].As<Napi::Array>();
    const uint32_t count = cts.Length();
    if (count == 0 || plains.Length() != count) throw_invalid(env, "one plaintext per ciphertext, at least one");
    const uint32_t level = Level(env, info[2], 1, "multiplyPlainAccumulate");
    const uint32_t flags = to_u32(info[3], "flags");
    std::vector<const uint64_t *> ct_ptrs(count), plain_ptrs(count);
    for (uint32_t t = 0; t < count; ++t) {
      Napi::TypedArrayOf<uint64_t> ct = to_u64_array(cts.Get(t), "ciphertext");
      Napi::TypedArrayOf<uint64_t> plain = to_u64_array(plains.Get(t), "plain");
      if (ct.ElementLength() != 2 * Poly(level) || plain.ElementLength() != Poly(level)) {
        ckks_check(env, HLP_E_LENGTH_MISMATCH, "multiplyPlainAccumulate: term " + std::to_string(t));
      }
      ct_ptrs[t] = ct.Data();
      plain_ptrs[t] = plain.Data();
    }
    auto out = out_u64(env, info[4], 2 * Poly(level));
    ckks_check(env,
               hlp_ckks_multiply_plain_accumulate(ctx, ct_ptrs.data(), plain_ptrs.data(), count, level, out.Data(),
                                                  out.ElementLength(), flags),
               "multiplyPlainAccumulate");
    return out;
  }

  // multiply(a, b, level, flags, out?)
  Napi::Value Multiply(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint64_t> a = to_u64_array(info[0], "a");
    Napi::TypedArrayOf<uint64_t> b = to_u64_array(info[1], "b");
    const uint32_t level = to_u32(info[2], "level");
    const uint32_t flags = to_u32(info[3], "flags");
    if (level < 1 || level > k_) ckks_check(env, HLP_E_INVALID_ARGUMENT, "multiply: level out of range");
    auto out = out_u64(env, info[4], 3 * Poly(level));
    ckks_check(env,
               hlp_ckks_multiply(ctx, a.Data(), a.ElementLength(), b.Data(), b.ElementLength(), level, out.Data(),
                                 out.ElementLength(), flags),
               "multiply");
    return out;
  }

  // dropLevel(op: 'rescale' | 'modSwitch', ct, size, level, flags, out?)
  Napi::Value DropLevel(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    if (!info[0].IsString()) throw_invalid(env, "op must be a string");
    const std::string op = info[0].As<Napi::String>().Utf8Value();
    if (op != "rescale" && op != "modSwitch") throw_invalid(env, "op must be \"rescale\" or \"modSwitch\"");
    Napi::TypedArrayOf<uint64_t> ct = to_u64_array(info[1], "ciphertext");
    const uint32_t size = to_u32(info[2], "size");
    const uint32_t level = to_u32(info[3], "level");
    const uint32_t flags = to_u32(info[4], "flags");
    if (level < 2 || level > k_ || size < 1 || size > 3) {
      ckks_check(env, HLP_E_INVALID_ARGUMENT, op + ": needs 2 <= level <= k and size 1..3");
    }
    auto out = out_u64(env, info[5], size * Poly(level - 1));
    auto fn = op == "rescale" ? hlp_ckks_rescale : hlp_ckks_mod_switch;
    ckks_check(env, fn(ctx, ct.Data(), ct.ElementLength(), size, level, out.Data(), out.ElementLength(), flags), op);
    return out;
  }

  // ---- key switching ----

  std::size_t KeyWords() const { return static_cast<std::size_t>(k_) * 2 * (k_ + 1) * n_; }

  uint32_t Level(Napi::Env env, const Napi::Value &v, uint32_t min, const char *what) const {
    const uint32_t level = to_u32(v, "level");
    if (level < min || level > k_) ckks_check(env, HLP_E_INVALID_ARGUMENT, std::string(what) + ": level out of range");
    return level;
  }

  // galoisElement(steps: number): 0 is conjugation
  Napi::Value GaloisElement(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!info[0].IsNumber()) throw_invalid(env, "steps must be a number");
    const double d = info[0].As<Napi::Number>().DoubleValue();
    if (d != static_cast<double>(static_cast<int32_t>(d))) throw_invalid(env, "steps must be a 32-bit integer");
    uint32_t elt = 0;
    ckks_check(env, hlp_ckks_galois_element(Ctx(env), static_cast<int32_t>(d), &elt), "galoisElement");
    return Napi::Number::New(env, elt);
  }

  Napi::Value CheckKswitchKey(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Napi::TypedArrayOf<uint64_t> key = to_u64_array(info[0], "key");
    ckks_check(env, hlp_ckks_check_kswitch_key(Ctx(env), key.Data(), key.ElementLength()), "key-switching key");
    return env.Undefined();
  }

  // keygenKswitch(secretKey, galoisElt (0: relinearization), uniform, noise, flags)
  Napi::Value KeygenKswitch(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint64_t> sk = to_u64_array(info[0], "secretKey");
    const uint32_t elt = to_u32(info[1], "galoisElt");
    Napi::TypedArrayOf<uint8_t> uniform = to_u8_array(info[2], "uniformRandomness");
    Napi::TypedArrayOf<uint8_t> noise = to_u8_array(info[3], "noiseRandomness");
    const uint32_t flags = to_u32(info[4], "flags");
    auto out = new_u64(env, KeyWords());
    ckks_check(env,
               hlp_ckks_keygen_kswitch(ctx, sk.Data(), sk.ElementLength(), elt, uniform.Data(), uniform.ElementLength(),
                                       noise.Data(), noise.ElementLength(), out.Data(), out.ElementLength(), flags),
               "keygenKswitch");
    return out;
  }

  // relinearize(key, ct (size 3), level, flags, out?)
  Napi::Value Relinearize(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint64_t> key = to_u64_array(info[0], "relinKey");
    Napi::TypedArrayOf<uint64_t> ct = to_u64_array(info[1], "ciphertext");
    const uint32_t level = Level(env, info[2], 1, "relinearize");
    const uint32_t flags = to_u32(info[3], "flags");
    auto out = out_u64(env, info[4], 2 * Poly(level));
    ckks_check(env,
               hlp_ckks_relinearize(ctx, key.Data(), key.ElementLength(), ct.Data(), ct.ElementLength(), level,
                                    out.Data(), out.ElementLength(), flags),
               "relinearize");
    return out;
  }

  // applyGalois(keys: BigUint64Array[], elts: number[], ct (size 2), level, flags, outs?):
  // one result per element (in `outs` when given); more than one element shares one
  // decomposition.
  Napi::Value ApplyGalois(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    if (!info[0].IsArray() || !info[1].IsArray()) throw_invalid(env, "keys and elements must be arrays");
    Napi::Array keys = info[0].As<Napi::Array>();
    Napi::Array elts = info[1].As<Napi::Array>();
    const uint32_t count = keys.Length();
    if (count == 0 || elts.Length() != count) throw_invalid(env, "one Galois key per element, at least one");
    std::vector<const uint64_t *> key_ptrs(count);
    std::vector<uint32_t> elt_values(count);
    for (uint32_t r = 0; r < count; ++r) {
      Napi::TypedArrayOf<uint64_t> key = to_u64_array(keys.Get(r), "galoisKey");
      if (key.ElementLength() != KeyWords()) ckks_check(env, HLP_E_LENGTH_MISMATCH, "applyGalois: key " + std::to_string(r));
      key_ptrs[r] = key.Data();
      elt_values[r] = to_u32(elts.Get(r), "galoisElt");
    }
    Napi::TypedArrayOf<uint64_t> ct = to_u64_array(info[2], "ciphertext");
    const uint32_t level = Level(env, info[3], 1, "applyGalois");
    const uint32_t flags = to_u32(info[4], "flags");
    const bool given = !info[5].IsUndefined() && !info[5].IsNull();
    if (given && (!info[5].IsArray() || info[5].As<Napi::Array>().Length() != count)) {
      throw_invalid(env, "outs must be an array with one buffer per element");
    }
    Napi::Array results = given ? info[5].As<Napi::Array>() : Napi::Array::New(env, count);
    std::vector<uint64_t *> out_ptrs(count);
    for (uint32_t r = 0; r < count; ++r) {
      auto out = out_u64(env, given ? results.Get(r) : env.Undefined(), 2 * Poly(level));
      if (!given) results.Set(r, out);
      out_ptrs[r] = out.Data();
    }
    ckks_check(env,
               hlp_ckks_apply_galois(ctx, key_ptrs.data(), KeyWords(), elt_values.data(), count, ct.Data(),
                                     ct.ElementLength(), level, out_ptrs.data(), 2 * Poly(level), flags),
               "applyGalois");
    return results;
  }

  // multiplyRelinRescale(key, a, b, level, flags, out?) -> size 2 at level - 1
  Napi::Value MultiplyRelinRescale(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    hlp_ckks_context *ctx = Ctx(env);
    Napi::TypedArrayOf<uint64_t> key = to_u64_array(info[0], "relinKey");
    Napi::TypedArrayOf<uint64_t> a = to_u64_array(info[1], "a");
    Napi::TypedArrayOf<uint64_t> b = to_u64_array(info[2], "b");
    const uint32_t level = Level(env, info[3], 2, "multiplyRelinRescale");
    const uint32_t flags = to_u32(info[4], "flags");
    auto out = out_u64(env, info[5], 2 * Poly(level - 1));
    ckks_check(env,
               hlp_ckks_multiply_relin_rescale(ctx, key.Data(), key.ElementLength(), a.Data(), a.ElementLength(),
                                               b.Data(), b.ElementLength(), level, out.Data(), out.ElementLength(),
                                               flags),
               "multiplyRelinRescale");
    return out;
  }

  Napi::Value Dispose(const Napi::CallbackInfo &info) {
    // In-flight async work holds its own reference, so the context outlives it.
    ctx_.reset();
    return info.Env().Undefined();
  }

  CkksPtr ctx_;
  uint32_t n_ = 0;
  uint32_t k_ = 0;

 public:
  // For CudaEncryptorWrap, which shares the context (the device encryptor points into it).
  CkksPtr Shared(Napi::Env env) const {
    Ctx(env);
    return ctx_;
  }
  uint32_t Degree() const { return n_; }
  uint32_t DataPrimes() const { return k_; }
};

// ---- cuda variant (hlp/cuda.h) ------------------------------------------------------
// The device encryptor, the device pool counters and the reason cuda cannot run. Every call
// goes through the C ABI, which answers HLP_E_VARIANT_UNAVAILABLE without a device; the
// reason is appended to that error's message so a caller sees why, not only that.

// Per-instance data of the addon: the CkksCore constructor, so that CudaEncryptor can check
// its argument's class before unwrapping it (unwrapping another class's object would read
// the wrong C++ type).
struct AddonData {
  Napi::FunctionReference ckks_core;
};

Napi::Error cuda_error(Napi::Env env, hlp_status st, const std::string &context) {
  std::string message = context + ": " + hlp_status_message(st);
  if (st == HLP_E_VARIANT_UNAVAILABLE) {
    const char *reason = hlp_cuda_unavailable_reason();
    if (reason != nullptr && *reason != '\0') message += " (" + std::string(reason) + ")";
  }
  Napi::Error err = Napi::Error::New(env, message);
  err.Set("code", Napi::String::New(env, hlp_status_code(st)));
  return err;
}

void cuda_check(Napi::Env env, hlp_status st, const std::string &context) {
  if (st != HLP_OK) throw cuda_error(env, st, context);
}

using CudaEncryptorPtr = std::shared_ptr<hlp_cuda_encryptor>;

// Plain pointers into arrays that the caller keeps alive (as CkksEncryptArgs).
struct CudaEncryptArgs {
  bool encode = false;
  const uint64_t *plains = nullptr;
  std::size_t plain_words = 0;
  const double *values = nullptr;
  std::size_t values_per_plain = 0;
  double scale = 0;
  uint32_t count = 0;
  const uint8_t *rand = nullptr;
  std::size_t rand_bytes = 0;
  uint64_t *out = nullptr;
  std::size_t out_words = 0;
  uint32_t flags = 0;

  hlp_status Run(hlp_cuda_encryptor *encryptor) const {
    if (encode) {
      return hlp_cuda_encode_encrypt_public(encryptor, values, values_per_plain, count, scale, rand, rand_bytes, out,
                                            out_words, flags);
    }
    return hlp_cuda_encrypt_public(encryptor, plains, plain_words, count, rand, rand_bytes, out, out_words, flags);
  }
};

class CudaEncryptorWrap : public Napi::ObjectWrap<CudaEncryptorWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "CudaEncryptor",
                       {InstanceMethod("encryptPublic", &CudaEncryptorWrap::EncryptPublic),
                        InstanceMethod("encryptPublicAsync", &CudaEncryptorWrap::EncryptPublicAsync),
                        InstanceMethod("encodeEncryptPublic", &CudaEncryptorWrap::EncodeEncryptPublic),
                        InstanceMethod("encodeEncryptPublicAsync", &CudaEncryptorWrap::EncodeEncryptPublicAsync),
                        InstanceMethod("dispose", &CudaEncryptorWrap::Dispose)});
  }

  // (core: CkksCore, publicKey, level, flags)
  explicit CudaEncryptorWrap(const Napi::CallbackInfo &info) : Napi::ObjectWrap<CudaEncryptorWrap>(info) {
    Napi::Env env = info.Env();
    AddonData *data = env.GetInstanceData<AddonData>();
    if (data == nullptr || !info[0].IsObject() || !info[0].As<Napi::Object>().InstanceOf(data->ckks_core.Value())) {
      throw_invalid(env, "core must be a CkksCore");
    }
    CkksCoreWrap *core = CkksCoreWrap::Unwrap(info[0].As<Napi::Object>());
    CkksPtr ctx = core->Shared(env);
    Napi::TypedArrayOf<uint64_t> pk = to_u64_array(info[1], "publicKey");
    const uint32_t level = to_u32(info[2], "level");
    const uint32_t flags = to_u32(info[3], "flags");
    hlp_cuda_encryptor *raw = nullptr;
    cuda_check(env, hlp_cuda_encryptor_create(ctx.get(), pk.Data(), pk.ElementLength(), level, flags, &raw),
               "CudaEncryptor(level=" + std::to_string(level) + ")");
    ctx_ = std::move(ctx);
    encryptor_ = CudaEncryptorPtr(raw, hlp_cuda_encryptor_destroy);
    n_ = core->Degree();
    level_ = level;
  }

 private:
  void Alive(Napi::Env env) const {
    if (!encryptor_) throw_invalid(env, "CudaEncryptor used after dispose()");
  }

  // encrypt: (plains | null, count, randomness, flags)
  // encode:  (values, valuesPerPlain, count, scale, randomness, flags)
  Napi::Value Run(const Napi::CallbackInfo &info, bool encode, bool async) {
    Napi::Env env = info.Env();
    Alive(env);
    std::vector<Napi::Value> keep;
    CudaEncryptArgs a;
    a.encode = encode;
    std::size_t arg = 0;
    if (encode) {
      Napi::TypedArrayOf<double> values = to_f64_array(info[arg++], "values");
      a.values = values.Data();
      keep.push_back(values);
      a.values_per_plain = to_u32(info[arg++], "valuesPerPlain");
      a.count = to_u32(info[arg++], "count");
      if (static_cast<std::size_t>(a.count) * a.values_per_plain != values.ElementLength()) {
        cuda_check(env, HLP_E_LENGTH_MISMATCH, "cuda encodeEncryptPublic: values.length != count * valuesPerPlain");
      }
      a.scale = to_f64(info[arg++], "scale");
    } else {
      if (!info[arg].IsNull() && !info[arg].IsUndefined()) {
        Napi::TypedArrayOf<uint64_t> plains = to_u64_array(info[arg], "plains");
        a.plains = plains.Data();
        a.plain_words = plains.ElementLength();
        keep.push_back(plains);
      }
      ++arg;
      a.count = to_u32(info[arg++], "count");
    }
    Napi::TypedArrayOf<uint8_t> rand = to_u8_array(info[arg++], "randomness");
    a.rand = rand.Data();
    a.rand_bytes = rand.ElementLength();
    keep.push_back(rand);
    a.flags = to_u32(info[arg++], "flags");
    // Checked here too so that no oversized output is allocated for a call that must fail.
    if (a.count == 0 || a.count > (1u << 20)) cuda_check(env, HLP_E_INVALID_ARGUMENT, "cuda encryptPublic: count out of range");
    auto out = new_u64(env, static_cast<std::size_t>(a.count) * 2 * level_ * n_);
    a.out = out.Data();
    a.out_words = out.ElementLength();
    if (!async) {
      cuda_check(env, a.Run(encryptor_.get()), encode ? "cuda encodeEncryptPublic" : "cuda encryptPublic");
      return out;
    }
    auto *worker = new BatchWorker<hlp_cuda_encryptor, CudaEncryptArgs>(env, {ctx_, encryptor_}, encryptor_.get(), a, keep, out,
                                                                         cuda_error, "cuda encrypt (async)");
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  }

  Napi::Value EncryptPublic(const Napi::CallbackInfo &info) { return Run(info, false, false); }
  Napi::Value EncryptPublicAsync(const Napi::CallbackInfo &info) { return Run(info, false, true); }
  Napi::Value EncodeEncryptPublic(const Napi::CallbackInfo &info) { return Run(info, true, false); }
  Napi::Value EncodeEncryptPublicAsync(const Napi::CallbackInfo &info) { return Run(info, true, true); }

  Napi::Value Dispose(const Napi::CallbackInfo &info) {
    // In-flight async work holds its own references, so the device state outlives it.
    encryptor_.reset();
    ctx_.reset();
    return info.Env().Undefined();
  }

  CkksPtr ctx_;
  CudaEncryptorPtr encryptor_;
  uint32_t n_ = 0;
  uint32_t level_ = 0;
};

Napi::Value CudaUnavailableReason(const Napi::CallbackInfo &info) {
  const char *reason = hlp_cuda_unavailable_reason();
  return Napi::String::New(info.Env(), reason == nullptr ? "" : reason);
}

// The raw counters; the JS side derives the efficiency.
Napi::Value CudaPoolStats(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  hlp_cuda_memory_stats s{};
  cuda_check(env, hlp_cuda_pool_stats(&s), "cudaPoolStats");
  Napi::Object o = Napi::Object::New(env);
  o.Set("allocations", static_cast<double>(s.allocations));
  o.Set("frees", static_cast<double>(s.frees));
  o.Set("hits", static_cast<double>(s.hits));
  o.Set("misses", static_cast<double>(s.misses));
  o.Set("bytesInUse", static_cast<double>(s.bytes_in_use));
  o.Set("bytesReserved", static_cast<double>(s.bytes_reserved));
  o.Set("peakBytesInUse", static_cast<double>(s.peak_bytes_in_use));
  o.Set("peakBytesReserved", static_cast<double>(s.peak_bytes_reserved));
  return o;
}

Napi::Value CudaPoolTrim(const Napi::CallbackInfo &info) {
  cuda_check(info.Env(), hlp_cuda_pool_trim(), "cudaPoolTrim");
  return info.Env().Undefined();
}

// ckksSample(kind: 'noise' | 'ternary', randomness: Uint8Array, count) -> Int8Array
Napi::Value CkksSample(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw_invalid(env, "sampler kind must be a string");
  const std::string kind = info[0].As<Napi::String>().Utf8Value();
  if (kind != "noise" && kind != "ternary") throw_invalid(env, "sampler kind must be \"noise\" or \"ternary\"");
  Napi::TypedArrayOf<uint8_t> rand = to_u8_array(info[1], "randomness");
  const uint32_t count = to_u32(info[2], "count");
  auto out = Napi::Int8Array::New(env, count);
  const hlp_status st = kind == "noise" ? hlp_ckks_sample_noise(rand.Data(), rand.ElementLength(), out.Data(), count)
                                        : hlp_ckks_sample_ternary(rand.Data(), rand.ElementLength(), out.Data(), count);
  ckks_check(env, st, "sample " + kind);
  return out;
}

// (nice) -> the niceness now in force for pool threads running this addon's work
Napi::Value SetWorkerNice(const Napi::CallbackInfo &info) {
  const uint32_t nice = to_u32(info[0], "nice");
  if (nice > 19) throw_invalid(info.Env(), "nice must be in [0, 19]");
  hlp_binding::set_worker_nice(static_cast<int>(nice));
  return Napi::Number::New(info.Env(), hlp_binding::worker_nice());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("cpuFeatures", Napi::Function::New(env, CpuFeatures));
  exports.Set("variants", Napi::Function::New(env, Variants));
  exports.Set("defaultVariant", Napi::Function::New(env, DefaultVariant));
  exports.Set("isPrime", Napi::Function::New(env, IsPrime));
  exports.Set("generateNttPrimes", Napi::Function::New(env, GenerateNttPrimes));
  exports.Set("minimalPrimitiveRoot", Napi::Function::New(env, MinimalPrimitiveRoot));
  exports.Set("mulModBarrett", Napi::Function::New(env, Ternary<hlp_mul_mod_barrett>));
  exports.Set("mulModShoup", Napi::Function::New(env, Ternary<hlp_mul_mod_shoup>));
  exports.Set("powMod", Napi::Function::New(env, Ternary<hlp_pow_mod>));
  exports.Set("invMod", Napi::Function::New(env, InvMod));
  exports.Set("NttContext", NttContextWrap::Define(env));
  exports.Set("Allocator", AllocatorWrap::Define(env));
  Napi::Function ckks_core = CkksCoreWrap::Define(env);
  exports.Set("CkksCore", ckks_core);
  auto *data = new AddonData();
  data->ckks_core = Napi::Persistent(ckks_core);
  env.SetInstanceData<AddonData>(data);
  exports.Set("CudaEncryptor", CudaEncryptorWrap::Define(env));
  exports.Set("cudaUnavailableReason", Napi::Function::New(env, CudaUnavailableReason));
  exports.Set("cudaPoolStats", Napi::Function::New(env, CudaPoolStats));
  exports.Set("cudaPoolTrim", Napi::Function::New(env, CudaPoolTrim));
  exports.Set("ckksSample", Napi::Function::New(env, CkksSample));
  exports.Set("setWorkerNice", Napi::Function::New(env, SetWorkerNice));
  return exports;
}

}  // namespace

NODE_API_MODULE(hlp_kernels, Init)
