// The addon's free functions over the core ABI (hlp/kernels.h): CPU features and
// variants, primes and modular arithmetic, cache-line aligned word arrays, the niceness of
// the pool threads, and SEAL's SHAKE256 seed stream.
#pragma once

#include <napi.h>

namespace hlp_binding {

Napi::Value CpuFeatures(const Napi::CallbackInfo &info);
Napi::Value Variants(const Napi::CallbackInfo &info);
Napi::Value DefaultVariant(const Napi::CallbackInfo &info);
Napi::Value IsPrime(const Napi::CallbackInfo &info);
Napi::Value GenerateNttPrimes(const Napi::CallbackInfo &info);
Napi::Value MinimalPrimitiveRoot(const Napi::CallbackInfo &info);
Napi::Value MulModBarrett(const Napi::CallbackInfo &info);
Napi::Value MulModShoup(const Napi::CallbackInfo &info);
Napi::Value PowMod(const Napi::CallbackInfo &info);
Napi::Value InvMod(const Napi::CallbackInfo &info);
Napi::Value AlignedWords(const Napi::CallbackInfo &info);
Napi::Value ByteAlignment(const Napi::CallbackInfo &info);
Napi::Value SetWorkerNice(const Napi::CallbackInfo &info);
Napi::Value Shake256Blocks(const Napi::CallbackInfo &info);
Napi::Value Aes256ctrStream(const Napi::CallbackInfo &info);
Napi::Value Blake2xbBlocks(const Napi::CallbackInfo &info);

}  // namespace hlp_binding
