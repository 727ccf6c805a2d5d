/**
 * In-process pairing: the reference's and the candidate's code loaded side by side in one
 * process and timed in alternating short slices (A B, B A, …, tens of milliseconds each).
 *
 * Why: on a shared 2-core VM the speed of the machine changes in steps lasting seconds (a
 * neighbour, frequency, the host's scheduler). Fresh-process pairs are minutes apart in the
 * worst case and seconds apart at best, so such a step lands in one member of a pair and the
 * pair spread reached 10–40 %. Slices a few tens of milliseconds apart see the same machine
 * state nearly always; a step inside a pair is one outlier among dozens of pairs, not the
 * spread of all of them.
 */
import { makeMetric, type Labels, type Metric } from '@hlp/results';
import { roundOrder } from '@hlp/gate';
import { LabError } from '../errors.js';
import { MAX_SLOWDOWN, spendSlowdown } from '../bench/measure.js';

export type SideName = 'baseline' | 'current';

/** One series measured on both sides: a timed function per side, or a size read once per side. */
export type PairCase =
  | {
      readonly kind: 'timed';
      readonly name: string;
      readonly labels: Labels;
      /** Unit of the recorded samples: per-call ns, or ms for long async calls. */
      readonly unit: 'ns' | 'ms';
      readonly run: Readonly<Record<SideName, () => unknown>>;
      /** The calls return promises that must settle before the clock stops. */
      readonly async: boolean;
      /** Slice settings of this case. */
      readonly slice?: { readonly ms: number; readonly minCalls: number };
      /**
       * Run before each slice of a side, untimed, and followed by one untimed call: lets the
       * side replace state that would otherwise stay the same for the whole run (its inputs, a
       * pooled result buffer), so that its effect varies from pair to pair instead of biasing
       * every pair alike.
       */
      readonly beforeSlice?: Readonly<Record<SideName, () => void>>;
      /** Operations one call performs (default 1): a sample is a call's time over this (`ckks.rotate_hoisted` is per rotation). */
      readonly perCall?: number;
    }
  | {
      /**
       * A long call in `chunks` parts (a prompt of 96 vectors as 12 calls of 8): the parts alternate
       * between the sides, A B, B A, …, and a side's sample of a pair is the sum of its parts: one
       * whole call per side and pair, with the sides never more than a part apart in time.
       */
      readonly kind: 'chunked';
      readonly name: string;
      readonly labels: Labels;
      readonly unit: 'ms';
      readonly chunks: number;
      readonly run: Readonly<Record<SideName, (chunk: number) => Promise<unknown>>>;
      /**
       * Run before each pair for each side, untimed (as `beforeSlice` of a timed case): moves the
       * side to another placement (placements.ts), so that where one side's keys and buffers
       * happened to sit is scatter between pairs rather than a bias of the whole run.
       */
      readonly beforePair?: Readonly<Record<SideName, () => Promise<void>>>;
      /** Pairs of this case when fewer than the run's. */
      readonly pairs?: number;
    }
  | {
      readonly kind: 'size';
      readonly name: string;
      readonly labels: Labels;
      readonly unit: 'bytes';
      readonly value: Readonly<Record<SideName, () => number>>;
    };

export interface InterleaveOptions {
  /** Pairs of slices per case. */
  readonly pairs: number;
  /** Target length of one slice, ms (a slice always holds at least `minCalls` calls). */
  readonly sliceMs: number;
  readonly minCalls: number;
  /** Untimed calls per side before the first slice. */
  readonly warmupCalls: number;
  /** Slowdown factor of the candidate's calls of a case (HLP_BENCH_SLOWDOWN, for testing the gate). */
  readonly slowdown?: (name: string, labels: Labels) => number;
  readonly samplesCap?: number;
  readonly progress?: (c: PairCase, index: number, total: number) => void;
  /** The clock, ns (default process.hrtime.bigint; tests pass a fake one). */
  readonly clock?: () => bigint;
}

/** The output: one round per pair index (every case's k-th pair of slices), as the paired decision reads them. */
export interface InterleavedOutcome {
  readonly rounds: { baseline: Metric[]; current: Metric[] }[];
  /** Every candidate sample of each case, pooled (the candidate's run for the report and the targets). */
  readonly current: Metric[];
  readonly seconds: number;
}

