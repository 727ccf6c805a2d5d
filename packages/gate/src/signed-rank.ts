/**
 * The Wilcoxon signed-rank confidence interval of a location (the Hodges–Lehmann estimator
 * and its exact distribution-free interval over the Walsh averages). The gate uses it when a
 * series has dozens of pairs: one pair disturbed by a change of machine state moves a mean
 * and inflates a standard deviation, but moves this interval by about one rank.
 */

/**
 * P(T ≤ t) for t = 0 … n(n+1)/2, T the signed-rank statistic of n pairs under the null
 * (each rank's sign a fair coin): the counts of subsets of {1 … n} by sum, over 2^n.
 */
export function signedRankCdf(n: number): Float64Array {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`signedRankCdf needs n ≥ 1, got ${n}`);
  const max = (n * (n + 1)) / 2;
  let p = new Float64Array(max + 1);
  p[0] = 1;
  for (let k = 1; k <= n; k++) {
    const next = new Float64Array(max + 1);
    const top = (k * (k + 1)) / 2;
    for (let s = 0; s <= top; s++) next[s] = 0.5 * (p[s]! + (s >= k ? p[s - k]! : 0));
    p = next;
  }
  for (let s = 1; s <= max; s++) p[s] = p[s]! + p[s - 1]!;
  return p;
}

/**
 * The rank k of the interval [W₍k₎, W₍M+1−k₎] over the M = n(n+1)/2 sorted Walsh averages
 * at `confidence` (two-sided): the largest k with P(T ≤ k − 1) ≤ (1 − confidence)/2.
 * null when n is too small for any interval at that confidence (n < 6 at 95 %).
 */
export function signedRankRank(n: number, confidence: number): number | null {
  const alpha = (1 - confidence) / 2;
  const cdf = signedRankCdf(n);
  let k: number | null = null;
  for (let t = 0; t < cdf.length && cdf[t]! <= alpha + 1e-12; t++) k = t + 1;
  return k;
}

export interface LocationInterval {
  /** The Hodges–Lehmann estimate: the median of the Walsh averages. */
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
}

/** The Hodges–Lehmann estimate of `xs` and its exact signed-rank interval; null when n is too small. */
export function signedRankInterval(xs: readonly number[], confidence: number): LocationInterval | null {
  const n = xs.length;
  if (n < 2) return null;
  const k = signedRankRank(n, confidence);
  if (k === null) return null;
  const walsh = new Float64Array((n * (n + 1)) / 2);
  let w = 0;
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) walsh[w++] = (xs[i]! + xs[j]!) / 2;
  walsh.sort();
  const m = walsh.length;
  const estimate = m % 2 === 1 ? walsh[(m - 1) / 2]! : (walsh[m / 2 - 1]! + walsh[m / 2]!) / 2;
  return { estimate, lower: walsh[k - 1]!, upper: walsh[m - k]! };
}
