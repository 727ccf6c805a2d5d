/** `hlp tune`: the CKKS parameter search run, its front printed and its recommendation written. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { compactUtc, defaultRunsDir } from '@hlp/results';
import { LabError } from '../errors.js';
import { FULL_SPACE, QUICK_SPACE, renderFront, tune, type TuneOutcome } from './search.js';
import type { Io } from '../io.js';

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
    progress: (i, n, c) =>
      io.stderr.write(
        `[${i}/${n}] n=${c.n} [${c.coeffModulusBits.join(',')}] scale 2^${c.scaleBits}  elapsed ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
      ),
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
