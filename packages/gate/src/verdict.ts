/** The decision rule: an interval of the ratio current/baseline against the thresholds. */
import type { Thresholds } from './config.js';

export const VERDICTS = ['regression', 'improvement', 'unchanged', 'inconclusive'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface Band {
  /** Below this ratio current/baseline: a change past the threshold (worse for higher-is-better). */
  readonly low: number;
  /** Above this ratio: a change past the threshold (worse for lower-is-better). */
  readonly high: number;
}

/**
 * The band of ratios current/baseline that count as no material change. Lower is better
 * (times): [1 − improve, 1 + regress]. Higher is better (throughput): [1 − regress, 1 + improve].
 * "10 % worse" thus means 1.10× the time, or 0.90× the throughput.
 */
export function band(better: 'lower' | 'higher', t: Thresholds): Band {
  return better === 'lower' ? { low: 1 - t.improve, high: 1 + t.regress } : { low: 1 - t.regress, high: 1 + t.improve };
}

const x = (v: number): string => `×${v.toFixed(3)}`;

export interface Decision {
  readonly verdict: Verdict;
  readonly reason: string;
}

/**
 * regression: the whole interval lies past the "worse" edge of the band; improvement: past
 * the "better" edge; unchanged: inside the band; inconclusive: it straddles an edge (the
 * data cannot tell on which side the truth is — too noisy, or a change right at a threshold).
 */
export function decide(lower: number, upper: number, better: 'lower' | 'higher', t: Thresholds): Decision {
  const b = band(better, t);
  const ci = `CI [${x(lower)}, ${x(upper)}]`;
  const worseEdge = better === 'lower' ? b.high : b.low;
  const betterEdge = better === 'lower' ? b.low : b.high;
  const pastWorse = better === 'lower' ? lower > b.high : upper < b.low;
  const pastBetter = better === 'lower' ? upper < b.low : lower > b.high;
  const pct = (v: number): string => `${Math.round(v * 1000) / 10} %`;
  if (pastWorse) return { verdict: 'regression', reason: `${ci} entirely past the regression threshold ${x(worseEdge)} (${pct(t.regress)} worse)` };
  if (pastBetter) return { verdict: 'improvement', reason: `${ci} entirely past the improvement threshold ${x(betterEdge)} (${pct(t.improve)} better)` };
  if (lower >= b.low && upper <= b.high) return { verdict: 'unchanged', reason: `${ci} within [${x(b.low)}, ${x(b.high)}]` };
  const straddles: string[] = [];
  if (lower < worseEdge && upper > worseEdge) straddles.push(`the regression threshold ${x(worseEdge)}`);
  if (lower < betterEdge && upper > betterEdge) straddles.push(`the improvement threshold ${x(betterEdge)}`);
  return { verdict: 'inconclusive', reason: `${ci} straddles ${straddles.join(' and ') || 'a threshold'}: too noisy to tell` };
}
