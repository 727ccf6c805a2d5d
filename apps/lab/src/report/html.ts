/**
 * The self-contained HTML report of one or more runs (or of a month): inline CSS and SVG only,
 * no script, nothing fetched when it is opened. Sections: runs, SLO table, latency
 * distribution (histograms of raw samples), throughput and latency over time (`series`),
 * trends across runs, per-stage breakdown, kernel variants side by side, deltas against the
 * baseline (the gate's comparison), gate history.
 */
import { DEFAULT_THRESHOLDS, SLO_TARGETS, conversionFactor, evaluateTargets, formatValue, type HistoryEntry, type TargetResult } from '@hlp/gate';
import type { Labels, Metric, RunMetricName, RunResult } from '@hlp/results';
import { CHART_CSS, barChart, deltaChart, esc, histogram, lineChart, type BarGroup, type LineSeries } from './svg.js';

export interface ReportRun {
  readonly path: string;
  readonly run: RunResult;
}

/** One row of the deltas table: the gate's comparison of a metric with its baseline. */
export interface DeltaRow {
  readonly name: string;
  readonly labels: Labels;
  readonly unit: string;
  readonly baselineMedian: number;
  readonly currentMedian: number;
  readonly ratio: number | null;
  readonly ci: readonly [number, number] | null;
  readonly verdict: string;
}

export interface DeltaSource {
  /** Where the comparison comes from (a gate report file, the stored baseline, a history line). */
  readonly title: string;
  readonly rows: readonly DeltaRow[];
  readonly outcome?: string;
  readonly note?: string;
}

export interface ReportInput {
  readonly title: string;
  readonly subtitle?: string;
  readonly runs: readonly ReportRun[];
  readonly history?: readonly HistoryEntry[];
  readonly deltas?: readonly DeltaSource[];
  /** Notes shown under the title (e.g. why a baseline comparison is missing). */
  readonly notes?: readonly string[];
  readonly generatedAt?: Date;
}

/** `name{a=1,b=x}` → readable `name a=1 b=x`. */
export function labelText(labels: Labels, skip: readonly string[] = []): string {
  return Object.entries(labels)
    .filter(([k]) => !skip.includes(k))
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

function seriesKey(m: Pick<Metric, 'name' | 'labels'>): string {
  return `${m.name}{${Object.keys(m.labels)
    .sort()
    .map((k) => `${k}=${String(m.labels[k])}`)
    .join(',')}}`;
}

/** The latest metric per (name, labels) across the runs (runs in time order). */
export function latestMetrics(runs: readonly ReportRun[]): { metric: Metric; run: ReportRun }[] {
  const map = new Map<string, { metric: Metric; run: ReportRun }>();
  const ordered = [...runs].sort((a, b) => Date.parse(a.run.startedAt) - Date.parse(b.run.startedAt));
  for (const r of ordered) for (const m of r.run.metrics) map.set(seriesKey(m), { metric: m, run: r });
  return [...map.values()];
}

const fmt = (v: number | null | undefined, unit: string): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : formatValue(v, unit));

