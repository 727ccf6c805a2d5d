// What every part of the binding shares: the errors a call throws, and the conversion of
// JS arguments to the C ABI's types. A bad argument is a TypeError with code
// INVALID_ARGUMENT; a failed C call is an Error whose code is the status name
// (hlp_status_code), so JS callers branch on `code`, never on message text.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hlp/kernels.h"

namespace hlp_binding {

// "context: <status message>", plus " (detail)" when detail is not empty.
Napi::Error status_error(Napi::Env env, hlp_status st, const std::string &context);
Napi::Error status_error(Napi::Env env, hlp_status st, const std::string &context, const std::string &detail);
[[noreturn]] void throw_status(Napi::Env env, hlp_status st, const std::string &context);
inline void check(Napi::Env env, hlp_status st, const std::string &context) {
  if (st != HLP_OK) throw_status(env, st, context);
}
[[noreturn]] void throw_invalid(Napi::Env env, const std::string &message);

// `what` names the argument in the error message.
uint64_t to_u64(const Napi::Value &v, const char *what);
uint32_t to_u32(const Napi::Value &v, const char *what);
double to_f64(const Napi::Value &v, const char *what);
std::string to_string(const Napi::Value &v, const char *what);
hlp_variant to_variant(const Napi::Value &v);
Napi::TypedArrayOf<uint64_t> to_u64_array(const Napi::Value &v, const char *what);
Napi::TypedArrayOf<uint8_t> to_u8_array(const Napi::Value &v, const char *what);
Napi::TypedArrayOf<double> to_f64_array(const Napi::Value &v, const char *what);

// Optional arguments are left out as undefined or passed as null.
inline bool given(const Napi::Value &v) { return !v.IsUndefined() && !v.IsNull(); }

inline Napi::Value bigint(Napi::Env env, uint64_t v) { return Napi::BigInt::New(env, v); }
// Results and keys start on a cache line. From the allocator they start on 16 bytes, and on
// this project's AMD host a hoisted rotation whose keys sat 16 bytes off a 32-byte boundary
// took 12-20 % longer than with aligned ones: the kernels' 256-bit halves of each 512-bit load
// then straddle cache lines. Where the allocator put a process's keys decided its speed.
constexpr std::size_t kWordAlignment = 64;

// `words` 64-bit words starting at a multiple of kWordAlignment, zeroed or not.
Napi::TypedArrayOf<uint64_t> aligned_u64(Napi::Env env, std::size_t words, bool zeroed);

// `count` doubles the caller's native call writes every one of before JavaScript sees them:
// not zeroed here. A batch's decoded values run to tens of megabytes, and zeroing them on the
// event loop (with a page fault per fresh 4 KiB) held it for 50-90 ms; left unwritten, the
// pages are first touched by the pool thread that writes them.
Napi::Float64Array unzeroed_f64(Napi::Env env, std::size_t count);

// A zeroed result of `words` words (aligned_u64).
Napi::TypedArrayOf<uint64_t> new_u64(Napi::Env env, std::size_t words);

// The caller's result buffer when one is given (else a fresh array). A reused buffer
// saves the allocation, zeroing and page faults of a fresh one, which at a few hundred
// kilobytes a call cost as much as the cheap operations themselves.
Napi::TypedArrayOf<uint64_t> out_u64(Napi::Env env, const Napi::Value &buffer, std::size_t words);

// `count` result buffers of `words` each: the caller's array of them when given (one per
// result, else INVALID_ARGUMENT naming `per`), else fresh ones. `results` is the array the
// call returns; `ptrs` gets their data.
void outs_u64(Napi::Env env, const Napi::Value &outs, uint32_t count, std::size_t words, const char *per,
              Napi::Array &results, std::vector<uint64_t *> &ptrs);

}  // namespace hlp_binding
