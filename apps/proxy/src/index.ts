export { createBackend, nativeFactory, type BackendChoice, type BackendResult } from './backend.js';
export { KEY_FILE_FORMAT, KeyFileError, keyFileBytes, provisionKeys, uploadSet, writePrivateFile, type KeyNeeds, type LoadedKeys, type UploadSet } from './keys.js';
export { silent, stderrLogger, type LogFn } from './log.js';
export { main, parseProxyArgs, USAGE, UsageError } from './main.js';
export { Pipeline, poolOutputs, type EmbeddingsResult, type Encrypted, type PipelineDeps, type StageTimings } from './pipeline.js';
export { startProxy, type ProxyConfig, type ProxyServer } from './server.js';
export { Upstream, type CallOptions, type UpstreamOptions, type UpstreamResponse, type UpstreamTimings } from './upstream.js';
