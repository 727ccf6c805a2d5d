/**
 * `hlp report [run…] | --month YYYY-MM`: a self-contained HTML report (inline CSS and SVG, no
 * network) of the given runs (default: the newest run), or of every run and gate-history line
 * of a month. Deltas against the baseline come from `--gate <file>` (an `hlp gate --json`
 * report), else from the stored baseline (the gate run in-process, no re-measurement, nothing
 * appended to the history), and for a month from the gate history.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  REPORT_SCHEMA,
  defaultBaselinesDir,
  defaultHistoryPath,
  GateError,
  findBaseline,
  readBaseline,
  readHistory,
  runGate,
  type GateReport,
  type HistoryEntry,
} from '@hlp/gate';
import { ResultsError, compactUtc, defaultRunsDir, listRuns, readRun } from '@hlp/results';
import { z } from 'zod';
import { LabError } from '../errors.js';
import type { Io } from '../io.js';
import { renderReport, type DeltaSource, type ReportRun } from './html.js';

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

const ReportOptions = z.object({
  month: z.string().regex(MONTH, '--month takes YYYY-MM').optional(),
  runs: z.string().optional(),
  suite: z.string().optional(),
  history: z.union([z.string(), z.literal(false)]).optional(),
  baselines: z.string().optional(),
  baseline: z.boolean().optional(),
  gate: z.array(z.string()).optional(),
  out: z.string().optional(),
  title: z.string().optional(),
});
export type ReportOptions = z.infer<typeof ReportOptions>;

export interface BuiltReport {
  readonly html: string;
  readonly runs: readonly ReportRun[];
  readonly notes: readonly string[];
  /** Default file name (without directory). */
  readonly name: string;
}

/** [start, end) of a YYYY-MM month in UTC, milliseconds. */
export function monthRange(month: string): [number, number] {
  const m = MONTH.exec(month);
  if (!m) throw new LabError('USAGE', `--month takes YYYY-MM, not ${month}`);
  const y = Number(m[1]);
  const mo = Number(m[2]) - 1;
  return [Date.UTC(y, mo, 1), Date.UTC(y, mo + 1, 1)];
}

async function readRunArg(path: string): Promise<ReportRun> {
  try {
    return { path: resolve(path), run: await readRun(path) };
  } catch (error) {
    if (error instanceof ResultsError) throw new LabError('USAGE', `cannot use run ${path}: ${error.message}`, { cause: error });
    throw error;
  }
}

const GateReportFile = z.looseObject({ schema: z.literal(REPORT_SCHEMA), comparisons: z.array(z.looseObject({})) });

async function readGateReport(path: string): Promise<GateReport> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new LabError('USAGE', `cannot read gate report ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const parsed = GateReportFile.safeParse(value);
  if (!parsed.success) throw new LabError('USAGE', `${path} is not an hlp gate report (${REPORT_SCHEMA}; write one with \`hlp gate --json\`)`);
  return value as GateReport;
}

function fromGateReport(report: GateReport, title: string): DeltaSource {
  return {
    title,
    outcome: report.outcome,
    note: [
      `baseline ${report.baseline.machineClass} recorded ${report.baseline.recordedAt}${report.baseline.commit ? ` at ${report.baseline.commit.slice(0, 10)}` : ''}`,
      ...report.warnings,
    ].join(' · '),
    rows: report.comparisons.map((c) => ({
      name: c.name,
      labels: c.labels,
      unit: c.unit,
      baselineMedian: c.baselineMedian,
      currentMedian: c.currentMedian,
      ratio: c.ratio,
      ci: c.ci,
      verdict: c.verdict,
    })),
  };
}

function fromHistory(e: HistoryEntry): DeltaSource {
  return {
    title: `gate run of ${e.suite} on ${e.machineClass}, ${e.date}${e.commit ? ` at ${e.commit.slice(0, 10)}` : ''}`,
    outcome: e.outcome,
    note: `from the gate history; baseline ${e.baselineMachineClass}${e.baselineCommit ? ` at ${e.baselineCommit.slice(0, 10)}` : ''}`,
    rows: e.metrics.map((m) => ({
      name: m.name,
      labels: m.labels,
      unit: m.unit,
      baselineMedian: m.baselineMedian,
      currentMedian: m.median,
      ratio: m.ratio,
      ci: m.ci,
      verdict: m.verdict,
    })),
  };
}

