/** `hlp gate [run]`: a run against its stored baseline, re-measuring suspected regressions. */
import { resolve, join } from 'node:path';
import { defaultBaselinesDir, findBaseline, readBaseline, runGate } from '@hlp/gate';
import { defaultRunsDir, fingerprint, listRuns, type Metric } from '@hlp/results';
import { runCalibration } from '../bench/calibration.js';
import { LabError } from '../errors.js';
import type { Io } from '../io.js';
import { readRunArg } from './bench-child.js';
import { DEFAULT_SUITE, type GateCliOptions } from './options.js';
import { loadConfig, publish } from './publish.js';
import { ckksRemeasure, kernelsRemeasure } from './remeasure.js';

async function newestRun(suite: string): Promise<string> {
  const dir = defaultRunsDir();
  const runs = await listRuns(dir, { suite });
  const last = runs[runs.length - 1];
  if (!last) throw new LabError('INFRA', `no run of suite ${suite} in ${dir}: run \`hlp bench ${suite}\` first, or name a run file`);
  return last;
}

/** `hlp gate [run]` against a stored baseline. */
export async function gateStored(runArg: string | undefined, opts: GateCliOptions, io: Io): Promise<void> {
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
      throw new LabError(
        'INFRA',
        `no baseline for suite ${run.suite} in ${join(baselinesDir, run.suite)}: record one with \`hlp baseline record ${run.suite}\``,
      );
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
  else
    remeasure = {
      unavailable: `hlp gate cannot re-run a ${run.suite} run by itself (its services are gone); hlp suite re-measures load steps while the services run`,
    };

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
