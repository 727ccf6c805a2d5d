/**
 * The gate's noise model: a percentile bootstrap of the ratio of medians, current / baseline,
 * with a seeded PRNG (reproducible) and deterministic quantile thinning (bounded cost).
 */
import { quantileSorted } from '@hlp/results';
import { GateError } from './errors.js';
import { mulberry32 } from './prng.js';

/** Ascending copy of `values`; throws GateError INVALID_INPUT on an empty or non-finite sample. */
export function sortedSample(values: readonly number[], what = 'sample'): Float64Array {
  if (values.length === 0) throw new GateError('INVALID_INPUT', `${what} is empty`);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new GateError('INVALID_INPUT', `${what}: value ${i} is not a finite number (${String(v)})`);
  }
  return Float64Array.from(values).sort();
}

/** Median of an ascending array. */
export function medianSorted(sorted: ArrayLike<number>): number {
  return quantileSorted(sorted, 0.5);
}

export function median(values: readonly number[]): number {
  return medianSorted(sortedSample(values));
}

/**
 * At most `max` values standing for ascending `sorted`: itself when short enough, else its
 * quantiles at (i + ½)/max. Deterministic, keeps the shape of the distribution; the bootstrap
 * of a thinned side sees fewer points and so gives a (slightly) wider, conservative interval.
 */
export function thinSorted(sorted: Float64Array, max: number): Float64Array {
  const n = sorted.length;
  if (n <= max) return sorted;
  const out = new Float64Array(max);
  for (let i = 0; i < max; i++) out[i] = quantileSorted(sorted, (i + 0.5) / max);
  return out;
}

/**
 * The median of one bootstrap resample (m draws with replacement) of ascending `sorted`,
 * in O(m) without sorting: draws are counted per index, and since the array is sorted the
 * resample's median is found by a cumulative scan of the counts. `counts` is scratch space.
 */
export function resampleMedian(sorted: Float64Array, counts: Uint32Array, rng: () => number): number {
  const m = sorted.length;
  counts.fill(0, 0, m);
  for (let i = 0; i < m; i++) counts[(rng() * m) | 0]!++;
  const lowRank = (m - 1) >> 1; // 0-based ranks of the middle order statistic(s)
  const highRank = m >> 1;
  let cum = 0;
  let low = Number.NaN;
  for (let j = 0; j < m; j++) {
    cum += counts[j]!;
    if (Number.isNaN(low) && cum > lowRank) low = sorted[j]!;
    if (cum > highRank) return (low + sorted[j]!) / 2;
  }
  return low; // unreachable: cum reaches m > highRank
}

export interface BootstrapOptions {
  /** Number of resamples (default 2000). */
  readonly resamples?: number;
  /** Confidence level of the interval (default 0.95). */
  readonly confidence?: number;
  /** Values per side fed to the resampling; larger sides are quantile-thinned (default 1000). */
  readonly maxPerSide?: number;
  /** PRNG seed; the same seed and samples give the same interval. */
  readonly seed?: number;
}

/** A second pair of samples whose ratio of medians divides (or multiplies) the main ratio. */
export interface NormalisingPair {
  readonly baseline: readonly number[];
  readonly current: readonly number[];
  /** +1: ratio / (cur/base) (times); −1: ratio · (cur/base) (rates). */
  readonly exponent: 1 | -1;
}

export interface RatioInterval {
  /** θ(current) / θ(baseline), θ = geometric mean of the per-run medians (the median for one run). */
  readonly ratio: number;
  readonly lower: number;
  readonly upper: number;
  readonly confidence: number;
  readonly resamples: number;
  /** θ of each side. */
  readonly baselineMedian: number;
  readonly currentMedian: number;
  readonly nBaseline: number;
  readonly nCurrent: number;
  readonly runsBaseline: number;
  readonly runsCurrent: number;
  /**
   * Standard deviation of log per-run medians (pooled over the sides with ≥ 2 runs): the
   * run-to-run noise folded into the interval. null when no side has two runs.
   */
  readonly betweenRunSd: number | null;
  /** The normalising factor (current / baseline of the pair), when one was given. */
  readonly factor: number | null;
}

interface Side {
  readonly runs: Float64Array[];
  readonly thin: Float64Array[];
  readonly logMedians: number[];
  readonly theta: number;
  readonly n: number;
}

function side(runs: readonly (readonly number[])[], what: string, maxPerSide: number): Side {
  const nonEmpty = runs.filter((r) => r.length > 0);
  if (nonEmpty.length === 0) throw new GateError('INVALID_INPUT', `${what} is empty`);
  const sorted = nonEmpty.map((r, i) => sortedSample(r, `${what} (run ${i + 1})`));
  const medians = sorted.map(medianSorted);
  medians.forEach((m) => {
    if (!(m > 0)) throw new GateError('INVALID_INPUT', `a ${what} median is ${m}: a ratio needs positive medians`);
  });
  const per = Math.max(11, Math.ceil(maxPerSide / sorted.length));
  const logMedians = medians.map(Math.log);
  return {
    runs: sorted,
    thin: sorted.map((s) => thinSorted(s, per)),
    logMedians,
    theta: Math.exp(logMedians.reduce((a, b) => a + b, 0) / logMedians.length),
    n: sorted.reduce((a, s) => a + s.length, 0),
  };
}

