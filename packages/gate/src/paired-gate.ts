/** The gate's report for a paired same-job comparison (`hlp gate --against`). */
import type { RunResult } from '@hlp/results';
import type { MetricComparison } from './compare.js';
import { resolveConfig, type GateConfig } from './config.js';
import { REPORT_SCHEMA, countVerdicts, type GateReport } from './gate.js';
import { comparePairedRounds, type PairedRound } from './paired-compare.js';
import { SLO_TARGETS, evaluateTargets, type SloTarget } from './targets.js';

export interface PairedGateInput {
  readonly rounds: readonly PairedRound[];
  /** A candidate run of the suite (identity: commit, machine, config); targets are checked on it. */
  readonly current: RunResult;
  readonly config?: GateConfig;
  /** The reference's name as given (a ref, or how it was chosen) and its commit. */
  readonly against: string;
  readonly referenceCommit: string;
  readonly strict?: boolean;
  readonly targets?: readonly SloTarget[] | false;
  /** Lines about the run itself (budget, stopping), carried into the report's notes. */
  readonly notes?: readonly string[];
  readonly now?: Date;
}

const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;

function describe(c: MetricComparison): string {
  const l = Object.entries(c.labels)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return l ? `${c.name} ${l}` : c.name;
}

/** Why a series is still undecided and what would decide it. */
export function undecidedNote(c: MetricComparison): string {
  const p = c.paired;
  if (!p) return c.reason;
  if (p.pairs < 2) return `${describe(c)}: ${p.pairs} pair, no interval yet`;
  const spread = `pair σ ${pct(p.pairSd)} over ${p.pairs} pairs`;
  return p.pairsNeeded === null
    ? `${describe(c)}: ${spread}; the ratio ×${c.ratio?.toFixed(3)} sits at a threshold, no budget decides it`
    : `${describe(c)}: ${spread}; about ${p.pairsNeeded} pairs would decide it`;
}

/** Builds the report of one suite's paired comparison (never throws for a regression). */
export function pairedGateReport(input: PairedGateInput): GateReport {
  const config = input.config ?? resolveConfig();
  const { comparisons, unmatched } = comparePairedRounds(input.rounds, config);
  const current = input.current;
  const targets = input.targets === false ? [] : evaluateTargets(current, input.targets ?? SLO_TARGETS);
  const counts = countVerdicts(comparisons, unmatched, targets);
  const ratio = (c: MetricComparison): string => `×${c.ratio?.toFixed(3) ?? '?'}${c.ci ? ` [${c.ci[0].toFixed(3)}, ${c.ci[1].toFixed(3)}]` : ''}`;
  const failures: string[] = [];
  for (const c of comparisons)
    if (c.verdict === 'regression') failures.push(`regression: ${describe(c)} ${ratio(c)} over ${c.paired?.pairs ?? '?'} interleaved pairs`);
  for (const t of targets) if (t.status === 'missed') failures.push(`missed target: ${t.title}: ${t.reason}`);
  if (input.strict) for (const c of comparisons) if (c.verdict === 'inconclusive') failures.push(`inconclusive (strict): ${describe(c)} ${ratio(c)}`);
  const warnings: string[] = [];
  for (const cfg of [current.config])
    if (typeof cfg['slowdown'] === 'string')
      warnings.push(`the candidate was measured with HLP_BENCH_SLOWDOWN=${cfg['slowdown']}: a slowdown made on purpose, for testing the gate`);
  const undecided = comparisons.filter((c) => c.verdict === 'inconclusive');
  if (undecided.length > 0 && !input.strict)
    warnings.push(
      `${undecided.length} series undecided at this budget (not a guarantee that they did not regress): ${undecided.map(undecidedNote).join('; ')}`,
    );
  if (comparisons.length === 0) warnings.push('no series was measured on both sides: nothing was compared');
  const mdes = comparisons.map((c) => c.paired?.mde).filter((m): m is number => m !== null && m !== undefined);
  const notes = [...(input.notes ?? [])];
  if (mdes.length > 0) {
    const sortedMde = [...mdes].sort((a, b) => a - b);
    notes.push(
      `power: the smallest slowdown each series could be caught at with this budget (detects ≥) ranges ${pct(sortedMde[0]!)}–${pct(sortedMde[sortedMde.length - 1]!)}, median ${pct(sortedMde[Math.floor(sortedMde.length / 2)]!)}`,
    );
  }
  const pairs = Math.max(0, ...comparisons.map((c) => c.paired?.pairs ?? 0));
  return {
    schema: REPORT_SCHEMA,
    createdAt: (input.now ?? new Date()).toISOString(),
    outcome: failures.length > 0 ? 'fail' : 'pass',
    mode: 'same-job',
    against: input.against,
    strict: input.strict ?? false,
    suite: current.suite,
    run: {
      path: null,
      startedAt: current.startedAt,
      commit: current.git.commit,
      branch: current.git.branch,
      dirty: current.git.dirty,
      machineClass: current.machine.machineClass,
    },
    baseline: { path: null, recordedAt: current.startedAt, commit: input.referenceCommit, machineClass: current.machine.machineClass, runs: pairs },
    normalisation: null,
    machineState: null,
    warnings,
    notes,
    comparisons,
    unmatched,
    targets,
    counts,
    failures,
    settings: {
      resamples: 0,
      confidence: config.confidence,
      maxSamplesPerSide: config.maxSamplesPerSide,
      minSamples: config.minSamples,
      seed: config.seed,
    },
  };
}
