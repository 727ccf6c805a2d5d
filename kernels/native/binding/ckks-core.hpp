// The CkksCore class (hlp_ckks_* of hlp/kernels.h) and the ckksSample function. Results
// are fresh typed arrays, or the caller's buffer where a method takes `out`; the async
// methods fill their result on the libuv pool.
#pragma once

#include <napi.h>

#include <cstdint>
#include <memory>

#include "hlp/kernels.h"

namespace hlp_binding {

Napi::Function DefineCkksCore(Napi::Env env);
Napi::Value CkksSample(const Napi::CallbackInfo &info);

// Per-instance data of the addon: the CkksCore constructor, so that a CkksCore argument
// can be checked for its class before it is unwrapped (unwrapping another class's object
// would read the wrong C++ type).
struct AddonData {
  Napi::FunctionReference ckks_core;
};

// The context of a live CkksCore, shared (a CudaEncryptor points into it), and its degree.
struct SharedCkksContext {
  std::shared_ptr<hlp_ckks_context> ctx;
  uint32_t n = 0;
};
// Throws unless `core` is a CkksCore (checked against AddonData) that is not disposed.
SharedCkksContext share_ckks_context(Napi::Env env, const Napi::Value &core);

}  // namespace hlp_binding