/** Gathers the runs, history and comparisons the options name, and renders the report. */
export async function buildReport(runArgs: readonly string[], rawOptions: unknown, now: Date = new Date()): Promise<BuiltReport> {
  const parsed = ReportOptions.safeParse(rawOptions);
  if (!parsed.success) throw new LabError('USAGE', `invalid options: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const o = parsed.data;
  if (o.month && runArgs.length > 0) throw new LabError('USAGE', 'give run files or --month, not both');
  const notes: string[] = [];
  const runsDir = resolve(o.runs ?? defaultRunsDir());
  const baselinesDir = resolve(o.baselines ?? defaultBaselinesDir());
  const historyPath = o.history === false ? null : resolve(o.history ?? defaultHistoryPath(baselinesDir));

  let runs: ReportRun[] = [];
  let history: HistoryEntry[] = [];
  let name: string;
  let title: string;
  let subtitle: string;
  if (o.month) {
    const [from, to] = monthRange(o.month);
    for (const path of await listRuns(runsDir, o.suite === undefined ? {} : { suite: o.suite })) {
      try {
        const r = await readRun(path);
        const t = Date.parse(r.startedAt);
        if (t >= from && t < to) runs.push({ path, run: r });
      } catch (error) {
        if (!(error instanceof ResultsError)) throw error;
        notes.push(`skipped ${path}: ${error.message}`);
      }
    }
    if (historyPath) {
      const h = await readHistory(historyPath);
      for (const p of h.problems) notes.push(`${historyPath}:${p.line}: skipped: ${p.message}`);
      history = h.entries.filter((e) => {
        const t = Date.parse(e.date);
        return t >= from && t < to && (o.suite === undefined || e.suite === o.suite);
      });
    }
    if (runs.length === 0 && history.length === 0)
      throw new LabError('USAGE', `no runs in ${runsDir} and no gate history in ${historyPath ?? '(none)'} for ${o.month}`);
    name = `month-${o.month}${o.suite ? `-${o.suite}` : ''}.html`;
    title = o.title ?? `HLP monthly report ${o.month}`;
    subtitle = `${runs.length} run(s), ${history.length} gate run(s)${o.suite ? `, suite ${o.suite}` : ''}`;
  } else {
    if (runArgs.length > 0) {
      runs = await Promise.all(runArgs.map(readRunArg));
    } else {
      const all = await listRuns(runsDir, o.suite === undefined ? {} : { suite: o.suite });
      const newest = all[all.length - 1];
      if (!newest)
        throw new LabError('USAGE', `no run documents in ${runsDir}${o.suite ? ` for suite ${o.suite}` : ''}; run \`hlp bench …\` or name a run file`);
      runs = [await readRunArg(newest)];
    }
    const first = [...runs].sort((a, b) => Date.parse(a.run.startedAt) - Date.parse(b.run.startedAt))[0]!;
    name = `report-${compactUtc(new Date(first.run.startedAt))}-${[...new Set(runs.map((r) => r.run.suite))].join('+')}.html`;
    title = o.title ?? `HLP run report: ${[...new Set(runs.map((r) => r.run.suite))].join(', ')}`;
    subtitle = runs.length === 1 ? `${first.run.suite} run of ${first.run.startedAt} on ${first.run.machine.machineClass}` : `${runs.length} runs`;
  }

  const deltas: DeltaSource[] = [];
  for (const g of o.gate ?? []) deltas.push(fromGateReport(await readGateReport(g), `hlp gate report ${g}`));
  if (deltas.length === 0 && o.month) {
    const latestPerSuite = new Map<string, HistoryEntry>();
    for (const e of [...history].sort((a, b) => Date.parse(a.date) - Date.parse(b.date))) latestPerSuite.set(`${e.suite} ${e.machineClass}`, e);
    for (const e of latestPerSuite.values()) deltas.push(fromHistory(e));
  }
  if (deltas.length === 0 && !o.month && o.baseline !== false) {
    // the newest run of each suite against its stored baseline
    const newest = new Map<string, ReportRun>();
    // one per suite, and per load workload (a suite may hold several: short and medium, say)
    const keyOf = (r: ReportRun): string => `${r.run.suite}\0${typeof r.run.config['workload'] === 'string' ? r.run.config['workload'] : ''}`;
    for (const r of [...runs].sort((a, b) => Date.parse(a.run.startedAt) - Date.parse(b.run.startedAt))) newest.set(keyOf(r), r);
    for (const r of newest.values()) {
      const found = await findBaseline(baselinesDir, r.run.suite, r.run.machine.machineClass);
      if (!found) {
        notes.push(`no baseline for suite ${r.run.suite} in ${baselinesDir} (record one with \`hlp baseline record\`): no deltas for it`);
        continue;
      }
      let report;
      try {
        report = await runGate({
          current: r.run,
          baseline: await readBaseline(found.path),
          remeasure: { unavailable: 'hlp report never re-measures (run `hlp gate` for a confirmed verdict)' },
          targets: false,
          runPath: r.path,
          baselinePath: found.path,
          now,
        });
      } catch (error) {
        // Another load workload than the baseline's: nothing to compare, said so, the rest goes on.
        if (error instanceof GateError && error.code === 'INCOMPATIBLE') {
          notes.push(`${r.run.suite} run ${r.run.startedAt}: ${error.message}; no deltas for it`);
          continue;
        }
        throw error;
      }
      deltas.push(fromGateReport(report, `${r.run.suite} run ${r.run.startedAt} vs baseline ${found.path}`));
    }
  }

  const html = renderReport({ title, subtitle, runs, history, deltas, notes, generatedAt: now });
  return { html, runs, notes, name };
}

export async function reportCommand(runArgs: readonly string[], rawOptions: unknown, io: Io): Promise<string> {
  const report = await buildReport(runArgs, rawOptions);
  const o = rawOptions as { out?: string; runs?: string };
  const out = resolve(o.out ?? join(o.runs ? resolve(o.runs) : defaultRunsDir(), 'reports', report.name));
  try {
    await mkdir(dirname(out), { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    await writeFile(tmp, report.html, 'utf8');
    await rename(tmp, out);
  } catch (error) {
    throw new LabError('INFRA', `cannot write ${out}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  for (const n of report.notes) io.stderr.write(`note: ${n}\n`);
  io.stderr.write(`report of ${report.runs.length} run(s), ${Math.round(report.html.length / 1024)} KiB, self-contained (inline CSS and SVG)\n`);
  io.stdout.write(`${out}\n`);
  return out;
}
