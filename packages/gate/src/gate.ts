/**
 * The gate: compare a run with a baseline, re-measure suspected regressions, check the SLO
 * targets, and decide pass or fail.
 */
import type { Metric, RunResult } from '@hlp/results';
import type { Baseline } from './baseline.js';
import { CALIBRATION_PREFIX } from './baseline.js';
import { GateError } from './errors.js';
import { compareMetrics, measureOne, type Calibration, type CompareSettings, type MetricComparison, type UnmatchedMetric } from './compare.js';
import { resolveConfig, type GateConfig } from './config.js';
import { metricKey } from './pool.js';
import { hashSeed } from './prng.js';
import { bootstrapRatio } from './stats.js';
import { SLO_TARGETS, evaluateTargets, type SloTarget, type TargetResult } from './targets.js';
import type { Verdict } from './verdict.js';

export const REPORT_SCHEMA = 'hlp.gate/1' as const;

/** What a re-measurement hands back: fresh current samples (and, same-job, fresh baseline ones). */
export interface RemeasureResult {
  readonly current: readonly Metric[];
  /** Same-job mode re-measures both sides; absent: compare against the stored baseline again. */
  readonly baseline?: readonly Metric[];
  /**
   * The calibration benchmark measured alongside the re-measurement: compared with the
   * baseline's (same machine class), it tells whether the machine itself is slower now.
   */
  readonly calibration?: Metric | null;
}

/** Re-runs the benchmark cases of the suspected metrics (the current run's metrics are passed). */
export type Remeasure = (suspects: readonly Metric[]) => Promise<RemeasureResult>;

export interface GateInput {
  readonly current: RunResult;
  readonly baseline: Baseline;
  readonly config?: GateConfig;
  /** `baseline`: a stored baseline file; `same-job`: a git ref built and run interleaved in this job. */
  readonly mode?: 'baseline' | 'same-job';
  /** The git ref of the same-job comparison. */
  readonly against?: string | null;
  /** The calibration benchmark measured in this job, for a baseline of another machine class. */
  readonly calibration?: Metric | null;
  /** Re-measures suspected regressions, or says why it cannot (the regression then stands). */
  readonly remeasure?: Remeasure | { readonly unavailable: string };
  /** SLO targets to check (default: the five of DESIGN §2); false: none. */
  readonly targets?: readonly SloTarget[] | false;
  /** Inconclusive verdicts fail the gate too. */
  readonly strict?: boolean;
  readonly runPath?: string | null;
  readonly baselinePath?: string | null;
  readonly now?: Date;
}

export interface Normalisation {
  /** Calibration median, current machine / baseline machine (> 1: this machine is slower). */
  readonly factor: number;
  readonly ci: readonly [number, number];
  readonly metric: string;
  readonly baselineMedian: number;
  readonly currentMedian: number;
  readonly unit: string;
}

/** The machine now vs when the baseline was recorded, from the calibration benchmark (same class). */
export interface MachineState {
  /** Calibration median now / at baseline time (> 1: the machine is slower now, e.g. busy). */
  readonly factor: number;
  readonly ci: readonly [number, number];
  /** The whole interval is past 1 + the default regression threshold: confirmations are void. */
  readonly busy: boolean;
}

export interface GateCounts {
  readonly regression: number;
  readonly improvement: number;
  readonly unchanged: number;
  readonly inconclusive: number;
  readonly missing: number;
  readonly new: number;
  readonly incomparable: number;
  readonly targetsMet: number;
  readonly targetsMissed: number;
  readonly targetsNotApplicable: number;
}

export interface GateReport {
  readonly schema: typeof REPORT_SCHEMA;
  readonly createdAt: string;
  readonly outcome: 'pass' | 'fail';
  readonly mode: 'baseline' | 'same-job';
  readonly against: string | null;
  readonly strict: boolean;
  readonly suite: string;
  readonly run: {
    readonly path: string | null;
    readonly startedAt: string;
    readonly commit: string | null;
    readonly branch: string | null;
    readonly dirty: boolean | null;
    readonly machineClass: string;
  };
  readonly baseline: {
    readonly path: string | null;
    readonly recordedAt: string;
    readonly commit: string | null;
    readonly machineClass: string;
    readonly runs: number;
  };
  readonly normalisation: Normalisation | null;
  readonly machineState: MachineState | null;
  readonly warnings: readonly string[];
  readonly notes: readonly string[];
  readonly comparisons: readonly MetricComparison[];
  readonly unmatched: readonly UnmatchedMetric[];
  readonly targets: readonly TargetResult[];
  readonly counts: GateCounts;
  /** One line per reason the gate failed (empty on pass). */
  readonly failures: readonly string[];
  readonly settings: {
    readonly resamples: number;
    readonly confidence: number;
    readonly maxSamplesPerSide: number;
    readonly minSamples: number;
    readonly seed: number;
  };
}

