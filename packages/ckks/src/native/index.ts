export {
  NativeBackend,
  createNativeBackend,
  expandSeedStream,
  type EncryptManyOptions,
  type NativeBackendOptions,
  type SymmetricPrng,
} from './backend.js';
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
export { ResultPool, type PooledArray } from './result-pool.js';
