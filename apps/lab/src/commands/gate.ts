/**
 * `hlp gate`: the command line of the gate (gate/command.ts runs it): compare a run with its
 * baseline, stored or a git ref built and measured in this job; exit 0 (pass), 1 (regression or
 * missed target) or 2 (usage or infrastructure error).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { SLOWDOWN_ENV } from '../bench/measure.js';
import { gateCommand } from '../gate/command.js';
import { CONFIG_FILE, DEFAULT_BENCH_ARGS, DEFAULT_BUDGET_S, DEFAULT_MAX_PAIRS, DEFAULT_MIN_PAIRS, DEFAULT_SUITE } from '../gate/options.js';
import type { Io } from '../io.js';
import { PROFILES } from '../suite/config.js';

function parseRounds(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 2 || Number(value) > 500) throw new InvalidArgumentError('rounds must be an integer from 2 to 500');
  return Number(value);
}

function parseBudget(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 10 || Number(value) > 7200) throw new InvalidArgumentError('budget must be whole seconds from 10 to 7200');
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
    .option(
      '--against <ref>',
      'same-job paired mode (the merge decision): build <ref> in a git worktree and measure it and the working tree interleaved (A B, B A, …) on this machine; ' +
        'auto: the last commit the gate passed (baselines/gate-pass.json) else the first parent; self: this checkout on both sides (tests the gate)',
    )
    .addOption(new Option('--profile <name>', '--against: gate the kernels and ckks steps of this suite profile').choices(PROFILES))
    .addOption(
      new Option(
        '--pairing <how>',
        '--against: in-process (default: both builds loaded in one process, alternating slices of each case) or processes (each side a fresh hlp bench process per pair)',
      ).choices(['in-process', 'processes']),
    )
    .addOption(
      new Option(
        '--rounds <n>',
        `--against: pairs every series gets before a decision, and per further batch (default ${DEFAULT_MIN_PAIRS['in-process']} in-process, ${DEFAULT_MIN_PAIRS.processes} processes)`,
      ).argParser(parseRounds),
    )
    .addOption(
      new Option(
        '--max-rounds <n>',
        `--against: at most this many pairs for a series still undecided (default ${DEFAULT_MAX_PAIRS['in-process']} in-process, ${DEFAULT_MAX_PAIRS.processes} processes)`,
      ).argParser(parseRounds),
    )
    .addOption(
      new Option('--budget <s>', `--against: seconds of measuring after which no further pair starts (default ${DEFAULT_BUDGET_S})`).argParser(parseBudget),
    )
    .option('--bench-args <args>', `--against: arguments of \`hlp bench <suite>\` (default "${DEFAULT_BENCH_ARGS}")`)
    .option('--record-pass', '--against: on a pass of a clean checkout, record HEAD in baselines/gate-pass.json as the next reference')
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
