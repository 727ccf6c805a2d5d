/**
 * `hlp gate`: compare a run with its baseline (stored, or a git ref built and run in this
 * job), re-measure suspected regressions, check the SLO targets, write the verdicts (terminal,
 * Markdown, JSON), append to baselines/history.jsonl, and exit 0 (pass), 1 (regression or
 * missed target) or 2 (usage or infrastructure error).
 */
import { existsSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  GateError,
  appendHistory,
  defaultBaselinesDir,
  defaultHistoryPath,
  findBaseline,
  historyEntry,
  pairedGateReport,
  poolMetrics,
  poolRuns,
  readBaseline,
  readConfig,
  renderJson,
  renderMarkdown,
  renderText,
  resolveConfig,
  runGate,
  type GateConfig,
  type GateReport,
  type Remeasure,
} from '@hlp/gate';
import { defaultRunsDir, findRepoRoot, fingerprint, isMetric, listRuns, type Metric, type RunResult } from '@hlp/results';
import { z } from 'zod';
import { runCalibration } from '../bench/calibration.js';
import { SLOWDOWN_ENV } from '../bench/measure.js';
import { LabError } from '../errors.js';
import { benchInChild, kernelFilters, num, readRunArg, splitArgs, uniqueOf } from '../gate/bench-child.js';
import { runPaired, type PairedStep, type Pairing } from '../gate/paired-run.js';
import { exec, isDirty, prepareWorktree, recordPass, resolveReference } from '../gate/reference.js';
import { PROFILES, benchArgs, profilePath, readSuiteConfig } from '../suite/config.js';
import type { Io } from './bench-kernels.js';

export { LAB_BIN, benchInChild, kernelFilters, readRunArg, remeasureArgs, splitArgs, withoutKernelFilters } from '../gate/bench-child.js';

export const DEFAULT_SUITE = 'kernels';
export const DEFAULT_BENCH_ARGS = '--quick';
export const CONFIG_FILE = 'gate.config.json';

/** GateError → LabError: bad files and arguments are usage errors, missing files infrastructure. */
export function labErrorFromGate(error: unknown): unknown {
  if (!(error instanceof GateError)) return error;
  const code = error.code === 'BASELINE_NOT_FOUND' || error.code === 'IO' ? 'INFRA' : error.code === 'INVALID_INPUT' || error.code === 'INVALID_HISTORY_ENTRY' ? 'INTERNAL' : 'USAGE';
  return new LabError(code, `gate error ${error.code}: ${error.message}`, { cause: error });
}

/** `hlp bench kernels` arguments that repeat the run's own settings for just these series. */
export function kernelsRemeasureArgs(run: RunResult, suspects: readonly Metric[]): string[] {
  const f = kernelFilters(suspects);
  const args: string[] = [];
  const variants = f.variants.length > 0 ? f.variants : Array.isArray(run.config['variants']) ? (run.config['variants'] as string[]).slice(0, 1) : [];
  if (variants.length > 0) args.push('--variant', variants.join(','));
  if (f.ns.length > 0) args.push('--n', f.ns.join(','));
  if (f.bits.length > 0) args.push('--bits', f.bits.join(','));
  if (f.ns.length === 0 || f.bits.length === 0) args.push('--n', '1024', '--bits', '50'); // alloc only: the smallest kernel cases
  if (!f.alloc) args.push('--no-alloc');
  const timeMs = num(run.config['timeMs']);
  if (run.config['quick'] === true) args.push('--quick');
  if (timeMs !== undefined) args.push('--time', String(Math.round(timeMs)));
  return args;
}

/** Fresh processes per re-measurement (pooled, so one disturbed run cannot confirm a regression alone). */
export const REMEASURE_RUNS = 3;

/**
 * Re-measures kernel-suite series: REMEASURE_RUNS fresh `hlp bench kernels` processes of just
 * those cases with the run's own time budget, and the calibration benchmark before, between
 * and after them, so the gate can tell a slower machine from slower code.
 */
