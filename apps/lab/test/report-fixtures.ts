/**
 * Deterministic lab data for the report and export tests: kernels, CKKS and load runs and a
 * month of gate history, all in the previous calendar month (UTC) of "now", so that the data
 * is in the past on any clock and a Prometheus with a long retention keeps it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HISTORY_SCHEMA, VERDICTS, makeBaseline, mulberry32, type Baseline, type HistoryEntry, type Verdict } from '@hlp/gate';
import { SCHEMA_VERSION, compactUtc, makeMetric, stringifyRun, type MachineFingerprint, type Metric, type RunResult } from '@hlp/results';

export const MACHINE: MachineFingerprint = {
  arch: 'x86_64',
  cpuModel: 'Test CPU',
  cpuFlags: ['avx2', 'avx512f', 'avx512ifma'],
  logicalCores: 2,
  memoryBytes: 24e9,
  os: { platform: 'linux', release: '6.1', version: '#1', distro: 'Debian GNU/Linux 12 (bookworm)' },
  node: process.version,
  gpu: null,
  machineClass: 'x86_64-test-2c-24g',
};

/** The previous calendar month of `now`, as `YYYY-MM`, and a date in it. */
export function fixtureMonth(now = new Date()): { month: string; at: (day: number, hour?: number) => Date } {
  const y = now.getUTCMonth() === 0 ? now.getUTCFullYear() - 1 : now.getUTCFullYear();
  const m = now.getUTCMonth() === 0 ? 11 : now.getUTCMonth() - 1;
  return { month: `${y}-${String(m + 1).padStart(2, '0')}`, at: (day, hour = 10) => new Date(Date.UTC(y, m, day, hour, 0, 0)) };
}

function noisy(rand: () => number, median: number, n: number, spread = 0.04): number[] {
  return Array.from({ length: n }, () => median * (1 + (rand() - 0.5) * 2 * spread + (rand() < 0.05 ? rand() * 0.3 : 0)));
}

function run(suite: string, startedAt: Date, metrics: Metric[], commit: string): RunResult {
  return {
    schema: SCHEMA_VERSION,
    suite,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date(startedAt.getTime() + 60_000).toISOString(),
    machine: MACHINE,
    git: { commit, dirty: false, branch: 'main' },
    config: { fixture: true },
    metrics,
  };
}

const KERNEL_NS: Record<string, number> = { scalar: 52_000, avx2: 21_000, avx512: 11_500 };

export function kernelsRun(startedAt: Date, seed: number, factor = 1, commit = `c0ffee${seed}`): RunResult {
  const rand = mulberry32(seed);
  const metrics: Metric[] = [];
  for (const name of ['ntt.forward', 'ntt.inverse', 'eltwise.mul_mod'])
    for (const n of [4096, 8192])
      for (const [variant, ns] of Object.entries(KERNEL_NS)) {
        const base = ns * (n / 8192) * (name === 'eltwise.mul_mod' ? 0.2 : name === 'ntt.inverse' ? 1.05 : 1) * factor;
        metrics.push(makeMetric({ name, unit: 'ns', better: 'lower', labels: { variant, n, bits: 50 }, samples: noisy(rand, base, 60) }));
      }
  for (const [allocator, ns] of [
    ['pool', 800],
    ['malloc', 2400],
  ] as const)
    metrics.push(makeMetric({ name: 'alloc.churn', unit: 'ns', better: 'lower', labels: { allocator, per: 'round' }, samples: noisy(rand, ns, 40) }));
  metrics.push(makeMetric({ name: 'calibration.js_ntt', unit: 'ns', better: 'lower', labels: {}, samples: noisy(rand, 90_000, 30) }));
  return run('kernels', startedAt, metrics, commit);
}

export function ckksRun(startedAt: Date, seed: number): RunResult {
  const rand = mulberry32(seed);
  const metrics: Metric[] = [];
  for (const backend of ['seal', 'native'])
    for (const key of ['public', 'secret']) {
      const ms = backend === 'seal' ? 9 : 3.5;
      metrics.push(
        makeMetric({
          name: 'ckks.encode_encrypt',
          unit: 'ns',
          better: 'lower',
          labels: { backend, key, n: 8192 },
          samples: noisy(rand, ms * 1e6 * (key === 'secret' ? 0.7 : 1), 30),
        }),
      );
      metrics.push(
        makeMetric({
          name: 'ckks.ciphertext_bytes',
          unit: 'bytes',
          better: 'lower',
          labels: { backend, key, n: 8192 },
          samples: [key === 'secret' ? 131_177 : 262_249],
        }),
      );
    }
  for (const threads of [1, 2])
    metrics.push(
      makeMetric({
        name: 'ckks.prompt_encrypt',
        unit: 'ms',
        better: 'lower',
        labels: { backend: 'native', key: 'secret', threads, tokens: 1024 },
        samples: noisy(rand, 1500 / threads, 12),
      }),
    );
  return run('ckks', startedAt, metrics, `ckks${seed}`);
}

