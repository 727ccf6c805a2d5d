// The Allocator class: a pool or malloc allocator of the core, its blocks named by
// handles (JS never sees a native pointer), churn for the allocator benchmark and stats.
#pragma once

#include <napi.h>

namespace hlp_binding {

Napi::Function DefineAllocator(Napi::Env env);

}  // namespace hlp_binding
