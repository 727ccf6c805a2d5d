/** `hlp tune [--quick]`: the CKKS parameter search of tune/search.ts; prints the front, writes the recommendation. */
import type { Command } from 'commander';
import type { Io } from '../io.js';
import { tuneCommand } from '../tune/command.js';

export function registerTuneCommand(program: Command, io: Io): void {
  program
    .command('tune')
    .description(
      'search CKKS parameters inside the 128-bit table for the affine workload: encode+encrypt latency, precision, ciphertext bytes; print the Pareto front, write the recommended configuration',
    )
    .option('--quick', 'coarse scales (5-bit steps), few iterations')
    .option('--iterations <n>', 'timed encode+encrypt per candidate (default 30, --quick 5)')
    .option('--max-error <x>', 'precision the recommendation must meet', '1e-3')
    .option('--out <file>', 'recommendation file (default runs/tune-<time>-recommended.json)')
    .option('--json', 'print the document on stdout')
    .action(async (_o: unknown, command: Command) => {
      await tuneCommand(command.opts(), io);
    });
}
