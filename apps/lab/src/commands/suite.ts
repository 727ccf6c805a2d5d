/**
 * `hlp suite [--profile quick|standard|full] [--config file]`: the lab's main job (see
 * suite/run.ts). Ctrl-C / SIGTERM stops the current step and the services, keeps what was
 * measured (run documents, report, summary) and exits 130.
 */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { LabError } from '../errors.js';
import { PROFILES, profilePath, readSuiteConfig, type Profile } from '../suite/config.js';
import { renderSummary, runSuite, type SuiteOutcome } from '../suite/run.js';
import type { Io } from './bench-kernels.js';

export interface SuiteCliOptions {
  readonly profile?: Profile;
  readonly config?: string;
  readonly strict?: boolean;
  readonly failOnRegression?: boolean;
  readonly json?: boolean;
}

export async function suiteCommand(opts: SuiteCliOptions, io: Io): Promise<SuiteOutcome> {
  if (opts.profile && opts.config) throw new LabError('USAGE', 'give --profile or --config, not both');
  const path = opts.config ? resolve(opts.config) : profilePath(opts.profile ?? 'quick');
  const config = await readSuiteConfig(path);
  const controller = new AbortController();
  const on = (sig: string) => (): void => {
    if (controller.signal.aborted) {
      io.stderr.write(`${sig}: still stopping …\n`);
      return;
    }
    io.stderr.write(`\n${sig}: stopping the current step and the services; keeping what was measured …\n`);
    controller.abort();
  };
  const int = on('SIGINT');
  const term = on('SIGTERM');
  process.on('SIGINT', int);
  process.on('SIGTERM', term);
  let outcome: SuiteOutcome;
  try {
    outcome = await runSuite(config, io, { signal: controller.signal });
  } finally {
    process.off('SIGINT', int);
    process.off('SIGTERM', term);
  }
  io.stdout.write(`\n${renderSummary(outcome)}`);
  if (opts.json) io.stdout.write(`${JSON.stringify({ folder: outcome.folder, interrupted: outcome.interrupted, targets: outcome.targets, gate: outcome.gate, written: outcome.written })}\n`);
  return outcome;
}

/**
 * Exit status: 130 interrupted; 1 a failed step, a confirmed regression or a gate error under
 * --fail-on-regression, or under --strict also a missed target.
 */
export function suiteExitCode(o: SuiteOutcome, strict: boolean, failOnRegression = false): number {
  if (o.interrupted) return 130;
  if (o.steps.some((s) => s.status === 'failed')) return 1;
  if ((strict || failOnRegression) && o.gate.some((g) => g.status === 'fail' || g.status === 'error')) return 1;
  if (strict && o.targets.some((t) => t.status === 'missed')) return 1;
  return 0;
}

export function registerSuiteCommand(program: Command, io: Io): void {
  program
    .command('suite')
    .description(
      'the main job: kernel and CKKS micro-benchmarks, load scenarios against the embedded services, SLO targets, ' +
        'gate against the stored baselines, HTML report, dashboards and a final summary (suites are JSON files: apps/lab/suites/*.json)',
    )
    .addOption(new Option('--profile <name>', `built-in suite (${PROFILES.join(', ')}; default quick)`).choices([...PROFILES]))
    .option('--config <file>', 'a suite configuration file instead of a built-in profile')
    .option('--strict', 'exit 1 on a regression or a missed target (default: only a failed step fails)')
    .option('--fail-on-regression', 'exit 1 on a confirmed regression (re-measured) or a gate error, not on missed targets: what CI runs')
    .option('--json', 'also print a JSON line with the outcome on stdout')
    .addHelpText('after', '\nProgress goes to stderr. Ctrl-C stops the services and keeps the partial results (exit 130).')
    .action(async (_o: unknown, command: Command) => {
      const opts = command.opts<SuiteCliOptions>();
      const outcome = await suiteCommand(opts, io);
      const code = suiteExitCode(outcome, opts.strict === true, opts.failOnRegression === true);
      // main() resolves 0 for a normal return; 130 and 1 must survive it.
      if (code !== 0) process.exit(code);
    });
}
