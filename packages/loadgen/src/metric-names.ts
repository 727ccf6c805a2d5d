/**
 * Names, units and directions of the metrics a load run writes into its result document
 * (`hlp.run/1`, suite `load`). The first five are DESIGN §8's stable names; the rest are the
 * lab's own additions and live only here, so the CLI, reports and the gate cannot drift apart.
 * (The apps' Prometheus metric names live in @hlp/telemetry.)
 */
export interface LoadMetricSpec {
  readonly name: string;
  readonly unit: string;
  readonly better: 'lower' | 'higher';
  /** Label names, in the order they are documented. */
  readonly labels: readonly string[];
  readonly help: string;
}

export const LOAD_METRICS = {
  /** Stable (DESIGN §8). */
  latency: {
    name: 'http.latency',
    unit: 'ms',
    better: 'lower',
    labels: ['route', 'protocol'],
    help:
      'End-to-end latency of 2xx responses. Open loop: from the request\'s intended send time on the fixed schedule ' +
      '(coordinated-omission corrected); closed loop: from the actual send.',
  },
  throughput: {
    name: 'http.throughput',
    unit: 'req/s',
    better: 'higher',
    labels: ['route', 'protocol'],
    help: '2xx responses per second; samples are the per-second counts of the measured window, `value` the whole-window rate.',
  },
  successRatio: {
    name: 'http.success_ratio',
    unit: 'ratio',
    better: 'higher',
    labels: ['route', 'protocol'],
    help: 'Share of the counted requests answered 2xx (0 to 1); samples per second, `value` over the whole window.',
  },
  processCpu: {
    name: 'process.cpu',
    unit: 'ratio',
    better: 'lower',
    labels: ['process'],
    help: 'CPU share of the whole machine, Δ(utime+stime) / Δwall / cores, from /proc/<pid>/stat.',
  },
  processCpuPerRequest: {
    name: 'process.cpu_per_request',
    unit: 'ms',
    better: 'lower',
    labels: ['process'],
    help:
      'CPU time of the process (all threads) per 2xx response, ms: samples per second of the measured window ' +
      '(CPU ms used in that second / its 2xx), `value` over the whole window. What a capacity model should read.',
  },
  processRss: {
    name: 'process.rss',
    unit: 'bytes',
    better: 'lower',
    labels: ['process'],
    help: 'Resident set size (VmRSS of /proc/<pid>/status).',
  },
  /** The lab's own. */
  latencyUncorrected: {
    name: 'http.latency_uncorrected',
    unit: 'ms',
    better: 'lower',
    labels: ['route', 'protocol'],
    help:
      'Open loop only: latency of 2xx responses from the actual send (after any wait for a free connection or stream). ' +
      'What a generator that ignores coordinated omission would report; compare with http.latency.',
  },
  eventLoopLag: {
    name: 'process.eventloop_lag_p99',
    unit: 'ms',
    better: 'lower',
    labels: ['process'],
    help: 'Event-loop delay P99 of an app, scraped from its /metrics (nodejs_eventloop_lag_p99_seconds) once a second.',
  },
  gpuUtilization: {
    name: 'gpu.utilization',
    unit: 'ratio',
    better: 'higher',
    labels: ['gpu'],
    help: 'GPU busy fraction from nvidia-smi (utilization.gpu / 100).',
  },
  gpuMemoryUsed: {
    name: 'gpu.memory_used',
    unit: 'bytes',
    better: 'lower',
    labels: ['gpu'],
    help: 'GPU memory in use, from nvidia-smi (memory.used).',
  },
  crossCheckRatio: {
    name: 'loadgen.crosscheck_ratio',
    unit: 'ratio',
    better: 'higher',
    labels: ['driver', 'reference', 'protocol'],
    help: 'Requests per second of a lab driver divided by those of an external tool (wrk, h2load) on the same endpoint and connections.',
  },
} as const satisfies Record<string, LoadMetricSpec>;

export type LoadMetricKey = keyof typeof LOAD_METRICS;

/** The route every scenario drives (OpenAI shape). */
export const EMBEDDINGS_ROUTE = '/v1/embeddings';
