/**
 * `hlp gate`: compare a run with its baseline (stored, or a git ref built and run in this
 * job), re-measure suspected regressions, check the SLO targets, write the verdicts (terminal,
 * Markdown, JSON), append to baselines/history.jsonl, and exit 0 (pass), 1 (regression or
 * missed target) or 2 (usage or infrastructure error).
 */
import { LabError } from '../errors.js';
import type { Io } from '../io.js';
import { gateAgainst } from './against.js';
import { GateCliOptions, labErrorFromGate } from './options.js';
import { gateStored } from './stored.js';

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
      if (
        opts.rounds !== undefined ||
        opts.benchArgs !== undefined ||
        opts.profile !== undefined ||
        opts.maxRounds !== undefined ||
        opts.budget !== undefined ||
        opts.pairing !== undefined
      )
        throw new LabError('USAGE', '--rounds, --max-rounds, --budget, --pairing, --profile and --bench-args only apply with --against');
      await gateStored(runArg, opts, io);
    }
  } catch (error) {
    throw labErrorFromGate(error);
  }
}
