/**
 * docs/metrics.md, generated: the service metrics of @hlp/telemetry (glossaryMarkdown) and the
 * names of the lab's run documents. `node apps/lab/dist/src/suite/metrics-doc.js --write`
 * rewrites the file; a test fails when it is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { glossaryMarkdown } from '@hlp/telemetry';

export const METRICS_DOC = fileURLToPath(new URL('../../../../../docs/metrics.md', import.meta.url));

/** Metric names of hlp.run/1 documents (DESIGN §8), their unit and where they are shown. */
export const LAB_METRICS: readonly { name: string; unit: string; labels: string; meaning: string; panel: string }[] = [
  { name: 'ntt.forward', unit: 'ns', labels: 'variant, n, bits', meaning: 'one negacyclic forward NTT of one residue polynomial', panel: 'report: kernel variants; dashboard Kernels' },
  { name: 'ntt.inverse', unit: 'ns', labels: 'variant, n, bits', meaning: 'one inverse NTT', panel: 'report: kernel variants; dashboard Kernels' },
  { name: 'eltwise.mul_mod', unit: 'ns', labels: 'variant, n, bits', meaning: 'element-wise modular multiply of n residues', panel: 'report: kernel variants; dashboard Kernels' },
  { name: 'alloc.churn', unit: 'ns', labels: 'allocator, per, live, rounds', meaning: 'one allocate/free round of the memory pool vs malloc', panel: 'report: metrics table' },
  { name: 'calibration.js_ntt', unit: 'ns', labels: '—', meaning: 'machine calibration benchmark (pure JS NTT) used to normalise across machine classes', panel: 'gate report' },
  { name: 'ckks.encode', unit: 'ns', labels: 'backend, n', meaning: 'CKKS encode of N/2 slots', panel: 'report: metrics table' },
  { name: 'ckks.encrypt', unit: 'ns', labels: 'backend, n, key', meaning: 'encrypt one plaintext (public or secret key)', panel: 'report: metrics table' },
  { name: 'ckks.encode_encrypt', unit: 'ns', labels: 'backend, n, key', meaning: 'encode + encrypt, one ciphertext', panel: 'report: metrics table; dashboard SLO overview (encryption stage)' },
  { name: 'ckks.decrypt', unit: 'ns', labels: 'backend, n', meaning: 'decrypt one ciphertext', panel: 'report: metrics table' },
  { name: 'ckks.decode', unit: 'ns', labels: 'backend, n', meaning: 'decode one plaintext', panel: 'report: metrics table' },
  { name: 'ckks.serialize', unit: 'ns', labels: 'backend, n', meaning: 'SEAL-format serialization of one ciphertext', panel: 'report: metrics table' },
  { name: 'ckks.add', unit: 'ns', labels: 'backend, n', meaning: 'ciphertext + ciphertext', panel: 'report: metrics table' },
  { name: 'ckks.multiply_plain', unit: 'ns', labels: 'backend, n', meaning: 'ciphertext × plaintext', panel: 'report: metrics table' },
  { name: 'ckks.rescale', unit: 'ns', labels: 'backend, n', meaning: 'rescale to the next level', panel: 'report: metrics table' },
  { name: 'ckks.relinearize', unit: 'ns', labels: 'backend, n', meaning: 'relinearize a size-3 product (one key switch)', panel: 'report: metrics table' },
  { name: 'ckks.rotate', unit: 'ns', labels: 'backend, n', meaning: 'one slot rotation (Galois automorphism + key switch), cycling through the benchmark\'s keys', panel: 'report: metrics table' },
  { name: 'ckks.mul_relin_rescale', unit: 'ns', labels: 'backend, n', meaning: 'ciphertext × ciphertext, relinearized and rescaled (native: one fused call)', panel: 'report: metrics table' },
  { name: 'ckks.rotate_hoisted', unit: 'ns', labels: 'backend, n, rotations', meaning: 'per rotation, a batch of `rotations` rotations of one ciphertext (native: one shared decomposition)', panel: 'report: metrics table' },
  { name: 'ckks.matvec', unit: 'ms', labels: 'backend, n, shape', meaning: 'one encrypted matrix–vector product as the inference service evaluates `projection` (BSGS on the blocked layout, input at level 1): shape 768x64 (the default projection) or 768x768; n = 8192 only', panel: 'report: metrics table' },
  { name: 'ckks.ciphertext_bytes', unit: 'bytes', labels: 'backend, n, key', meaning: 'serialized ciphertext size', panel: 'report: metrics table' },
  { name: 'ckks.prompt_encrypt', unit: 'ms', labels: 'backend, tokens, threads, key, device (cuda only)', meaning: 'a GPT-2 full-context prompt (1024 × 768 values) end to end; SLO: P95 < 2 s', panel: 'report: SLO table; dashboard SLO overview' },
  { name: 'ckks.gpu_pool_efficiency', unit: 'ratio', labels: 'backend, tokens, threads, key, device', meaning: 'peak bytes in use / peak bytes reserved of the device memory pool during the GPU prompt case (GPU machines only); SLO: > 80 %', panel: 'report: SLO table' },
  { name: 'http.latency', unit: 'ms', labels: 'route, protocol', meaning: 'request latency from the intended send time (coordinated-omission corrected)', panel: 'report: latency distribution, latency over time; dashboard SLO overview' },
  { name: 'http.latency_uncorrected', unit: 'ms', labels: 'route, protocol', meaning: 'latency from the actual send time (for comparison only)', panel: 'report: metrics table' },
  { name: 'http.throughput', unit: 'req/s', labels: 'route, protocol', meaning: '2xx responses per second (one sample per second); SLO: > 100', panel: 'report: SLO table, throughput over time; dashboard SLO overview' },
  { name: 'http.success_ratio', unit: 'ratio', labels: 'route, protocol', meaning: '2xx / all requests per second', panel: 'report: metrics table' },
  { name: 'process.cpu', unit: 'ratio', labels: 'process', meaning: 'CPU time of the process / wall time / cores (share of the machine); SLO proxy < 50 %', panel: 'report: SLO table; dashboard SLO overview' },
  { name: 'process.cpu_per_request', unit: 'ms', labels: 'process', meaning: 'CPU time of the process (all threads) per 2xx response, per second of the window; `value` over the whole window', panel: 'hlp load summary; report: metrics table' },
  { name: 'process.rss', unit: 'bytes', labels: 'process', meaning: 'resident set size; SLO peak < 16 GB', panel: 'report: SLO table; dashboard SLO overview' },
  { name: 'process.eventloop_lag_p99', unit: 'ms', labels: 'process', meaning: 'P99 event-loop delay per second (from /metrics)', panel: 'report: metrics table' },
  { name: 'gpu.utilization', unit: 'ratio', labels: 'gpu', meaning: 'GPU utilisation (nvidia-smi), when a GPU exists', panel: 'report: metrics table' },
  { name: 'gpu.memory_used', unit: 'bytes', labels: 'gpu', meaning: 'GPU memory in use (nvidia-smi)', panel: 'report: metrics table' },
];

