export { CkksError, isCkksError, type CkksErrorCode } from './errors.js';
export {
  CKKS_PRESETS,
  CkksParamsInput,
  HE_STD_128_MAX_LOG_Q,
  SUPPORTED_DEGREES,
  modulusAtLevel,
  parseParams,
  presetParams,
  type CkksParams,
  type CkksParamsLike,
  type PresetDegree,
  type RingDegree,
} from './params.js';
export { createCoeffModulus, getPrimes, isPrime } from './primes.js';
export { Blake2b, blake2b, blake2xb, type Blake2bParams } from './blake2b.js';
export { PRNG_SEED_BYTES, SealPrng, expandSeed, samplePolyUniform, type PrngType } from './seal-prng.js';
export * from './seal-format.js';
export {
  KEY_KINDS,
  decryptValues,
  encryptValues,
  checkAccumulateTerms,
  modSwitchToLevel,
  type BackendName,
  type CiphertextHandle,
  type CkksBackend,
  type EncodeOptions,
  type KeyGenOptions,
  type KeyKind,
  type LevelInfo,
  type PlaintextHandle,
} from './backend.js';
export { BUNDLED_SEAL_VERSION, NODE_SEAL_VERSION, SealBackend, createSealBackend, loadSealLibrary } from './seal/index.js';
export {
  NativeBackend,
  createNativeBackend,
  cudaStatus,
  deviceChoiceFromEnv,
  encryptBatch,
  encryptBatchOn,
  expandSeedStream,
  gpuPoolStats,
  gpuPoolTrim,
  MAX_BATCH_WORKER_NICE,
  setBatchWorkerNice,
  type BatchDevice,
  type CudaPoolStats,
  type CudaStatus,
  type DeviceChoice,
  type EncryptBatchOptions,
  type EncryptBatchResult,
  type EncryptManyOptions,
  type NativeBackendOptions,
  type SymmetricPrng,
  BodyPool,
  ResultPool,
  alignedSharedWords,
  pooledCapacity,
  type PooledArray,
} from './native/index.js';
export { openBackend, type BackendChoice, type BackendResult } from './open.js';