function findCalibration(metrics: readonly Metric[], name?: string): Metric | null {
  return metrics.find((m) => m.name.startsWith(CALIBRATION_PREFIX) && (name === undefined || m.name === name)) ?? null;
}

function labelText(m: { name: string; labels: Record<string, unknown> }): string {
  const l = Object.entries(m.labels)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return l ? `${m.name} ${l}` : m.name;
}

const fmtRatio = (c: { ratio: number | null; ci: readonly [number, number] | null }): string =>
  `×${c.ratio?.toFixed(3) ?? '?'}${c.ci ? ` [${c.ci[0].toFixed(3)}, ${c.ci[1].toFixed(3)}]` : ''}`;

/** Runs the gate. Never throws for a regression: the report's `outcome` says fail. */
export async function runGate(input: GateInput): Promise<GateReport> {
  const config = input.config ?? resolveConfig();
  const { current, baseline } = input;
  const warnings: string[] = [];
  const notes: string[] = [];
  const mode = input.mode ?? 'baseline';

  for (const [what, cfg] of [['this run', current.config], ['the baseline', baseline.config]] as const)
    if (typeof cfg['slowdown'] === 'string')
      warnings.push(`${what} was measured with HLP_BENCH_SLOWDOWN=${cfg['slowdown']}: a slowdown made on purpose, for testing the gate`);
  if (baseline.suite !== current.suite) warnings.push(`baseline suite ${baseline.suite} differs from the run's suite ${current.suite}`);
  // Load runs at another rate or scenario differ by design, not by regression.
  const workloads = [current.config['workload'], baseline.config['workload']];
  if (workloads.every((w) => typeof w === 'string') && workloads[0] !== workloads[1])
    throw new GateError('INCOMPATIBLE', `the run's workload (${String(workloads[0])}) is not the baseline's (${String(workloads[1])}): record a baseline of this workload`);

  // Machine classes: same class compares directly; another class needs the calibration benchmark.
  let calibration: Calibration | null = null;
  let normalisation: Normalisation | null = null;
  let crossWithout = false;
  let machineState: MachineState | null = null;
  const runClass = current.machine.machineClass;
  if (baseline.machineClass !== runClass) {
    const base = baseline.calibration;
    const cur = input.calibration ?? findCalibration(current.metrics, base?.name);
    if (base && cur && base.name === cur.name && base.unit === cur.unit && base.samples.length > 1 && cur.samples.length > 1) {
      calibration = { baseline: base, current: cur };
      const r = bootstrapRatio(base.samples, cur.samples, {
        resamples: config.resamples,
        confidence: config.confidence,
        maxPerSide: config.maxSamplesPerSide,
        seed: hashSeed(metricKey(cur), config.seed),
      });
      normalisation = {
        factor: r.ratio,
        ci: [r.lower, r.upper],
        metric: cur.name,
        baselineMedian: r.baselineMedian,
        currentMedian: r.currentMedian,
        unit: cur.unit,
      };
      warnings.push(
        `the baseline was recorded on machine class ${baseline.machineClass}, this run is on ${runClass}: time and rate metrics are normalised ` +
          `by the calibration benchmark ${cur.name} measured in this job (this machine takes ×${r.ratio.toFixed(3)} the baseline machine's time). ` +
          'A calibrated comparison across machines is weaker than a same-machine baseline; record one for this class with `hlp baseline record`.',
      );
      if (baseline.machine.node !== current.machine.node)
        warnings.push(`Node differs (baseline ${baseline.machine.node}, run ${current.machine.node}): the JavaScript calibration benchmark also measures the JIT`);
    } else {
      crossWithout = true;
      warnings.push(
        `the baseline was recorded on machine class ${baseline.machineClass}, this run is on ${runClass}, and ` +
          `${base ? 'no calibration benchmark was measured for this run' : 'the baseline holds no calibration benchmark'}: ` +
          'time and rate metrics are not compared (record a baseline for this class with `hlp baseline record`).',
      );
    }
  }

  const settings: CompareSettings = { config, calibration, crossMachineWithoutCalibration: crossWithout };
  const { comparisons, unmatched } = compareMetrics(baseline.metrics, current.metrics, settings);

  // Suspected regressions are measured again before they fail the gate.
  const suspects = comparisons.filter((c) => c.verdict === 'regression');
  const final: MetricComparison[] = [...comparisons];
  if (suspects.length > 0) {
    const remeasure = input.remeasure;
    if (typeof remeasure === 'function') {
      const currentByKey = new Map(current.metrics.map((m) => [metricKey(m), m]));
      const suspectMetrics = suspects.map((s) => currentByKey.get(s.key)!).filter((m) => m !== undefined);
      notes.push(`re-measuring ${suspects.length} suspected regression${suspects.length === 1 ? '' : 's'}: ${suspects.map(labelText).join('; ')}`);
      const fresh = await remeasure(suspectMetrics);
      const freshCur = new Map(fresh.current.map((m) => [metricKey(m), m]));
      const freshBase = fresh.baseline ? new Map(fresh.baseline.map((m) => [metricKey(m), m])) : null;
      const storedBase = new Map(baseline.metrics.map((m) => [metricKey(m), m]));
      const cal = fresh.calibration;
      if (cal && baseline.calibration && !freshBase && baseline.machineClass === runClass && cal.name === baseline.calibration.name && cal.samples.length > 1) {
        const r = bootstrapRatio(baseline.calibration.samples, cal.samples, {
          resamples: config.resamples,
          confidence: config.confidence,
          maxPerSide: config.maxSamplesPerSide,
          seed: hashSeed(metricKey(cal), config.seed),
        });
        machineState = { factor: r.ratio, ci: [r.lower, r.upper], busy: r.lower > 1 + config.defaultThresholds.regress };
        const text = `the calibration benchmark measured with the re-measurement takes ×${r.ratio.toFixed(3)} [${r.lower.toFixed(3)}, ${r.upper.toFixed(3)}] its time when the baseline was recorded`;
        if (machineState.busy)
          warnings.push(`${text}: this machine is much slower now than then (busy or throttled), so regressions cannot be confirmed here — re-run on a quiet machine, or compare in the same job with --against`);
        else notes.push(`${text}: the machine is in a comparable state`);
      }
      for (const s of suspects) {
        const i = final.indexOf(s);
        const cur = freshCur.get(s.key);
        const base = freshBase ? freshBase.get(s.key) : storedBase.get(s.key);
        const first = firstOf(s);
        if (!cur || !base) {
          final[i] = { ...s, first, remeasure: 'skipped', remeasureNote: 'the re-measurement returned no data for this series; the first measurement stands' };
          continue;
        }
        const again = measureOne(base, cur, s.thresholds, settings);
        if ('incomparable' in again) {
          final[i] = { ...s, first, remeasure: 'skipped', remeasureNote: `re-measurement not comparable (${again.incomparable}); the first measurement stands` };
          continue;
        }
        const m = again.measurement;
        // A busy machine explains a slowdown up to its own factor; one well past it (lower end
        // of the ratio's interval beyond the machine's upper end times the threshold) still is
        // a regression of the code. Only for lower-is-better series, which the machine slows.
        const pastMachine =
          machineState?.busy === true && m.ci !== null && s.better === 'lower' && m.ci[0] > machineState.ci[1] * (1 + s.thresholds.regress);
        if (m.verdict === 'regression' && machineState?.busy && pastMachine) {
          final[i] = {
            ...s,
            ...m,
            first,
            remeasure: 'confirmed',
            remeasureNote: `confirmed by re-measurement: ${fmtRatio(m)}, beyond the busy machine's own ×${machineState.factor.toFixed(2)} [${machineState.ci[0].toFixed(3)}, ${machineState.ci[1].toFixed(3)}] (calibration)`,
          };
        } else if (m.verdict === 'regression' && machineState?.busy) {
          final[i] = {
            ...s,
            ...m,
            verdict: 'inconclusive' as Verdict,
            reason: `the re-measurement ${fmtRatio(m)} also says regression, but the machine is ×${machineState.factor.toFixed(2)} slower than when the baseline was recorded (calibration): not a confirmation`,
            first,
            remeasure: 'machine-busy',
            remeasureNote: 'the machine is busy: the calibration benchmark is past the regression threshold too',
          };
        } else if (m.verdict === 'regression') {
          final[i] = { ...s, ...m, first, remeasure: 'confirmed', remeasureNote: `confirmed by re-measurement: ${fmtRatio(m)}` };
        } else {
          final[i] = {
            ...s,
            ...m,
            verdict: 'inconclusive' as Verdict,
            reason: `first measurement ${fmtRatio(s)} said regression; the re-measurement ${fmtRatio(m)} says ${m.verdict}: not confirmed`,
            first,
            remeasure: 'not-confirmed',
            remeasureNote: `re-measurement: ${m.verdict} (${m.reason})`,
          };
        }
      }
    } else {
      const why = remeasure?.unavailable ?? 'no re-measurement hook';
      for (const s of suspects) {
        const i = final.indexOf(s);
        final[i] = { ...s, remeasure: 'skipped', remeasureNote: `not re-measured: ${why}` };
      }
      notes.push(`suspected regressions were not re-measured: ${why}`);
    }
  }

  const targets = input.targets === false ? [] : evaluateTargets(current, input.targets ?? SLO_TARGETS);

  const counts = countVerdicts(final, unmatched, targets);
  const failures: string[] = [];
  for (const c of final)
    if (c.verdict === 'regression')
      failures.push(`regression: ${labelText(c)} ${fmtRatio(c)}${c.remeasure === 'confirmed' ? ' (confirmed by re-measurement)' : c.remeasure === 'skipped' ? ' (not re-measured)' : ''}`);
  for (const t of targets) if (t.status === 'missed') failures.push(`missed target: ${t.title}: ${t.reason}`);
  if (input.strict) for (const c of final) if (c.verdict === 'inconclusive') failures.push(`inconclusive (strict): ${labelText(c)} ${fmtRatio(c)}`);
  if (counts.inconclusive > 0 && !input.strict)
    warnings.push(`${counts.inconclusive} metric${counts.inconclusive === 1 ? ' is' : 's are'} inconclusive: the data cannot tell whether they regressed — not a guarantee that they did not`);
  if (counts.missing > 0) warnings.push(`${counts.missing} baseline metric${counts.missing === 1 ? ' is' : 's are'} missing from this run`);
  if (comparisons.length === 0) warnings.push('no metric of this run matches the baseline: nothing was compared');

  return {
    schema: REPORT_SCHEMA,
    createdAt: (input.now ?? new Date()).toISOString(),
    outcome: failures.length > 0 ? 'fail' : 'pass',
    mode,
    against: input.against ?? null,
    strict: input.strict ?? false,
    suite: current.suite,
    run: {
      path: input.runPath ?? null,
      startedAt: current.startedAt,
      commit: current.git.commit,
      branch: current.git.branch,
      dirty: current.git.dirty,
      machineClass: runClass,
    },
    baseline: {
      path: input.baselinePath ?? null,
      recordedAt: baseline.recordedAt,
      commit: baseline.git.commit,
      machineClass: baseline.machineClass,
      runs: baseline.sources.length,
    },
    normalisation,
    machineState,
    warnings,
    notes,
    comparisons: final,
    unmatched,
    targets,
    counts,
    failures,
    settings: {
      resamples: config.resamples,
      confidence: config.confidence,
      maxSamplesPerSide: config.maxSamplesPerSide,
      minSamples: config.minSamples,
      seed: config.seed,
    },
  };
}