function kernelsRemeasure(run: RunResult, io: Io): Remeasure {
  return async (suspects) => {
    const args = kernelsRemeasureArgs(run, suspects);
    const quick = run.config['quick'] === true;
    io.stderr.write(`re-measuring ${suspects.length} suspected regression(s), ${REMEASURE_RUNS} fresh runs: hlp bench kernels ${args.join(' ')}\n`);
    const calibrations: Metric[] = [await runCalibration({ quick })];
    const runs: RunResult[] = [];
    for (let i = 0; i < REMEASURE_RUNS; i++) {
      runs.push(await benchInChild('kernels', args));
      calibrations.push(await runCalibration({ quick }));
    }
    return { current: poolRuns(runs).metrics, calibration: poolMetrics(calibrations.map((c) => [c]))[0] ?? null };
  };
}

/** `hlp bench ckks` arguments that repeat a ckks run's settings for just the suspects' cases. */
export function ckksRemeasureArgsFromRun(run: RunResult, suspects: readonly Metric[]): string[] {
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const numbers = (v: unknown): number[] => (Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : []);
  const backends = uniqueOf(suspects.map((m) => (typeof m.labels['backend'] === 'string' ? m.labels['backend'] : undefined)));
  const ns = uniqueOf(suspects.map((m) => num(m.labels['n'])));
  const prompt = suspects.filter(isMetric('ckks.prompt_encrypt'));
  const args = ['--backend', (backends.length > 0 ? backends : strings(run.config['backends'])).join(',') || 'native'];
  const runNs = numbers(run.config['n']);
  if (ns.length > 0 || runNs.length > 0) args.push('--n', (ns.length > 0 ? ns : runNs).join(','));
  const threads = uniqueOf(prompt.map((m) => num(m.labels['threads'])));
  if (prompt.length === 0) args.push('--no-prompt');
  else if (threads.length > 0) args.push('--threads', threads.join(','));
  const timeMs = num(run.config['timeMs']);
  if (run.config['quick'] === true) args.push('--quick');
  if (timeMs !== undefined) args.push('--time', String(Math.round(timeMs)));
  return args;
}

/** As kernelsRemeasure, for ckks runs: fresh `hlp bench ckks` processes of the suspects' cases. */
function ckksRemeasure(run: RunResult, io: Io): Remeasure {
  return async (suspects) => {
    const args = ckksRemeasureArgsFromRun(run, suspects);
    io.stderr.write(`re-measuring ${suspects.length} suspected regression(s), ${REMEASURE_RUNS} fresh runs: hlp bench ckks ${args.join(' ')}\n`);
    const calibrations: Metric[] = [await runCalibration({ quick: true })];
    const runs: RunResult[] = [];
    for (let i = 0; i < REMEASURE_RUNS; i++) {
      runs.push(await benchInChild('ckks', args));
      calibrations.push(await runCalibration({ quick: true }));
    }
    return { current: poolRuns(runs).metrics, calibration: poolMetrics(calibrations.map((c) => [c]))[0] ?? null };
  };
}

const GateCliOptions = z.object({
  baseline: z.string().min(1).optional(),
  suite: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'suite must be a slug').optional(),
  config: z.string().min(1).optional(),
  markdown: z.string().min(1).optional(),
  json: z.boolean().optional(),
  remeasure: z.boolean().optional(),
  strict: z.boolean().optional(),
  against: z.string().min(1).optional(),
  rounds: z.number().int().min(2).max(500).optional(),
  maxRounds: z.number().int().min(2).max(500).optional(),
  pairing: z.enum(['in-process', 'processes']).optional(),
  budget: z.number().int().min(10).max(7200).optional(),
  profile: z.enum(PROFILES).optional(),
  recordPass: z.boolean().optional(),
  benchArgs: z.string().optional(),
  history: z.union([z.string().min(1), z.boolean()]).optional(),
  targets: z.boolean().optional(),
});
type GateCliOptions = z.infer<typeof GateCliOptions>;

async function loadConfig(opts: GateCliOptions, baselinesDir: string): Promise<GateConfig> {
  if (opts.config) return readConfig(resolve(opts.config));
  const implicit = join(baselinesDir, CONFIG_FILE);
  return existsSync(implicit) ? readConfig(implicit) : resolveConfig();
}

async function newestRun(suite: string): Promise<string> {
  const dir = defaultRunsDir();
  const runs = await listRuns(dir, { suite });
  const last = runs[runs.length - 1];
  if (!last) throw new LabError('INFRA', `no run of suite ${suite} in ${dir}: run \`hlp bench ${suite}\` first, or name a run file`);
  return last;
}

