/**
 * The metrics a load run writes into its result document (`hlp.run/1`, suites `load` and
 * `load-crosscheck`), by the keys loadgen's code uses. Names, units, directions and help come
 * from `@hlp/results`' RUN_METRICS, the one catalogue of run-document names; this map only says
 * which of them loadgen produces. (The apps' Prometheus metric names live in @hlp/telemetry.)
 */
import { runMetricSpec } from '@hlp/results';

export const LOAD_METRICS = {
  /** Stable (DESIGN §8). */
  latency: runMetricSpec('http.latency'),
  throughput: runMetricSpec('http.throughput'),
  successRatio: runMetricSpec('http.success_ratio'),
  processCpu: runMetricSpec('process.cpu'),
  processCpuPerRequest: runMetricSpec('process.cpu_per_request'),
  processRss: runMetricSpec('process.rss'),
  /** The lab's own. */
  latencyUncorrected: runMetricSpec('http.latency_uncorrected'),
  processRssGrowth: runMetricSpec('process.rss_growth'),
  eventLoopLag: runMetricSpec('process.eventloop_lag_p99'),
  gpuUtilization: runMetricSpec('gpu.utilization'),
  gpuMemoryUsed: runMetricSpec('gpu.memory_used'),
  crossCheckRatio: runMetricSpec('loadgen.crosscheck_ratio'),
} as const;

export type LoadMetricKey = keyof typeof LOAD_METRICS;

/** The route every scenario drives (OpenAI shape). */
export const EMBEDDINGS_ROUTE = '/v1/embeddings';
