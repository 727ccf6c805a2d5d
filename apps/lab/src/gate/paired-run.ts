/**
 * Runs the reference (A) and the candidate (B) interleaved and keeps adding pairs, only for the
 * benchmark steps that still hold undecided series and narrowed to their cases, until every
 * series is decided, the pairs reach their maximum, or the time budget is spent.
 *
 * Two ways to pair: `in-process` (the default) loads both checkouts' product code in one
 * candidate process and alternates slices of tens of milliseconds (`hlp bench … --pair-with`),
 * so a pair sees one machine state; `processes` runs each side as a fresh `hlp bench` process,
 * A B, B A, … (the fallback when the reference cannot be loaded beside the candidate, and the
 * only way when the harness itself is what changed).
 */
import { comparePairedRounds, metricKey, roundOrder, type GateConfig, type PairedRound } from '@hlp/gate';
import { isMetric, type Metric, type RunResult } from '@hlp/results';
import type { Io } from '../io.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabError } from '../errors.js';
import { benchInChild, remeasureArgs } from './bench-child.js';
import { runBenchChild } from '../bench/child.js';
import { SLOWDOWN_ENV } from '../bench/measure.js';
import { readPairs, selectorOf } from './pairs.js';

export type Pairing = 'in-process' | 'processes';

/** One `hlp bench <suite> <args>` measured on both sides. */
export interface PairedStep {
  readonly suite: 'kernels' | 'ckks';
  readonly args: readonly string[];
}