/** Writes the report: table (stdout, or stderr under --json), Markdown file(s), JSON, history. */
async function publish(report: GateReport, opts: GateCliOptions, baselinesDir: string, io: Io): Promise<void> {
  (opts.json ? io.stderr : io.stdout).write(`${renderText(report)}\n`);
  const markdown = renderMarkdown(report);
  if (opts.markdown) {
    const path = resolve(opts.markdown);
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, markdown, 'utf8');
    } catch (error) {
      throw new LabError('INFRA', `cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    io.stderr.write(`wrote ${path}\n`);
  }
  const summary = process.env['GITHUB_STEP_SUMMARY'];
  if (summary && !opts.markdown) await appendFile(summary, `${markdown}\n`).catch(() => undefined);
  if (opts.history !== false) {
    const path = typeof opts.history === 'string' ? resolve(opts.history) : defaultHistoryPath(baselinesDir);
    await appendHistory(path, historyEntry(report));
    io.stderr.write(`appended to ${path}\n`);
  }
  if (opts.json) io.stdout.write(renderJson(report));
  if (report.outcome === 'fail') {
    const c = report.counts;
    throw new LabError('GATE', `gate failed: ${c.regression} regression(s), ${c.targetsMissed} missed target(s)${report.strict ? `, ${c.inconclusive} inconclusive (strict)` : ''}`);
  }
}

/** `hlp gate [run]` against a stored baseline. */
async function gateStored(runArg: string | undefined, opts: GateCliOptions, io: Io): Promise<void> {
  const baselinesDir = defaultBaselinesDir();
  const config = await loadConfig(opts, baselinesDir);
  const runPath = runArg ? resolve(runArg) : await newestRun(opts.suite ?? DEFAULT_SUITE);
  const run = await readRunArg(runPath);
  if (opts.suite && opts.suite !== run.suite) throw new LabError('USAGE', `--suite ${opts.suite} but ${runPath} is a run of suite ${run.suite}`);

  let baselinePath: string;
  if (opts.baseline) baselinePath = resolve(opts.baseline);
  else {
    const found = await findBaseline(baselinesDir, run.suite, run.machine.machineClass);
    if (!found)
      throw new LabError('INFRA', `no baseline for suite ${run.suite} in ${join(baselinesDir, run.suite)}: record one with \`hlp baseline record ${run.suite}\``);
    baselinePath = found.path;
  }
  const baseline = await readBaseline(baselinePath);
  if (baseline.suite !== run.suite) throw new LabError('USAGE', `baseline ${baselinePath} is for suite ${baseline.suite}, the run is of suite ${run.suite}`);
  io.stderr.write(`gate: ${runPath}\n  vs baseline ${baselinePath}\n`);

  const here = await fingerprint();
  const sameMachineClass = here.machineClass === run.machine.machineClass;
  let calibration: Metric | null = null;
  if (baseline.machineClass !== run.machine.machineClass && baseline.calibration && !run.metrics.some((m) => m.name === baseline.calibration?.name)) {
    io.stderr.write(`baseline machine class ${baseline.machineClass} ≠ run's ${run.machine.machineClass}: measuring the calibration benchmark …\n`);
    if (!sameMachineClass)
      io.stderr.write(`warning: this machine (${here.machineClass}) is not the run's (${run.machine.machineClass}); the calibration describes this one\n`);
    calibration = await runCalibration();
  }

  let remeasure: Parameters<typeof runGate>[0]['remeasure'];
  if (opts.remeasure === false) remeasure = { unavailable: '--no-remeasure' };
  else if (!sameMachineClass) remeasure = { unavailable: `this machine (${here.machineClass}) is not the run's (${run.machine.machineClass})` };
  else if (run.suite === 'kernels') remeasure = kernelsRemeasure(run, io);
  else if (run.suite === 'ckks') remeasure = ckksRemeasure(run, io);
  else remeasure = { unavailable: `hlp gate cannot re-run a ${run.suite} run by itself (its services are gone); hlp suite re-measures load steps while the services run` };

  const report = await runGate({
    current: run,
    baseline,
    config,
    calibration,
    remeasure,
    strict: opts.strict ?? false,
    targets: opts.targets === false ? false : undefined,
    runPath,
    baselinePath,
  });
  await publish(report, opts, baselinesDir, io);
}

