/**
 * Suspected regressions measured again: fresh `hlp bench` processes of just the suspects' cases
 * with the run's own settings, pooled, with the calibration benchmark around them.
 */
import { poolMetrics, poolRuns, type Remeasure } from '@hlp/gate';
import { isMetric, type Metric, type RunResult } from '@hlp/results';
import { runCalibration } from '../bench/calibration.js';
import type { Io } from '../io.js';
import { benchInChild, kernelFilters, num, uniqueOf } from './bench-child.js';

/** `hlp bench kernels` arguments that repeat the run's own settings for just these series. */
export function kernelsRemeasureArgs(run: RunResult, suspects: readonly Metric[]): string[] {
  const f = kernelFilters(suspects);
  const args: string[] = [];
  const variants = f.variants.length > 0 ? f.variants : Array.isArray(run.config['variants']) ? (run.config['variants'] as string[]).slice(0, 1) : [];
  if (variants.length > 0) args.push('--variant', variants.join(','));
  if (f.ns.length > 0) args.push('--n', f.ns.join(','));
  if (f.bits.length > 0) args.push('--bits', f.bits.join(','));
  if (f.ns.length === 0 || f.bits.length === 0) args.push('--n', '1024', '--bits', '50'); // alloc only: the smallest kernel cases
  if (!f.alloc) args.push('--no-alloc');
  const timeMs = num(run.config['timeMs']);
  if (run.config['quick'] === true) args.push('--quick');
  if (timeMs !== undefined) args.push('--time', String(Math.round(timeMs)));
  return args;
}

/** Fresh processes per re-measurement (pooled, so one disturbed run cannot confirm a regression alone). */
export const REMEASURE_RUNS = 3;

/**
 * Re-measures kernel-suite series: REMEASURE_RUNS fresh `hlp bench kernels` processes of just
 * those cases with the run's own time budget, and the calibration benchmark before, between
 * and after them, so the gate can tell a slower machine from slower code.
 */
export function kernelsRemeasure(run: RunResult, io: Io): Remeasure {
  return async (suspects) => {
    const args = kernelsRemeasureArgs(run, suspects);
    const quick = run.config['quick'] === true;
    io.stderr.write(`re-measuring ${suspects.length} suspected regression(s), ${REMEASURE_RUNS} fresh runs: hlp bench kernels ${args.join(' ')}\n`);
    const calibrations: Metric[] = [await runCalibration({ quick })];
    const runs: RunResult[] = [];
    for (let i = 0; i < REMEASURE_RUNS; i++) {
      runs.push(await benchInChild('kernels', args));
      calibrations.push(await runCalibration({ quick }));
    }
    return { current: poolRuns(runs).metrics, calibration: poolMetrics(calibrations.map((c) => [c]))[0] ?? null };
  };
}

/** `hlp bench ckks` arguments that repeat a ckks run's settings for just the suspects' cases. */
export function ckksRemeasureArgsFromRun(run: RunResult, suspects: readonly Metric[]): string[] {
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const numbers = (v: unknown): number[] => (Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : []);
  const backends = uniqueOf(suspects.map((m) => (typeof m.labels['backend'] === 'string' ? m.labels['backend'] : undefined)));
  const ns = uniqueOf(suspects.map((m) => num(m.labels['n'])));
  const prompt = suspects.filter(isMetric('ckks.prompt_encrypt'));
  const args = ['--backend', (backends.length > 0 ? backends : strings(run.config['backends'])).join(',') || 'native'];
  const runNs = numbers(run.config['n']);
  if (ns.length > 0 || runNs.length > 0) args.push('--n', (ns.length > 0 ? ns : runNs).join(','));
  const threads = uniqueOf(prompt.map((m) => num(m.labels['threads'])));
  if (prompt.length === 0) args.push('--no-prompt');
  else if (threads.length > 0) args.push('--threads', threads.join(','));
  const timeMs = num(run.config['timeMs']);
  if (run.config['quick'] === true) args.push('--quick');
  if (timeMs !== undefined) args.push('--time', String(Math.round(timeMs)));
  return args;
}

/** As kernelsRemeasure, for ckks runs: fresh `hlp bench ckks` processes of the suspects' cases. */
export function ckksRemeasure(run: RunResult, io: Io): Remeasure {
  return async (suspects) => {
    const args = ckksRemeasureArgsFromRun(run, suspects);
    io.stderr.write(`re-measuring ${suspects.length} suspected regression(s), ${REMEASURE_RUNS} fresh runs: hlp bench ckks ${args.join(' ')}\n`);
    const calibrations: Metric[] = [await runCalibration({ quick: true })];
    const runs: RunResult[] = [];
    for (let i = 0; i < REMEASURE_RUNS; i++) {
      runs.push(await benchInChild('ckks', args));
      calibrations.push(await runCalibration({ quick: true }));
    }
    return { current: poolRuns(runs).metrics, calibration: poolMetrics(calibrations.map((c) => [c]))[0] ?? null };
  };
}
