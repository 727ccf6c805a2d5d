export { NativeBackend, createNativeBackend, expandSeedStream, type NativeBackendOptions, type SymmetricPrng } from './backend.js';
export { encryptBatch, type EncryptBatchOptions } from './batch.js';
