// The cuda variant (hlp/cuda.h): the CudaEncryptor class, the device pool counters and
// the reason cuda cannot run. Every call goes through the C ABI, which answers
// HLP_E_VARIANT_UNAVAILABLE without a device; the reason is appended to that error's
// message so a caller sees why, not only that.
#pragma once

#include <napi.h>

namespace hlp_binding {

Napi::Function DefineCudaEncryptor(Napi::Env env);
Napi::Value CudaUnavailableReason(const Napi::CallbackInfo &info);
Napi::Value CudaPoolStats(const Napi::CallbackInfo &info);
Napi::Value CudaPoolTrim(const Napi::CallbackInfo &info);

}  // namespace hlp_binding
