/**
 * The one catalogue of metric names in `hlp.run/1` documents (DESIGN §8): unit, better
 * direction, labels, what it means, what writes it and where it is shown. Producers (the
 * benchmarks, loadgen, the gate's calibration) and consumers (SLO targets, dashboards, reports,
 * the metrics glossary) name metrics as `RunMetricName`, so a name nothing produces is a compile
 * error rather than a target that silently reads nothing.
 *
 * These are not Prometheus metrics: the services' `/metrics` names live in `@hlp/telemetry`.
 * The schema stays open (`Metric.name` is any string) so that older documents and ad-hoc runs
 * still parse; the catalogue constrains the code, not the files.
 */
import { makeMetric, type MakeMetricOptions } from './metric.js';
import type { Metric } from './schema.js';

/**
 * What writes a metric. `external` marks a name only another tool writes into run documents;
 * the catalogue test accepts it without a producer in this repository.
 */
export type RunMetricProducer = 'hlp bench kernels' | 'hlp bench ckks' | 'hlp load' | 'hlp load --verify' | 'gate calibration' | 'external';

export interface RunMetricSpec {
  readonly unit: string;
  readonly better: 'lower' | 'higher';
  /** Label names, in the order they are documented. */
  readonly labels: readonly string[];
  readonly description: string;
  readonly producer: RunMetricProducer;
  /** Where a reader finds it (report section, dashboard, gate). */
  readonly shownIn: string;
}

const KERNEL = {
  unit: 'ns',
  better: 'lower',
  labels: ['variant', 'n', 'bits'],
  producer: 'hlp bench kernels',
  shownIn: 'report: kernel variants; dashboard Kernels',
} as const;
const CKKS_OP = { unit: 'ns', better: 'lower', labels: ['backend', 'n'], producer: 'hlp bench ckks', shownIn: 'report: metrics table' } as const;
const CKKS_KEYED = { ...CKKS_OP, labels: ['backend', 'n', 'key'] } as const;
const HTTP = { labels: ['route', 'protocol'], producer: 'hlp load' } as const;
const PROCESS = { labels: ['process'], producer: 'hlp load' } as const;

