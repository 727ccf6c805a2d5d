import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { benchKernels } from './bench/kernels-command.js';
import type { Io } from './io.js';
import { benchCkks } from './bench/ckks-command.js';
import { registerBaselineCommand } from './commands/baseline.js';
import { registerGateCommand } from './commands/gate.js';
import { registerServeCommand } from './commands/serve.js';
import { registerExportCommand } from './commands/export.js';
import { registerReportCommand } from './commands/report.js';
import { registerLoadCommand } from './commands/load.js';
import { registerSuiteCommand } from './commands/suite.js';
import { registerProfileCommand } from './commands/profile.js';
import { registerTuneCommand } from './commands/tune.js';
import { registerAbuseCommand } from './commands/abuse.js';
import { registerClusterCommand } from './commands/cluster.js';
import { CKKS_DEFAULT_NS, CKKS_DEFAULT_TIME_MS, CKKS_QUICK_TIME_MS, DEFAULT_NATIVE_THREADS, PROMPT_N } from './bench/ckks.js';
import { DEFAULT_BITS, DEFAULT_NS, DEFAULT_TIME_MS, QUICK_TIME_MS } from './bench/kernels.js';
import {
  CKKS_BACKENDS,
  CKKS_PRESET_NS,
  parseBitsList,
  parseCkksBackendList,
  parseCkksNList,
  parseMs,
  parsePairs,
  parseNList,
  parseThreadsList,
  parseVariantList,
} from './options.js';
import { VARIANTS } from '@hlp/kernels';
import { DEFAULT_PAIRS } from './gate/pairs.js';

