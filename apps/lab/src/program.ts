import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { benchKernels, type Io } from './commands/bench-kernels.js';
import { DEFAULT_BITS, DEFAULT_NS, DEFAULT_TIME_MS, QUICK_TIME_MS } from './bench/kernels.js';
import { parseBitsList, parseMs, parseNList, parseVariantList } from './options.js';
import { VARIANTS } from '@hlp/kernels';

function labVersion(): string {
  try {
    const manifest: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    return z.object({ version: z.string() }).parse(manifest).version;
  } catch {
    return '0.0.0';
  }
}

/** The `hlp` command tree. Errors surface as thrown CommanderError/LabError (see main()). */
export function createProgram(io: Io): Command {
  const program = new Command('hlp')
    .description('hlp performance lab: benchmarks, result documents, gates')
    .version(labVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
    })
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError(true);

  const bench = program.command('bench').description('run a micro-benchmark suite and record the run');

  bench
    .command('kernels')
    .description(
      'tinybench suites over the native kernels: ntt.forward/ntt.inverse and eltwise.mul_mod per variant, ' +
        'n and prime size, and alloc.churn (pool vs malloc, ns per round); writes runs/<time>-kernels.json',
    )
    .addOption(new Option('--variant <list>', `variants to run, comma-separated (${VARIANTS.join(', ')}; default: every available)`).argParser(parseVariantList))
    .addOption(new Option('--n <list>', `ring degrees, powers of two (default ${DEFAULT_NS.join(',')})`).argParser(parseNList))
    .addOption(new Option('--bits <list>', `prime sizes in bits, 20..60 (default ${DEFAULT_BITS.join(',')})`).argParser(parseBitsList))
    .addOption(new Option('--time <ms>', `tinybench time per case (default ${DEFAULT_TIME_MS}, --quick ${QUICK_TIME_MS})`).argParser(parseMs))
    .option('--json', 'print the run document on stdout (and nothing else there)')
    .option('--out <file>', 'write the run document to this file instead of the runs directory')
    .option('--no-alloc', 'skip the alloc.churn suite')
    .option('--quick', `short run for CI (${QUICK_TIME_MS} ms per case)`)
    .addHelpText('after', '\nRuns are written to $HLP_RUNS_DIR or <repo root>/runs. Progress and notes go to stderr.')
    .action(async (_options: unknown, command: Command) => {
      await benchKernels(command.opts(), io);
    });

  return program;
}
