export { createBackend, type BackendChoice, type BackendResult } from './backend.js';
export {
  KEY_FILE_FORMAT,
  KeyFileError,
  keyFileBytes,
  provisionKeys,
  uploadSet,
  writePrivateFile,
  type KeyNeeds,
  type LoadedKeys,
  type UploadSet,
} from './keys.js';
export { silent, stderrLogger, type LogFn } from './log.js';
export { main, parseProxyArgs, PROXY_SERVICE, USAGE, UsageError, type ProxyCli } from './main.js';
export {
  Pipeline,
  poolOutputs,
  type EmbeddingsResult,
  type Encrypted,
  type InputPlacement,
  type PipelineDeps,
  type Prepared,
  type StageTimings,
} from './pipeline.js';
export { Batcher, type BatcherOptions } from './batcher.js';
export { CircuitBreaker, type BreakerOptions } from './breaker.js';
export { PromptBlockCache, type BlockToken } from './prompt-cache.js';
export { KEY_FILE_ENV, prepareSharedKeys, type SharedKeys } from './cluster.js';
export { DEFAULT_WORKER_NICE, startProxy, type ProxyConfig, type ProxyServer } from './server.js';
export { Upstream, type CallOptions, type UpstreamClient, type UpstreamOptions, type UpstreamResponse, type UpstreamTimings } from './upstream.js';
export { UpstreamThread, type UpstreamThreadOptions } from './upstream-thread.js';
export { CachedEmbeddings } from './embedding-cache.js';
export { SMI_ARGS, gpuCollectors, parseSmi, type GpuSources, type SmiGpu } from './gpu-metrics.js';
