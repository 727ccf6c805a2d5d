/**
 * `hlp gate`: compare a run with its baseline (stored, or a git ref built and run in this
 * job), re-measure suspected regressions, check the SLO targets, write the verdicts (terminal,
 * Markdown, JSON), append to baselines/history.jsonl, and exit 0 (pass), 1 (regression or
 * missed target) or 2 (usage or infrastructure error).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  GateError,
  appendHistory,
  defaultBaselinesDir,
  defaultHistoryPath,
  findBaseline,
  historyEntry,
  interleave,
  makeBaseline,
  poolMetrics,
  poolRuns,
  readBaseline,
  readConfig,
  renderJson,
  renderMarkdown,
  renderText,
  resolveConfig,
  runGate,
  type Baseline,
  type GateConfig,
  type GateReport,
  type Remeasure,
} from '@hlp/gate';
import { ResultsError, defaultRunsDir, findRepoRoot, fingerprint, listRuns, readRun, type Metric, type RunResult } from '@hlp/results';
import { z } from 'zod';
import { runCalibration } from '../bench/calibration.js';
import { SLOWDOWN_ENV } from '../bench/measure.js';
import { LabError } from '../errors.js';
import type { Io } from './bench-kernels.js';

export const DEFAULT_SUITE = 'kernels';
export const DEFAULT_ROUNDS = 3;
export const DEFAULT_BENCH_ARGS = '--quick';
export const CONFIG_FILE = 'gate.config.json';

/** GateError → LabError: bad files and arguments are usage errors, missing files infrastructure. */
export function labErrorFromGate(error: unknown): unknown {
  if (!(error instanceof GateError)) return error;
  const code = error.code === 'BASELINE_NOT_FOUND' || error.code === 'IO' ? 'INFRA' : error.code === 'INVALID_INPUT' || error.code === 'INVALID_HISTORY_ENTRY' ? 'INTERNAL' : 'USAGE';
  return new LabError(code, `gate error ${error.code}: ${error.message}`, { cause: error });
}

/** Reads a run document named on the command line: any failure is a usage error (exit 2). */
export async function readRunArg(path: string): Promise<RunResult> {
  try {
    return await readRun(path);
  } catch (error) {
    if (error instanceof ResultsError) throw new LabError('USAGE', `cannot use run ${path}: ${error.message}`, { cause: error });
    throw error;
  }
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function uniqueOf<T>(values: readonly (T | undefined)[]): T[] {
  return [...new Set(values.filter((v): v is T => v !== undefined))];
}

/** The kernel-suite filters (variants, n, bits, alloc) that re-measure exactly these series' cases. */
export function kernelFilters(suspects: readonly Metric[]): { variants: string[]; ns: number[]; bits: number[]; alloc: boolean } {
  const kernel = suspects.filter((m) => m.name !== 'alloc.churn');
  return {
    variants: uniqueOf(kernel.map((m) => (typeof m.labels['variant'] === 'string' ? m.labels['variant'] : undefined))),
    ns: uniqueOf(kernel.map((m) => num(m.labels['n']))),
    bits: uniqueOf(kernel.map((m) => num(m.labels['bits']))),
    alloc: suspects.some((m) => m.name === 'alloc.churn'),
  };
}

/** The lab's own CLI entry (apps/lab/bin/hlp.js), for measuring in fresh processes. */
export const LAB_BIN = fileURLToPath(new URL('../../../bin/hlp.js', import.meta.url));

/**
 * Runs `hlp bench <suite> …args` in a fresh child process (as the gated run was measured:
 * a first run in a process measures differently from a second one in the same process) and
 * returns its run document.
 */
export async function benchInChild(
  suite: string,
  args: readonly string[],
  options: { bin?: string; cwd?: string; env?: NodeJS.ProcessEnv; dir?: string } = {},
): Promise<RunResult> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'hlp-bench-')));
  const out = join(dir, `${suite}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.json`);
  try {
    const r = await exec(process.execPath, [options.bin ?? LAB_BIN, 'bench', suite, ...args, '--out', out], {
      cwd: options.cwd,
      env: { ...(options.env ?? process.env), HLP_RUNS_DIR: dir },
    });
    if (r.code !== 0) throw new LabError(r.code === 2 ? 'INFRA' : 'INTERNAL', `hlp bench ${suite} ${args.join(' ')} failed (exit ${r.code}):\n${r.output.trim().split('\n').slice(-10).join('\n')}`);
    return await readRunArg(out);
  } finally {
    if (options.dir) await rm(out, { force: true });
    else await rm(dir, { recursive: true, force: true });
  }
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
  const prompt = suspects.filter((m) => m.name === 'ckks.prompt_encrypt');
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
  rounds: z.number().int().min(1).max(50).optional(),
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