// -- paired same-job mode: --against <ref|auto|self> ----------------------------------------

/** Pairs before the first decision and at most, per pairing (an in-process pair costs tens of ms, a process pair seconds). */
export const DEFAULT_MIN_PAIRS: Readonly<Record<Pairing, number>> = { 'in-process': 24, processes: 4 };
export const DEFAULT_MAX_PAIRS: Readonly<Record<Pairing, number>> = { 'in-process': 96, processes: 10 };
export const DEFAULT_BUDGET_S = 240;

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
  if (suite !== 'kernels' && suite !== 'ckks') throw new LabError('USAGE', `--against measures benchmark suites (kernels, ckks), not ${suite}: load runs are reported by hlp suite, see docs/gate.md`);
  return { steps: [{ suite, args: splitArgs(opts.benchArgs ?? DEFAULT_BENCH_ARGS) }], skipped: [] };
}

/**
 * `hlp gate --against <ref>`: build the reference in a worktree (`auto`: the last commit the
 * gate passed, else the first parent; `self`: this checkout, for testing the gate), run both
 * sides interleaved and decide each series from its paired ratios.
 */
async function gateAgainst(spec: string, opts: GateCliOptions, io: Io): Promise<void> {
  const baselinesDir = defaultBaselinesDir();
  const config = await loadConfig(opts, baselinesDir);
  if ((opts.benchArgs ?? '').split(/\s+/).some((a) => a === '--out' || a === '--json' || a.startsWith('--out='))) throw new LabError('USAGE', '--bench-args must not hold --out or --json (the gate sets them)');
  if (opts.profile && (opts.suite || opts.benchArgs)) throw new LabError('USAGE', '--profile takes its steps from the suite profile: do not combine it with --suite or --bench-args');
  const { steps, skipped } = await pairedSteps(opts);
  if (steps.length === 0) throw new LabError('USAGE', `profile ${opts.profile ?? ''} has no kernels or ckks step to gate`);
  const root = findRepoRoot();
  if (!root) throw new LabError('INFRA', 'not inside the monorepo: --against needs a git checkout of it');
  const currentBin = join(root, 'apps', 'lab', 'bin', 'hlp.js');
  const self = spec === 'self';
  const reference = self ? { commit: (await exec('git', ['rev-parse', 'HEAD'], { cwd: root })).output.trim(), why: 'this checkout itself (self-test of the gate)' } : await resolveReference(root, spec);
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
    if (skipped.length > 0) notes.push(`not gated here: ${skipped.join(', ')} (load runs are reported by hlp suite against stored baselines, not failed on: docs/gate.md)`);
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
        io.stderr.write(`gate passed; recorded ${head.slice(0, 10)} in ${await recordPass(root, head, reports.map((r) => r.suite))} (commit it to make it the next reference)\n`);
      }
    }
  } finally {
    await worktree?.remove();
  }
}

/** `hlp gate …` (either mode). */
export async function gateCommand(runArg: string | undefined, rawOptions: unknown, io: Io): Promise<void> {
  const parsed = GateCliOptions.safeParse(rawOptions);
  if (!parsed.success) throw new LabError('USAGE', `invalid options: ${parsed.error.message}`);
  const opts = parsed.data;
  try {
    if (opts.against) {
      if (runArg) throw new LabError('USAGE', '--against runs both sides itself: do not name a run file');
      if (opts.baseline) throw new LabError('USAGE', '--against and --baseline exclude each other');
      await gateAgainst(opts.against, opts, io);
    } else {
      if (opts.rounds !== undefined || opts.benchArgs !== undefined || opts.profile !== undefined || opts.maxRounds !== undefined || opts.budget !== undefined || opts.pairing !== undefined)
        throw new LabError('USAGE', '--rounds, --max-rounds, --budget, --pairing, --profile and --bench-args only apply with --against');
      await gateStored(runArg, opts, io);
    }
  } catch (error) {
    throw labErrorFromGate(error);
  }
}

function parseRounds(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 2 || Number(value) > 500) throw new InvalidArgumentError('rounds must be an integer from 2 to 500');
  return Number(value);
}