export function loadRun(startedAt: Date, seed: number): RunResult {
  const rand = mulberry32(seed);
  const seconds = 20;
  const latencySeries = Array.from({ length: seconds }, (_, i) => ({ t: (i + 1) * 1000, value: 40 + 10 * Math.sin(i / 3) + rand() * 5, n: 110 }));
  const tput = Array.from({ length: seconds }, (_, i) => ({ t: (i + 1) * 1000, value: Math.round(105 + rand() * 10 - (i === 7 ? 30 : 0)) }));
  const latencies = Array.from({ length: 600 }, () => 30 + rand() * 25 + (rand() < 0.05 ? rand() * 80 : 0));
  const metrics: Metric[] = [
    makeMetric({
      name: 'http.latency',
      unit: 'ms',
      better: 'lower',
      labels: { route: '/v1/embeddings', protocol: 'http1' },
      samples: latencies,
      series: latencySeries,
    }),
    makeMetric({
      name: 'http.throughput',
      unit: 'req/s',
      better: 'higher',
      labels: { route: '/v1/embeddings', protocol: 'http1' },
      samples: tput.map((p) => p.value),
      series: tput,
    }),
    makeMetric({
      name: 'http.success_ratio',
      unit: 'ratio',
      better: 'higher',
      labels: { route: '/v1/embeddings', protocol: 'http1' },
      samples: tput.map(() => 0.99 + rand() * 0.01),
    }),
  ];
  for (const [process, cpu, rss] of [
    ['proxy', 0.38, 420e6],
    ['inference', 0.45, 610e6],
  ] as const) {
    const cpuSeries = Array.from({ length: seconds }, (_, i) => ({ t: (i + 1) * 1000, value: cpu + (rand() - 0.5) * 0.08 }));
    const rssSeries = Array.from({ length: seconds }, (_, i) => ({ t: (i + 1) * 1000, value: rss + i * 2e6 }));
    metrics.push(
      makeMetric({ name: 'process.cpu', unit: 'ratio', better: 'lower', labels: { process }, samples: cpuSeries.map((p) => p.value), series: cpuSeries }),
    );
    metrics.push(
      makeMetric({ name: 'process.rss', unit: 'bytes', better: 'lower', labels: { process }, samples: rssSeries.map((p) => p.value), series: rssSeries }),
    );
  }
  const stageMs: Record<string, number> = {
    tokenize: 0.4,
    embed: 0.9,
    encode: 3.1,
    encrypt: 11.5,
    serialize: 1.2,
    upload: 2.2,
    evaluate: 14,
    download: 2,
    decrypt: 2.8,
    decode: 0.9,
  };
  for (const [stage, ms] of Object.entries(stageMs))
    metrics.push(makeMetric({ name: 'pipeline.stage', unit: 'ms', better: 'lower', labels: { stage }, samples: noisy(rand, ms, 50) }));
  return run('load', startedAt, metrics, `load${seed}`);
}

/**
 * A month of gate history: four gate runs of the kernels suite (one failing with a
 * regression) and two of the load suite (throughput, latency, RSS).
 */
export function historyEntries(at: (day: number, hour?: number) => Date): HistoryEntry[] {
  return [...kernelHistory(at), ...loadHistory(at)].sort((a, b) => Date.parse(a.date) - Date.parse(b.date));
}

function loadHistory(at: (day: number, hour?: number) => Date): HistoryEntry[] {
  return [11, 18].map((day, i): HistoryEntry => {
    const labels = { route: '/v1/embeddings', protocol: 'http1' };
    const metrics = [
      {
        name: 'http.throughput',
        labels,
        unit: 'req/s',
        median: 108 - i * 3,
        baselineMedian: 107,
        ratio: (108 - i * 3) / 107,
        ci: [0.97, 1.04] as [number, number],
        verdict: 'unchanged' as Verdict,
      },
      {
        name: 'http.latency',
        labels,
        unit: 'ms',
        median: 42 + i,
        baselineMedian: 41,
        ratio: (42 + i) / 41,
        ci: [0.99, 1.08] as [number, number],
        verdict: 'unchanged' as Verdict,
      },
      {
        name: 'process.rss',
        labels: { process: 'proxy' },
        unit: 'bytes',
        median: 4.2e8 + i * 1e7,
        baselineMedian: 4.1e8,
        ratio: (4.2e8 + i * 1e7) / 4.1e8,
        ci: [1.0, 1.06] as [number, number],
        verdict: 'unchanged' as Verdict,
      },
    ];
    return {
      schema: HISTORY_SCHEMA,
      date: at(day, 14).toISOString(),
      suite: 'load',
      machineClass: MACHINE.machineClass,
      commit: `${String(i).repeat(8)}load`.padEnd(40, 'e'),
      branch: 'main',
      dirty: false,
      mode: 'baseline',
      against: null,
      baselineCommit: 'b'.repeat(40),
      baselineMachineClass: MACHINE.machineClass,
      normalisedBy: null,
      outcome: 'pass',
      counts: { regression: 0, improvement: 0, unchanged: 3, inconclusive: 0, missing: 0, new: 0, incomparable: 0 },
      metrics,
      targets: [
        { id: 'throughput', status: 'met', value: 108 - i * 3 },
        { id: 'cpu-efficiency', status: 'met', value: 0.38 },
        { id: 'memory-per-instance', status: 'met', value: 4.2e8 + i * 1e7 },
        { id: 'encryption-latency-p95', status: 'not-applicable', value: null },
        { id: 'gpu-memory-efficiency', status: 'not-applicable', value: null },
      ],
    };
  });
}

