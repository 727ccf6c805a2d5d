import type { AllocatorKind, AllocatorStats } from '@hlp/kernels';
import { isMetric, type Metric, type RunMetricName, type RunResult } from '@hlp/results';
import { formatBytes, formatLabels, formatNs, table } from '../format.js';

const ORDER: readonly string[] = ['ntt.forward', 'ntt.inverse', 'eltwise.mul_mod', 'alloc.churn'] satisfies readonly RunMetricName[];
const VARIANT_ORDER = ['scalar', 'avx2', 'avx512', 'cuda'];
const ALLOCATOR_ORDER = ['pool', 'malloc'];

function rank(list: readonly string[], value: unknown): number {
  const i = list.indexOf(String(value));
  return i < 0 ? list.length : i;
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

function sameCase(a: Metric, b: Metric): boolean {
  return a.name === b.name && a.labels['n'] === b.labels['n'] && a.labels['bits'] === b.labels['bits'];
}

/** Median of `scalar` at the same (name, n, bits) divided by this metric's median. */
export function speedupVsScalar(metric: Metric, all: readonly Metric[]): number | null {
  if (metric.labels['variant'] === undefined) return null;
  const scalar = all.find((m) => sameCase(m, metric) && m.labels['variant'] === 'scalar');
  if (!scalar || metric.summary.median <= 0) return null;
  return scalar.summary.median / metric.summary.median;
}

export interface ScalingCheck {
  readonly name: string;
  readonly variant: string;
  readonly bits: number;
  readonly n: number;
  readonly measured: number;
  readonly predicted: number;
  readonly ratio: number;
}

/**
 * N·log N scaling: for the variant fastest at n = 8192 (per op and prime size), the measured
 * median at 16384 and 32768 against median_8192 · (N·log2 N) / (8192·13).
 */
export function scalingChecks(metrics: readonly Metric[]): ScalingCheck[] {
  const checks: ScalingCheck[] = [];
  const BASE = 8192;
  for (const name of ['ntt.forward', 'ntt.inverse'] as const satisfies readonly RunMetricName[]) {
    const bitsSet = new Set(metrics.filter(isMetric(name)).map((m) => num(m.labels['bits'])));
    for (const bits of [...bitsSet].sort((a, b) => a - b)) {
      const at = (n: number) => metrics.filter((m) => m.name === name && m.labels['bits'] === bits && m.labels['n'] === n);
      const base = at(BASE).sort((a, b) => a.summary.median - b.summary.median)[0];
      if (!base) continue;
      const variant = String(base.labels['variant']);
      for (const n of [16384, 32768]) {
        const m = at(n).find((x) => x.labels['variant'] === variant);
        if (!m) continue;
        const predicted = (base.summary.median * (n * Math.log2(n))) / (BASE * Math.log2(BASE));
        checks.push({ name, variant, bits, n, measured: m.summary.median, predicted, ratio: m.summary.median / predicted });
      }
    }
  }
  return checks;
}

export function sortMetrics(metrics: readonly Metric[]): Metric[] {
  return [...metrics].sort(
    (a, b) =>
      rank(ORDER, a.name) - rank(ORDER, b.name) ||
      num(a.labels['bits']) - num(b.labels['bits']) ||
      num(a.labels['n']) - num(b.labels['n']) ||
      rank(VARIANT_ORDER, a.labels['variant']) - rank(VARIANT_ORDER, b.labels['variant']) ||
      rank(ALLOCATOR_ORDER, a.labels['allocator']) - rank(ALLOCATOR_ORDER, b.labels['allocator']),
  );
}

export function formatStats(kind: AllocatorKind, s: AllocatorStats): string {
  return (
    `${kind.padEnd(6)}  allocations ${s.allocations}  hits ${s.hits}  misses ${s.misses}  ` +
    `peak in use ${formatBytes(s.peakBytesInUse)}  reserved ${formatBytes(s.bytesReserved)}  huge-page blocks ${s.hugePageBlocks}`
  );
}

/** The human report: results table, N·log N scaling check, allocator stats. */
export function renderReport(result: RunResult, allocStats: Readonly<Partial<Record<AllocatorKind, AllocatorStats>>>): string {
  const metrics = sortMetrics(result.metrics);
  const rows = metrics.map((m) => {
    const s = m.summary;
    const speedup = speedupVsScalar(m, metrics);
    return [
      m.name,
      formatLabels(m.labels),
      formatNs(s.median),
      formatNs(s.p95),
      `[${formatNs(s.ci95[0])}, ${formatNs(s.ci95[1])}]`,
      String(s.n),
      speedup === null ? '' : `×${speedup.toFixed(2)}`,
    ];
  });
  const out: string[] = [];
  out.push(table(['metric', 'labels', 'median', 'p95', 'ci95 (median)', 'samples', 'vs scalar'], rows, [false, false, true, true, false, true, true]));

  const checks = scalingChecks(metrics);
  out.push('');
  if (checks.length === 0) {
    out.push('N·log N scaling: needs n = 8192 and n = 16384 and/or 32768 in the run');
  } else {
    out.push('N·log N scaling (measured / predicted from n = 8192, best variant at 8192; 1.00 = perfect):');
    for (const c of checks) {
      out.push(
        `  ${c.name.padEnd(11)} ${c.variant.padEnd(6)} bits=${c.bits} n=${String(c.n).padEnd(5)}  ` +
          `measured ${formatNs(c.measured).padStart(9)}  predicted ${formatNs(c.predicted).padStart(9)}  ratio ${c.ratio.toFixed(2)}`,
      );
    }
  }

  const kinds = Object.keys(allocStats) as AllocatorKind[];
  if (kinds.length > 0) {
    out.push('');
    out.push('allocator stats after alloc.churn (alloc.churn is ns per round):');
    for (const k of kinds) {
      const s = allocStats[k];
      if (s) out.push(`  ${formatStats(k, s)}`);
    }
  }
  return out.join('\n');
}
