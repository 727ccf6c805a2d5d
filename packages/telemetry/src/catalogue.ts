/**
 * The one place where every metric of the proxy and the inference service is named and described.
 * Apps register them through `createRegistry`; dashboards and docs read the same catalogue, so a
 * query can never name a metric that the code does not emit.
 *
 * Conventions (Prometheus): `hlp_` prefix, snake_case, base units in the name (`_seconds`,
 * `_bytes`, `_ratio` for 0…1 fractions), counters end in `_total`.
 */
import type { Aggregator } from 'prom-client';

export const APPS = ['proxy', 'inference'] as const;
export type AppName = (typeof APPS)[number];

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** Base units (they appear in the name) and plain counts of things (they need not). */
export type MetricUnit = 'seconds' | 'bytes' | 'ratio' | 'requests' | 'ciphertexts' | 'tokens' | 'errors' | 'lookups' | 'state' | 'operations';

export interface MetricSpec {
  readonly name: string;
  readonly type: MetricType;
  readonly unit: MetricUnit;
  /** Label names, in the order they are documented. */
  readonly labels: readonly string[];
  readonly help: string;
  /** Histogram buckets (upper bounds, in the metric's unit). */
  readonly buckets?: readonly number[];
  /** The dashboard panel that shows it: `dashboard › panel`. */
  readonly panel: string;
  /** The apps that register it. */
  readonly apps: readonly AppName[];
  /** How a cluster of worker processes merges the values (prom-client's AggregatorRegistry); default sum. */
  readonly aggregator?: Aggregator;
}

/** Values of the `stage` label, in pipeline order. */
export const STAGES = ['tokenize', 'embed', 'encode', 'encrypt', 'serialize', 'upload', 'deserialize', 'evaluate', 'download', 'decrypt', 'decode'] as const;
export type Stage = (typeof STAGES)[number];

/** Values of the `level` label of the key caches. */
export const CACHE_LEVELS = ['l1', 'l2', 'l3'] as const;
export type CacheLevel = (typeof CACHE_LEVELS)[number];

/** Values of `hlp_circuit_breaker_state`. */
export const BREAKER_STATES = { closed: 0, 'half-open': 1, open: 2 } as const;
export type BreakerState = keyof typeof BREAKER_STATES;

/** Values of the `peer` label of the traffic counters. */
export const PEERS = ['client', 'upstream', 'proxy'] as const;
export type Peer = (typeof PEERS)[number];

/** HTTP latencies, seconds: 1 ms … 30 s, with 2 s (the encryption SLO) as an edge. */
export const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 5, 10, 30] as const;
/** Prompt encryption and decryption, seconds: fine steps around the 2 s P95 target. */
export const CRYPTO_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 5, 10, 30] as const;
/** Pipeline stages, seconds: 100 µs … 10 s. */
export const STAGE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10] as const;
/** Encrypted workload evaluation, seconds: 1 ms … 2 min. */
export const EVALUATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120] as const;
/** Requests per batch (the batcher's default maximum is 32). */
export const BATCH_BUCKETS = [1, 2, 4, 8, 12, 16, 24, 32, 48, 64] as const;
/** Tokens per prompt (scenarios: short 32, medium 256, full 1024). */
export const TOKEN_BUCKETS = [1, 8, 16, 32, 64, 128, 256, 512, 768, 1024] as const;

const BOTH = ['proxy', 'inference'] as const;
const PROXY = ['proxy'] as const;
const INFERENCE = ['inference'] as const;

