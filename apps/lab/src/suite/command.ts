/** `hlp suite`: a suite profile or file run, its summary printed, and the exit code it earns. */
import { resolve } from 'node:path';
import { LabError } from '../errors.js';
import { profilePath, readSuiteConfig, type Profile } from './config.js';
import { renderSummary, runSuite, type SuiteOutcome } from './run.js';
import type { Io } from '../io.js';

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
  if (opts.json)
    io.stdout.write(
      `${JSON.stringify({ folder: outcome.folder, interrupted: outcome.interrupted, targets: outcome.targets, gate: outcome.gate, written: outcome.written })}\n`,
    );
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
