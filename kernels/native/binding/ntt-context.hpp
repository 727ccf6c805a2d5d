// The NttContext class: NTT tables for one degree and a list of primes, the forward and
// inverse transforms (synchronous, or on the libuv pool) and the element-wise kernels.
#pragma once

#include <napi.h>

namespace hlp_binding {

Napi::Function DefineNttContext(Napi::Env env);

}  // namespace hlp_binding
