export { NativeBackend, createNativeBackend } from './backend.js';
export { expandSeedStream } from './randomness.js';
export type { EncryptManyOptions, NativeBackendOptions, SymmetricPrng } from './options.js';
export { encryptBatch, encryptBatchOn, type EncryptBatchOptions, type EncryptBatchResult } from './batch.js';
export {
  cudaStatus,
  deviceChoiceFromEnv,
  gpuPoolStats,
  gpuPoolTrim,
  MAX_BATCH_WORKER_NICE,
  setBatchWorkerNice,
  type BatchDevice,
  type CudaPoolStats,
  type CudaStatus,
  type DeviceChoice,
} from './device.js';
export { BodyPool, ResultPool, pooledCapacity, type PooledArray } from './result-pool.js';
/** For buffers the native backend writes into (an upload shared with another thread): on a cache line as its own results. */
export { alignedSharedWords } from '@hlp/kernels';