/** --pair-with and --pairs, shared by the kernels and ckks benchmarks. */
function addPairOptions(command: Command): Command {
  return command
    .option(
      '--pair-with <checkout>',
      'measure this checkout and another built checkout of the monorepo interleaved in one process (alternating slices of each case); ' +
        'writes an hlp.pairs/1 document to --out, the measurement hlp gate --against decides from',
    )
    .addOption(
      new Option(
        '--pairs <n>',
        `--pair-with: pairs of slices per case (default ${DEFAULT_PAIRS}; a prompt pair is one whole prompt per side, in 12 alternating parts)`,
      ).argParser(parsePairs),
    )
    .option('--only <cases>', '--pair-with: just these cases, name{label=value;…} comma-separated (e.g. ntt.forward{variant=avx2})');
}

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

  const kernels = bench
    .command('kernels')
    .description(
      'tinybench suites over the native kernels: ntt.forward/ntt.inverse and eltwise.mul_mod per variant, ' +
        'n and prime size, and alloc.churn (pool vs malloc, ns per round); writes runs/<time>-kernels.json',
    )
    .addOption(
      new Option('--variant <list>', `variants to run, comma-separated (${VARIANTS.join(', ')}; default: every available)`).argParser(parseVariantList),
    )
    .addOption(new Option('--n <list>', `ring degrees, powers of two (default ${DEFAULT_NS.join(',')})`).argParser(parseNList))
    .addOption(new Option('--bits <list>', `prime sizes in bits, 20..60 (default ${DEFAULT_BITS.join(',')})`).argParser(parseBitsList))
    .addOption(new Option('--time <ms>', `tinybench time per case (default ${DEFAULT_TIME_MS}, --quick ${QUICK_TIME_MS})`).argParser(parseMs))
    .option('--json', 'print the run document on stdout (and nothing else there)')
    .option('--out <file>', 'write the run document to this file instead of the runs directory')
    .option('--no-alloc', 'skip the alloc.churn suite')
    .option('--quick', `short run for CI (${QUICK_TIME_MS} ms per case)`)
    .addHelpText('after', '\nRuns are written to $HLP_RUNS_DIR or <repo root>/runs. Progress and notes go to stderr.');
  addPairOptions(kernels).action(async (_options: unknown, command: Command) => {
    await benchKernels(command.opts(), io);
  });

  const ckksCommand = bench
    .command('ckks')
    .description(
      'tinybench suites over the CKKS backends of @hlp/ckks: ckks.encode, encrypt, encode_encrypt (key public|secret), ' +
        'decrypt, decode, serialize, add, multiply_plain, rescale per backend and preset n, ckks.ciphertext_bytes, ' +
        "ckks.decrypt_decode_batch (the proxy's answer path: 24 answers decrypted and decoded on the libuv pool; native), " +
        "ckks.encode_encrypt_batch (the proxy's encryption path: 16 vectors encrypted seeded in one call on the libuv pool; native), and " +
        `ckks.prompt_encrypt (one GPT-2 prompt, 1024 × 768 values, at n = ${PROMPT_N}); writes runs/<time>-ckks.json`,
    )
    .addOption(
      new Option('--backend <list>', `backends, comma-separated (${CKKS_BACKENDS.join(', ')}; default: both, native when @hlp/ckks has it)`).argParser(
        parseCkksBackendList,
      ),
    )
    .addOption(
      new Option(
        '--n <list>',
        `preset ring degrees (${CKKS_PRESET_NS.join(', ')}; default ${CKKS_DEFAULT_NS.join(',')}, --quick ${PROMPT_N}); ` +
          '32768 only when asked: node-seal alone needs ~17 s to build its context there',
      ).argParser(parseCkksNList),
    )
    .addOption(
      new Option(
        '--threads <list>',
        `worker threads for the native prompt benchmark (default ${DEFAULT_NATIVE_THREADS.join(',')}; seal is single-threaded and always runs 1)`,
      ).argParser(parseThreadsList),
    )
    .addOption(new Option('--time <ms>', `tinybench time per case (default ${CKKS_DEFAULT_TIME_MS}, --quick ${CKKS_QUICK_TIME_MS})`).argParser(parseMs))
    .option('--json', 'print the run document on stdout (and nothing else there)')
    .option('--out <file>', 'write the run document to this file instead of the runs directory')
    .option('--no-prompt', 'skip the prompt-scale benchmark (ckks.prompt_encrypt)')
    .option(
      '--no-key-switching',
      'skip relinearize, rotate, mul_relin_rescale, rotate_hoisted and matvec (and their key generation); with --pair-with: the paired key-switching and matvec cases',
    )
    .addOption(
      new Option(
        '--symmetric-prng <prng>',
        "how the native backend expands secret-key seeds: shake256 (SEAL's seeded format, node-seal loads it) or aes256ctr (faster; only the native backend loads it)",
      ).choices(['shake256', 'aes256ctr']),
    )
    .option('--quick', `short run for CI (${CKKS_QUICK_TIME_MS} ms per case, n = ${PROMPT_N} unless --n, few prompt iterations)`)
    .addHelpText(
      'after',
      '\nKeys are generated once per (backend, n); every backend must pass an encrypt/decrypt round trip (max error 1e-5) before it is timed.\n' +
        'Runs are written to $HLP_RUNS_DIR or <repo root>/runs. Progress and notes go to stderr.\n' +
        'With --pair-with (the merge gate): the operations, ckks.ciphertext_bytes, the prompt, and on the native backend ckks.decrypt_decode_batch,\n' +
        'ckks.encode_encrypt_batch, ckks.relinearize, rotate,\n' +
        'mul_relin_rescale and rotate_hoisted (rotations=8; Galois keys of steps 1-8 only; left out with a note against a reference without\n' +
        'native key switching), and ckks.matvec at shape=768x64 (each side with its own @hlp/evaluator and @hlp/model; left out with a note\n' +
        'against a reference without them).',
    );
  addPairOptions(ckksCommand).action(async (_options: unknown, command: Command) => {
    await benchCkks(command.opts(), io);
  });

  registerGateCommand(program, io);
  registerBaselineCommand(program, io);
  registerServeCommand(program, io);
  registerReportCommand(program, io);
  registerExportCommand(program, io);
  registerLoadCommand(program, io);
  registerSuiteCommand(program, io);
  registerProfileCommand(program, io);
  registerTuneCommand(program, io);
  registerAbuseCommand(program, io);
  registerClusterCommand(program, io);

  return program;
}
