/** `hlp baseline record`: benchmark runs repeated in fresh processes and written as the baselines the gate compares with. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { baselinePath, defaultBaselinesDir, makeBaseline, writeBaseline } from '@hlp/gate';
import { fingerprint, type Metric, type RunResult } from '@hlp/results';
import { z } from 'zod';
import { runCalibration } from '../bench/calibration.js';
import { SLOWDOWN_ENV } from '../bench/measure.js';
import { LabError } from '../errors.js';
import { KernelsCliOptions } from '../options.js';
import { PROFILES, profilePath, readSuiteConfig } from '../suite/config.js';
import { runSuite } from '../suite/run.js';
import type { Io } from '../io.js';
import { benchInChild, readRunArg } from '../gate/bench-child.js';
import { labErrorFromGate } from '../gate/options.js';

export const DEFAULT_REPEAT = 5;
export const DEFAULT_SUITE_REPEAT = 3;

const RecordOptions = KernelsCliOptions.omit({ json: true }).extend({
  from: z.array(z.string().min(1)).optional(),
  profile: z.enum(PROFILES).optional(),
  config: z.string().min(1).optional(),
  repeat: z.number().int().min(1).max(50).optional(),
  calibration: z.boolean().optional(),
});

type RecordOptions = z.infer<typeof RecordOptions>;

/** The `hlp bench kernels` arguments for these record options. */
export function kernelsBenchArgs(opts: RecordOptions): string[] {
  const args: string[] = [];
  if (opts.variant) args.push('--variant', opts.variant.join(','));
  if (opts.n) args.push('--n', opts.n.join(','));
  if (opts.bits) args.push('--bits', opts.bits.join(','));
  if (opts.time !== undefined) args.push('--time', String(opts.time));
  if (opts.quick) args.push('--quick');
  if (opts.alloc === false) args.push('--no-alloc');
  return args;
}

/** The measurement of a calibration run and the baseline files, shared by both ways of recording. */
async function writeBaselines(groups: Map<string, { runs: RunResult[]; paths: (string | null)[] }>, opts: RecordOptions, io: Io): Promise<void> {
  const here = await fingerprint();
  let calibration: Metric | null | undefined;
  for (const [suite, { runs, paths }] of groups) {
    const machineClass = runs[0]!.machine.machineClass;
    let cal: Metric | null = null;
    if (opts.calibration === false) io.stderr.write('note: --no-calibration: other machine classes cannot be compared with this baseline\n');
    else if (here.machineClass !== machineClass)
      io.stderr.write(`warning: the runs are from ${machineClass}, this machine is ${here.machineClass}: no calibration recorded\n`);
    else {
      if (calibration === undefined) {
        io.stderr.write('baseline: measuring the calibration benchmark …\n');
        calibration = await runCalibration({ quick: opts.quick ?? false });
      }
      cal = calibration;
    }
    const baseline = makeBaseline(runs, { calibration: cal, paths });
    const target = opts.out ? resolve(opts.out) : baselinePath(defaultBaselinesDir(), suite, machineClass);
    const written = await writeBaseline(baseline, target);
    io.stdout.write(
      `wrote ${written}: suite ${suite}, machine class ${machineClass}, ${baseline.metrics.length} metrics, ${runs.length} run(s) pooled` +
        `${cal ? `, calibration ${cal.name} median ${Math.round(cal.summary.median)} ns` : ''}\n`,
    );
  }
}

/**
 * `--profile`/`--config`: the suite's measuring steps, `repeat` times (fresh benchmark
 * processes and freshly started services each time, as `hlp suite` measures them), pooled per
 * run suite into one baseline each — what `hlp suite` gates against.
 */
