import { ResultsError } from './errors.js';
import type { Summary } from './schema.js';

/**
 * The q-quantile of ascending `sorted` with linear interpolation between order statistics
 * (Hyndman & Fan type 7, the default of R and NumPy): h = (n − 1)·q, x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new ResultsError('EMPTY_SAMPLES', 'quantile of an empty sample');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within [0, 1], got ${q}`);
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (h - lo) * (b - a);
}

/**
 * 1-based ranks [j, k] of the order statistics bounding a ~95 % confidence interval of the
 * median, from the normal approximation of the binomial(n, ½) count below the median:
 * j = ⌊n/2 − 1.96·√n/2⌋, k = ⌈1 + n/2 + 1.96·√n/2⌉, clamped to [1, n]. Rounding outwards keeps
 * it conservative (n = 100 gives ranks 40 and 61, the textbook interval).
 */
export function medianCiRanks(n: number): [number, number] {
  if (!Number.isInteger(n) || n < 1) throw new ResultsError('EMPTY_SAMPLES', `median CI needs n ≥ 1, got ${n}`);
  const half = (1.96 * Math.sqrt(n)) / 2;
  const j = Math.max(1, Math.floor(n / 2 - half));
  const k = Math.min(n, Math.ceil(1 + n / 2 + half));
  return [j, k];
}

/**
 * Order statistics of `samples` (any order; the input is not modified): min, max, mean,
 * interpolated p50/p90/p95/p99 (median = p50) and the 95 % CI of the median from order
 * statistics (see medianCiRanks). n = 1 gives every statistic equal to the one sample and a
 * zero-width CI; n = 0 or a non-finite sample throws ResultsError.
 */
export function summarize(samples: readonly number[]): Summary {
  const n = samples.length;
  if (n === 0) throw new ResultsError('EMPTY_SAMPLES', 'cannot summarize an empty sample');
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = samples[i]!;
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new ResultsError('INVALID_SAMPLES', `sample ${i} is not a finite number: ${String(x)}`);
    }
    sum += x;
  }
  const sorted = Float64Array.from(samples).sort();
  const median = quantileSorted(sorted, 0.5);
  const [j, k] = medianCiRanks(n);
  return {
    n,
    min: sorted[0]!,
    p50: median,
    p90: quantileSorted(sorted, 0.9),
    p95: quantileSorted(sorted, 0.95),
    p99: quantileSorted(sorted, 0.99),
    max: sorted[n - 1]!,
    mean: sum / n,
    median,
    ci95: [sorted[j - 1]!, sorted[k - 1]!],
  };
}
