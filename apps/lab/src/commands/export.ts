/**
 * `hlp export`: the run history (baselines/history.jsonl) and the per-run medians of the run
 * documents as OpenMetrics text with timestamps, `# EOF` terminated, for
 * `promtool tsdb create-blocks-from openmetrics <file> <data dir>` (the monthly-review and
 * kernels dashboards read it back from Prometheus).
 */
import type { Command } from 'commander';
import type { Io } from '../io.js';
import { exportCommand } from '../report/export.js';

export function registerExportCommand(program: Command, io: Io): void {
  program
    .command('export')
    .description(
      'write the run history (baselines/history.jsonl: key medians, verdicts, SLO targets) and the per-run medians of the run documents ' +
        'as OpenMetrics with timestamps (# EOF terminated), for backfill into Prometheus (promtool tsdb create-blocks-from openmetrics)',
    )
    .option('--history <file>', 'gate history to export (default: baselines/history.jsonl)')
    .option('--no-history', 'leave the gate history out')
    .option('--runs <dir>', 'run documents to export (default: $HLP_RUNS_DIR or <repo root>/runs)')
    .option('--no-runs', 'leave the run documents out')
    .option('--suite <name>', 'only this suite')
    .option('--out <file>', 'write to this file instead of stdout')
    .addHelpText(
      'after',
      '\nFamilies (names in @hlp/dashboards, dashboards/src/lab-metrics.ts): hlp_lab_run_{median,p95}_<unit>, hlp_lab_history_median_<unit>,\n' +
        'hlp_lab_history_baseline_median_<unit>, hlp_lab_history_current_to_baseline_ratio, hlp_lab_gate_verdicts, hlp_lab_gate_passed,\n' +
        'hlp_lab_target_<unit>, hlp_lab_target_met; <unit> is seconds, bytes, ratio, per_second or value. Start Prometheus with a long\n' +
        '--storage.tsdb.retention.time so that old history is not deleted at start-up.',
    )
    .action(async (_options: unknown, command: Command) => {
      await exportCommand(command.opts(), io);
    });
}
