/** Synthetic samples and run documents for the gate's tests. */
import { SCHEMA_VERSION, makeMetric, type Labels, type Metric, type RunResult } from '@hlp/results';
import { mulberry32 } from '../src/prng.js';

/** A seeded standard normal generator. */
export function normal(seed: number): () => number {
  const rng = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** n lognormal samples with the given median and log-SD. */
export function lognormal(n: number, median: number, sigma: number, seed: number): number[] {
  const z = normal(seed);
  return Array.from({ length: n }, () => median * Math.exp(sigma * z()));
}

export interface SynthMetric {
  readonly name: string;
  readonly labels?: Labels;
  readonly unit?: string;
  readonly better?: 'lower' | 'higher';
  readonly samples: readonly number[];
}

export function metric(m: SynthMetric): Metric {
  return makeMetric({ name: m.name, unit: m.unit ?? 'ns', better: m.better ?? 'lower', labels: m.labels ?? {}, samples: m.samples });
}

export function run(
  metrics: readonly SynthMetric[],
  options: { suite?: string; machineClass?: string; gpu?: boolean; commit?: string; config?: Record<string, unknown> } = {},
): RunResult {
  return {
    schema: SCHEMA_VERSION,
    suite: options.suite ?? 'synth',
    startedAt: '2026-11-26T10:00:00.000Z',
    finishedAt: '2026-11-26T10:00:10.000Z',
    machine: {
      arch: 'x86_64',
      cpuModel: 'Test CPU',
      cpuFlags: ['avx2'],
      logicalCores: 2,
      memoryBytes: 8 * 2 ** 30,
      os: { platform: 'linux', release: '6.0', version: '#1', distro: null },
      node: 'v20.20.2',
      gpu: options.gpu ? [{ name: 'NVIDIA H100', memoryMiB: 81559 }] : null,
      machineClass: options.machineClass ?? 'x86_64-avx2-2c-8g',
    },
    git: { commit: options.commit ?? 'a'.repeat(40), dirty: false, branch: 'main' },
    config: options.config ?? {},
    metrics: metrics.map(metric),
  };
}
