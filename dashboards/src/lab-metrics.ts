/**
 * Names of the metrics that `hlp export` writes from the lab's own files (run documents and the
 * gate's history, `baselines/history.jsonl`) as OpenMetrics for backfill into Prometheus, and
 * that the kernels and monthly-review dashboards query. They are not application metrics (no
 * process registers them; they are never scraped), so they live here rather than in
 * `@hlp/telemetry`'s CATALOGUE, whose entries are registered by the proxy and the inference
 * service. Same conventions: `hlp_lab_` prefix, base units in the name.
 *
 * Values are converted to base units by unit family (ns/µs/ms → seconds, KiB/MiB → bytes,
 * % → ratio, req/s and ops/s → per second); a unit of no known family keeps its value and is
 * written to the `…_value` family with a `unit` label.
 */
import { unitInfo } from '@hlp/gate';

/** Base-unit families of exported values: name suffix, Grafana unit, base unit. */
export const LAB_UNIT_FAMILIES = {
  seconds: { suffix: '_seconds', grafanaUnit: 's', base: 's' },
  bytes: { suffix: '_bytes', grafanaUnit: 'bytes', base: 'bytes' },
  ratio: { suffix: '_ratio', grafanaUnit: 'percentunit', base: 'ratio' },
  per_second: { suffix: '_per_second', grafanaUnit: 'ops', base: '1/s' },
  value: { suffix: '_value', grafanaUnit: 'short', base: '' },
} as const;
export type LabUnitFamily = keyof typeof LAB_UNIT_FAMILIES;
export const LAB_UNIT_FAMILY_NAMES = Object.keys(LAB_UNIT_FAMILIES) as LabUnitFamily[];

/** Labels the exporter sets itself; a run or history label of the same name is renamed `label_<name>`. */
export const LAB_LABELS = {
  suite: 'suite',
  machineClass: 'machine_class',
  metric: 'metric',
  unit: 'unit',
  commit: 'commit',
  branch: 'branch',
  verdict: 'verdict',
  outcome: 'outcome',
  target: 'target',
} as const;
export const RESERVED_LABELS: ReadonlySet<string> = new Set([...Object.values(LAB_LABELS), 'le', 'quantile', 'job', 'instance']);

export interface LabMetricSpec {
  /** Full name, or the stem to which a unit-family suffix is appended (`perUnit`). */
  readonly name: string;
  readonly perUnit: boolean;
  readonly help: string;
  /** Labels always present (besides the series' own labels, for per-metric families). */
  readonly labels: readonly string[];
  /** Where the value comes from. */
  readonly source: 'runs' | 'history';
}

