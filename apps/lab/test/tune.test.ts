import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HE_STD_128_MAX_LOG_Q, parseParams } from '@hlp/ckks';
import { ADDON_PATH } from '@hlp/kernels';
import { tuneCommand } from '../src/tune/command.js';
import { QUICK_SPACE, candidates, dominates, paretoFront, type Point } from '../src/tune/search.js';

const NO_ADDON = existsSync(ADDON_PATH) ? false : `native addon not built (${ADDON_PATH})`;

describe('tune search space', () => {
  it('prunes to secure, depth-fitting candidates without repeating a scale at a larger n', () => {
    const { list, pruned } = candidates(QUICK_SPACE);
    assert.ok(list.length >= 5);
    assert.ok(pruned.some((p) => /128-bit bound/.test(p)));
    assert.ok(pruned.some((p) => /dominated by a smaller n/.test(p)));
    const scales = list.map((c) => c.scaleBits);
    assert.equal(new Set(scales).size, scales.length);
    for (const c of list) {
      assert.equal(c.coeffModulusBits.length, 3); // q0, one middle prime (depth 1), special
      assert.equal(c.coeffModulusBits[1], c.scaleBits);
      assert.ok(c.coeffModulusBits.reduce((a, b) => a + b, 0) <= HE_STD_128_MAX_LOG_Q[c.n]!);
      parseParams({ n: c.n, coeffModulusBits: [...c.coeffModulusBits], scaleBits: c.scaleBits }); // never insecure
    }
  });

  it('Pareto front keeps exactly the non-dominated points', () => {
    const p = (latencyMs: number, maxError: number, packedBytes: number): Point => ({
      n: 8192,
      coeffModulusBits: [],
      scaleBits: 40,
      latencyMs,
      maxError,
      packedBytes,
      serializedBytes: 0,
      totalBits: 0,
    });
    const a = p(1, 1e-3, 100);
    const b = p(2, 1e-6, 200);
    const c = p(3, 1e-3, 300); // dominated by a
    assert.ok(dominates(a, c));
    assert.deepEqual(paretoFront([a, b, c]), [a, b]);
  });
});

describe('hlp tune --quick', () => {
  it('prints a Pareto front of at least five points and writes the recommendation', { skip: NO_ADDON, timeout: 300_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hlp-tune-'));
    try {
      let stdout = '';
      const io = { stdout: { write: (s: string) => ((stdout += s), true) }, stderr: { write: () => true } } as never;
      const { outcome, path } = await tuneCommand({ quick: true, iterations: 2, out: join(dir, 'rec.json') }, io);
      assert.ok(outcome.front.length >= 5, `front has ${outcome.front.length} points`);
      assert.match(stdout, /Pareto front: \d+ of \d+ measured points/);
      for (const p of outcome.points) assert.ok(p.maxError < 0.05, `n=${p.n} scale=${p.scaleBits}: error ${p.maxError}`);
      const doc = JSON.parse(readFileSync(path, 'utf8')) as { schema: string; recommended: { n: number; coeffModulusBits: number[]; scaleBits: number } };
      assert.equal(doc.schema, 'hlp.tune/1');
      parseParams(doc.recommended);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
