/**
 * `hlp suite [--profile quick|standard|full] [--config file]`: the lab's main job (see
 * suite/run.ts). Ctrl-C / SIGTERM stops the current step and the services, keeps what was
 * measured (run documents, report, summary) and exits 130.
 */
import { Option, type Command } from 'commander';
import type { Io } from '../io.js';
import { suiteCommand, suiteExitCode, type SuiteCliOptions } from '../suite/command.js';
import { PROFILES } from '../suite/config.js';

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
