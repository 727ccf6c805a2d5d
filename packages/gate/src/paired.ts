/**
 * The merge decision: a paired comparison of interleaved runs. Reference (A) and candidate (B)
 * run alternately in fresh processes on one machine (A B, B A, A B, …); each round gives one
 * pair, and the statistic is the log of B's per-run median over A's in the same round. Drift of
 * the machine between rounds (a neighbour starting, the clock) moves both members of a pair
 * alike and cancels in the ratio, which pooling the sides as independent samples cannot do.
 *
 * With dozens of pairs (in-process pairing, where a pair costs tens of milliseconds) the
 * interval is the exact Wilcoxon signed-rank interval of the Hodges–Lehmann estimate
 * (signed-rank.ts): a pair disturbed by a change of machine state moves it by about a rank.
 * With a handful (process pairing, where a pair costs two fresh processes) it is Student's t
 * over the paired log-ratios: the per-run medians of hundreds of samples are close to normal,
 * and below 12 pairs a rank interval is coarse (it needs 6 pairs to reach 95 % at all).
 */
import type { Thresholds } from './config.js';
import { signedRankInterval } from './signed-rank.js';
import { band, decide, type Decision } from './verdict.js';

/** From this many pairs on, the signed-rank interval decides (below it, Student's t). */
export const RANK_MIN_PAIRS = 12;

/** ln Γ(x), Lanczos approximation (g = 7, 9 terms): ample for t quantiles. */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the regularised incomplete beta function (modified Lentz). */
function betaFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-14) break;
  }
  return h;
}

/** I_x(a, b), the regularised incomplete beta function. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(a, b, x)) / a : 1 - (front * betaFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom. */
export function studentCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t (bisection on the CDF; p in (0, 1)). */
export function studentQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) throw new RangeError(`studentQuantile needs 0 < p < 1 and df > 0, got p=${p}, df=${df}`);
  if (p === 0.5) return 0;
  let lo = -1e4;
  let hi = 1e4;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, Math.abs(hi)); i++) {
    const mid = (lo + hi) / 2;
    if (studentCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** What a series' pairs say, beyond the verdict: the interval, its spread and the gate's power. */
export interface PairedStats {
  /** Pairs (rounds) behind the decision. */
  readonly pairs: number;
  /** Standard deviation of the paired log-ratios (≈ the relative spread of one pair). */
  readonly pairSd: number;
  /**
   * Minimum detectable effect: the smallest slowdown (lower-is-better: time ×(1 + mde);
   * higher-is-better: rate ×(1 − mde)) whose interval, at this spread and number of pairs,
   * would lie wholly past the regression threshold. null with fewer than 2 pairs.
   */
  readonly mde: number | null;
  /** For an inconclusive series: the pairs that would decide it at this spread; null: none would (it sits at a threshold) or not inconclusive. */
  readonly pairsNeeded: number | null;
  /** The interval: Student's t of the mean log-ratio, or the signed-rank interval of its Hodges–Lehmann estimate. */
  readonly method?: 't' | 'signed-rank';
}

export interface PairedDecision extends Decision {
  /** exp of the centre: the geometric mean of the per-pair ratios B/A (t), or their Hodges–Lehmann estimate (signed-rank). */
  readonly ratio: number | null;
  readonly ci: readonly [number, number] | null;
  readonly stats: PairedStats;
}

const MAX_PAIRS_QUOTED = 200;

function meanSd(xs: readonly number[]): { mean: number; sd: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (n - 1)) : Number.NaN;
  return { mean, sd };
}

/** The t half-width (in log space) with `n` pairs of spread `sd`. */
function halfWidth(sd: number, n: number, confidence: number): number {
  return studentQuantile((1 + confidence) / 2, n - 1) * (sd / Math.sqrt(n));
}

/**
 * Decides one series from its paired log-ratios ln(B/A): a `confidence` t-interval of the
 * mean, exponentiated, against the band of no material change (as `decide`).
 */
export function decidePaired(logRatios: readonly number[], better: 'lower' | 'higher', thresholds: Thresholds, confidence: number): PairedDecision {
  const n = logRatios.length;
  if (logRatios.some((x) => !Number.isFinite(x))) throw new RangeError('paired log-ratios must be finite');
  if (n < 2) {
    const ratio = n === 1 ? Math.exp(logRatios[0]!) : null;
    return {
      verdict: 'inconclusive',
      reason: `${n} pair${n === 1 ? '' : 's'}: no spread to build an interval from`,
      ratio,
      ci: null,
      stats: { pairs: n, pairSd: Number.NaN, mde: null, pairsNeeded: null },
    };
  }
  const { mean: tMean, sd } = meanSd(logRatios);
  const rank = n >= RANK_MIN_PAIRS ? signedRankInterval(logRatios, confidence) : null;
  const method = rank ? 'signed-rank' : 't';
  // centre and half-width in log space; a rank interval need not be symmetric, so its
  // half-width (for the power and the pairs needed) is half its length
  const mean = rank ? rank.estimate : tMean;
  const h = rank ? (rank.upper - rank.lower) / 2 : halfWidth(sd, n, confidence);
  const lo = Math.exp(rank ? rank.lower : mean - h);
  const hi = Math.exp(rank ? rank.upper : mean + h);
  // the half-width with k pairs at this spread: t's own formula, or the rank interval's scaled by √(n/k)
  const widthAt = (k: number): number => (rank ? h * Math.sqrt(n / k) : halfWidth(sd, k, confidence));
  const d = decide(lo, hi, better, thresholds);
  const mde = better === 'lower' ? (1 + thresholds.regress) * Math.exp(h) - 1 : 1 - (1 - thresholds.regress) * Math.exp(-h);
  let pairsNeeded: number | null = null;
  if (d.verdict === 'inconclusive') {
    // The interval straddles an edge: it decides once its half-width is below the distance of
    // the mean from that edge (at this spread; a real change right at a threshold never does).
    const b = band(better, thresholds);
    const edges = [Math.log(b.low), Math.log(b.high)].filter((e) => Math.log(lo) < e && Math.log(hi) > e);
    const distance = Math.min(...edges.map((e) => Math.abs(mean - e)));
    if (distance > 1e-4)
      for (let k = n + 1; k <= MAX_PAIRS_QUOTED; k++)
        if (widthAt(k) < distance) {
          pairsNeeded = k;
          break;
        }
  }
  return {
    ...d,
    reason: `${d.reason} (${n} pairs, pair σ ${(sd * 100).toFixed(1)} %${rank ? ', signed-rank interval' : ''})`,
    ratio: Math.exp(mean),
    ci: [lo, hi],
    stats: { pairs: n, pairSd: sd, mde, pairsNeeded, method },
  };
}

/** Which side runs first in round `round` (1-based): A B, B A, A B, … so that a linear drift lands on both sides alike. */
export function roundOrder(round: number): readonly ['baseline' | 'current', 'baseline' | 'current'] {
  return round % 2 === 1 ? ['baseline', 'current'] : ['current', 'baseline'];
}
