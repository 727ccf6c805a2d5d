/** Renderings of a gate report: a terminal table, a Markdown summary for CI, JSON. */
import type { MetricComparison, UnmatchedMetric } from './compare.js';
import type { GateReport } from './gate.js';
import type { TargetResult } from './targets.js';
import { formatValue } from './units.js';

const ORDER: Record<string, number> = { regression: 0, inconclusive: 1, improvement: 2, unchanged: 3 };

function labels(l: Readonly<Record<string, unknown>>): string {
  return Object.entries(l)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

function ratioText(c: Pick<MetricComparison, 'ratio'>): string {
  return c.ratio === null ? '–' : `×${c.ratio.toFixed(3)}`;
}

function ciText(c: Pick<MetricComparison, 'ci'>): string {
  return c.ci ? `[${c.ci[0].toFixed(3)}, ${c.ci[1].toFixed(3)}]` : '–';
}

function thresholdText(c: MetricComparison): string {
  const r = Math.round(c.thresholds.regress * 1000) / 10;
  const i = Math.round(c.thresholds.improve * 1000) / 10;
  return `${r}/${i} %`;
}

function sorted(report: GateReport): MetricComparison[] {
  return [...report.comparisons].sort((a, b) => (ORDER[a.verdict] ?? 9) - (ORDER[b.verdict] ?? 9) || a.key.localeCompare(b.key));
}

function short(commit: string | null): string {
  return commit ? commit.slice(0, 10) : 'unknown';
}

/** The one-line headline: PASS/FAIL and the counts. */
export function headline(report: GateReport): string {
  const c = report.counts;
  const parts = [
    `${c.regression} regression${c.regression === 1 ? '' : 's'}`,
    `${c.targetsMissed} missed target${c.targetsMissed === 1 ? '' : 's'}`,
    `${c.inconclusive} inconclusive`,
    `${c.improvement} improved`,
    `${c.unchanged} unchanged`,
  ];
  if (c.missing) parts.push(`${c.missing} missing`);
  if (c.new) parts.push(`${c.new} new`);
  if (c.incomparable) parts.push(`${c.incomparable} incomparable`);
  return `gate ${report.outcome.toUpperCase()}: ${parts.join(', ')}`;
}

function subject(report: GateReport): string {
  const b = report.baseline;
  const against =
    report.mode === 'same-job'
      ? `same-job against ${report.against ?? 'a git ref'} (${short(b.commit)}), ${b.runs} interleaved ${report.comparisons.some((c) => c.paired) ? `pair${b.runs === 1 ? '' : 's'} (A B, B A, …)` : `run${b.runs === 1 ? '' : 's'} per side`}`
      : `baseline ${b.path ?? b.machineClass} (commit ${short(b.commit)}, ${b.runs} run${b.runs === 1 ? '' : 's'}, recorded ${b.recordedAt.slice(0, 10)})`;
  return `suite ${report.suite} on ${report.run.machineClass}, commit ${short(report.run.commit)}${report.run.dirty ? ' (dirty)' : ''} vs ${against}`;
}

/** Plain-text columns (two spaces apart). */
function columns(header: readonly string[], rows: readonly (readonly string[])[], right: readonly number[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (right.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function metricRows(list: readonly MetricComparison[]): string[][] {
  return list.map((c) => [
    c.verdict === 'regression' ? 'REGRESSION' : c.verdict,
    c.name,
    labels(c.labels),
    formatValue(c.baselineMedian, c.unit),
    formatValue(c.currentMedian, c.unit),
    ratioText(c),
    ciText(c),
    thresholdText(c),
    [
      c.paired ? pairedNote(c) : `runs ${c.runsBaseline}:${c.runsCurrent}${c.betweenRunSd !== null ? `, run σ ${(c.betweenRunSd * 100).toFixed(1)} %` : ''}`,
      c.better === 'higher' ? 'higher is better' : '',
      c.normalised ? 'normalised' : '',
      c.remeasure ? `re-measure: ${c.remeasure}` : '',
    ]
      .filter(Boolean)
      .join('; '),
  ]);
}

/** Pairs, their spread and the power (minimum detectable effect) of a paired series. */
function pairedNote(c: MetricComparison): string {
  const p = c.paired!;
  const parts = [`pairs ${p.pairs}`];
  if (Number.isFinite(p.pairSd)) parts.push(`pair σ ${(p.pairSd * 100).toFixed(1)} %`);
  if (p.mde !== null) parts.push(`detects ≥ ${(p.mde * 100).toFixed(1)} %`);
  if (c.verdict === 'inconclusive') parts.push(p.pairsNeeded === null ? 'at a threshold' : `~${p.pairsNeeded} pairs would decide`);
  return parts.join(', ');
}

function targetRows(list: readonly TargetResult[]): string[][] {
  return list.map((t) => [t.status === 'missed' ? 'MISSED' : t.status, t.title, t.reason]);
}

function unmatchedRows(list: readonly UnmatchedMetric[]): string[][] {
  return list.map((u) => [u.status, u.name, labels(u.labels), u.reason]);
}

/** The terminal rendering. */
export function renderText(report: GateReport): string {
  const out: string[] = [headline(report), subject(report), ''];
  const conf = Math.round(report.settings.confidence * 100);
  if (report.comparisons.length > 0) {
    out.push(
      columns(
        ['verdict', 'metric', 'labels', 'baseline', 'current', 'ratio', `${conf} % CI`, 'regress/improve', 'notes'],
        metricRows(sorted(report)),
        [3, 4, 5],
      ),
      '',
    );
    for (const c of sorted(report)) {
      if (c.verdict === 'unchanged' || c.verdict === 'improvement') continue;
      out.push(`${c.verdict}: ${c.name} ${labels(c.labels)} — ${c.reason}${c.remeasureNote ? `; ${c.remeasureNote}` : ''}`);
    }
    if (report.comparisons.some((c) => c.verdict === 'regression' || c.verdict === 'inconclusive')) out.push('');
  }
  if (report.unmatched.length > 0) out.push(columns(['status', 'metric', 'labels', 'why'], unmatchedRows(report.unmatched)), '');
  if (report.targets.length > 0) out.push('SLO targets (DESIGN §2)', columns(['status', 'target', 'detail'], targetRows(report.targets)), '');
  for (const w of report.warnings) out.push(`warning: ${w}`);
  for (const n of report.notes) out.push(`note: ${n}`);
  for (const f of report.failures) out.push(`FAIL ${f}`);
  return out.join('\n').replace(/\n+$/, '');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

const ICON: Record<string, string> = {
  regression: '🔴',
  inconclusive: '🟡',
  improvement: '🟢',
  unchanged: '⚪',
  met: '✅',
  missed: '❌',
  'not-applicable': '➖',
};

/** The Markdown summary (GitHub job summary flavour). */
export function renderMarkdown(report: GateReport): string {
  const conf = Math.round(report.settings.confidence * 100);
  const out: string[] = [
    `## ${report.outcome === 'pass' ? '✅' : '❌'} hlp gate: ${report.outcome} — ${report.suite}`,
    '',
    headline(report),
    '',
    subject(report),
    '',
  ];
  for (const w of report.warnings) out.push(`> ⚠️ ${w}`, '>');
  if (report.warnings.length > 0) out.splice(out.length - 1, 1, '');
  if (report.failures.length > 0) out.push('**Why it failed**', '', ...report.failures.map((f) => `- ${f}`), '');
  const header = ['verdict', 'metric', 'labels', 'baseline', 'current', 'ratio', `${conf} % CI`, 'notes'];
  const row = (c: MetricComparison): string[] => [
    `${ICON[c.verdict] ?? ''} ${c.verdict}`,
    `\`${c.name}\``,
    labels(c.labels),
    formatValue(c.baselineMedian, c.unit),
    formatValue(c.currentMedian, c.unit),
    ratioText(c),
    ciText(c),
    [c.verdict === 'unchanged' ? '' : c.reason, c.paired ? pairedNote(c) : '', c.remeasureNote ?? '', c.normalised ? 'normalised by calibration' : '']
      .filter(Boolean)
      .join('; '),
  ];
  const all = sorted(report);
  const notable = all.filter((c) => c.verdict !== 'unchanged');
  const quiet = all.filter((c) => c.verdict === 'unchanged');
  if (notable.length > 0) out.push(mdTable(header, notable.map(row)), '');
  if (quiet.length > 0) out.push(`<details><summary>${quiet.length} unchanged</summary>`, '', mdTable(header, quiet.map(row)), '', '</details>', '');
  if (report.unmatched.length > 0) out.push('**Not compared**', '', mdTable(['status', 'metric', 'labels', 'why'], unmatchedRows(report.unmatched)), '');
  if (report.targets.length > 0)
    out.push(
      '### SLO targets',
      '',
      mdTable(
        ['status', 'target', 'detail'],
        report.targets.map((t) => [`${ICON[t.status] ?? ''} ${t.status}`, t.title, t.reason]),
      ),
      '',
    );
  for (const n of report.notes) out.push(`- ${n}`);
  if (report.notes.length > 0) out.push('');
  out.push(
    report.comparisons.some((c) => c.paired)
      ? `<sub>ratio = geometric mean over interleaved pairs of median(candidate run) / median(reference run), with a ${conf} % Student-t interval of the paired log-ratios; ` +
          'regression only when the whole interval is past the threshold; "detects ≥" is the smallest slowdown this budget can catch. See packages/gate/README.md.</sub>'
      : `<sub>ratio = median(current) / median(baseline) with a ${conf} % bootstrap interval (${report.settings.resamples} resamples); ` +
          'regression only when the whole interval is past the threshold and a re-measurement agrees. See packages/gate/README.md.</sub>',
    '',
  );
  return out.join('\n');
}

/** The report as JSON text (stable shape `hlp.gate/1`). */
export function renderJson(report: GateReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
