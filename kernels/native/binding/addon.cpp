// Thin Node-API binding over the C ABI (hlp/kernels.h, hlp/cuda.h). It converts JS
// values, maps hlp_status to errors whose `code` is the stable status name, and moves
// batch work off the event loop; no kernel logic lives here. One file per wrapped class;
// this one only lists the exports (their order is what Object.keys shows).
#include <napi.h>

#include "allocator.hpp"
#include "ckks-core.hpp"
#include "cuda-encryptor.hpp"
#include "functions.hpp"
#include "ntt-context.hpp"

namespace {

using namespace hlp_binding;

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("cpuFeatures", Napi::Function::New(env, CpuFeatures));
  exports.Set("variants", Napi::Function::New(env, Variants));
  exports.Set("defaultVariant", Napi::Function::New(env, DefaultVariant));
  exports.Set("isPrime", Napi::Function::New(env, IsPrime));
  exports.Set("generateNttPrimes", Napi::Function::New(env, GenerateNttPrimes));
  exports.Set("minimalPrimitiveRoot", Napi::Function::New(env, MinimalPrimitiveRoot));
  exports.Set("mulModBarrett", Napi::Function::New(env, MulModBarrett));
  exports.Set("mulModShoup", Napi::Function::New(env, MulModShoup));
  exports.Set("powMod", Napi::Function::New(env, PowMod));
  exports.Set("invMod", Napi::Function::New(env, InvMod));
  exports.Set("NttContext", DefineNttContext(env));
  exports.Set("Allocator", DefineAllocator(env));
  Napi::Function ckks_core = DefineCkksCore(env);
  exports.Set("CkksCore", ckks_core);
  auto *data = new AddonData();
  data->ckks_core = Napi::Persistent(ckks_core);
  env.SetInstanceData<AddonData>(data);
  exports.Set("CudaEncryptor", DefineCudaEncryptor(env));
  exports.Set("cudaUnavailableReason", Napi::Function::New(env, CudaUnavailableReason));
  exports.Set("cudaPoolStats", Napi::Function::New(env, CudaPoolStats));
  exports.Set("cudaPoolTrim", Napi::Function::New(env, CudaPoolTrim));
  exports.Set("ckksSample", Napi::Function::New(env, CkksSample));
  exports.Set("alignedWords", Napi::Function::New(env, AlignedWords));
  exports.Set("byteAlignment", Napi::Function::New(env, ByteAlignment));
  exports.Set("setWorkerNice", Napi::Function::New(env, SetWorkerNice));
  exports.Set("shake256Blocks", Napi::Function::New(env, Shake256Blocks));
  exports.Set("aes256ctrStream", Napi::Function::New(env, Aes256ctrStream));
  exports.Set("blake2xbBlocks", Napi::Function::New(env, Blake2xbBlocks));
  return exports;
}

}  // namespace

NODE_API_MODULE(hlp_kernels, Init)