/** One slice: calls until `sliceNs` passed (and at least `minCalls`), each timed alone. */
async function slice(fn: () => unknown, isAsync: boolean, sliceNs: bigint, minCalls: number, factor: number, now: () => bigint): Promise<number[]> {
  const samples: number[] = [];
  const start = now();
  while (samples.length < minCalls || now() - start < sliceNs) {
    const t0 = now();
    if (isAsync) await fn();
    else fn();
    const t1 = spendSlowdown(t0, now(), factor, now);
    samples.push(Number(t1 - t0));
  }
  return samples;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Times one part of a chunked case, with the candidate's slowdown. A chunked call's work runs
 * on a worker thread while this thread waits, so the known slowdown waits idle too (blocking,
 * precise to microseconds), as a slower worker would keep this thread idle longer.
 */
async function timedPart(fn: (chunk: number) => Promise<unknown>, chunk: number, factor: number, now: () => bigint, realClock: boolean): Promise<number> {
  const t0 = now();
  await fn(chunk);
  const t1 = now();
  if (factor > 1 && realClock) {
    // sleep most of the wait, then busy-wait the last 50 µs to its exact end
    const ms = (Number(t1 - t0) * (factor - 1)) / 1e6;
    if (ms > 0.05) Atomics.wait(sleeper, 0, 0, ms - 0.05);
  }
  return Number(spendSlowdown(t0, t1, factor, now) - t0);
}

async function measureChunked(
  c: PairCase & { kind: 'chunked' },
  o: InterleaveOptions,
  rounds: { baseline: Metric[]; current: Metric[] }[],
  factor: number,
  now: () => bigint,
): Promise<Metric> {
  for (const side of ['baseline', 'current'] as const) await c.run[side](0); // warm-up: one part each
  const pooled: number[] = [];
  for (let p = 0; p < Math.min(o.pairs, c.pairs ?? o.pairs); p++) {
    const sums = { baseline: 0, current: 0 };
    if (c.beforePair) for (const side of roundOrder(p + 1)) await c.beforePair[side]();
    for (let part = 0; part < c.chunks; part++)
      for (const side of roundOrder(p * c.chunks + part + 1))
        sums[side] += await timedPart(c.run[side], part, side === 'current' ? factor : 1, now, o.clock === undefined);
    for (const side of ['baseline', 'current'] as const)
      rounds[p]![side].push(makeMetric({ name: c.name, unit: c.unit, better: 'lower', labels: c.labels, samples: [sums[side] * 1e-6] }));
    pooled.push(sums.current * 1e-6);
  }
  return makeMetric({ name: c.name, unit: c.unit, better: 'lower', labels: c.labels, samples: pooled, keep: o.samplesCap });
}

/** Measures every case in alternating slices and returns the rounds of the paired decision. */
export async function measureInterleaved(cases: readonly PairCase[], o: InterleaveOptions): Promise<InterleavedOutcome> {
  if (!(o.pairs >= 2)) throw new LabError('USAGE', `interleaved pairs must be at least 2, got ${o.pairs}`);
  const t0 = performance.now();
  const rounds: { baseline: Metric[]; current: Metric[] }[] = Array.from({ length: o.pairs }, () => ({ baseline: [], current: [] }));
  const current: Metric[] = [];
  const sliceNs = BigInt(Math.max(1, Math.round(o.sliceMs * 1e6)));
  const now = o.clock ?? ((): bigint => process.hrtime.bigint());
  for (const [i, c] of cases.entries()) {
    o.progress?.(c, i + 1, cases.length);
    if (c.kind === 'size') {
      const sizes = { baseline: c.value.baseline(), current: c.value.current() };
      for (const r of rounds)
        for (const side of ['baseline', 'current'] as const)
          r[side].push(makeMetric({ name: c.name, unit: 'bytes', better: 'lower', labels: c.labels, samples: [sizes[side]] }));
      current.push(makeMetric({ name: c.name, unit: 'bytes', better: 'lower', labels: c.labels, samples: [sizes.current] }));
      continue;
    }
    const factor = o.slowdown?.(c.name, c.labels) ?? 1;
    if (!(factor >= 1 && factor <= MAX_SLOWDOWN)) throw new LabError('USAGE', `slowdown factor must be within [1, ${MAX_SLOWDOWN}], got ${factor}`);
    if (c.kind === 'chunked') {
      current.push(await measureChunked(c, o, rounds, factor, now));
      continue;
    }
    const warmup = c.async ? 1 : o.warmupCalls;
    for (const side of ['baseline', 'current'] as const)
      for (let k = 0; k < warmup; k++) {
        if (c.async) await c.run[side]();
        else c.run[side]();
      }
    const scale = (c.unit === 'ms' ? 1e-6 : 1) / (c.perCall ?? 1);
    const caseSliceNs = c.slice ? BigInt(Math.max(1, Math.round(c.slice.ms * 1e6))) : sliceNs;
    const minCalls = c.slice?.minCalls ?? o.minCalls;
    const pooled: number[] = [];
    for (let p = 0; p < o.pairs; p++) {
      for (const side of roundOrder(p + 1)) {
        if (c.beforeSlice) {
          c.beforeSlice[side]();
          if (c.async) await c.run[side]();
          else c.run[side]();
        }
        const ns = await slice(c.run[side], c.async, caseSliceNs, minCalls, side === 'current' ? factor : 1, now);
        const samples = ns.map((x) => x * scale);
        rounds[p]![side].push(makeMetric({ name: c.name, unit: c.unit, better: 'lower', labels: c.labels, samples }));
        if (side === 'current') pooled.push(...samples);
      }
    }
    current.push(makeMetric({ name: c.name, unit: c.unit, better: 'lower', labels: c.labels, samples: pooled, keep: o.samplesCap }));
  }
  return { rounds, current, seconds: (performance.now() - t0) / 1000 };
}
