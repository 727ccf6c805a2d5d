/** Comparing a run with a baseline, series by series (name + labels). */
import type { Labels, Metric } from '@hlp/results';
import { isIgnored, thresholdsFor, type GateConfig, type Thresholds } from './config.js';
import { GateError } from './errors.js';
import { CALIBRATION_PREFIX } from './baseline.js';
import { metricKey, runsOf } from './pool.js';
import { hashSeed } from './prng.js';
import { bootstrapRatioRuns, type NormalisingPair } from './stats.js';
import { conversionFactor, speedKind } from './units.js';
import { decide, type Verdict } from './verdict.js';
import type { PairedStats } from './paired.js';

/** One measurement's comparison: the ratio, its interval and what they say. */
export interface Measurement {
  readonly verdict: Verdict;
  readonly reason: string;
  /** median(current) / median(baseline), normalised when `normalised`. null without positive medians. */
  readonly ratio: number | null;
  /** Bootstrap interval of the ratio; null when there were too few samples for one. */
  readonly ci: readonly [number, number] | null;
  readonly baselineMedian: number;
  readonly currentMedian: number;
  readonly nBaseline: number;
  readonly nCurrent: number;
  /** Runs (processes) behind each side. */
  readonly runsBaseline: number;
  readonly runsCurrent: number;
  /** Run-to-run noise folded into the interval (SD of log per-run medians); null: not estimable. */
  readonly betweenRunSd: number | null;
}

export type RemeasureOutcome =
  /** The re-measurement also said regression: the gate fails. */
  | 'confirmed'
  /** It did not: the first measurement is reported, the verdict becomes inconclusive. */
  | 'not-confirmed'
  /** No re-measurement (disabled, or none possible here); the regression stands. */
  | 'skipped'
  /**
   * The re-measurement said regression too, but the calibration benchmark measured with it
   * shows the machine itself much slower than when the baseline was recorded (a busy shared
   * machine): not a confirmation; the verdict becomes inconclusive.
   */
  | 'machine-busy';

export interface MetricComparison extends Measurement {
  readonly key: string;
  readonly name: string;
  readonly labels: Labels;
  /** The current run's unit (baseline values converted into it when they differ). */
  readonly unit: string;
  readonly better: 'lower' | 'higher';
  readonly thresholds: Thresholds;
  /** Divided (times) or multiplied (rates) by the calibration ratio of the two machines. */
  readonly normalised: boolean;
  /** The first measurement, when the verdict above comes from a re-measurement. */
  readonly first: Measurement | null;
  readonly remeasure: RemeasureOutcome | null;
  readonly remeasureNote: string | null;
  /** Paired same-job comparisons: pairs, their spread and the gate's power for this series. */
  readonly paired?: PairedStats;
}

export type UnmatchedStatus =
  /** In the baseline, absent from the run. */
  | 'missing'
  /** In the run, absent from the baseline. */
  | 'new'
  /** In both, but not comparable (units, direction, no positive median, no calibration). */
  | 'incomparable';

export interface UnmatchedMetric {
  readonly key: string;
  readonly name: string;
  readonly labels: Labels;
  readonly status: UnmatchedStatus;
  readonly reason: string;
}

export interface Calibration {
  /** The calibration benchmark of the baseline's machine and of the current one. */
  readonly baseline: Metric;
  readonly current: Metric;
}

export interface CompareSettings {
  readonly config: GateConfig;
  /** Present when the machines differ: time and rate metrics are normalised by it. */
  readonly calibration?: Calibration | null;
  /** Machines differ and there is no calibration: speed metrics cannot be compared. */
  readonly crossMachineWithoutCalibration?: boolean;
}

