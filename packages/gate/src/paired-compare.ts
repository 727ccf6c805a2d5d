/** Series by series over interleaved rounds: the paired log-ratios and their decision. */
import type { Metric } from '@hlp/results';
import { CALIBRATION_PREFIX } from './baseline.js';
import type { MetricComparison, UnmatchedMetric } from './compare.js';
import { isIgnored, thresholdsFor, type GateConfig } from './config.js';
import { decidePaired } from './paired.js';
import { metricKey } from './pool.js';
import { conversionFactor } from './units.js';

/** One round: the metrics of the reference run (A) and of the candidate run (B) it was paired with. */
export interface PairedRound {
  readonly baseline: readonly Metric[];
  readonly current: readonly Metric[];
}

interface SeriesPairs {
  readonly first: Metric;
  readonly logRatios: number[];
  readonly baseMedians: number[];
  readonly curMedians: number[];
  nBase: number;
  nCur: number;
  problem: string | null;
}

const geoMean = (xs: readonly number[]): number => Math.exp(xs.reduce((a, b) => a + Math.log(b), 0) / xs.length);

function collect(rounds: readonly PairedRound[], config: GateConfig): Map<string, SeriesPairs> {
  const series = new Map<string, SeriesPairs>();
  for (const round of rounds) {
    const base = new Map(round.baseline.map((m) => [metricKey(m), m]));
    for (const cur of round.current) {
      if (cur.name.startsWith(CALIBRATION_PREFIX) || isIgnored(config, cur.name)) continue;
      const key = metricKey(cur);
      const b = base.get(key);
      if (!b) continue;
      let s = series.get(key);
      if (!s) {
        s = { first: cur, logRatios: [], baseMedians: [], curMedians: [], nBase: 0, nCur: 0, problem: null };
        series.set(key, s);
      }
      const f = conversionFactor(b.unit, cur.unit);
      if (b.better !== cur.better || f === null) {
        s.problem = `units or direction differ between the sides (${b.unit}/${b.better} vs ${cur.unit}/${cur.better})`;
        continue;
      }
      const bm = b.summary.median * f;
      const cm = cur.summary.median;
      if (!(bm > 0 && cm > 0)) {
        s.problem ??= 'a per-run median is not positive: no ratio';
        continue;
      }
      s.logRatios.push(Math.log(cm / bm));
      s.baseMedians.push(bm);
      s.curMedians.push(cm);
      s.nBase += b.samples.length;
      s.nCur += cur.samples.length;
    }
  }
  return series;
}

/**
 * Every series measured on both sides of at least one round, decided from its paired
 * log-ratios (`decidePaired`). Series measured on one side only are `new` or `missing`.
 */
export function comparePairedRounds(rounds: readonly PairedRound[], config: GateConfig): { comparisons: MetricComparison[]; unmatched: UnmatchedMetric[] } {
  const series = collect(rounds, config);
  const comparisons: MetricComparison[] = [];
  const unmatched: UnmatchedMetric[] = [];
  for (const [key, s] of series) {
    const m = s.first;
    if (s.logRatios.length === 0) {
      unmatched.push({ key, name: m.name, labels: m.labels, status: 'incomparable', reason: s.problem ?? 'no pair' });
      continue;
    }
    const thresholds = thresholdsFor(config, m.name, m.labels);
    const d = decidePaired(s.logRatios, m.better, thresholds, config.confidence);
    comparisons.push({
      key,
      name: m.name,
      labels: m.labels,
      unit: m.unit,
      better: m.better,
      thresholds,
      normalised: false,
      verdict: d.verdict,
      reason: d.reason,
      ratio: d.ratio,
      ci: d.ci,
      baselineMedian: geoMean(s.baseMedians),
      currentMedian: geoMean(s.curMedians),
      nBaseline: s.nBase,
      nCurrent: s.nCur,
      runsBaseline: s.logRatios.length,
      runsCurrent: s.logRatios.length,
      betweenRunSd: Number.isFinite(d.stats.pairSd) ? d.stats.pairSd : null,
      first: null,
      remeasure: null,
      remeasureNote: null,
      paired: d.stats,
    });
  }
  const seen = new Set(series.keys());
  const sideKeys = (side: 'baseline' | 'current'): Map<string, Metric> => {
    const out = new Map<string, Metric>();
    for (const r of rounds) for (const m of r[side]) if (!m.name.startsWith(CALIBRATION_PREFIX) && !isIgnored(config, m.name)) out.set(metricKey(m), m);
    return out;
  };
  for (const [key, m] of sideKeys('baseline'))
    if (!seen.has(key)) unmatched.push({ key, name: m.name, labels: m.labels, status: 'missing', reason: 'measured by the reference only' });
  for (const [key, m] of sideKeys('current'))
    if (!seen.has(key)) unmatched.push({ key, name: m.name, labels: m.labels, status: 'new', reason: 'measured by the candidate only' });
  return { comparisons, unmatched };
}
