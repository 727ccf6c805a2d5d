import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { Allocator, KernelError, NttContext, generateNttPrimes, mulModBarrett, variants } from '../src/index.js';

function expectCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof KernelError, `expected KernelError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

const q = generateNttPrimes(50, 1024, 1)[0]!;

test('bad ring degrees and moduli are typed errors', () => {
  expectCode(() => new NttContext(1000, [q]), 'NOT_POWER_OF_TWO');
  expectCode(() => new NttContext(0, [q]), 'NOT_POWER_OF_TWO');
  expectCode(() => new NttContext(1 << 20, [q]), 'NOT_POWER_OF_TWO');
  expectCode(() => new NttContext(1024, [12289n * 40961n]), 'MODULUS_NOT_PRIME');
  expectCode(() => new NttContext(1024, [1000003n]), 'MODULUS_NOT_NTT_FRIENDLY');
  expectCode(() => new NttContext(1024, [(1n << 61n) + 1n]), 'MODULUS_TOO_LARGE');
  expectCode(() => new NttContext(1024, []), 'INVALID_ARGUMENT');
  expectCode(() => new NttContext(1024, [-5n]), 'INVALID_ARGUMENT');
  expectCode(() => generateNttPrimes(61, 1024, 1), 'MODULUS_TOO_LARGE');
  expectCode(() => generateNttPrimes(50, 1000, 1), 'NOT_POWER_OF_TWO');
  expectCode(() => mulModBarrett(q, 1n, q), 'VALUE_OUT_OF_RANGE');
});

test('bad data is a typed error and leaves the data untouched', () => {
  const ctx = new NttContext(1024, [q]);
  const data = new BigUint64Array(1024);
  data[77] = q;
  const before = data.slice();
  expectCode(() => ctx.forward(data), 'VALUE_OUT_OF_RANGE');
  assert.deepEqual(data, before);
  expectCode(() => ctx.inverse(new BigUint64Array(1000)), 'LENGTH_MISMATCH');
  expectCode(() => ctx.forward(new BigUint64Array(0)), 'LENGTH_MISMATCH');
  expectCode(() => ctx.forward(new Float64Array(1024) as unknown as BigUint64Array), 'INVALID_ARGUMENT');
  expectCode(() => ctx.forward(new BigUint64Array(1024), { variant: 'sse9' as never }), 'INVALID_ARGUMENT');
  expectCode(() => ctx.forward(new BigUint64Array(1024), { firstModulus: 1 }), 'INVALID_ARGUMENT');
  expectCode(() => ctx.mulMod(new BigUint64Array(1024), new BigUint64Array(1024), new BigUint64Array(2048)), 'LENGTH_MISMATCH');
  if (!variants().find((v) => v.name === 'cuda')?.available) {
    expectCode(() => ctx.forward(new BigUint64Array(1024), { variant: 'cuda' }), 'VARIANT_UNAVAILABLE');
  }
  ctx.dispose();
  expectCode(() => ctx.forward(new BigUint64Array(1024)), 'INVALID_ARGUMENT');
});

test('async errors reject with a typed error', async () => {
  const ctx = new NttContext(1024, [q]);
  const data = new BigUint64Array(1024).fill(q + 1n);
  await assert.rejects(ctx.forwardAsync(data), (e: unknown) => e instanceof KernelError && e.code === 'VALUE_OUT_OF_RANGE');
  ctx.dispose();
});

test('allocator: bad arguments are typed errors', () => {
  expectCode(() => new Allocator('arena' as never), 'INVALID_ARGUMENT');
  const a = new Allocator('pool');
  expectCode(() => a.alloc(0), 'INVALID_ARGUMENT');
  expectCode(() => a.free(12345), 'INVALID_ARGUMENT');
  const h = a.alloc(4096);
  a.free(h);
  expectCode(() => a.free(h), 'INVALID_ARGUMENT');
  expectCode(() => a.churn([], 4, 4), 'INVALID_ARGUMENT');
  a.dispose();
  expectCode(() => a.stats(), 'INVALID_ARGUMENT');
});

test('HLP_KERNEL picks the default variant, and an unavailable one falls back', () => {
  const moduleUrl = new URL('../src/index.js', import.meta.url).href;
  const script = `import('${moduleUrl}').then((k) => console.log(k.defaultVariant()))`;
  const run = (value: string): string =>
    spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, HLP_KERNEL: value },
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('.', import.meta.url)),
    }).stdout.trim();
  assert.equal(run('scalar'), 'scalar');
  const best = run('');
  assert.ok(['scalar', 'avx2', 'avx512'].includes(best), best);
  assert.equal(run('cuda'), variants().find((v) => v.name === 'cuda')?.available ? 'cuda' : best);
  assert.equal(run('nonsense'), best);
});
