/** `hlp export`: runs and the gate history as OpenMetrics text, written atomically. */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { defaultBaselinesDir, defaultHistoryPath, readHistory, type HistoryEntry } from '@hlp/gate';
import { ResultsError, defaultRunsDir, listRuns, readRun, type RunResult } from '@hlp/results';
import { z } from 'zod';
import { LabError } from '../errors.js';
import { toOpenMetrics, type ExportStats } from './openmetrics.js';
import type { Io } from '../io.js';

const ExportOptions = z.object({
  history: z.union([z.string(), z.literal(false)]).optional(),
  runs: z.union([z.string(), z.literal(false)]).optional(),
  suite: z.string().optional(),
  out: z.string().optional(),
});
export type ExportOptions = z.infer<typeof ExportOptions>;

export interface ExportResult {
  readonly text: string;
  readonly stats: ExportStats;
  readonly warnings: string[];
  readonly historyPath: string | null;
  readonly runsDir: string | null;
}

/** Reads what the options name and renders it; writes nothing. */
export async function buildExport(options: ExportOptions): Promise<ExportResult> {
  const warnings: string[] = [];
  const historyPath = options.history === false ? null : resolve(options.history ?? defaultHistoryPath(defaultBaselinesDir()));
  const runsDir = options.runs === false ? null : resolve(options.runs ?? defaultRunsDir());
  let history: HistoryEntry[] = [];
  if (historyPath) {
    const h = await readHistory(historyPath);
    for (const p of h.problems) warnings.push(`${historyPath}:${p.line}: skipped: ${p.message}`);
    history = h.entries;
  }
  const runs: RunResult[] = [];
  if (runsDir) {
    for (const path of await listRuns(runsDir, options.suite === undefined ? {} : { suite: options.suite })) {
      try {
        runs.push(await readRun(path));
      } catch (error) {
        if (!(error instanceof ResultsError)) throw error;
        warnings.push(`${path}: skipped: ${error.message}`);
      }
    }
  }
  if (options.suite !== undefined) history = history.filter((e) => e.suite === options.suite);
  const { text, stats } = toOpenMetrics({ history, runs });
  return { text, stats, warnings, historyPath, runsDir };
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const path = resolve(file);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, path);
}

export async function exportCommand(rawOptions: unknown, io: Io): Promise<void> {
  const parsed = ExportOptions.safeParse(rawOptions);
  if (!parsed.success) throw new LabError('USAGE', `invalid options: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const options = parsed.data;
  const r = await buildExport(options);
  for (const w of r.warnings) io.stderr.write(`warning: ${w}\n`);
  if (options.out) {
    try {
      await writeAtomically(options.out, r.text);
    } catch (error) {
      throw new LabError('INFRA', `cannot write ${options.out}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  } else {
    io.stdout.write(r.text);
  }
  const s = r.stats;
  const span = s.from !== null && s.to !== null ? `, ${new Date(s.from).toISOString()} … ${new Date(s.to).toISOString()}` : '';
  io.stderr.write(
    `exported ${s.gateRuns} gate run(s) from ${r.historyPath ?? '(no history)'} and ${s.runs} run(s) from ${r.runsDir ?? '(no runs)'}: ` +
      `${s.samples} samples in ${s.series} series of ${s.families} families${span}${options.out ? ` → ${resolve(options.out)}` : ''}\n`,
  );
  if (s.samples === 0) io.stderr.write('note: nothing to export (no gate history and no run documents found)\n');
  else if (options.out) io.stderr.write(`backfill: promtool tsdb create-blocks-from openmetrics ${options.out} <prometheus data dir>\n`);
}
