/**
 * `hlp report [run…] | --month YYYY-MM`: the command line of the HTML report (report/build.ts
 * builds and writes it).
 */
import type { Command } from 'commander';
import type { Io } from '../io.js';
import { reportCommand } from '../report/build.js';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerReportCommand(program: Command, io: Io): void {
  program
    .command('report')
    .description(
      'write a self-contained HTML report (inline CSS and SVG charts, no network) of runs or of a month: SLO table, latency distribution, ' +
        'throughput and latency over time, per-stage breakdown, kernel variants side by side, deltas against the baseline, gate history',
    )
    .argument('[run...]', 'run documents (default: the newest run in the runs directory)')
    .option('--month <YYYY-MM>', 'every run and gate-history line of this month (UTC)')
    .option('--runs <dir>', 'runs directory (default: $HLP_RUNS_DIR or <repo root>/runs)')
    .option('--suite <name>', 'only runs (and history) of this suite')
    .option('--history <file>', 'gate history for --month (default: baselines/history.jsonl)')
    .option('--no-history', 'leave the gate history out')
    .option('--baselines <dir>', 'baselines directory (default: $HLP_BASELINES_DIR or <repo root>/baselines)')
    .option('--no-baseline', 'do not compare with the stored baseline')
    .option('--gate <file>', 'an `hlp gate --json` report to take the deltas from (repeatable)', collect)
    .option('--title <text>', 'report title')
    .option('--out <file>', 'output file (default: <runs dir>/reports/report-<start>-<suite>.html or month-YYYY-MM.html)')
    .action(async (runArgs: string[], _options: unknown, command: Command) => {
      await reportCommand(runArgs, command.opts(), io);
    });
}