export interface Side {
  readonly bin: string;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

export interface PairedOptions {
  readonly steps: readonly PairedStep[];
  readonly baseline: Side;
  readonly current: Side;
  readonly config: GateConfig;
  /** Pairs every step gets before the first decision (≥ 2), and per further in-process child. */
  readonly minPairs: number;
  /** The same for process pairing, where a pair costs two fresh processes. */
  readonly minProcessPairs: number;
  /** No series gets more pairs than this. */
  readonly maxPairs: number;
  /** Seconds of measuring after which no further round starts. */
  readonly budgetS: number;
  readonly io: Io;
  /** How the sides are paired (see the module comment); default in-process. */
  readonly pairing?: Pairing;
}

export interface PairedStepResult {
  readonly step: PairedStep;
  readonly rounds: PairedRound[];
  /** The last full candidate run (identity and targets for the report). */
  readonly current: RunResult;
  readonly seconds: number;
}

export interface PairedOutcome {
  readonly steps: PairedStepResult[];
  readonly notes: string[];
  readonly seconds: number;
}

/** Side environment: a known slowdown (for testing the gate) applies to the candidate only. */
export function sideEnv(env: NodeJS.ProcessEnv, side: 'baseline' | 'current'): NodeJS.ProcessEnv {
  const out = { ...env };
  if (side === 'baseline') delete out[SLOWDOWN_ENV];
  return out;
}

/** `hlp bench ckks` arguments narrowed to the undecided series (no prompt case when none of them is one). */
export function narrowCkksArgs(args: readonly string[], undecided: readonly Metric[]): string[] {
  const out = [...args];
  if (!undecided.some(isMetric('ckks.prompt_encrypt')) && !out.includes('--no-prompt')) out.push('--no-prompt');
  return out;
}

function narrow(step: PairedStep, undecided: readonly Metric[]): string[] {
  return step.suite === 'kernels' ? remeasureArgs('kernels', step.args, undecided) : narrowCkksArgs(step.args, undecided);
}

/** In-process pairing narrows exactly: `--only` the undecided series. */
export function onlyArgs(step: PairedStep, undecided: readonly Metric[]): string[] {
  return undecided.length === 0 ? [...step.args] : [...step.args, '--only', undecided.map((m) => selectorOf(m.name, m.labels)).join(',')];
}

interface StepState {
  readonly step: PairedStep;
  pairing: Pairing;
  readonly rounds: PairedRound[];
  current: RunResult | null;
  seconds: number;
  /** Undecided series after the last decision (null: not decided yet). */
  undecided: Metric[] | null;
  lastRoundS: number;
  /** Notes of the in-process pairing children (a case left out on one side, and why). */
  readonly notes: Set<string>;
}

/** One in-process pairing child: `pairs` more pairs of every case `args` selects. */
async function runPairsChild(state: StepState, args: readonly string[], pairs: number, o: PairedOptions): Promise<void> {
  const t0 = performance.now();
  const dir = await mkdtemp(join(tmpdir(), 'hlp-pairs-'));
  const out = join(dir, `${state.step.suite}.json`);
  try {
    const r = await runBenchChild([state.step.suite, ...args, '--pair-with', o.baseline.cwd, '--pairs', String(pairs)], out, {
      bin: o.current.bin,
      cwd: o.current.cwd,
      env: { ...o.current.env, HLP_RUNS_DIR: dir },
    });
    if (r.code !== 0)
      throw new LabError('INFRA', `hlp bench ${state.step.suite} --pair-with failed (exit ${r.code}):\n${r.output.trim().split('\n').slice(-8).join('\n')}`);
    const doc = await readPairs(out);
    state.rounds.push(...doc.rounds);
    for (const n of doc.notes) state.notes.add(n);
    if (state.current === null || args === state.step.args) state.current = doc.current;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  state.lastRoundS = (performance.now() - t0) / 1000;
  state.seconds += state.lastRoundS;
  o.io.stderr.write(`gate: ${state.step.suite} ${pairs} in-process pairs (${state.rounds.length} so far) in ${state.lastRoundS.toFixed(1)} s\n`);
}

async function runRound(state: StepState, round: number, args: readonly string[], o: PairedOptions): Promise<void> {
  const t0 = performance.now();
  const got: Partial<Record<'baseline' | 'current', RunResult>> = {};
  for (const side of roundOrder(round)) {
    const s = side === 'baseline' ? o.baseline : o.current;
    got[side] = await benchInChild(state.step.suite, args, { bin: s.bin, cwd: s.cwd, env: sideEnv(s.env, side) });
  }
  state.rounds.push({ baseline: got.baseline!.metrics, current: got.current!.metrics });
  if (state.current === null || args === state.step.args) state.current = got.current!;
  state.lastRoundS = (performance.now() - t0) / 1000;
  state.seconds += state.lastRoundS;
  o.io.stderr.write(
    `gate: ${state.step.suite} pair ${state.rounds.length} (${roundOrder(round)
      .map((x) => (x === 'baseline' ? 'A' : 'B'))
      .join(' ')}) in ${state.lastRoundS.toFixed(1)} s\n`,
  );
}

function decideState(state: StepState, config: GateConfig): void {
  const { comparisons } = comparePairedRounds(state.rounds, config);
  const open = new Set(comparisons.filter((c) => c.verdict === 'inconclusive').map((c) => c.key));
  state.undecided = (state.current?.metrics ?? []).filter((m) => open.has(metricKey(m)));
}

/** Runs the paired comparison of every step (see the module comment). */
export async function runPaired(o: PairedOptions): Promise<PairedOutcome> {
  const t0 = performance.now();
  const elapsed = (): number => (performance.now() - t0) / 1000;
  const states: StepState[] = o.steps.map((step) => ({
    step,
    pairing: o.pairing ?? 'in-process',
    rounds: [],
    current: null,
    seconds: 0,
    undecided: null,
    lastRoundS: 0,
    notes: new Set<string>(),
  }));
  const notes: string[] = [];
  // The minimum pairs of every step first: the decision needs them all, budget or not.
  for (const state of states) {
    if (state.pairing === 'in-process') {
      try {
        await runPairsChild(state, state.step.args, o.minPairs, o);
      } catch (error) {
        if (!(error instanceof LabError)) throw error;
        state.pairing = 'processes';
        state.rounds.length = 0;
        const why = error.message.split('\n').slice(-1)[0] ?? error.message;
        notes.push(`${state.step.suite}: paired in fresh processes, not in one process (${why})`);
        o.io.stderr.write(`gate: ${state.step.suite}: in-process pairing failed, pairing fresh processes instead:\n${error.message}\n`);
      }
    }
    if (state.pairing === 'processes') for (let r = 1; r <= o.minProcessPairs; r++) await runRound(state, r, state.step.args, o);
    decideState(state, o.config);
  }
  // Then more rounds, round-robin over the steps with undecided series, while the budget lasts.
  for (;;) {
    const open = states.filter((s) => (s.undecided?.length ?? 0) > 0 && s.rounds.length < o.maxPairs);
    if (open.length === 0) break;
    let progressed = false;
    for (const state of open) {
      if (elapsed() + state.lastRoundS > o.budgetS) continue;
      const args = state.pairing === 'in-process' ? onlyArgs(state.step, state.undecided ?? []) : narrow(state.step, state.undecided ?? []);
      if (state.pairing === 'in-process') await runPairsChild(state, args, Math.max(2, Math.min(o.minPairs, o.maxPairs - state.rounds.length)), o);
      else await runRound(state, state.rounds.length + 1, args, o);
      decideState(state, o.config);
      progressed = true;
    }
    if (!progressed) {
      notes.push(
        `the time budget (${o.budgetS} s) was spent with ${open.reduce((a, s) => a + (s.undecided?.length ?? 0), 0)} series undecided; a larger --budget would add pairs for them`,
      );
      break;
    }
  }
  for (const s of states)
    if ((s.undecided?.length ?? 0) > 0 && s.rounds.length >= o.maxPairs)
      notes.push(`${s.step.suite}: ${s.undecided!.length} series still undecided at the maximum of ${o.maxPairs} pairs`);
  for (const s of states) for (const n of s.notes) notes.push(`${s.step.suite}: ${n}`);
  notes.push(`measured in ${elapsed().toFixed(0)} s: ${states.map((s) => `${s.step.suite} ${s.rounds.length} pairs (${s.seconds.toFixed(0)} s)`).join(', ')}`);
  return {
    steps: states.map((s) => ({ step: s.step, rounds: s.rounds, current: s.current!, seconds: s.seconds })),
    notes,
    seconds: elapsed(),
  };
}
