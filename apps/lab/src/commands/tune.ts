/** `hlp tune [--quick]`: the CKKS parameter search of tune/search.ts; prints the front, writes the recommendation. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { compactUtc, defaultRunsDir } from '@hlp/results';
import { LabError } from '../errors.js';
import { FULL_SPACE, QUICK_SPACE, renderFront, tune, type TuneOutcome } from '../tune/search.js';
import type { Io } from './bench-kernels.js';

const TuneOptions = z.object({
  quick: z.boolean().optional(),
  iterations: z.coerce.number().int().positive().max(1000).optional(),
  maxError: z.coerce.number().positive().default(1e-3),
  out: z.string().optional(),
  json: z.boolean().optional(),
});

export async function tuneCommand(raw: unknown, io: Io): Promise<{ outcome: TuneOutcome; path: string }> {
  const parsed = TuneOptions.safeParse(raw);
  if (!parsed.success) throw new LabError('USAGE', `invalid options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const o = parsed.data;
  const quick = o.quick === true;
  const path = resolve(o.out ?? join(defaultRunsDir(), `tune-${compactUtc(new Date())}-recommended.json`));
  await mkdir(dirname(path), { recursive: true });
  const t0 = performance.now();
  const outcome = await tune({
    space: quick ? QUICK_SPACE : FULL_SPACE,
    iterations: o.iterations ?? (quick ? 5 : 30),
    maxError: o.maxError,
    progress: (i, n, c) => io.stderr.write(`[${i}/${n}] n=${c.n} [${c.coeffModulusBits.join(',')}] scale 2^${c.scaleBits}  elapsed ${((performance.now() - t0) / 1000).toFixed(1)} s\n`),
  });
  const r = outcome.recommended;
  const doc = {
    schema: 'hlp.tune/1',
    createdAt: new Date().toISOString(),
    workload: 'affine',
    maxError: o.maxError,
    recommended: r ? { n: r.n, coeffModulusBits: r.coeffModulusBits, scaleBits: r.scaleBits } : null,
    front: outcome.front,
    points: outcome.points,
    pruned: outcome.pruned,
  };
  await writeFile(path, `${JSON.stringify(doc, null, 2)}\n`, 'utf8');
  (o.json ? io.stderr : io.stdout).write(`${renderFront(outcome)}\n`);
  io.stderr.write(`wrote ${path}\n`);
  if (o.json) io.stdout.write(`${JSON.stringify(doc)}\n`);
  return { outcome, path };
}

export function registerTuneCommand(program: Command, io: Io): void {
  program
    .command('tune')
    .description('search CKKS parameters inside the 128-bit table for the affine workload: encode+encrypt latency, precision, ciphertext bytes; print the Pareto front, write the recommended configuration')
    .option('--quick', 'coarse scales (5-bit steps), few iterations')
    .option('--iterations <n>', 'timed encode+encrypt per candidate (default 30, --quick 5)')
    .option('--max-error <x>', 'precision the recommendation must meet', '1e-3')
    .option('--out <file>', 'recommendation file (default runs/tune-<time>-recommended.json)')
    .option('--json', 'print the document on stdout')
    .action(async (_o: unknown, command: Command) => {
      await tuneCommand(command.opts(), io);
    });
}
