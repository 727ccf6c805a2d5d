/**
 * The lab's history as OpenMetrics text with timestamps, for backfill into Prometheus
 * (`promtool tsdb create-blocks-from openmetrics <file> <dir>`): the gate history
 * (baselines/history.jsonl: key medians, baseline medians, ratios, verdict counts, outcome, SLO
 * targets) and per-run medians/P95 of run documents. Family names come from
 * `@hlp/dashboards`' lab-metrics module, which the kernels and monthly dashboards query.
 *
 * Output follows the OpenMetrics rules promtool enforces: one block per family (TYPE, HELP,
 * samples), each series' samples contiguous and in increasing time, `# EOF` at the end.
 */
import { LAB_LABELS, labFamilies, labMetric, labelName, toBaseUnit, type LabMetricKey, type LabUnitFamily } from '@hlp/dashboards';
import { SLO_TARGETS, VERDICTS, type HistoryEntry } from '@hlp/gate';
import type { Labels, RunResult } from '@hlp/results';

type LabelSet = Record<string, string>;

interface Series {
  readonly labels: LabelSet;
  /** timestamp (ms) → value */
  readonly points: Map<number, number>;
}

export interface ExportStats {
  readonly families: number;
  readonly series: number;
  readonly samples: number;
  readonly gateRuns: number;
  readonly runs: number;
  /** Earliest and latest sample (ms since the epoch); null when empty. */
  readonly from: number | null;
  readonly to: number | null;
}

export interface OpenMetricsExport {
  readonly text: string;
  readonly stats: ExportStats;
}

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

function escapeHelp(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

/** A number as OpenMetrics writes it (finite only; callers skip the rest). */
function num(v: number): string {
  return Object.is(v, -0) ? '0' : String(v);
}

/** Milliseconds → OpenMetrics seconds with millisecond precision. */
function ts(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/** Series labels of a run or history metric: the exporter's own labels, then the metric's own. */
function metricLabels(base: LabelSet, own: Labels, family: LabUnitFamily, unit: string): LabelSet {
  const out: LabelSet = { ...base };
  for (const [k, v] of Object.entries(own)) {
    const value = String(v);
    if (value !== '') out[labelName(k)] = value;
  }
  if (family === 'value') out[LAB_LABELS.unit] = unit;
  return out;
}

class Collector {
  private readonly families = new Map<string, Map<string, Series>>();

  add(name: string, labels: LabelSet, timeMs: number, value: number): void {
    if (!Number.isFinite(value) || !Number.isFinite(timeMs)) return;
    const clean: LabelSet = {};
    for (const k of Object.keys(labels).sort()) if (labels[k] !== '') clean[k] = labels[k]!;
    const key = JSON.stringify(clean);
    let family = this.families.get(name);
    if (!family) this.families.set(name, (family = new Map<string, Series>()));
    let series = family.get(key);
    if (!series) family.set(key, (series = { labels: clean, points: new Map() }));
    series.points.set(timeMs, value); // the same series at the same instant: the later entry wins
  }

  render(gateRuns: number, runs: number): OpenMetricsExport {
    const help = new Map(labFamilies().map((f) => [f.name, f.help]));
    const lines: string[] = [];
    let series = 0;
    let samples = 0;
    let from: number | null = null;
    let to: number | null = null;
    for (const name of [...this.families.keys()].sort()) {
      const family = this.families.get(name)!;
      lines.push(`# TYPE ${name} gauge`);
      lines.push(`# HELP ${name} ${escapeHelp(help.get(name) ?? name)}`);
      for (const key of [...family.keys()].sort()) {
        const s = family.get(key)!;
        const labelText = Object.entries(s.labels)
          .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
          .join(',');
        series++;
        for (const t of [...s.points.keys()].sort((a, b) => a - b)) {
          lines.push(`${name}${labelText ? `{${labelText}}` : ''} ${num(s.points.get(t)!)} ${ts(t)}`);
          samples++;
          from = from === null ? t : Math.min(from, t);
          to = to === null ? t : Math.max(to, t);
        }
      }
    }
    lines.push('# EOF');
    return { text: `${lines.join('\n')}\n`, stats: { families: this.families.size, series, samples, gateRuns, runs, from, to } };
  }
}

function addValue(
  c: Collector,
  key: LabMetricKey & ('runMedian' | 'runP95' | 'historyMedian' | 'historyBaselineMedian'),
  base: LabelSet,
  own: Labels,
  unit: string,
  t: number,
  value: number,
): void {
  const b = toBaseUnit(value, unit);
  c.add(labMetric(key, b.family), metricLabels(base, own, b.family, unit), t, b.value);
}

export interface ExportInput {
  readonly history?: readonly HistoryEntry[];
  readonly runs?: readonly RunResult[];
}

/** OpenMetrics text (with `# EOF`) of the history entries and run documents. */
export function toOpenMetrics(input: ExportInput): OpenMetricsExport {
  const c = new Collector();
  const L = LAB_LABELS;
  for (const run of input.runs ?? []) {
    const t = Date.parse(run.startedAt);
    const base = { [L.suite]: run.suite, [L.machineClass]: run.machine.machineClass };
    for (const m of run.metrics) {
      const labels = { ...base, [L.metric]: m.name };
      addValue(c, 'runMedian', labels, m.labels, m.unit, t, m.summary.median);
      addValue(c, 'runP95', labels, m.labels, m.unit, t, m.summary.p95);
    }
  }
  for (const e of input.history ?? []) {
    const t = Date.parse(e.date);
    const base = { [L.suite]: e.suite, [L.machineClass]: e.machineClass };
    const run = { ...base, [L.commit]: e.commit ?? 'unknown', [L.branch]: e.branch ?? '' };
    for (const m of e.metrics) {
      const labels = { ...base, [L.metric]: m.name };
      addValue(c, 'historyMedian', labels, m.labels, m.unit, t, m.median);
      addValue(c, 'historyBaselineMedian', labels, m.labels, m.unit, t, m.baselineMedian);
      if (m.ratio !== null) c.add(labMetric('historyRatio'), metricLabels(labels, m.labels, 'ratio', m.unit), t, m.ratio);
    }
    for (const verdict of VERDICTS) {
      c.add(labMetric('gateVerdicts'), { ...run, [L.verdict]: verdict }, t, e.metrics.filter((m) => m.verdict === verdict).length);
    }
    c.add(labMetric('gatePassed'), { ...run, [L.outcome]: e.outcome }, t, e.outcome === 'pass' ? 1 : 0);
    for (const target of e.targets) {
      if (target.status === 'not-applicable') continue;
      const labels = { ...base, [L.target]: target.id };
      c.add(labMetric('targetMet'), labels, t, target.status === 'met' ? 1 : 0);
      if (target.value === null) continue;
      const unit = SLO_TARGETS.find((s) => s.id === target.id)?.unit ?? '';
      const b = toBaseUnit(target.value, unit);
      c.add(labMetric('targetValue', b.family), b.family === 'value' ? { ...labels, [L.unit]: unit } : labels, t, b.value);
    }
  }
  return c.render(input.history?.length ?? 0, input.runs?.length ?? 0);
}