/** Every application metric. Keys are the accessor names of `createRegistry(...).metrics`. */
export const CATALOGUE = {
  httpRequestDuration: {
    name: 'hlp_http_request_duration_seconds',
    type: 'histogram',
    unit: 'seconds',
    labels: ['route', 'method', 'status'],
    help: 'Time from request received to response finished, by route template, HTTP method and status code.',
    buckets: HTTP_BUCKETS,
    panel: 'SLO overview › HTTP latency P95 by route',
    apps: BOTH,
  },
  httpRequestsInFlight: {
    name: 'hlp_http_requests_in_flight',
    type: 'gauge',
    unit: 'requests',
    labels: [],
    help: 'HTTP requests received and not yet answered.',
    panel: 'SLO overview › Requests in flight',
    apps: BOTH,
    aggregator: 'sum',
  },
  errors: {
    name: 'hlp_errors_total',
    type: 'counter',
    unit: 'errors',
    labels: ['code'],
    help: 'Errors answered or raised, by stable error code (e.g. TOO_MANY_TOKENS, QUEUE_FULL, UPSTREAM_DOWN).',
    panel: 'SLO overview › Errors by code',
    apps: BOTH,
  },
  encryptionDuration: {
    name: 'hlp_encryption_duration_seconds',
    type: 'histogram',
    unit: 'seconds',
    labels: ['backend', 'layout'],
    help: 'Time to turn one prompt into serialized ciphertexts (tokenize, embed, encode, encrypt, serialize), by CKKS backend and packing layout.',
    buckets: CRYPTO_BUCKETS,
    panel: 'SLO overview › Encryption latency P95 (target < 2 s)',
    apps: PROXY,
  },
  decryptionDuration: {
    name: 'hlp_decryption_duration_seconds',
    type: 'histogram',
    unit: 'seconds',
    labels: ['backend'],
    help: 'Time to decrypt and decode one response, by CKKS backend.',
    buckets: CRYPTO_BUCKETS,
    panel: 'SLO overview › Decryption latency P95',
    apps: PROXY,
  },
  stageDuration: {
    name: 'hlp_stage_duration_seconds',
    type: 'histogram',
    unit: 'seconds',
    labels: ['stage'],
    help: 'Time spent per pipeline stage per request (tokenize, embed, encode, encrypt, serialize, upload, deserialize, evaluate, download, decrypt, decode).',
    buckets: STAGE_BUCKETS,
    panel: 'Pipeline › Stage latency breakdown',
    apps: BOTH,
  },
  ciphertextsSent: {
    name: 'hlp_ciphertexts_sent_total',
    type: 'counter',
    unit: 'ciphertexts',
    labels: ['peer'],
    help: 'Ciphertexts sent, by peer (client, upstream, proxy).',
    panel: 'Traffic › Ciphertexts per second',
    apps: BOTH,
  },
  ciphertextsReceived: {
    name: 'hlp_ciphertexts_received_total',
    type: 'counter',
    unit: 'ciphertexts',
    labels: ['peer'],
    help: 'Ciphertexts received, by peer (client, upstream, proxy).',
    panel: 'Traffic › Ciphertexts per second',
    apps: BOTH,
  },
  bytesSent: {
    name: 'hlp_sent_bytes_total',
    type: 'counter',
    unit: 'bytes',
    labels: ['peer'],
    help: 'Body bytes sent (ciphertexts, keys and JSON), by peer.',
    panel: 'Traffic › Bytes per second',
    apps: BOTH,
  },
  bytesReceived: {
    name: 'hlp_received_bytes_total',
    type: 'counter',
    unit: 'bytes',
    labels: ['peer'],
    help: 'Body bytes received (ciphertexts, keys and JSON), by peer.',
    panel: 'Traffic › Bytes per second',
    apps: BOTH,
  },
  upstreamDuration: {
    name: 'hlp_upstream_request_duration_seconds',
    type: 'histogram',
    unit: 'seconds',
    labels: ['operation', 'status'],
    help: 'Round trip of one call from the proxy to the inference service, by operation (evaluate, keys, health) and status.',
    buckets: HTTP_BUCKETS,
    panel: 'Upstream › Upstream latency P95',
    apps: PROXY,
  },
  queueDepth: {
    name: 'hlp_queue_depth',
    type: 'gauge',
    unit: 'requests',
    labels: ['queue'],
    help: 'Requests waiting in a bounded queue (batcher, encrypt workers, evaluation).',
    panel: 'Backpressure › Queue depth',
    apps: BOTH,
    aggregator: 'sum',
  },
  batchSize: {
    name: 'hlp_batch_size_requests',
    type: 'histogram',
    unit: 'requests',
    labels: [],
    help: 'Requests packed into one batch when the batch window closes.',
    buckets: BATCH_BUCKETS,
    panel: 'Backpressure › Batch size distribution',
    apps: PROXY,
  },
  batchWaitDuration: {
    name: 'hlp_batch_wait_seconds',
    type: 'histogram',
    unit: 'seconds',
    labels: [],
    help: 'Time a request waited in the batcher for its batch to close (0 with batching off).',
    buckets: STAGE_BUCKETS,
    panel: 'Backpressure › Batch wait P95',
    apps: PROXY,
  },
  promptCacheHits: {
    name: 'hlp_prompt_cache_hits_total',
    type: 'counter',
    unit: 'lookups',
    labels: [],
    help: "Prompt blocks whose ciphertext came from the proxy's encrypted-prompt cache (off by default: equal blocks then give equal ciphertexts upstream).",
    panel: 'Key cache › Prompt cache hit ratio',
    apps: PROXY,
  },
  promptCacheMisses: {
    name: 'hlp_prompt_cache_misses_total',
    type: 'counter',
    unit: 'lookups',
    labels: [],
    help: 'Prompt blocks the encrypted-prompt cache did not hold (encrypted afresh, then cached).',
    panel: 'Key cache › Prompt cache hit ratio',
    apps: PROXY,
  },
  promptTokens: {
    name: 'hlp_prompt_tokens',
    type: 'histogram',
    unit: 'tokens',
    labels: [],
    help: 'GPT-2 tokens per accepted prompt.',
    buckets: TOKEN_BUCKETS,
    panel: 'Traffic › Prompt length distribution',
    apps: PROXY,
  },
  keyCacheHits: {
    name: 'hlp_key_cache_hits_total',
    type: 'counter',
    unit: 'lookups',
    labels: ['level'],
    help: 'Evaluation-key lookups answered by a cache level (l1 in-process, l2 Redis, l3 disk).',
    panel: 'Key cache › Hit ratio by level',
    apps: INFERENCE,
  },
  keyCacheMisses: {
    name: 'hlp_key_cache_misses_total',
    type: 'counter',
    unit: 'lookups',
    labels: ['level'],
    help: 'Evaluation-key lookups a cache level could not answer (l1 in-process, l2 Redis, l3 disk).',
    panel: 'Key cache › Hit ratio by level',
    apps: INFERENCE,
  },
  keyCacheSize: {
    name: 'hlp_key_cache_size_bytes',
    type: 'gauge',
    unit: 'bytes',
    labels: ['level'],
    help: 'Bytes of keys held by a cache level.',
    panel: 'Key cache › Size by level',
    apps: INFERENCE,
    aggregator: 'sum',
  },
  keyUploads: {
    name: 'hlp_key_uploads_total',
    type: 'counter',
    unit: 'requests',
    labels: ['reason'],
    help: 'Key sets uploaded by the proxy to the inference service, by reason (startup, miss).',
    panel: 'Key cache › Key uploads',
    apps: PROXY,
  },
  circuitBreakerState: {
    name: 'hlp_circuit_breaker_state',
    type: 'gauge',
    unit: 'state',
    labels: ['upstream'],
    help: 'State of the breaker in front of an upstream: 0 closed, 1 half-open, 2 open.',
    panel: 'Upstream › Circuit breaker state',
    apps: PROXY,
    aggregator: 'max',
  },
  workloadEvaluationDuration: {
    name: 'hlp_workload_evaluation_duration_seconds',
    type: 'histogram',
    unit: 'seconds',
    labels: ['workload', 'layout'],
    help: 'Time to evaluate an encrypted workload on one batch of ciphertexts, by workload (affine, projection, mlp) and packing layout.',
    buckets: EVALUATION_BUCKETS,
    panel: 'Inference › Workload evaluation time P95',
    apps: INFERENCE,
  },
  workloadOperations: {
    name: 'hlp_workload_operations_total',
    type: 'counter',
    unit: 'operations',
    labels: ['workload', 'op'],
    help: 'Homomorphic operations executed by the inference service, by workload and operation (rotation, plaintext_multiplication, ciphertext_multiplication, relinearization, rescale, addition).',
    panel: 'Inference › Operations per second by kind',
    apps: INFERENCE,
  },
  gpuUtilization: {
    name: 'hlp_gpu_utilization_ratio',
    type: 'gauge',
    unit: 'ratio',
    labels: ['gpu'],
    help: 'Fraction of time the GPU was busy over the last sample period (0 to 1), from nvidia-smi.',
    panel: 'GPU › Utilisation',
    apps: BOTH,
    aggregator: 'max',
  },
  gpuMemoryUsed: {
    name: 'hlp_gpu_memory_used_bytes',
    type: 'gauge',
    unit: 'bytes',
    labels: ['gpu'],
    help: 'GPU memory in use on the device, from nvidia-smi.',
    panel: 'GPU › Memory used / total',
    apps: BOTH,
    aggregator: 'max',
  },
  gpuMemoryTotal: {
    name: 'hlp_gpu_memory_total_bytes',
    type: 'gauge',
    unit: 'bytes',
    labels: ['gpu'],
    help: 'GPU memory on the device, from nvidia-smi.',
    panel: 'GPU › Memory used / total',
    apps: BOTH,
    aggregator: 'max',
  },
  gpuPoolInUse: {
    name: 'hlp_gpu_pool_in_use_bytes',
    type: 'gauge',
    unit: 'bytes',
    labels: ['gpu'],
    help: 'Bytes handed out by the device memory pool.',
    panel: 'SLO overview › GPU memory efficiency (target > 80 %)',
    apps: BOTH,
    aggregator: 'sum',
  },
  gpuPoolReserved: {
    name: 'hlp_gpu_pool_reserved_bytes',
    type: 'gauge',
    unit: 'bytes',
    labels: ['gpu'],
    help: 'Bytes the device memory pool has reserved from the driver.',
    panel: 'SLO overview › GPU memory efficiency (target > 80 %)',
    apps: BOTH,
    aggregator: 'sum',
  },
  gpuPoolEfficiency: {
    name: 'hlp_gpu_pool_efficiency_ratio',
    type: 'gauge',
    unit: 'ratio',
    labels: ['gpu'],
    help: 'Bytes in use divided by bytes reserved by the device memory pool (0 to 1), per process.',
    panel: 'SLO overview › GPU memory efficiency (target > 80 %)',
    apps: BOTH,
    aggregator: 'average',
  },
} as const satisfies Record<string, MetricSpec>;