export const RUN_METRICS = {
  'ntt.forward': { ...KERNEL, description: 'one negacyclic forward NTT of one residue polynomial' },
  'ntt.inverse': { ...KERNEL, description: 'one inverse NTT' },
  'eltwise.mul_mod': { ...KERNEL, description: 'element-wise modular multiply of n residues' },
  'alloc.churn': {
    ...KERNEL,
    labels: ['allocator', 'per', 'live', 'rounds'],
    description: 'one allocate/free round of the memory pool vs malloc',
    shownIn: 'report: metrics table; dashboard Kernels',
  },
  'calibration.js_ntt': {
    unit: 'ns',
    better: 'lower',
    labels: ['n', 'q', 'impl'],
    description: 'machine calibration benchmark (pure JS NTT) used to normalise across machine classes',
    producer: 'gate calibration',
    shownIn: 'gate report; dashboard Kernels',
  },
  'ckks.encode': { ...CKKS_OP, description: 'CKKS encode of N/2 slots' },
  'ckks.encrypt': { ...CKKS_KEYED, description: 'encrypt one plaintext (public or secret key)' },
  'ckks.encode_encrypt': { ...CKKS_KEYED, description: 'encode + encrypt, one ciphertext', shownIn: 'report: metrics table; dashboard Kernels' },
  'ckks.decrypt': { ...CKKS_OP, description: 'decrypt one ciphertext' },
  'ckks.decode': { ...CKKS_OP, description: 'decode one plaintext' },
  'ckks.serialize': { ...CKKS_OP, description: 'SEAL-format serialization of one ciphertext' },
  'ckks.add': { ...CKKS_OP, description: 'ciphertext + ciphertext' },
  'ckks.add_inplace': { ...CKKS_OP, description: 'ciphertext += ciphertext, in place (the sum written over the first operand)' },
  'ckks.multiply_plain': { ...CKKS_OP, description: 'ciphertext × plaintext' },
  'ckks.rescale': { ...CKKS_OP, description: 'rescale to the next level' },
  'ckks.affine': { ...CKKS_OP, description: 'the affine workload on one ciphertext: multiply_plain, rescale, add_plain (native: one fused call)' },
  'ckks.relinearize': { ...CKKS_OP, description: 'relinearize a size-3 product (one key switch)' },
  'ckks.rotate': { ...CKKS_OP, description: "one slot rotation (Galois automorphism + key switch), cycling through the benchmark's keys" },
  'ckks.mul_relin_rescale': { ...CKKS_OP, description: 'ciphertext × ciphertext, relinearized and rescaled (native: one fused call)' },
  'ckks.rotate_hoisted': {
    ...CKKS_OP,
    labels: ['backend', 'n', 'rotations'],
    description: 'per rotation, a batch of `rotations` rotations of one ciphertext (native: one shared decomposition)',
  },
  'ckks.matvec': {
    ...CKKS_OP,
    unit: 'ms',
    labels: ['backend', 'n', 'shape'],
    description:
      'one encrypted matrix–vector product as the inference service evaluates `projection` (BSGS on the blocked layout, input at level 1): shape 768x64 (the default projection) or 768x768; n = 8192 only',
  },
  'ckks.decrypt_decode_batch': {
    ...CKKS_OP,
    unit: 'ms',
    labels: ['backend', 'n', 'ciphertexts'],
    description:
      "the proxy's answer path: `ciphertexts` serialized answers (one rescale below the top, as `affine` answers) parsed, decrypted and decoded in one batch on the libuv pool; native only",
  },
  'ckks.encode_encrypt_batch': {
    ...CKKS_OP,
    unit: 'ms',
    labels: ['backend', 'n', 'key', 'ciphertexts'],
    description:
      "the proxy's encryption path: `ciphertexts` vectors encoded and encrypted with the secret key (seeded) in one call on the libuv pool at level 1, written into one reused buffer and serialized as views; native only",
  },
  'ckks.ciphertext_bytes': { ...CKKS_KEYED, unit: 'bytes', description: 'serialized ciphertext size', shownIn: 'report: metrics table; dashboard Kernels' },
  'ckks.prompt_encrypt': {
    ...CKKS_OP,
    unit: 'ms',
    labels: ['backend', 'tokens', 'threads', 'key', 'device'],
    description: 'a GPT-2 full-context prompt (1024 × 768 values) end to end (device: cuda cases only); SLO: P95 < 2 s',
    shownIn: 'report: SLO table; dashboards Kernels and SLO overview',
  },
  'ckks.gpu_pool_efficiency': {
    ...CKKS_OP,
    unit: 'ratio',
    better: 'higher',
    labels: ['backend', 'tokens', 'threads', 'key', 'device'],
    description: 'peak bytes in use / peak bytes reserved of the device memory pool during the GPU prompt case (GPU machines only); SLO: > 80 %',
    shownIn: 'report: SLO table',
  },
  'http.latency': {
    ...HTTP,
    unit: 'ms',
    better: 'lower',
    description:
      "End-to-end latency of 2xx responses. Open loop: from the request's intended send time on the fixed schedule (coordinated-omission corrected); closed loop: from the actual send.",
    shownIn: 'report: latency distribution, latency over time; dashboard SLO overview',
  },
  'http.latency_uncorrected': {
    ...HTTP,
    unit: 'ms',
    better: 'lower',
    description:
      'Open loop only: latency of 2xx responses from the actual send (after any wait for a free connection or stream). What a generator that ignores coordinated omission would report; compare with http.latency.',
    shownIn: 'report: metrics table',
  },
  'http.throughput': {
    ...HTTP,
    labels: ['route', 'protocol', 'tool'],
    unit: 'req/s',
    better: 'higher',
    description:
      '2xx responses per second; samples are the per-second counts of the measured window, `value` the whole-window rate (tool: cross-check documents only). SLO: > 100',
    shownIn: 'report: SLO table, throughput over time; dashboard SLO overview',
  },
  'http.success_ratio': {
    ...HTTP,
    unit: 'ratio',
    better: 'higher',
    description: 'Share of the counted requests answered 2xx (0 to 1); samples per second, `value` over the whole window.',
    shownIn: 'report: metrics table',
  },
  'process.cpu': {
    ...PROCESS,
    unit: 'ratio',
    better: 'lower',
    description: 'CPU share of the whole machine, Δ(utime+stime) / Δwall / cores, from `/proc/<pid>/stat`. SLO: proxy < 50 %',
    shownIn: 'report: SLO table; dashboard SLO overview',
  },
  'process.cpu_per_request': {
    ...PROCESS,
    unit: 'ms',
    better: 'lower',
    description:
      'CPU time of the process (all threads) per 2xx response, ms: samples per second of the measured window (CPU ms used in that second / its 2xx), `value` over the whole window. What a capacity model should read. `process=loadgen` is the load generator (the lab process and its driver processes together), which shares the machine with the services.',
    shownIn: 'hlp load summary; report: metrics table',
  },
  'process.rss': {
    ...PROCESS,
    unit: 'bytes',
    better: 'lower',
    description: 'Resident set size (VmRSS of `/proc/<pid>/status`). SLO: peak < 16 GB',
    shownIn: 'report: SLO table; dashboard SLO overview',
  },
  'process.rss_growth': {
    ...PROCESS,
    unit: 'ratio',
    better: 'lower',
    description:
      'Growth of resident memory once settled: the median RSS of the last minute of the measured window over that of its sixth minute, minus 1 (0.05 = 5 %). Written for windows of 7 minutes or more (a soak); samples are each later minute against the sixth. `hlp load --max-rss-growth` fails the run above a bound.',
    shownIn: 'hlp load summary; report: metrics table',
  },
  'process.eventloop_lag_p99': {
    ...PROCESS,
    unit: 'ms',
    better: 'lower',
    description: 'Event-loop delay P99 of an app, scraped from its /metrics (nodejs_eventloop_lag_p99_seconds) once a second.',
    shownIn: 'report: metrics table',
  },
  'gpu.utilization': {
    unit: 'ratio',
    better: 'higher',
    labels: ['gpu'],
    description: 'GPU busy fraction from nvidia-smi (utilization.gpu / 100), when a GPU exists.',
    producer: 'hlp load',
    shownIn: 'report: metrics table',
  },
  'gpu.memory_used': {
    unit: 'bytes',
    better: 'lower',
    labels: ['gpu'],
    description: 'GPU memory in use, from nvidia-smi (memory.used).',
    producer: 'hlp load',
    shownIn: 'report: metrics table',
  },
  'loadgen.crosscheck_ratio': {
    unit: 'ratio',
    better: 'higher',
    labels: ['driver', 'reference', 'protocol'],
    description: 'Requests per second of a lab driver divided by those of an external tool (wrk, h2load) on the same endpoint and connections.',
    producer: 'hlp load --verify',
    shownIn: 'hlp load --verify summary',
  },
} as const satisfies Record<string, RunMetricSpec>;