function section(id: string, title: string, body: string, intro?: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>${intro ? `<p class="intro">${intro}</p>` : ''}${body}</section>`;
}

function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}

function runsTable(runs: readonly ReportRun[]): string {
  if (runs.length === 0) return '<p class="none">No run documents.</p>';
  const rows = runs
    .map(({ path, run }) => {
      const commit = run.git.commit ? `${run.git.commit.slice(0, 10)}${run.git.dirty ? ' (dirty)' : ''}` : '–';
      return `<tr><td>${esc(run.suite)}${run.scenario ? ` / ${esc(run.scenario)}` : ''}</td><td>${esc(run.startedAt)}</td><td>${esc(run.machine.machineClass)}</td><td>${esc(run.machine.cpuModel)}, ${run.machine.logicalCores} cores${run.machine.gpu?.length ? `, ${esc(run.machine.gpu.map((g) => g.name).join(', '))}` : ''}</td><td><code>${esc(commit)}</code> ${esc(run.git.branch ?? '')}</td><td>${run.metrics.length}</td><td class="path">${esc(path)}</td></tr>`;
    })
    .join('');
  return `<table class="runs"><thead><tr><th>suite</th><th>started</th><th>machine class</th><th>machine</th><th>commit</th><th>metrics</th><th>file</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** Per target: the latest applicable result across the runs, and how often it was met. */
export function sloRows(
  runs: readonly ReportRun[],
): { target: (typeof SLO_TARGETS)[number]; latest: TargetResult | null; met: number; applicable: number; lastReason: string; run: ReportRun | null }[] {
  const ordered = [...runs].sort((a, b) => Date.parse(a.run.startedAt) - Date.parse(b.run.startedAt));
  const results = ordered.map((r) => ({ r, results: evaluateTargets(r.run) }));
  return SLO_TARGETS.map((target) => {
    let latest: TargetResult | null = null;
    let run: ReportRun | null = null;
    let met = 0;
    let applicable = 0;
    let lastReason = 'no run';
    for (const { r, results: rs } of results) {
      const t = rs.find((x) => x.id === target.id)!;
      lastReason = t.reason;
      if (t.status === 'not-applicable') continue;
      applicable++;
      if (t.status === 'met') met++;
      latest = t;
      run = r;
    }
    return { target, latest, met, applicable, lastReason, run };
  });
}

function sloTable(runs: readonly ReportRun[]): string {
  const rows = sloRows(runs)
    .map(({ target, latest, met, applicable, lastReason, run }) => {
      const status = latest?.status ?? 'not-applicable';
      return (
        `<tr class="${status}"><td>${esc(target.title)}</td><td><code>${esc(target.metric)}</code> ${esc(target.statistic)}</td>` +
        `<td>${esc(target.op)} ${esc(formatValue(target.threshold, target.unit))}</td><td>${fmt(latest?.value, target.unit)}</td>` +
        `<td><span class="badge ${status}">${esc(status)}</span></td><td>${applicable > 0 ? `${met} of ${applicable}` : '–'}</td>` +
        `<td class="reason">${esc(latest?.reason ?? lastReason)}${run ? ` <span class="muted">(${esc(run.run.suite)} ${esc(run.run.startedAt)})</span>` : ''}</td></tr>`
      );
    })
    .join('');
  return `<table class="slo"><thead><tr><th>target (DESIGN §2)</th><th>metric</th><th>threshold</th><th>latest value</th><th>status</th><th>met in runs</th><th>detail</th></tr></thead><tbody>${rows}</tbody></table>`;
}

const DISTRIBUTION_FIRST: readonly string[] = ['http.latency', 'ckks.prompt_encrypt', 'http.latency_uncorrected'] satisfies readonly RunMetricName[];

function isTime(unit: string): boolean {
  return conversionFactor(unit, 's') !== null;
}

/** The SLO threshold that applies to a metric, in the metric's unit (for reference lines). */
function sloLineFor(m: Pick<Metric, 'name' | 'unit' | 'labels'>): { label: string; value: number } | null {
  const t = SLO_TARGETS.find((x) => x.metric === m.name && (!x.labels || Object.entries(x.labels).every(([k, v]) => m.labels[k] === v)));
  if (!t) return null;
  const factor = conversionFactor(t.unit, m.unit);
  return factor === null ? null : { label: `SLO ${t.op} ${formatValue(t.threshold, t.unit)}`, value: t.threshold * factor };
}

function distributions(latest: readonly { metric: Metric; run: ReportRun }[]): string {
  const withSamples = latest.filter((x) => x.metric.samples.length >= 5 && isTime(x.metric.unit));
  const first = withSamples.filter((x) => DISTRIBUTION_FIRST.includes(x.metric.name));
  const rest = withSamples
    .filter((x) => !DISTRIBUTION_FIRST.includes(x.metric.name))
    .sort((a, b) => b.metric.samples.length - a.metric.samples.length || seriesKey(a.metric).localeCompare(seriesKey(b.metric)));
  const chosen = [...first, ...rest].slice(0, Math.max(4, first.length));
  if (chosen.length === 0) return '<p class="none">No latency samples in these runs.</p>';
  return `<div class="grid">${chosen
    .map(({ metric: m }) => {
      const slo = sloLineFor(m);
      const markers = [
        { label: 'median', value: m.summary.median },
        { label: 'P95', value: m.summary.p95 },
        ...(slo ? [{ label: slo.label, value: slo.value, kind: 'slo' as const }] : []),
      ];
      const title = `${m.name} ${labelText(m.labels)}`.trim();
      return figure(
        histogram(m.samples, { title, unit: m.unit, markers }),
        `${title}: median ${fmt(m.summary.median, m.unit)}, P95 ${fmt(m.summary.p95, m.unit)}, P99 ${fmt(m.summary.p99, m.unit)} (n = ${m.summary.n})`,
      );
    })
    .join('')}</div>`;
}

function overTime(latest: readonly { metric: Metric; run: ReportRun }[]): string {
  const withSeries = latest.filter((x) => (x.metric.series?.length ?? 0) > 0);
  if (withSeries.length === 0) return '<p class="none">No per-second series in these runs (load runs record them: throughput, latency, CPU, RSS).</p>';
  const byName = new Map<string, Metric[]>();
  for (const { metric } of withSeries) byName.set(metric.name, [...(byName.get(metric.name) ?? []), metric]);
  const order: readonly string[] = ['http.throughput', 'http.latency', 'http.success_ratio', 'process.cpu', 'process.rss'] satisfies readonly RunMetricName[];
  const names = [...byName.keys()].sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b));
  return `<div class="grid">${names
    .map((name) => {
      const ms = byName.get(name)!;
      const series: LineSeries[] = ms.map((m) => ({ name: labelText(m.labels) || name, points: (m.series ?? []).map((p) => ({ x: p.t / 1000, y: p.value })) }));
      const unit = ms[0]!.unit;
      const slo = ms.length === 1 ? sloLineFor(ms[0]!) : sloLineFor({ ...ms[0]!, labels: {} });
      const top = Math.max(...series.flatMap((s) => s.points.map((p) => p.y)));
      // a threshold far above the data would flatten it: name it in the caption instead
      const drawn = slo && slo.value <= 4 * top ? slo : null;
      const caption = `${name} (${unit}) per second of the run${slo && !drawn ? `; ${slo.label}, far above` : ''}`;
      return figure(lineChart(series, { title: name, xUnit: 's', yUnit: unit, xLabel: 'time into the run', ...(drawn ? { threshold: drawn } : {}) }), caption);
    })
    .join('')}</div>`;
}