function parseBudget(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 10 || Number(value) > 7200) throw new InvalidArgumentError('budget must be whole seconds from 10 to 7200');
  return Number(value);
}

/** Adds `hlp gate` to the program. */
export function registerGateCommand(program: Command, io: Io): void {
  program
    .command('gate')
    .description(
      'compare a run with its baseline metric by metric (ratio of medians, bootstrap 95 % CI): regression, improvement, unchanged or ' +
        'inconclusive; re-measure suspected regressions; check the SLO targets. Exit 0 pass, 1 regression or missed target, 2 usage or infrastructure error',
    )
    .argument('[run]', 'run document to gate (default: the newest run of the suite in the runs directory)')
    .option('--baseline <file>', 'baseline file (default: baselines/<suite>/<machine class>.json, else another class, calibrated)')
    .option('--suite <name>', `suite (default: the run's, or ${DEFAULT_SUITE})`)
    .option('--config <file>', `thresholds and statistics settings (default: baselines/${CONFIG_FILE} when present)`)
    .option('--markdown <file>', 'write the Markdown summary (for a CI job summary) to this file')
    .option('--json', 'print the gate report (hlp.gate/1) on stdout, and the table on stderr')
    .option('--no-remeasure', 'fail on a suspected regression without measuring it again')
    .option('--strict', 'inconclusive verdicts fail the gate too')
    .option('--no-targets', 'do not check the SLO targets')
    .option(
      '--against <ref>',
      'same-job paired mode (the merge decision): build <ref> in a git worktree and measure it and the working tree interleaved (A B, B A, …) on this machine; ' +
        'auto: the last commit the gate passed (baselines/gate-pass.json) else the first parent; self: this checkout on both sides (tests the gate)',
    )
    .addOption(new Option('--profile <name>', '--against: gate the kernels and ckks steps of this suite profile').choices(PROFILES))
    .addOption(
      new Option(
        '--pairing <how>',
        '--against: in-process (default: both builds loaded in one process, alternating slices of each case) or processes (each side a fresh hlp bench process per pair)',
      ).choices(['in-process', 'processes']),
    )
    .addOption(
      new Option('--rounds <n>', `--against: pairs every series gets before a decision, and per further batch (default ${DEFAULT_MIN_PAIRS['in-process']} in-process, ${DEFAULT_MIN_PAIRS.processes} processes)`).argParser(parseRounds),
    )
    .addOption(
      new Option('--max-rounds <n>', `--against: at most this many pairs for a series still undecided (default ${DEFAULT_MAX_PAIRS['in-process']} in-process, ${DEFAULT_MAX_PAIRS.processes} processes)`).argParser(
        parseRounds,
      ),
    )
    .addOption(new Option('--budget <s>', `--against: seconds of measuring after which no further pair starts (default ${DEFAULT_BUDGET_S})`).argParser(parseBudget))
    .option('--bench-args <args>', `--against: arguments of \`hlp bench <suite>\` (default "${DEFAULT_BENCH_ARGS}")`)
    .option('--record-pass', '--against: on a pass of a clean checkout, record HEAD in baselines/gate-pass.json as the next reference')
    .option('--history <file>', 'append the verdicts to this file (default: baselines/history.jsonl)')
    .option('--no-history', 'do not append to the history')
    .addHelpText(
      'after',
      '\nHow it decides (packages/gate/README.md): r = median(current) / median(baseline) with a 95 % bootstrap interval;\n' +
        'regression when the whole interval is more than 10 % worse (and a re-measurement agrees), improvement when it is\n' +
        'more than 5 % better, unchanged when it lies within the band, inconclusive when it straddles a threshold.\n' +
        'Thresholds per metric in the --config file. Environment: HLP_BASELINES_DIR, HLP_RUNS_DIR, GITHUB_STEP_SUMMARY.\n' +
        `${SLOWDOWN_ENV}=name[{label=value}]:factor (e.g. ntt.forward:1.2) makes those benchmark cases slower on purpose,\n` +
        'FOR TESTING THE GATE ONLY (read by the benchmark harness; with --against it applies to the working tree only).',
    )
    .action(async (run: string | undefined, _options: unknown, command: Command) => {
      await gateCommand(run, command.opts(), io);
    });
}