export type Catalogue = typeof CATALOGUE;
export type MetricKey = keyof Catalogue;

/**
 * Metrics that prom-client's `collectDefaultMetrics` provides (no prefix), the ones the dashboards
 * and the lab rely on. They are not in CATALOGUE because prom-client defines them.
 */
export const DEFAULT_METRICS = [
  {
    name: 'process_cpu_seconds_total',
    type: 'counter',
    unit: 'seconds',
    help: 'Total user and system CPU time spent in seconds.',
    panel: 'SLO overview › CPU efficiency (target < 50 %)',
  },
  {
    name: 'process_cpu_user_seconds_total',
    type: 'counter',
    unit: 'seconds',
    help: 'Total user CPU time spent in seconds.',
    panel: 'Process › CPU user / system',
  },
  {
    name: 'process_cpu_system_seconds_total',
    type: 'counter',
    unit: 'seconds',
    help: 'Total system CPU time spent in seconds.',
    panel: 'Process › CPU user / system',
  },
  {
    name: 'process_resident_memory_bytes',
    type: 'gauge',
    unit: 'bytes',
    help: 'Resident memory size in bytes (Linux).',
    panel: 'SLO overview › Memory per instance (target < 16 GB)',
  },
  {
    name: 'nodejs_heap_size_used_bytes',
    type: 'gauge',
    unit: 'bytes',
    help: 'Process heap size used from Node.js in bytes.',
    panel: 'Process › Heap',
  },
  {
    name: 'nodejs_eventloop_lag_p99_seconds',
    type: 'gauge',
    unit: 'seconds',
    help: 'The 99th percentile of the recorded event loop delays.',
    panel: 'Process › Event-loop delay P99',
  },
  {
    name: 'nodejs_gc_duration_seconds',
    type: 'histogram',
    unit: 'seconds',
    help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
    panel: 'Process › GC time',
  },
] as const satisfies readonly Omit<MetricSpec, 'labels' | 'apps'>[];
