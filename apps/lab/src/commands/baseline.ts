/**
 * `hlp baseline record <suite>`: writes baselines/<suite>/<machine class>.json — the suite
 * measured here (`--repeat` runs pooled) or existing run files (`--from`), plus the
 * calibration benchmark of this machine, so that other machine classes can normalise.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { VARIANTS } from '@hlp/kernels';
import { DEFAULT_BITS, DEFAULT_NS, QUICK_TIME_MS } from '../bench/kernels.js';
import type { Io } from '../io.js';
import { parseBitsList, parseMs, parseNList, parseVariantList } from '../options.js';
import { PROFILES } from '../suite/config.js';
import { DEFAULT_REPEAT, DEFAULT_SUITE_REPEAT, baselineRecord } from '../baseline/record.js';

function parseRepeat(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 50) throw new InvalidArgumentError('repeat must be an integer from 1 to 50');
  return Number(value);
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerBaselineCommand(program: Command, io: Io): void {
  const baseline = program.command('baseline').description('stored baselines for the regression gate (baselines/<suite>/<machine class>.json)');
  baseline
    .command('record')
    .description(
      'measure a suite (or take --from run files) and write baselines/<suite>/<machine class>.json, with the calibration benchmark ' +
        'of this machine so that other machine classes can be compared (normalised, with a warning)',
    )
    .argument('[suite]', 'suite name (kernels is measured by itself; with --profile/--config: only this suite of the configuration)')
    .addOption(
      new Option(
        '--profile <name>',
        `measure the steps of a built-in suite (${PROFILES.join(', ')}), --repeat times, and record a baseline per run suite (kernels, ckks, load)`,
      ).choices([...PROFILES]),
    )
    .option('--config <file>', 'as --profile, with a suite configuration file')
    .option('--from <run.json>', 'use this run file instead of measuring (repeatable: runs are pooled)', collect)
    .addOption(
      new Option(
        '--repeat <k>',
        `runs pooled (default ${DEFAULT_REPEAT} for kernels alone, ${DEFAULT_SUITE_REPEAT} rounds of a --profile/--config suite)`,
      ).argParser(parseRepeat),
    )
    .addOption(new Option('--variant <list>', `kernels: variants (${VARIANTS.join(', ')}; default every available)`).argParser(parseVariantList))
    .addOption(new Option('--n <list>', `kernels: ring degrees (default ${DEFAULT_NS.join(',')})`).argParser(parseNList))
    .addOption(new Option('--bits <list>', `kernels: prime sizes (default ${DEFAULT_BITS.join(',')})`).argParser(parseBitsList))
    .addOption(new Option('--time <ms>', 'kernels: tinybench time per case').argParser(parseMs))
    .option('--quick', `kernels: short runs (${QUICK_TIME_MS} ms per case)`)
    .option('--no-alloc', 'kernels: skip the alloc.churn suite')
    .option('--no-calibration', 'do not measure the calibration benchmark')
    .option('--out <file>', 'write the baseline here instead of baselines/<suite>/<machine class>.json')
    .addHelpText('after', '\nBaselines go to $HLP_BASELINES_DIR or <repo root>/baselines. Measure with the options the gated runs will use.')
    .action(async (suite: string | undefined, _options: unknown, command: Command) => {
      await baselineRecord(suite, command.opts(), io);
    });
}