function kernelHistory(at: (day: number, hour?: number) => Date): HistoryEntry[] {
  const days = [3, 9, 15, 21];
  return days.map((day, i): HistoryEntry => {
    const ratio = [1.01, 0.93, 1.15, 0.99][i]!;
    const verdict: Verdict = ratio > 1.1 ? 'regression' : ratio < 0.95 ? 'improvement' : 'unchanged';
    const metrics = (['scalar', 'avx2', 'avx512'] as const).map((variant) => {
      const baselineMedian = KERNEL_NS[variant]!;
      const r = variant === 'avx512' ? ratio : 1 + (i % 2 === 0 ? 0.01 : -0.01);
      return {
        name: 'ntt.forward',
        labels: { variant, n: 8192, bits: 50 },
        unit: 'ns',
        median: baselineMedian * r,
        baselineMedian,
        ratio: r,
        ci: [r - 0.02, r + 0.02] as [number, number],
        verdict: variant === 'avx512' ? verdict : 'unchanged',
      };
    });
    const counts: Record<string, number> = Object.fromEntries(VERDICTS.map((v) => [v, metrics.filter((m) => m.verdict === v).length]));
    const failed = verdict === 'regression';
    return {
      schema: HISTORY_SCHEMA,
      date: at(day, 10 + i).toISOString(),
      suite: 'kernels',
      machineClass: MACHINE.machineClass,
      commit: `${'abcdef0123'.slice(i)}${i}`.padEnd(40, String(i)),
      branch: 'main',
      dirty: false,
      mode: 'baseline',
      against: null,
      baselineCommit: 'b'.repeat(40),
      baselineMachineClass: MACHINE.machineClass,
      normalisedBy: null,
      outcome: failed ? 'fail' : 'pass',
      counts: { ...counts, missing: 0, new: 0, incomparable: 0 },
      metrics,
      targets: [
        { id: 'encryption-latency-p95', status: 'met', value: 1.6 - i * 0.05 },
        { id: 'throughput', status: i === 2 ? 'missed' : 'met', value: i === 2 ? 92 : 108 + i },
        { id: 'gpu-memory-efficiency', status: 'met', value: 0.86 },
        { id: 'cpu-efficiency', status: 'met', value: 0.4 },
        { id: 'memory-per-instance', status: 'met', value: 7.2e8 + i * 1e7 },
      ],
    };
  });
}

export interface LabFixture {
  readonly month: string;
  readonly runsDir: string;
  readonly historyFile: string;
  readonly runs: RunResult[];
  readonly runFiles: string[];
  readonly history: HistoryEntry[];
  readonly baseline: Baseline;
}

/** Writes runs (into `<dir>/runs`) and the history (`<dir>/history.jsonl`). */
export async function writeLabFixture(dir: string, now = new Date()): Promise<LabFixture> {
  const { month, at } = fixtureMonth(now);
  const runs = [kernelsRun(at(2), 1), kernelsRun(at(9), 2), ckksRun(at(10), 3), kernelsRun(at(16), 4, 1.02), loadRun(at(17), 5), kernelsRun(at(22), 6, 0.97)];
  const runsDir = join(dir, 'runs');
  await mkdir(runsDir, { recursive: true });
  const runFiles: string[] = [];
  for (const r of runs) {
    const file = join(runsDir, `${compactUtc(new Date(r.startedAt))}-${r.suite}.json`);
    await writeFile(file, stringifyRun(r));
    runFiles.push(file);
  }
  const history = historyEntries(at);
  const historyFile = join(dir, 'history.jsonl');
  await writeFile(historyFile, history.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const baseline = makeBaseline([runs[0]!], { recordedAt: at(2, 12) });
  return { month, runsDir, historyFile, runs, runFiles, history, baseline };
}
