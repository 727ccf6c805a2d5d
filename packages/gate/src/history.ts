/**
 * `baselines/history.jsonl`: one line per gated run (commit, date, machine class, key
 * medians, verdicts) — what the monthly review reads. Append only: a line is never
 * rewritten; a corrupt line is reported and skipped when reading, never fatal.
 */
import { appendFile, mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Labels, formatIssues } from '@hlp/results';
import { z } from 'zod';
import { GateError, describeIssues } from './errors.js';
import type { GateReport } from './gate.js';
import { VERDICTS } from './verdict.js';

export const HISTORY_SCHEMA = 'hlp.history/1' as const;
export const HISTORY_FILE = 'history.jsonl';

export const HistoryMetric = z.looseObject({
  name: z.string().min(1),
  labels: Labels,
  unit: z.string().min(1),
  median: z.number(),
  baselineMedian: z.number(),
  ratio: z.number().nullable(),
  ci: z.tuple([z.number(), z.number()]).nullable(),
  verdict: z.enum(VERDICTS),
});

export const HistoryEntry = z.looseObject({
  schema: z.literal(HISTORY_SCHEMA),
  date: z.iso.datetime({ offset: true }),
  suite: z.string().min(1),
  machineClass: z.string().min(1),
  commit: z.string().nullable(),
  branch: z.string().nullable(),
  dirty: z.boolean().nullable(),
  mode: z.enum(['baseline', 'same-job']),
  against: z.string().nullable(),
  baselineCommit: z.string().nullable(),
  baselineMachineClass: z.string().min(1),
  normalisedBy: z.number().nullable(),
  /** Calibration now / at baseline time, when it was measured with a re-measurement (> 1: slower machine now). */
  machineFactor: z.number().nullable().optional(),
  outcome: z.enum(['pass', 'fail']),
  counts: z.record(z.string(), z.number()),
  metrics: z.array(HistoryMetric),
  targets: z.array(z.looseObject({ id: z.string(), status: z.enum(['met', 'missed', 'not-applicable']), value: z.number().nullable() })),
});
export type HistoryEntry = z.infer<typeof HistoryEntry>;

export function defaultHistoryPath(baselinesDir: string): string {
  return join(resolve(baselinesDir), HISTORY_FILE);
}

/** The history line of a gate report. */
export function historyEntry(report: GateReport): HistoryEntry {
  return {
    schema: HISTORY_SCHEMA,
    date: report.createdAt,
    suite: report.suite,
    machineClass: report.run.machineClass,
    commit: report.run.commit,
    branch: report.run.branch,
    dirty: report.run.dirty,
    mode: report.mode,
    against: report.against,
    baselineCommit: report.baseline.commit,
    baselineMachineClass: report.baseline.machineClass,
    normalisedBy: report.normalisation?.factor ?? null,
    machineFactor: report.machineState?.factor ?? null,
    outcome: report.outcome,
    counts: { ...report.counts },
    metrics: report.comparisons.map((c) => ({
      name: c.name,
      labels: c.labels,
      unit: c.unit,
      median: c.currentMedian,
      baselineMedian: c.baselineMedian,
      ratio: c.ratio,
      ci: c.ci ? [c.ci[0], c.ci[1]] : null,
      verdict: c.verdict,
    })),
    targets: report.targets.map((t) => ({ id: t.id, status: t.status, value: t.value })),
  };
}

/** Whether `path` exists and its last byte is not a newline (a torn last line). */
async function endsWithoutNewline(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return false;
    const buf = Buffer.alloc(1);
    await handle.read(buf, 0, 1, size - 1);
    return buf[0] !== 0x0a;
  } finally {
    await handle.close();
  }
}

/**
 * Validates `entry` and appends it as one line (one write, O_APPEND). A torn last line
 * already in the file is closed with a newline first, so it stays one corrupt line and the
 * new entry stays intact.
 */
export async function appendHistory(path: string, entry: HistoryEntry): Promise<void> {
  const parsed = HistoryEntry.safeParse(entry);
  if (!parsed.success) {
    const issues = formatIssues(parsed.error);
    throw new GateError('INVALID_HISTORY_ENTRY', `refusing to append an invalid history entry: ${describeIssues(issues)}`, issues);
  }
  const file = resolve(path);
  try {
    await mkdir(dirname(file), { recursive: true });
    const lead = (await endsWithoutNewline(file)) ? '\n' : '';
    await appendFile(file, `${lead}${JSON.stringify(parsed.data)}\n`, { encoding: 'utf8', flag: 'a' });
  } catch (error) {
    throw new GateError('IO', `cannot append to ${file}: ${error instanceof Error ? error.message : String(error)}`, [], { cause: error });
  }
}

export interface HistoryProblem {
  /** 1-based line number. */
  readonly line: number;
  readonly message: string;
}

export interface History {
  readonly entries: HistoryEntry[];
  /** Lines that are not JSON or not a valid entry: reported, skipped. */
  readonly problems: HistoryProblem[];
}

/** Reads the history; a missing file is an empty history; corrupt lines land in `problems`. */
export async function readHistory(path: string): Promise<History> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], problems: [] };
    throw new GateError('IO', `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`, [], { cause: error });
  }
  const entries: HistoryEntry[] = [];
  const problems: HistoryProblem[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      problems.push({ line: i + 1, message: `not JSON (${error instanceof Error ? error.message : String(error)})` });
      return;
    }
    const parsed = HistoryEntry.safeParse(value);
    if (parsed.success) entries.push(parsed.data);
    else problems.push({ line: i + 1, message: describeIssues(formatIssues(parsed.error)) });
  });
  return { entries, problems };
}