/** The headline counts of a report: verdicts, unmatched series, targets. */
export function countVerdicts(comparisons: readonly MetricComparison[], unmatched: readonly UnmatchedMetric[], targets: readonly TargetResult[]): GateCounts {
  const count = (v: Verdict): number => comparisons.filter((c) => c.verdict === v).length;
  const countU = (s: UnmatchedMetric['status']): number => unmatched.filter((u) => u.status === s).length;
  const countT = (s: TargetResult['status']): number => targets.filter((t) => t.status === s).length;
  return {
    regression: count('regression'),
    improvement: count('improvement'),
    unchanged: count('unchanged'),
    inconclusive: count('inconclusive'),
    missing: countU('missing'),
    new: countU('new'),
    incomparable: countU('incomparable'),
    targetsMet: countT('met'),
    targetsMissed: countT('missed'),
    targetsNotApplicable: countT('not-applicable'),
  };
}

function firstOf(c: MetricComparison): MetricComparison['first'] {
  const { verdict, reason, ratio, ci, baselineMedian, currentMedian, nBaseline, nCurrent, runsBaseline, runsCurrent, betweenRunSd } = c;
  return { verdict, reason, ratio, ci, baselineMedian, currentMedian, nBaseline, nCurrent, runsBaseline, runsCurrent, betweenRunSd };
}
