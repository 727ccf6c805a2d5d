export { createBackend, type BackendChoice, type BackendResult } from './backend.js';
export { KeyRegistry, looksLikeSecretKey, validateUpload, type KeySet } from './keys.js';
export { INFERENCE_SERVICE, main, parseInferenceArgs, USAGE, UsageError, type InferenceCli } from './main.js';
export { CountingEvaluator, zeroCounts } from '@hlp/evaluator';
export { createInferenceApp, type AppDependencies } from './app.js';
export { startInference, type InferenceConfig, type InferenceServer, type RecordedRequest } from './server.js';
export { InferenceService, SERVICE_VERSION, type EvaluateResult, type ServiceOptions } from './service.js';
export { AffineRunner, MaskStore, PlaintextCache, ProjectionRunner, type Runner, type RunnerInfo } from '@hlp/evaluator';
export { stderrLogger, type LogFn } from '@hlp/service-runtime';
export {
  CorruptEntry,
  DiskKeyStore,
  KEYSET_FORMAT,
  KeyCache,
  RedisKeyStore,
  decodeKeySet,
  encodeKeySet,
  type CacheLevel,
  type KeyCacheEvent,
} from './keycache.js';
