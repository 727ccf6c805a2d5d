export { H2_PREFACE, createDualServer, type DualServer, type DualServerOptions, type ListenAddress, type TlsOptions } from './dual-server.js';
export type { Handler, Req, Res } from './http-types.js';
export { DEFAULT_LIMITS, limitsGiven, resolveLimits, type ConnectionLimits } from './connection-guards.js';
export { compressionFor, negotiateEncoding, sendBody, type CompressionOptions, type ContentCoding } from './compression.js';
export { decodePathSegment, headerValue, malformedUrl, mediaType, pathOf, readBody, requireMediaType, type BodyMemory } from './requests.js';
export { JsonScanner, MAX_JSON_DEPTH, jsonDepth, parseJson, scanJson, type JsonScan, type JsonScanLimits } from './json-body.js';
export { sendError, sendFrames, sendJson } from './responses.js';
export { isClusterWorker, metricsFromPrimary, reportToPrimary, startPrimary, type ClusterPrimary, type PrimaryOptions, type WorkerEvent } from './cluster.js';
export {
  SERVICE_GLIBC_TUNABLES,
  SERVICE_NODE_FLAGS,
  missingServiceNodeFlags,
  missingServiceTunables,
  serviceProcessEnv,
  serviceEnvAssignments,
  serviceNodeFlagsWarning,
  serviceTunablesWarning,
  transparentHugePageMode,
  type HugePageMode,
} from './node-flags.js';
export { silent, stderrLogger, type LogFn, type LogLevel } from './log.js';
export { UsageError, int, readText, stopSignal } from './cli-options.js';
export {
  runAsProgram,
  runService,
  type ProcessRole,
  type ReadyFields,
  type ServiceCli,
  type ServiceDefinition,
  type StartedService,
  type WorkerShare,
} from './lifecycle.js';
export { EVENT_LOOP_SLICE_MS, EventLoopSlices, loopIterationCounter, loopTurn, turnsWaiting } from './event-loop-slices.js';