/** Compares one series; returns a Measurement or the reason it is incomparable. */
export function measureOne(
  base: Metric,
  cur: Metric,
  thresholds: Thresholds,
  settings: CompareSettings,
): { measurement: Measurement; normalised: boolean } | { incomparable: string } {
  const { config } = settings;
  if (base.better !== cur.better) return { incomparable: `direction changed (baseline ${base.better} is better, run ${cur.better})` };
  const f = conversionFactor(base.unit, cur.unit);
  if (f === null) return { incomparable: `units differ and do not convert (baseline ${base.unit}, run ${cur.unit})` };
  const speed = speedKind(cur.unit);
  if (speed && settings.crossMachineWithoutCalibration)
    return { incomparable: 'baseline from another machine class and no calibration benchmark to normalise by' };
  const baseMedian = base.summary.median * f;
  const common = {
    baselineMedian: baseMedian,
    currentMedian: cur.summary.median,
    nBaseline: base.samples.length,
    nCurrent: cur.samples.length,
    runsBaseline: runsOf(base).length,
    runsCurrent: runsOf(cur).length,
    betweenRunSd: null,
  };
  const normalise: NormalisingPair | undefined =
    speed && settings.calibration
      ? { baseline: settings.calibration.baseline.samples, current: settings.calibration.current.samples, exponent: speed === 'time' ? 1 : -1 }
      : undefined;

  if (base.samples.length < config.minSamples || cur.samples.length < config.minSamples) {
    const ratio = baseMedian > 0 && cur.summary.median > 0 ? cur.summary.median / baseMedian : null;
    return {
      measurement: {
        ...common,
        verdict: 'inconclusive',
        reason: `only ${Math.min(base.samples.length, cur.samples.length)} raw samples on one side (need ${config.minSamples}): no noise model, cannot tell`,
        ratio,
        ci: null,
      },
      normalised: false,
    };
  }
  try {
    const baseRuns = runsOf(base).map((run) => (f === 1 ? run : run.map((v) => v * f)));
    const r = bootstrapRatioRuns(
      baseRuns,
      runsOf(cur),
      { resamples: config.resamples, confidence: config.confidence, maxPerSide: config.maxSamplesPerSide, seed: hashSeed(metricKey(cur), config.seed) },
      normalise,
    );
    const d = decide(r.lower, r.upper, cur.better, thresholds);
    return {
      measurement: {
        verdict: d.verdict,
        reason: d.reason,
        ratio: r.ratio,
        ci: [r.lower, r.upper],
        baselineMedian: r.baselineMedian,
        currentMedian: r.currentMedian,
        nBaseline: r.nBaseline,
        nCurrent: r.nCurrent,
        runsBaseline: r.runsBaseline,
        runsCurrent: r.runsCurrent,
        betweenRunSd: r.betweenRunSd,
      },
      normalised: normalise !== undefined,
    };
  } catch (error) {
    if (error instanceof GateError && error.code === 'INVALID_INPUT') return { incomparable: error.message };
    throw error;
  }
}

export interface Comparison {
  readonly comparisons: MetricComparison[];
  readonly unmatched: UnmatchedMetric[];
}

function gated(m: Metric, config: GateConfig): boolean {
  return !m.name.startsWith(CALIBRATION_PREFIX) && !isIgnored(config, m.name);
}

/** Every series of `baseline` and `current` matched by name + labels and compared. */
export function compareMetrics(baseline: readonly Metric[], current: readonly Metric[], settings: CompareSettings): Comparison {
  const { config } = settings;
  const baseByKey = new Map<string, Metric>();
  for (const m of baseline) if (gated(m, config)) baseByKey.set(metricKey(m), m);
  const seen = new Set<string>();
  const comparisons: MetricComparison[] = [];
  const unmatched: UnmatchedMetric[] = [];
  for (const cur of current) {
    if (!gated(cur, config)) continue;
    const key = metricKey(cur);
    if (seen.has(key)) continue; // duplicates: the first one counts
    seen.add(key);
    const base = baseByKey.get(key);
    if (!base) {
      unmatched.push({ key, name: cur.name, labels: cur.labels, status: 'new', reason: 'not in the baseline (record a new baseline to gate it)' });
      continue;
    }
    const thresholds = thresholdsFor(config, cur.name, cur.labels);
    const outcome = measureOne(base, cur, thresholds, settings);
    if ('incomparable' in outcome) {
      unmatched.push({ key, name: cur.name, labels: cur.labels, status: 'incomparable', reason: outcome.incomparable });
      continue;
    }
    comparisons.push({
      ...outcome.measurement,
      key,
      name: cur.name,
      labels: cur.labels,
      unit: cur.unit,
      better: cur.better,
      thresholds,
      normalised: outcome.normalised,
      first: null,
      remeasure: null,
      remeasureNote: null,
    });
  }
  for (const [key, base] of baseByKey)
    if (!seen.has(key)) unmatched.push({ key, name: base.name, labels: base.labels, status: 'missing', reason: 'in the baseline but not in this run' });
  return { comparisons, unmatched };
}
