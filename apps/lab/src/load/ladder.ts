/**
 * `hlp load --rates a,b,c`: one open-loop run per offered rate against the same services, in
 * ascending order, each judged against the SLO (2xx share and latency P95); the answer is the
 * highest rate that met it. The ladder stops after the first step that misses: past capacity
 * a queue only grows, and every further step costs its full duration for a known answer.
 */
import type { LoadRun } from '@hlp/loadgen';
import { isMetric, type Metric, type RunMetricName, type RunResult } from '@hlp/results';
import { z } from 'zod';
import { table } from '../format.js';

export interface LadderSlo {
  /** Latency P95 at most this, ms. */
  readonly p95Ms: number;
  /** 2xx share of the counted requests at least this (0–1). */
  readonly success: number;
}

export const DEFAULT_LADDER_SLO: LadderSlo = { p95Ms: 250, success: 0.999 };

/**
 * Warm-up of each ladder step without --warmup: 5 s of ramp, then 5 s at the step's rate. With
 * 5 s in all (2.5 s held), a step often opened on the queue its new rate had built: in four
 * ladders (150…300 req/s, 20 s steps, one job) the 250 req/s step measured P95 238, 265 and
 * 563 ms, its first seconds at 400–650 ms; with 10 s, two ladders measured it at 156 and 145 ms
 * and the windows opened clean (2026-12-07).
 */
export const LADDER_WARMUP_MS = 10_000;

export interface LadderStep {
  readonly rate: number;
  /** Where the step's run document was written. */
  readonly path: string;
  readonly throughput: number;
  readonly successRatio: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  /** Share of the machine, median over the window, per sampled process. */
  readonly cpu: Readonly<Record<string, number>>;
  /** CPU ms per 2xx over the window, per sampled process. */
  readonly cpuPerRequestMs: Readonly<Record<string, number>>;
  readonly met: boolean;
  /** What missed the SLO, in words (empty when met). */
  readonly misses: readonly string[];
}

export interface Ladder {
  readonly slo: LadderSlo;
  readonly steps: readonly LadderStep[];
  /** The highest offered rate that met the SLO; null when none did. */
  readonly highestMeeting: number | null;
  /** Rates not run because an earlier step missed. */
  readonly skipped: readonly number[];
}

const rateList = z
  .string()
  .regex(/^\d+(\.\d+)?(,\d+(\.\d+)?)*$/, 'rates are a comma-separated list of req/s, e.g. 100,150,200')
  .transform((s) => s.split(',').map(Number))
  .pipe(
    z
      .array(z.number().positive('each rate must be greater than 0').max(100_000, 'each rate must be at most 100000'))
      .min(1)
      .max(32, 'at most 32 rates')
      .refine((r) => new Set(r).size === r.length, 'rates must not repeat'),
  );

/** `--rates` text as ascending rates. @throws Error with a usage message */
export function parseRates(text: string): number[] {
  const parsed = rateList.safeParse(text);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => i.message).join('; '));
  return [...parsed.data].sort((a, b) => a - b);
}

function byProcess(metrics: readonly Metric[], name: RunMetricName, pick: (m: Metric) => number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of metrics) if (m.name === name && typeof m.labels['process'] === 'string') out[m.labels['process']] = pick(m);
  return out;
}

/** One step of the ladder from its run and document, judged against `slo`. */
export function ladderStep(rate: number, path: string, run: LoadRun, result: RunResult, slo: LadderSlo): LadderStep {
  const m = run.measurement;
  const counted = m.ok + m.non2xx + m.errors;
  const successRatio = counted > 0 ? m.ok / counted : 0;
  const latency = result.metrics.find(isMetric('http.latency'));
  const p95Ms = latency ? latency.summary.p95 : null;
  const misses: string[] = [];
  if (successRatio < slo.success) misses.push(`2xx ${(successRatio * 100).toFixed(2)} % < ${(slo.success * 100).toFixed(2)} %`);
  if (p95Ms === null) misses.push('no 2xx latency');
  else if (p95Ms > slo.p95Ms) misses.push(`P95 ${p95Ms.toFixed(0)} ms > ${slo.p95Ms} ms`);
  if (m.aborted) misses.push('stopped early');
  return {
    rate,
    path,
    throughput: m.ok / (m.windowMs / 1000),
    successRatio,
    p50Ms: latency ? latency.summary.median : null,
    p95Ms,
    cpu: byProcess(result.metrics, 'process.cpu', (x) => x.summary.median),
    cpuPerRequestMs: byProcess(result.metrics, 'process.cpu_per_request', (x) => (typeof x['value'] === 'number' ? x['value'] : x.summary.median)),
    met: misses.length === 0,
    misses,
  };
}

export function ladderResult(slo: LadderSlo, steps: readonly LadderStep[], rates: readonly number[]): Ladder {
  const met = steps.filter((s) => s.met);
  return {
    slo,
    steps,
    highestMeeting: met.length > 0 ? Math.max(...met.map((s) => s.rate)) : null,
    skipped: rates.filter((r) => !steps.some((s) => s.rate === r)),
  };
}

const fmtMs = (v: number | null): string => (v === null ? '–' : v < 10 ? `${v.toFixed(2)} ms` : `${v.toFixed(0)} ms`);

/** The ladder as a table, a capacity line per step, and the answer. */
export function renderLadder(ladder: Ladder): string {
  const processes = [...new Set(ladder.steps.flatMap((s) => Object.keys(s.cpu)))];
  const rows = ladder.steps.map((s) => [
    `${s.rate}`,
    s.throughput.toFixed(1),
    `${(s.successRatio * 100).toFixed(2)} %`,
    fmtMs(s.p50Ms),
    fmtMs(s.p95Ms),
    ...processes.map((p) =>
      s.cpu[p] === undefined ? '–' : `${(s.cpu[p] * 100).toFixed(0)} % · ${s.cpuPerRequestMs[p] === undefined ? '–' : fmtMs(s.cpuPerRequestMs[p])}`,
    ),
    s.met ? 'met' : `MISSED: ${s.misses.join(', ')}`,
  ]);
  const head = ['offered req/s', '2xx/s', '2xx', 'p50', 'p95', ...processes.map((p) => `${p} CPU · per 2xx`), 'SLO'];
  const lines = [
    `rate ladder, SLO: 2xx ≥ ${(ladder.slo.success * 100).toFixed(2)} % and P95 ≤ ${ladder.slo.p95Ms} ms`,
    '',
    table(head, rows, [true, true, true, true, true, ...processes.map(() => true), false]),
    '',
  ];
  if (ladder.skipped.length > 0) lines.push(`not run (a lower rate missed the SLO): ${ladder.skipped.join(', ')} req/s`);
  lines.push(
    ladder.highestMeeting === null
      ? 'highest rate meeting the SLO: none of those offered'
      : `highest rate meeting the SLO: ${ladder.highestMeeting} req/s${ladder.highestMeeting === Math.max(...ladder.steps.map((s) => s.rate)) && ladder.skipped.length === 0 ? ' (the highest offered: capacity may be higher)' : ''}`,
  );
  return lines.join('\n');
}