async function recordSuite(only: string | undefined, opts: RecordOptions, io: Io): Promise<void> {
  const path = opts.config ? resolve(opts.config) : profilePath(opts.profile ?? 'quick');
  const config = await readSuiteConfig(path);
  const loads = config.steps.filter((s) => s.kind === 'load');
  if (loads.length > 1 && (only === undefined || only === 'load'))
    throw new LabError(
      'USAGE',
      `${path} has ${loads.length} load steps: a baseline holds one load workload; record from a suite with one, or pass the runs with --from`,
    );
  const repeat = opts.repeat ?? DEFAULT_SUITE_REPEAT;
  const dir = await mkdtemp(join(tmpdir(), 'hlp-baseline-'));
  const groups = new Map<string, { runs: RunResult[]; paths: (string | null)[] }>();
  try {
    for (let i = 1; i <= repeat; i++) {
      io.stderr.write(`baseline: suite ${config.name}, round ${i}/${repeat} …\n`);
      const outcome = await runSuite({ ...config, gate: false, report: false, dashboards: false }, io, { runsDir: dir, history: false });
      const failed = outcome.steps.find((s) => s.status !== 'done');
      if (failed) throw new LabError('INFRA', `baseline: step ${failed.title} ${failed.status}: ${failed.detail}`);
      for (const { run } of outcome.runs) {
        if (only !== undefined && run.suite !== only) continue;
        const g = groups.get(run.suite) ?? { runs: [], paths: [] };
        g.runs.push(run);
        g.paths.push(null);
        groups.set(run.suite, g);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (groups.size === 0) throw new LabError('USAGE', `suite ${config.name} has no step of suite ${only ?? '(any)'}`);
  if (opts.out && groups.size > 1)
    throw new LabError('USAGE', `--out names one file but suite ${config.name} gives ${groups.size} baselines (${[...groups.keys()].join(', ')})`);
  await writeBaselines(groups, opts, io);
}

export async function baselineRecord(suiteArg: string | undefined, rawOptions: unknown, io: Io): Promise<void> {
  if (suiteArg !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(suiteArg))
    throw new LabError('USAGE', `suite must be a slug ([A-Za-z0-9._-]), got '${suiteArg}'`);
  const parsed = RecordOptions.safeParse(rawOptions);
  if (!parsed.success) throw new LabError('USAGE', `invalid options: ${parsed.error.message}`);
  const opts = parsed.data;
  if (opts.profile && opts.config) throw new LabError('USAGE', 'give --profile or --config, not both');
  if (opts.profile || opts.config) {
    if (opts.from) throw new LabError('USAGE', '--from takes run files; --profile/--config measure a suite: not both');
    try {
      return await recordSuite(suiteArg, opts, io);
    } catch (error) {
      throw labErrorFromGate(error);
    }
  }
  if (suiteArg === undefined)
    throw new LabError('USAGE', 'name a suite (e.g. kernels), or give --profile/--config to record every suite of a suite configuration');
  const suite = suiteArg;
  try {
    const runs: RunResult[] = [];
    const paths: (string | null)[] = [];
    if (opts.from && opts.from.length > 0) {
      if (opts.repeat !== undefined) throw new LabError('USAGE', '--repeat measures the suite; it does not apply with --from');
      for (const file of opts.from) {
        const path = resolve(file);
        const run = await readRunArg(path);
        if (run.suite !== suite) throw new LabError('USAGE', `${path} is a run of suite ${run.suite}, not ${suite}`);
        runs.push(run);
        paths.push(path);
      }
    } else {
      if (suite !== 'kernels')
        throw new LabError(
          'USAGE',
          `baseline record ${suite}: measure it with --profile/--config (the suite steps that produce ${suite} runs), or pass --from <run.json>`,
        );
      const repeat = opts.repeat ?? DEFAULT_REPEAT;
      const args = kernelsBenchArgs(opts);
      if (process.env[SLOWDOWN_ENV])
        io.stderr.write(`warning: ${SLOWDOWN_ENV}=${process.env[SLOWDOWN_ENV]} is set: this baseline is slowed down on purpose (for testing the gate)\n`);
      for (let i = 1; i <= repeat; i++) {
        // each run in a fresh process, exactly as `hlp bench kernels` measures the runs the gate will see
        io.stderr.write(`baseline: run ${i}/${repeat}: hlp bench kernels ${args.join(' ')} …\n`);
        runs.push(await benchInChild('kernels', args));
        paths.push(null);
      }
    }
    await writeBaselines(new Map([[suite, { runs, paths }]]), opts, io);
  } catch (error) {
    throw labErrorFromGate(error);
  }
}

/** Adds `hlp baseline record` to the program. */
