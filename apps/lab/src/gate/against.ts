/** `hlp gate --against <ref|auto|self>`: the reference built in a worktree and both sides measured in pairs. */
import { join } from 'node:path';
import { defaultBaselinesDir, pairedGateReport } from '@hlp/gate';
import { findRepoRoot } from '@hlp/results';
import { LabError } from '../errors.js';
import type { Io } from '../io.js';
import { benchArgs, profilePath, readSuiteConfig } from '../suite/config.js';
import { splitArgs } from './bench-child.js';
import { DEFAULT_BENCH_ARGS, DEFAULT_BUDGET_S, DEFAULT_MAX_PAIRS, DEFAULT_MIN_PAIRS, DEFAULT_SUITE, type GateCliOptions } from './options.js';
import { runPaired, type PairedStep } from './paired-run.js';
import { loadConfig, publish } from './publish.js';
import { exec, isDirty, prepareWorktree, recordPass, resolveReference } from './reference.js';

/** The benchmark steps of a paired gate: a suite profile's kernels and ckks steps, or one `--suite` with `--bench-args`. */
export async function pairedSteps(opts: GateCliOptions): Promise<{ steps: PairedStep[]; skipped: string[] }> {
  if (opts.profile) {
    const config = await readSuiteConfig(profilePath(opts.profile));
    const steps: PairedStep[] = [];
    const skipped: string[] = [];
    for (const step of config.steps) {
      if (step.kind === 'load') skipped.push(`load ${step.scenario} ${step.rate}/s`);
      else steps.push({ suite: step.kind, args: benchArgs(step).slice(1) });
    }
    return { steps, skipped };
  }
  const suite = opts.suite ?? DEFAULT_SUITE;
  if (suite !== 'kernels' && suite !== 'ckks')
    throw new LabError('USAGE', `--against measures benchmark suites (kernels, ckks), not ${suite}: load runs are reported by hlp suite, see docs/gate.md`);
  return { steps: [{ suite, args: splitArgs(opts.benchArgs ?? DEFAULT_BENCH_ARGS) }], skipped: [] };
}

/**
 * `hlp gate --against <ref>`: build the reference in a worktree (`auto`: the last commit the
 * gate passed, else the first parent; `self`: this checkout, for testing the gate), run both
 * sides interleaved and decide each series from its paired ratios.
 */
export async function gateAgainst(spec: string, opts: GateCliOptions, io: Io): Promise<void> {
  const baselinesDir = defaultBaselinesDir();
  const config = await loadConfig(opts, baselinesDir);
  if ((opts.benchArgs ?? '').split(/\s+/).some((a) => a === '--out' || a === '--json' || a.startsWith('--out=')))
    throw new LabError('USAGE', '--bench-args must not hold --out or --json (the gate sets them)');
  if (opts.profile && (opts.suite || opts.benchArgs))
    throw new LabError('USAGE', '--profile takes its steps from the suite profile: do not combine it with --suite or --bench-args');
  const { steps, skipped } = await pairedSteps(opts);
  if (steps.length === 0) throw new LabError('USAGE', `profile ${opts.profile ?? ''} has no kernels or ckks step to gate`);
  const root = findRepoRoot();
  if (!root) throw new LabError('INFRA', 'not inside the monorepo: --against needs a git checkout of it');
  const currentBin = join(root, 'apps', 'lab', 'bin', 'hlp.js');
  const self = spec === 'self';
  const reference = self
    ? { commit: (await exec('git', ['rev-parse', 'HEAD'], { cwd: root })).output.trim(), why: 'this checkout itself (self-test of the gate)' }
    : await resolveReference(root, spec);
  io.stderr.write(`gate: reference ${reference.commit.slice(0, 10)} — ${reference.why}; candidate: the working tree\n`);
  const worktree = self ? null : await prepareWorktree(root, reference.commit, io);
  try {
    const pairing = opts.pairing ?? 'in-process';
    const minPairs = opts.rounds ?? DEFAULT_MIN_PAIRS[pairing];
    const outcome = await runPaired({
      steps,
      pairing,
      minProcessPairs: opts.rounds ?? DEFAULT_MIN_PAIRS.processes,
      baseline: { bin: worktree?.bin ?? currentBin, cwd: worktree?.tree ?? root, env: process.env },
      current: { bin: currentBin, cwd: root, env: process.env },
      config,
      minPairs,
      maxPairs: Math.max(minPairs, opts.maxRounds ?? DEFAULT_MAX_PAIRS[pairing]),
      budgetS: opts.budget ?? DEFAULT_BUDGET_S,
      io,
    });
    const notes = [...outcome.notes];
    if (skipped.length > 0)
      notes.push(`not gated here: ${skipped.join(', ')} (load runs are reported by hlp suite against stored baselines, not failed on: docs/gate.md)`);
    const reports = outcome.steps.map((s) =>
      pairedGateReport({
        rounds: s.rounds,
        current: s.current,
        config,
        against: self ? 'self' : spec === 'auto' ? `auto: ${reference.why}` : spec,
        referenceCommit: reference.commit,
        strict: opts.strict ?? false,
        targets: opts.targets === false ? false : undefined,
        notes,
      }),
    );
    const failed: string[] = [];
    for (const report of reports) {
      try {
        await publish(report, opts, baselinesDir, io);
      } catch (error) {
        if (error instanceof LabError && error.code === 'GATE') failed.push(`${report.suite}: ${error.message}`);
        else throw error;
      }
    }
    if (failed.length > 0) throw new LabError('GATE', failed.join('; '));
    if (opts.recordPass && !self) {
      if (await isDirty(root)) io.stderr.write('gate passed; not recorded as the reference: the working tree has uncommitted changes\n');
      else {
        const head = (await exec('git', ['rev-parse', 'HEAD'], { cwd: root })).output.trim();
        io.stderr.write(
          `gate passed; recorded ${head.slice(0, 10)} in ${await recordPass(
            root,
            head,
            reports.map((r) => r.suite),
          )} (commit it to make it the next reference)\n`,
        );
      }
    }
  } finally {
    await worktree?.remove();
  }
}