export function metricsDoc(): string {
  const lab = ['| name | unit | labels | meaning | shown in |', '|---|---|---|---|---|', ...LAB_METRICS.map((m) => `| \`${m.name}\` | ${m.unit} | ${m.labels} | ${m.meaning} | ${m.panel} |`)].join('\n');
  return [
    '# Metrics glossary',
    '',
    '<!-- generated by apps/lab/src/suite/metrics-doc.ts: `node apps/lab/dist/src/suite/metrics-doc.js --write`; a test fails when stale -->',
    '',
    '## Lab result metrics (`hlp.run/1` documents)',
    '',
    'Written by `hlp bench`, `hlp load` and `hlp suite`; compared by the gate; drawn by `hlp report`.',
    '',
    lab,
    '',
    '## Service metrics (Prometheus, from `@hlp/telemetry`)',
    '',
    'Exposed on `/metrics` by the proxy and the inference service; the panel is the Grafana panel that shows it.',
    '',
    glossaryMarkdown().trimEnd(),
    '',
  ].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--write')) {
    writeFileSync(METRICS_DOC, metricsDoc(), 'utf8');
    process.stdout.write(`wrote ${METRICS_DOC}\n`);
  } else {
    process.exitCode = readFileSync(METRICS_DOC, 'utf8') === metricsDoc() ? 0 : 1;
  }
}