/** Every family `hlp export` writes. Keys are what the code refers to. */
export const LAB_METRICS = {
  runMedian: {
    name: 'hlp_lab_run_median',
    perUnit: true,
    help: 'Median of one metric of one lab run (hlp.run/1 summary.median), in base units, at the run start time.',
    labels: ['suite', 'machine_class', 'metric'],
    source: 'runs',
  },
  runP95: {
    name: 'hlp_lab_run_p95',
    perUnit: true,
    help: '95th percentile of one metric of one lab run (hlp.run/1 summary.p95), in base units, at the run start time.',
    labels: ['suite', 'machine_class', 'metric'],
    source: 'runs',
  },
  historyMedian: {
    name: 'hlp_lab_history_median',
    perUnit: true,
    help: 'Median of a gated metric in a gated run (baselines/history.jsonl), in base units, at the gate time.',
    labels: ['suite', 'machine_class', 'metric'],
    source: 'history',
  },
  historyBaselineMedian: {
    name: 'hlp_lab_history_baseline_median',
    perUnit: true,
    help: 'Median of the same metric in the baseline the gate compared against, in base units.',
    labels: ['suite', 'machine_class', 'metric'],
    source: 'history',
  },
  historyRatio: {
    name: 'hlp_lab_history_current_to_baseline_ratio',
    perUnit: false,
    help: 'Ratio of medians current / baseline of a gated metric (after calibration), as the gate decided it.',
    labels: ['suite', 'machine_class', 'metric'],
    source: 'history',
  },
  gateVerdicts: {
    name: 'hlp_lab_gate_verdicts',
    perUnit: false,
    help: 'Gated metrics per verdict (regression, improvement, unchanged, inconclusive) in one gate run.',
    labels: ['suite', 'machine_class', 'commit', 'branch', 'verdict'],
    source: 'history',
  },
  gatePassed: {
    name: 'hlp_lab_gate_passed',
    perUnit: false,
    help: 'Outcome of one gate run: 1 pass, 0 fail.',
    labels: ['suite', 'machine_class', 'commit', 'branch', 'outcome'],
    source: 'history',
  },
  targetValue: {
    name: 'hlp_lab_target',
    perUnit: true,
    help: 'Value of an SLO target of DESIGN §2 (encryption P95, throughput, GPU memory efficiency, CPU, memory) as the gate measured it, in base units.',
    labels: ['suite', 'machine_class', 'target'],
    source: 'history',
  },
  targetMet: {
    name: 'hlp_lab_target_met',
    perUnit: false,
    help: 'Whether an SLO target was met in a gate run: 1 met, 0 missed (not-applicable targets are not written).',
    labels: ['suite', 'machine_class', 'target'],
    source: 'history',
  },
} as const satisfies Record<string, LabMetricSpec>;
export type LabMetricKey = keyof typeof LAB_METRICS;
type PerUnitKey = { [K in LabMetricKey]: (typeof LAB_METRICS)[K]['perUnit'] extends true ? K : never }[LabMetricKey];
type PlainKey = Exclude<LabMetricKey, PerUnitKey>;

/** The exposed name of a lab family: `labMetric('runMedian', 'seconds')` → `hlp_lab_run_median_seconds`. */
export function labMetric(key: PerUnitKey, family: LabUnitFamily): string;
export function labMetric(key: PlainKey): string;
export function labMetric(key: LabMetricKey, family?: LabUnitFamily): string {
  const spec: LabMetricSpec = LAB_METRICS[key];
  if (!spec.perUnit) return spec.name;
  if (family === undefined) throw new Error(`lab metric ${key} needs a unit family`);
  return `${spec.name}${LAB_UNIT_FAMILIES[family].suffix}`;
}

/** Every exposed family name, with its help text (for the exporter's `# HELP`, and for tests). */
export function labFamilies(): { key: LabMetricKey; family: LabUnitFamily | null; name: string; help: string }[] {
  const out: { key: LabMetricKey; family: LabUnitFamily | null; name: string; help: string }[] = [];
  for (const key of Object.keys(LAB_METRICS) as LabMetricKey[]) {
    const spec: LabMetricSpec = LAB_METRICS[key];
    if (spec.perUnit) for (const f of LAB_UNIT_FAMILY_NAMES) out.push({ key, family: f, name: `${spec.name}${LAB_UNIT_FAMILIES[f].suffix}`, help: spec.help });
    else out.push({ key, family: null, name: spec.name, help: spec.help });
  }
  return out;
}

/** A value in `unit` as its base-unit family and converted value. */
export function toBaseUnit(value: number, unit: string): { family: LabUnitFamily; value: number } {
  const info = unitInfo(unit);
  if (!info) return { family: 'value', value };
  switch (info.family) {
    case 'time':
      return { family: 'seconds', value: value * info.scale };
    case 'bytes':
      return { family: 'bytes', value: value * info.scale };
    case 'fraction':
      return { family: 'ratio', value: value * info.scale };
    case 'request-rate':
    case 'op-rate':
    case 'frequency':
      return { family: 'per_second', value: value * info.scale };
  }
}

/** A run or history label name as a valid, non-reserved Prometheus label name. */
export function labelName(name: string): string {
  let n = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(n)) n = `_${n}`;
  if (n.startsWith('__') || RESERVED_LABELS.has(n)) n = `label_${n.replace(/^_+/, '')}`;
  return n;
}