export type RunMetricName = keyof typeof RUN_METRICS;

/** Every catalogued name, in catalogue order. */
export const RUN_METRIC_NAMES = Object.keys(RUN_METRICS) as RunMetricName[];

/** Narrows a name read from a document (or typed by a user) to a catalogued one. */
export function isRunMetricName(name: string): name is RunMetricName {
  return Object.hasOwn(RUN_METRICS, name);
}

/** The catalogue entry of `name`, with the name itself. */
export function runMetricSpec<N extends RunMetricName>(name: N): (typeof RUN_METRICS)[N] & { readonly name: N } {
  return { ...RUN_METRICS[name], name };
}

export type MakeRunMetricOptions = Omit<MakeMetricOptions, 'name' | 'unit' | 'better'>;

/** `makeMetric` for a catalogued name: unit and direction come from the catalogue. */
export function makeRunMetric(name: RunMetricName, options: MakeRunMetricOptions): Metric {
  const spec = RUN_METRICS[name];
  return makeMetric({ ...options, name, unit: spec.unit, better: spec.better });
}

/** A predicate for `metrics.find`/`filter`: this name, and every label in `labels` equal. */
export function isMetric(
  name: RunMetricName,
  labels: Readonly<Record<string, string | number | boolean>> = {},
): (m: Pick<Metric, 'name' | 'labels'>) => boolean {
  return (m) => m.name === name && Object.entries(labels).every(([k, v]) => m.labels[k] === v);
}