function acrossRuns(runs: readonly ReportRun[]): string {
  if (runs.length < 2) return '';
  const bySeries = new Map<string, { name: string; labels: Labels; unit: string; points: { x: number; y: number }[] }>();
  for (const { run } of runs) {
    const t = Date.parse(run.startedAt);
    for (const m of run.metrics) {
      const k = seriesKey(m);
      const s = bySeries.get(k) ?? { name: m.name, labels: m.labels, unit: m.unit, points: [] };
      s.points.push({ x: t, y: m.summary.median });
      bySeries.set(k, s);
    }
  }
  const byName = new Map<string, LineSeries[]>();
  const units = new Map<string, string>();
  for (const s of bySeries.values()) {
    if (s.points.length < 2) continue;
    if (units.has(s.name) && units.get(s.name) !== s.unit) continue;
    units.set(s.name, s.unit);
    byName.set(s.name, [...(byName.get(s.name) ?? []), { name: labelText(s.labels) || s.name, points: s.points }]);
  }
  if (byName.size === 0) return '';
  const charts = [...byName.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .slice(0, 8)
    .map(([name, series]) =>
      figure(
        lineChart(series.slice(0, 12), { title: name, xUnit: 'ms', yUnit: units.get(name)!, xDates: true }),
        `${name}: median per run (${series.length} series${series.length > 12 ? ', first 12 shown' : ''})`,
      ),
    );
  return section(
    'trends',
    'Medians across runs',
    `<div class="grid">${charts.join('')}</div>`,
    'One point per run: the median of each series, by run start time.',
  );
}

const SIDE_BY_SIDE = ['variant', 'backend', 'allocator'] as const;

function sideBySide(latest: readonly { metric: Metric; run: ReportRun }[]): string {
  const byName = new Map<string, { by: string; metrics: Metric[] }>();
  for (const { metric: m } of latest) {
    const by = SIDE_BY_SIDE.find((l) => l in m.labels);
    if (!by) continue;
    const entry = byName.get(m.name) ?? { by, metrics: [] };
    if (entry.by === by) entry.metrics.push(m);
    byName.set(m.name, entry);
  }
  if (byName.size === 0) return '<p class="none">No per-variant metrics (kernel or backend benchmarks) in these runs.</p>';
  const charts: string[] = [];
  for (const [name, { by, metrics }] of [...byName.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const unit = metrics[0]!.unit;
    const groups = new Map<string, BarGroup['bars'][number][]>();
    const numeric = (l: Labels): number => Number(l['n'] ?? 0) * 1000 + Number(l['bits'] ?? l['threads'] ?? 0);
    const sorted = [...metrics]
      .filter((m) => m.unit === unit)
      .sort((a, b) => numeric(a.labels) - numeric(b.labels) || labelText(a.labels).localeCompare(labelText(b.labels)));
    for (const m of sorted) {
      const category = labelText(m.labels, [by]) || name;
      groups.set(category, [
        ...(groups.get(category) ?? []),
        { series: String(m.labels[by]), value: m.summary.median, detail: `P95 ${fmt(m.summary.p95, unit)}, n = ${m.summary.n}` },
      ]);
    }
    const bars = [...groups.entries()].map(([category, b]) => ({ category, bars: b }));
    const slo = sloLineFor({ name, unit, labels: {} });
    charts.push(
      figure(
        barChart(bars, { title: name, unit, ...(slo ? { threshold: slo } : {}) }),
        `${name}: median per ${by} (${unit}), grouped by ${[...new Set(sorted.flatMap((m) => Object.keys(m.labels).filter((k) => k !== by)))].join(', ') || 'case'}`,
      ),
    );
  }
  return `<div class="grid">${charts.join('')}</div>`;
}

function stages(latest: readonly { metric: Metric; run: ReportRun }[]): string | null {
  const staged = latest.filter((x) => 'stage' in x.metric.labels);
  if (staged.length === 0) return null;
  const byName = new Map<string, Metric[]>();
  for (const { metric } of staged) byName.set(metric.name, [...(byName.get(metric.name) ?? []), metric]);
  const charts = [...byName.entries()].map(([name, ms]) => {
    const unit = ms[0]!.unit;
    const groups = new Map<string, BarGroup['bars'][number][]>();
    for (const m of ms.filter((x) => x.unit === unit)) {
      const category = String(m.labels['stage']);
      groups.set(category, [
        ...(groups.get(category) ?? []),
        { series: labelText(m.labels, ['stage']) || 'median', value: m.summary.median, detail: `P95 ${fmt(m.summary.p95, unit)}` },
      ]);
    }
    const total = ms.reduce((s, m) => s + m.summary.median, 0);
    return figure(
      barChart(
        [...groups.entries()].map(([category, bars]) => ({ category, bars })),
        { title: name, unit },
      ),
      `${name}: median per stage (${unit}); stages sum to ${fmt(total, unit)}`,
    );
  });
  return `<div class="grid">${charts.join('')}</div>`;
}

function deltaTables(deltas: readonly DeltaSource[]): string {
  if (deltas.length === 0) return '<p class="none">No baseline comparison available.</p>';
  return deltas
    .map((d) => {
      const counts = new Map<string, number>();
      for (const r of d.rows) counts.set(r.verdict, (counts.get(r.verdict) ?? 0) + 1);
      const summary = [...counts].map(([v, n]) => `<span class="badge ${esc(v)}">${n} ${esc(v)}</span>`).join(' ');
      const rows = [...d.rows]
        .sort((a, b) => Math.abs(Math.log(b.ratio ?? 1)) - Math.abs(Math.log(a.ratio ?? 1)))
        .map(
          (r) =>
            `<tr class="${esc(r.verdict)}"><td><code>${esc(r.name)}</code> ${esc(labelText(r.labels))}</td><td>${fmt(r.baselineMedian, r.unit)}</td><td>${fmt(r.currentMedian, r.unit)}</td>` +
            `<td>${r.ratio === null ? '–' : `×${r.ratio.toFixed(3)} (${r.ratio >= 1 ? '+' : ''}${((r.ratio - 1) * 100).toFixed(1)} %)`}</td><td>${r.ci ? `[${r.ci[0].toFixed(3)}, ${r.ci[1].toFixed(3)}]` : '–'}</td><td><span class="badge ${esc(r.verdict)}">${esc(r.verdict)}</span></td></tr>`,
        )
        .join('');
      const chartRows = [...d.rows]
        .filter((r) => r.ratio !== null)
        .sort((a, b) => a.name.localeCompare(b.name) || labelText(a.labels).localeCompare(labelText(b.labels)))
        .slice(0, 40);
      const chart =
        chartRows.length > 0
          ? figure(
              deltaChart(
                chartRows.map((r) => ({ label: `${r.name} ${labelText(r.labels)}`, ratio: r.ratio!, ci: r.ci, verdict: r.verdict })),
                { title: 'change against the baseline', band: [1 - DEFAULT_THRESHOLDS.improve, 1 + DEFAULT_THRESHOLDS.regress] },
              ),
              `Change of each median against the baseline${d.rows.length > chartRows.length ? ` (first ${chartRows.length} of ${d.rows.length})` : ''}; dashed: the gate's default band (−5 % … +10 % for lower-is-better metrics); colour: verdict.`,
            )
          : '';
      return (
        `<h3>${esc(d.title)}${d.outcome ? ` <span class="badge ${esc(d.outcome)}">${esc(d.outcome)}</span>` : ''}</h3>${d.note ? `<p class="muted">${esc(d.note)}</p>` : ''}<p>${summary}</p>${chart}` +
        `<table class="deltas"><thead><tr><th>metric</th><th>baseline median</th><th>current median</th><th>ratio</th><th>95 % CI</th><th>verdict</th></tr></thead><tbody>${rows}</tbody></table>`
      );
    })
    .join('');
}

function historySection(history: readonly HistoryEntry[]): string {
  if (history.length === 0) return '';
  const rows = [...history]
    .sort((a, b) => Date.parse(a.date) - Date.parse(b.date))
    .map(
      (e) =>
        `<tr class="${esc(e.outcome)}"><td>${esc(e.date)}</td><td>${esc(e.suite)}</td><td>${esc(e.machineClass)}</td><td><code>${esc((e.commit ?? '–').slice(0, 10))}</code> ${esc(e.branch ?? '')}</td>` +
        `<td><span class="badge ${esc(e.outcome)}">${esc(e.outcome)}</span></td><td>${['regression', 'improvement', 'unchanged', 'inconclusive'].map((v) => ((e.counts[v] ?? 0) > 0 ? `<span class="badge ${v}">${e.counts[v]} ${v}</span>` : '')).join(' ')}</td></tr>`,
    )
    .join('');
  // current / baseline per gated series: comparable across units and suites
  const bySeries = new Map<string, { name: string; points: { x: number; y: number }[] }>();
  for (const e of history) {
    for (const m of e.metrics) {
      if (m.ratio === null) continue;
      const k = `${e.suite} ${m.name} ${labelText(m.labels)}`;
      const s = bySeries.get(k) ?? { name: k, points: [] };
      s.points.push({ x: Date.parse(e.date), y: m.ratio });
      bySeries.set(k, s);
    }
  }
  const series = [...bySeries.values()].slice(0, 12);
  const chart =
    series.length > 0
      ? figure(
          lineChart(series, {
            title: 'current / baseline',
            xUnit: 'ms',
            yUnit: 'ratio',
            xDates: true,
            zeroBased: false,
            threshold: { label: `+${DEFAULT_THRESHOLDS.regress * 100} %`, value: 1 + DEFAULT_THRESHOLDS.regress },
          }),
          `Ratio of medians current / baseline of each gated series per gate run (100 % = unchanged; ${bySeries.size} series${bySeries.size > 12 ? ', first 12 shown' : ''}).`,
        )
      : '';
  return section(
    'history',
    'Gate history',
    `${chart}<table class="history"><thead><tr><th>date</th><th>suite</th><th>machine class</th><th>commit</th><th>outcome</th><th>verdicts</th></tr></thead><tbody>${rows}</tbody></table>`,
    'From baselines/history.jsonl: one line per gated run.',
  );
}

const PAGE_CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2933; background: #f6f7f9; }
header { background: #1f2933; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; color: #c9d1d9; }
nav { padding: 8px 28px; background: #e9edf1; font-size: 13px; }
nav a { margin-right: 14px; color: #2457a6; text-decoration: none; }
main { padding: 8px 28px 40px; max-width: 1400px; }
section { background: #fff; border: 1px solid #e3e6ea; border-radius: 8px; padding: 14px 18px; margin: 16px 0; }
h2 { margin: 0 0 8px; font-size: 18px; }
h3 { margin: 14px 0 6px; font-size: 15px; }
.intro, .muted { color: #6b7580; }
.none { color: #8a939c; font-style: italic; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 14px; }
figure { margin: 0; }
figcaption { font-size: 12px; color: #6b7580; margin-top: 4px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #eef0f3; vertical-align: top; }
th { background: #f3f5f7; font-weight: 600; }
td.path, td.reason { font-size: 12px; color: #4a5561; word-break: break-all; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 10px; font-size: 12px; background: #e9edf1; color: #333; }
.badge.met, .badge.pass, .badge.improvement { background: #d8f3dc; color: #1b5e20; }
.badge.missed, .badge.fail, .badge.regression { background: #fde2e1; color: #9b1c1c; }
.badge.inconclusive { background: #fff3cd; color: #7a5b00; }
.badge.unchanged { background: #e7eef8; color: #234; }
.notes li { color: #6b7580; }
${CHART_CSS}`;

/** The report as one HTML document. */
export function renderReport(input: ReportInput): string {
  const generated = (input.generatedAt ?? new Date()).toISOString();
  const latest = latestMetrics(input.runs);
  const sections: string[] = [];
  sections.push(section('runs', 'Runs', runsTable(input.runs)));
  sections.push(
    section(
      'slo',
      'SLO targets',
      sloTable(input.runs),
      'The five targets of DESIGN §2, evaluated by <code>@hlp/gate</code> on each run; the latest applicable value is shown.',
    ),
  );
  sections.push(
    section(
      'distribution',
      'Latency distribution',
      distributions(latest),
      'Histograms of the raw samples (dashed: median and P95; red: the SLO threshold where one applies).',
    ),
  );
  sections.push(section('over-time', 'Throughput and latency over time', overTime(latest), 'Per-second series recorded during each run.'));
  const trends = acrossRuns(input.runs);
  if (trends) sections.push(trends);
  const st = stages(latest);
  sections.push(section('stages', 'Per-stage breakdown', st ?? '<p class="none">No per-stage metrics (a <code>stage</code> label) in these runs.</p>'));
  sections.push(
    section(
      'variants',
      'Kernel variants side by side',
      sideBySide(latest),
      'Median per variant (kernels), backend (CKKS) or allocator (memory pool), at each n and prime size.',
    ),
  );
  sections.push(
    section(
      'deltas',
      'Deltas against the baseline',
      deltaTables(input.deltas ?? []),
      'The gate’s comparison: ratio of medians with its bootstrap 95 % interval and the verdict.',
    ),
  );
  const hist = historySection(input.history ?? []);
  if (hist) sections.push(hist);
  const nav = [...sections.join('').matchAll(/<section id="([^"]+)"><h2>([^<]+)<\/h2>/g)].map((m) => `<a href="#${m[1]}">${m[2]}</a>`).join('');
  const notes =
    (input.notes ?? []).length > 0
      ? `<section id="notes"><h2>Notes</h2><ul class="notes">${input.notes!.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="hlp report">
<title>${esc(input.title)}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<header><h1>${esc(input.title)}</h1><p>${esc(input.subtitle ?? '')}${input.subtitle ? ' · ' : ''}generated ${esc(generated)} by hlp report</p></header>
<nav>${nav}</nav>
<main>
${notes}
${sections.join('\n')}
</main>
</body>
</html>
`;
}