/** Pooled variance of log per-run medians over the sides with ≥ 2 runs; null without any. */
function betweenRunVariance(sides: readonly Side[]): number | null {
  let ss = 0;
  let df = 0;
  for (const s of sides) {
    const k = s.logMedians.length;
    if (k < 2) continue;
    const mean = s.logMedians.reduce((a, b) => a + b, 0) / k;
    for (const l of s.logMedians) ss += (l - mean) ** 2;
    df += k - 1;
  }
  return df > 0 ? ss / df : null;
}

function gaussian(rng: () => number): number {
  const u = 1 - rng(); // (0, 1]
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/**
 * Percentile-bootstrap confidence interval of θ(current) / θ(baseline), where each side is
 * one or more runs (processes) of samples and θ is the geometric mean of the per-run medians.
 *
 * Two sources of noise are resampled: within a run, the samples (each run's median is
 * re-drawn from a resample of its own samples); between runs, a log-normal run effect with
 * the variance of the per-run medians (pooled over the sides that have ≥ 2 runs), scaled by
 * 1/runs per side. A single run against a single run has no between-run estimate and gets
 * the within-run interval only. A normalising pair (calibration) is resampled too, so its
 * noise widens the interval. Throws GateError INVALID_INPUT when a median is not positive.
 */
export function bootstrapRatioRuns(
  baselineRuns: readonly (readonly number[])[],
  currentRuns: readonly (readonly number[])[],
  options: BootstrapOptions = {},
  normalise?: NormalisingPair,
): RatioInterval {
  const resamples = options.resamples ?? 2000;
  const confidence = options.confidence ?? 0.95;
  const maxPerSide = options.maxPerSide ?? 1000;
  if (!Number.isInteger(resamples) || resamples < 10) throw new GateError('INVALID_INPUT', `resamples must be an integer ≥ 10, got ${resamples}`);
  if (!(confidence > 0 && confidence < 1)) throw new GateError('INVALID_INPUT', `confidence must be within (0, 1), got ${confidence}`);
  if (!Number.isInteger(maxPerSide) || maxPerSide < 3) throw new GateError('INVALID_INPUT', `maxPerSide must be an integer ≥ 3, got ${maxPerSide}`);

  const base = side(baselineRuns, 'baseline samples', maxPerSide);
  const cur = side(currentRuns, 'current samples', maxPerSide);
  const calBase = normalise ? side([normalise.baseline], 'baseline calibration samples', maxPerSide) : null;
  const calCur = normalise ? side([normalise.current], 'current calibration samples', maxPerSide) : null;
  const variance = betweenRunVariance([base, cur]);
  const sd = variance === null ? 0 : Math.sqrt(variance);

  const counts = new Uint32Array(Math.max(...[base, cur, calBase, calCur].flatMap((s) => (s ? s.thin.map((t) => t.length) : [0]))));
  const rng = mulberry32(options.seed ?? 0);
  const exponent = normalise?.exponent ?? 1;
  const factorOf = (b: number, c: number): number => (exponent === 1 ? c / b : b / c);

  const drawTheta = (s: Side, runEffect: boolean): number => {
    let sum = 0;
    for (const t of s.thin) sum += Math.log(resampleMedian(t, counts, rng));
    let log = sum / s.thin.length;
    if (runEffect && sd > 0) log += (sd / Math.sqrt(s.thin.length)) * gaussian(rng);
    return Math.exp(log);
  };

  const point = cur.theta / base.theta;
  const factor = calBase && calCur ? calCur.theta / calBase.theta : null;
  const ratio = calBase && calCur ? point / factorOf(calBase.theta, calCur.theta) : point;

  const draws = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let r = drawTheta(cur, true) / drawTheta(base, true);
    if (calBase && calCur) r /= factorOf(drawTheta(calBase, false), drawTheta(calCur, false));
    draws[b] = r;
  }
  draws.sort();
  const alpha = 1 - confidence;
  return {
    ratio,
    lower: Math.min(quantileSorted(draws, alpha / 2), ratio),
    upper: Math.max(quantileSorted(draws, 1 - alpha / 2), ratio),
    confidence,
    resamples,
    baselineMedian: base.theta,
    currentMedian: cur.theta,
    nBaseline: base.n,
    nCurrent: cur.n,
    runsBaseline: base.runs.length,
    runsCurrent: cur.runs.length,
    betweenRunSd: variance === null ? null : sd,
    factor,
  };
}

/** bootstrapRatioRuns with one run per side (within-run noise only). */
export function bootstrapRatio(
  baseline: readonly number[],
  current: readonly number[],
  options: BootstrapOptions = {},
  normalise?: NormalisingPair,
): RatioInterval {
  return bootstrapRatioRuns([baseline], [current], options, normalise);
}
