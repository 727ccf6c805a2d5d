/**
 * The gate: compare a run with a baseline, re-measure suspected regressions, check the SLO
 * targets, and decide pass or fail.
 */
import type { Metric, RunResult } from '@hlp/results';
import type { Baseline } from './baseline.js';
import { CALIBRATION_PREFIX } from './baseline.js';
import { GateError } from './errors.js';
import { compareMetrics, type Calibration, type CompareSettings, type MetricComparison, type UnmatchedMetric } from './compare.js';
import { resolveConfig, type GateConfig } from './config.js';
import { metricKey } from './pool.js';
import { fmtRatio, labelText, remeasureSuspects } from './remeasure.js';
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

/** Warnings about how the two sides were measured; INCOMPATIBLE when they measured different workloads. */
function checkComparable(current: RunResult, baseline: Baseline, warnings: string[]): void {
  for (const [what, cfg] of [
    ['this run', current.config],
    ['the baseline', baseline.config],
  ] as const)
    if (typeof cfg['slowdown'] === 'string')
      warnings.push(`${what} was measured with HLP_BENCH_SLOWDOWN=${cfg['slowdown']}: a slowdown made on purpose, for testing the gate`);
  if (baseline.suite !== current.suite) warnings.push(`baseline suite ${baseline.suite} differs from the run's suite ${current.suite}`);
  // Load runs at another rate or scenario differ by design, not by regression.
  const workloads = [current.config['workload'], baseline.config['workload']];
  if (workloads.every((w) => typeof w === 'string') && workloads[0] !== workloads[1])
    throw new GateError(
      'INCOMPATIBLE',
      `the run's workload (${String(workloads[0])}) is not the baseline's (${String(workloads[1])}): record a baseline of this workload`,
    );
}

/** How the two machines compare: the same class directly, another class through the calibration benchmark. */
interface MachineComparison {
  readonly calibration: Calibration | null;
  readonly normalisation: Normalisation | null;
  readonly crossWithout: boolean;
}

function compareMachines(input: GateInput, config: GateConfig, warnings: string[]): MachineComparison {
  const { current, baseline } = input;
  const runClass = current.machine.machineClass;
  if (baseline.machineClass === runClass) return { calibration: null, normalisation: null, crossWithout: false };
  const base = baseline.calibration;
  const cur = input.calibration ?? findCalibration(current.metrics, base?.name);
  if (!(base && cur && base.name === cur.name && base.unit === cur.unit && base.samples.length > 1 && cur.samples.length > 1)) {
    warnings.push(
      `the baseline was recorded on machine class ${baseline.machineClass}, this run is on ${runClass}, and ` +
        `${base ? 'no calibration benchmark was measured for this run' : 'the baseline holds no calibration benchmark'}: ` +
        'time and rate metrics are not compared (record a baseline for this class with `hlp baseline record`).',
    );
    return { calibration: null, normalisation: null, crossWithout: true };
  }
  const r = bootstrapRatio(base.samples, cur.samples, {
    resamples: config.resamples,
    confidence: config.confidence,
    maxPerSide: config.maxSamplesPerSide,
    seed: hashSeed(metricKey(cur), config.seed),
  });
  const normalisation: Normalisation = {
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
  return { calibration: { baseline: base, current: cur }, normalisation, crossWithout: false };
}

/** Why the gate fails (empty: it passes), and the warnings the verdicts call for. */
function failuresOf(
  final: readonly MetricComparison[],
  compared: number,
  targets: readonly TargetResult[],
  counts: GateCounts,
  strict: boolean | undefined,
  warnings: string[],
): string[] {
  const failures: string[] = [];
  for (const c of final)
    if (c.verdict === 'regression')
      failures.push(
        `regression: ${labelText(c)} ${fmtRatio(c)}${c.remeasure === 'confirmed' ? ' (confirmed by re-measurement)' : c.remeasure === 'skipped' ? ' (not re-measured)' : ''}`,
      );
  for (const t of targets) if (t.status === 'missed') failures.push(`missed target: ${t.title}: ${t.reason}`);
  if (strict) for (const c of final) if (c.verdict === 'inconclusive') failures.push(`inconclusive (strict): ${labelText(c)} ${fmtRatio(c)}`);
  if (counts.inconclusive > 0 && !strict)
    warnings.push(
      `${counts.inconclusive} metric${counts.inconclusive === 1 ? ' is' : 's are'} inconclusive: the data cannot tell whether they regressed — not a guarantee that they did not`,
    );
  if (counts.missing > 0) warnings.push(`${counts.missing} baseline metric${counts.missing === 1 ? ' is' : 's are'} missing from this run`);
  if (compared === 0) warnings.push('no metric of this run matches the baseline: nothing was compared');
  return failures;
}

/** Runs the gate. Never throws for a regression: the report's `outcome` says fail. */
export async function runGate(input: GateInput): Promise<GateReport> {
  const config = input.config ?? resolveConfig();
  const { current, baseline } = input;
  const warnings: string[] = [];
  const notes: string[] = [];
  const mode = input.mode ?? 'baseline';
  checkComparable(current, baseline, warnings);
  const runClass = current.machine.machineClass;
  const { calibration, normalisation, crossWithout } = compareMachines(input, config, warnings);

  const settings: CompareSettings = { config, calibration, crossMachineWithoutCalibration: crossWithout };
  const { comparisons, unmatched } = compareMetrics(baseline.metrics, current.metrics, settings);
  // Suspected regressions are measured again before they fail the gate.
  const { final, machineState } = await remeasureSuspects(comparisons, input, settings, warnings, notes);

  const targets = input.targets === false ? [] : evaluateTargets(current, input.targets ?? SLO_TARGETS);
  const counts = countVerdicts(final, unmatched, targets);
  const failures = failuresOf(final, comparisons.length, targets, counts, input.strict, warnings);

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
