/**
 * The five SLO targets of DESIGN §2, checked against any run that holds their metrics.
 * Each evaluates to met, missed or not-applicable (with the reason: the metric is absent
 * from the run, or the target needs a GPU and the machine has none).
 */
import type { Labels, Metric, RunMetricName, RunResult } from '@hlp/results';
import { labelsInclude } from './config.js';
import { conversionFactor, formatValue } from './units.js';

export type TargetStatistic = 'p50' | 'median' | 'p90' | 'p95' | 'p99' | 'max' | 'mean' | 'min';

export interface SloTarget {
  readonly id: string;
  readonly title: string;
  /** Metric name in the run document, from the catalogue (a name nothing produces fails to compile). */
  readonly metric: RunMetricName;
  /** Only series carrying these labels count. */
  readonly labels?: Labels;
  readonly statistic: TargetStatistic;
  readonly op: '<' | '>';
  readonly threshold: number;
  /** Unit of `threshold`; the metric's own unit must convert into it. */
  readonly unit: string;
  /**
   * Several matching series (backends, thread counts, processes): `best` checks the best
   * one (the configuration a deployment would pick), `worst` requires every one to pass.
   */
  readonly aggregate: 'best' | 'worst';
  /** Applies only on a machine with a GPU. */
  readonly needsGpu?: boolean;
}

export const SLO_TARGETS: readonly SloTarget[] = [
  {
    id: 'encryption-latency-p95',
    title: 'encryption latency P95 < 2 s (GPT-2-scale prompt, 1024 tokens × 768)',
    metric: 'ckks.prompt_encrypt',
    statistic: 'p95',
    op: '<',
    threshold: 2,
    unit: 's',
    aggregate: 'best',
  },
  {
    id: 'throughput',
    title: 'throughput > 100 RPS (open-loop, end to end, 2xx only)',
    metric: 'http.throughput',
    statistic: 'median',
    op: '>',
    threshold: 100,
    unit: 'req/s',
    aggregate: 'best',
  },
  {
    id: 'gpu-memory-efficiency',
    title: 'GPU memory efficiency > 80 % (bytes in use / reserved by the device pool, GPU prompt benchmark)',
    metric: 'ckks.gpu_pool_efficiency',
    statistic: 'median',
    op: '>',
    threshold: 0.8,
    unit: 'ratio',
    aggregate: 'worst',
    needsGpu: true,
  },
  {
    id: 'cpu-efficiency',
    title: 'proxy CPU < 50 % of the machine at target load',
    metric: 'process.cpu',
    labels: { process: 'proxy' },
    statistic: 'median',
    op: '<',
    threshold: 0.5,
    unit: 'ratio',
    aggregate: 'worst',
  },
  {
    id: 'memory-per-instance',
    title: 'memory per instance < 16 GB (peak RSS of each process)',
    metric: 'process.rss',
    statistic: 'max',
    op: '<',
    threshold: 16e9,
    unit: 'bytes',
    aggregate: 'worst',
  },
];

export type TargetStatus = 'met' | 'missed' | 'not-applicable';

export interface TargetResult {
  readonly id: string;
  readonly title: string;
  readonly status: TargetStatus;
  readonly reason: string;
  readonly metric: string;
  /** The value compared (in the target's unit) and the series it came from. */
  readonly value: number | null;
  readonly unit: string;
  readonly threshold: number;
  readonly op: '<' | '>';
  readonly labels: Labels | null;
}

function statisticOf(m: Metric, s: TargetStatistic): number {
  const v = m.summary[s === 'median' ? 'median' : s];
  return typeof v === 'number' ? v : m.summary.median;
}

function describeLabels(labels: Labels): string {
  const text = Object.entries(labels)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return text ? ` (${text})` : '';
}

/** Evaluates `targets` (default: the five of DESIGN §2) against a run. */
export function evaluateTargets(run: Pick<RunResult, 'metrics' | 'machine' | 'suite'>, targets: readonly SloTarget[] = SLO_TARGETS): TargetResult[] {
  const hasGpu = (run.machine.gpu?.length ?? 0) > 0;
  return targets.map((t): TargetResult => {
    const base = { id: t.id, title: t.title, metric: t.metric, unit: t.unit, threshold: t.threshold, op: t.op };
    const na = (reason: string): TargetResult => ({ ...base, status: 'not-applicable', reason, value: null, labels: null });
    if (t.needsGpu && !hasGpu) return na(`needs a GPU; this machine has none (fingerprint gpu: null)`);
    const series = run.metrics.filter((m) => m.name === t.metric && labelsInclude(m.labels, t.labels));
    const filter = t.labels ? describeLabels(t.labels) : '';
    if (series.length === 0) return na(`metric ${t.metric}${filter} is absent from this run (suite ${run.suite})`);
    const values: { value: number; metric: Metric }[] = [];
    const skipped: string[] = [];
    for (const m of series) {
      const f = conversionFactor(m.unit, t.unit);
      if (f === null) skipped.push(m.unit);
      else values.push({ value: statisticOf(m, t.statistic) * f, metric: m });
    }
    if (values.length === 0) return na(`metric ${t.metric} is in ${[...new Set(skipped)].join(', ')}, which does not convert to ${t.unit}`);
    const passes = (v: number): boolean => (t.op === '<' ? v < t.threshold : v > t.threshold);
    // the best series is the lowest for '<' and the highest for '>'; the worst is the other end
    const ordered = [...values].sort((a, b) => (t.op === '<' ? a.value - b.value : b.value - a.value));
    const chosen = t.aggregate === 'best' ? ordered[0]! : ordered[ordered.length - 1]!;
    const ok = passes(chosen.value);
    const which = values.length > 1 ? `${t.aggregate} of ${values.length} series` : 'one series';
    const shown = `${t.statistic} ${formatValue(chosen.value, t.unit)}${describeLabels(chosen.metric.labels)}`;
    return {
      ...base,
      status: ok ? 'met' : 'missed',
      reason: `${shown} ${ok ? (t.op === '<' ? '<' : '>') : t.op === '<' ? '≥' : '≤'} ${formatValue(t.threshold, t.unit)} (${which})`,
      value: chosen.value,
      labels: chosen.metric.labels,
    };
  });
}