// -- same-job mode: --against <ref> ------------------------------------------------------------

interface Exec {
  readonly code: number;
  readonly output: string;
}

/** Runs a command, collecting stdout+stderr (the last 64 KiB). */
function exec(cmd: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Exec> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, [...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-65536);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGTERM'), options.timeoutMs) : undefined;
    child.on('error', (error) => {
      if (timer) clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolvePromise({ code: code ?? (signal ? 128 : 1), output });
    });
  });
}

async function step(io: Io, title: string, cmd: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<Exec> {
  const t0 = performance.now();
  io.stderr.write(`gate --against: ${title} …\n`);
  const r = await exec(cmd, args, options).catch((error: unknown) => {
    throw new LabError('INFRA', `${title}: cannot run ${cmd}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  });
  if (r.code !== 0) throw new LabError('INFRA', `${title} failed (exit ${r.code}):\n${r.output.trim().split('\n').slice(-15).join('\n')}`);
  io.stderr.write(`gate --against: ${title} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return r;
}

/** Splits a --bench-args string on whitespace (no quoting needed for bench options). */
export function splitArgs(text: string): string[] {
  return text.split(/\s+/).filter((s) => s.length > 0);
}

/** `args` without the kernel filters (--variant, --n, --bits with their values, --no-alloc). */
export function withoutKernelFilters(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--variant' || a === '--n' || a === '--bits') {
      i++;
      continue;
    }
    if (/^--(variant|n|bits)=/.test(a) || a === '--no-alloc') continue;
    out.push(a);
  }
  return out;
}

/** Bench arguments that re-measure just the suspects' cases (kernels), else `args` unchanged. */
export function remeasureArgs(suite: string, args: readonly string[], suspects: readonly Metric[]): string[] {
  if (suite !== 'kernels') return [...args];
  const f = kernelFilters(suspects);
  const out = withoutKernelFilters(args);
  if (f.variants.length > 0) out.push('--variant', f.variants.join(','));
  if (f.ns.length > 0) out.push('--n', f.ns.join(','));
  if (f.bits.length > 0) out.push('--bits', f.bits.join(','));
  if (!f.alloc) out.push('--no-alloc');
  return out;
}

/** `hlp gate --against <ref>`: build the ref in a worktree, run both sides interleaved, compare. */
async function gateAgainst(ref: string, opts: GateCliOptions, io: Io): Promise<void> {
  const baselinesDir = defaultBaselinesDir();
  const config = await loadConfig(opts, baselinesDir);
  const suite = opts.suite ?? DEFAULT_SUITE;
  const rounds = opts.rounds ?? DEFAULT_ROUNDS;
  const benchArgs = splitArgs(opts.benchArgs ?? DEFAULT_BENCH_ARGS);
  if (benchArgs.some((a) => a === '--out' || a === '--json' || a.startsWith('--out='))) throw new LabError('USAGE', '--bench-args must not hold --out or --json (the gate sets them)');
  const root = findRepoRoot();
  if (!root) throw new LabError('INFRA', 'not inside the monorepo: --against needs a git checkout of it');
  const rev = await exec('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: root }).catch(() => ({ code: 1, output: '' }));
  if (rev.code !== 0) throw new LabError('USAGE', `--against ${ref}: not a commit in ${root}`);
  const commit = rev.output.trim().split('\n')[0]!;
  const currentBin = join(root, 'apps', 'lab', 'bin', 'hlp.js');

  const tmp = await mkdtemp(join(tmpdir(), 'hlp-gate-'));
  const tree = join(tmp, 'tree');
  let worktreeAdded = false;
  try {
    await step(io, `git worktree add ${ref} (${commit.slice(0, 10)})`, 'git', ['worktree', 'add', '--detach', tree, commit], { cwd: root });
    worktreeAdded = true;
    await step(io, 'npm ci in the worktree (a minute or two)', 'npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: tree, timeoutMs: 20 * 60_000 });
    await step(io, 'build the worktree (turbo, @hlp/lab and its dependencies)', 'npx', ['--no-install', 'turbo', 'run', 'build', '--filter=@hlp/lab...', '--output-logs=errors-only'], {
      cwd: tree,
      timeoutMs: 30 * 60_000,
    });
    const baseBin = join(tree, 'apps', 'lab', 'bin', 'hlp.js');
    if (!existsSync(baseBin)) throw new LabError('INFRA', `${ref} has no apps/lab/bin/hlp.js: it cannot run \`hlp bench ${suite}\``);

    const runSide = async (side: 'baseline' | 'current', args: readonly string[]): Promise<{ run: RunResult }> => {
      const env: NodeJS.ProcessEnv = { ...process.env };
      if (side === 'baseline') delete env[SLOWDOWN_ENV]; // a known slowdown applies to the current tree only
      const run = await benchInChild(suite, args, { bin: side === 'baseline' ? baseBin : currentBin, cwd: side === 'baseline' ? tree : root, env, dir: tmp });
      return { run };
    };
    const progress = (e: { round: number; rounds: number; side: string; phase: string; ms?: number }): void => {
      if (e.phase === 'done') io.stderr.write(`gate --against: round ${e.round}/${e.rounds} ${e.side === 'baseline' ? `${ref} (A)` : 'working tree (B)'} done in ${((e.ms ?? 0) / 1000).toFixed(1)} s\n`);
    };
    io.stderr.write(`gate --against: ${rounds} interleaved rounds (A = ${ref}, B = working tree): hlp bench ${suite} ${benchArgs.join(' ')}\n`);
    const both = await interleave({ rounds, baseline: () => runSide('baseline', benchArgs), current: () => runSide('current', benchArgs), progress });
    const baseline: Baseline = makeBaseline(
      both.baseline.map((x) => x.run),
      { paths: both.baseline.map(() => null) },
    );
    const current = poolRuns(both.current.map((x) => x.run));

    const remeasure: Remeasure | { unavailable: string } =
      opts.remeasure === false
        ? { unavailable: '--no-remeasure' }
        : async (suspects) => {
            const args = remeasureArgs(suite, benchArgs, suspects);
            io.stderr.write(`gate --against: re-measuring ${suspects.length} suspected regression(s), ${rounds} more interleaved round(s): ${args.join(' ')}\n`);
            const again = await interleave({ rounds, baseline: () => runSide('baseline', args), current: () => runSide('current', args), progress });
            return {
              baseline: poolRuns(again.baseline.map((x) => x.run)).metrics,
              current: poolRuns(again.current.map((x) => x.run)).metrics,
            };
          };
    const report = await runGate({
      current,
      baseline,
      config,
      mode: 'same-job',
      against: ref,
      remeasure,
      strict: opts.strict ?? false,
      targets: opts.targets === false ? false : undefined,
      runPath: null,
      baselinePath: null,
    });
    await publish(report, opts, baselinesDir, io);
  } finally {
    if (worktreeAdded) {
      const removed = await exec('git', ['worktree', 'remove', '--force', tree], { cwd: root }).catch(() => ({ code: 1, output: '' }));
      if (removed.code !== 0) io.stderr.write(`warning: could not remove the worktree ${tree}: ${removed.output.trim()}\n`);
    }
    await rm(tmp, { recursive: true, force: true });
    await exec('git', ['worktree', 'prune'], { cwd: root }).catch(() => undefined);
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
      if (opts.rounds !== undefined || opts.benchArgs !== undefined) throw new LabError('USAGE', '--rounds and --bench-args only apply with --against');
      await gateStored(runArg, opts, io);
    }
  } catch (error) {
    throw labErrorFromGate(error);
  }
}

function parseRounds(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 50) throw new InvalidArgumentError('rounds must be an integer from 1 to 50');
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
    .option('--against <ref>', 'same-job mode: build <ref> in a git worktree and run both sides interleaved (A B A B …) on this machine')
    .addOption(new Option('--rounds <n>', `--against: interleaved rounds per side (default ${DEFAULT_ROUNDS})`).argParser(parseRounds))
    .option('--bench-args <args>', `--against: arguments of \`hlp bench <suite>\` (default "${DEFAULT_BENCH_ARGS}")`)
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
