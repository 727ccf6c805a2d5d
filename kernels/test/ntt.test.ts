import { test } from 'node:test';
import assert from 'node:assert/strict';

import { NttContext, availableVariants, generateNttPrimes, type Variant } from '../src/index.js';
import { modPow, nttDefinition, nttForwardReference, nttInverseReference } from '../src/reference.js';
import { mainThreadCost, randomBelow, toBigints } from './helpers.js';

const SIZES = [1024, 2048, 4096, 8192, 16384, 32768];
const BITS = [30, 40, 50, 60];
const variants: Variant[] = availableVariants();

test('at least scalar is available, and the reported variants run', () => {
  assert.ok(variants.includes('scalar'));
  // A 40-bit and a 60-bit prime: AVX-512 takes different multiplications below and above 50 bits.
  const n = 1024;
  for (const bits of [40, 60]) {
    const q = generateNttPrimes(bits, n, 1)[0]!;
    const ctx = new NttContext(n, [q]);
    const input = randomBelow(q, n);
    const expect = nttForwardReference(toBigints(input), q, ctx.roots[0]!);
    for (const variant of variants) {
      const data = input.slice();
      ctx.forward(data, { variant });
      assert.deepEqual(toBigints(data), expect, `${variant} forward, ${bits}-bit prime`);
      ctx.inverse(data, { variant });
      assert.deepEqual(data, input, `${variant} inverse(forward(x)) = x, ${bits}-bit prime`);
    }
    ctx.dispose();
  }
});

test('the O(n log n) BigInt reference equals the transform definition', () => {
  for (const bits of [30, 60]) {
    const n = 64;
    const q = generateNttPrimes(bits, n, 1)[0]!;
    const ctx = new NttContext(n, [q]);
    const psi = ctx.roots[0]!;
    assert.equal(modPow(psi, BigInt(n), q), q - 1n);
    const a = toBigints(randomBelow(q, n));
    assert.deepEqual(nttForwardReference(a, q, psi), nttDefinition(a, q, psi));
    assert.deepEqual(nttInverseReference(nttForwardReference(a, q, psi), q, psi), a);
    ctx.dispose();
  }
});

for (const n of SIZES) {
  for (const bits of BITS) {
    test(`every variant matches the BigInt reference: n=${n}, ${bits}-bit prime`, () => {
      const q = generateNttPrimes(bits, n, 1)[0]!;
      const ctx = new NttContext(n, [q]);
      const psi = ctx.roots[0]!;
      const input = randomBelow(q, n);
      input[0] = q - 1n;
      input[1] = 0n;
      input[n - 1] = q - 1n;
      const expect = nttForwardReference(toBigints(input), q, psi);
      for (const variant of variants) {
        const data = input.slice();
        ctx.forward(data, { variant });
        assert.deepEqual(toBigints(data), expect, `${variant} forward`);
        ctx.inverse(data, { variant });
        assert.deepEqual(data, input, `${variant} inverse(forward(x)) = x`);
      }
      // the extremes of the lazy ranges: all zero and all q-1
      for (const fill of [0n, q - 1n]) {
        const outputs = variants.map((variant) => {
          const data = new BigUint64Array(n).fill(fill);
          ctx.forward(data, { variant });
          return data;
        });
        for (const out of outputs) assert.deepEqual(out, outputs[0]);
      }
      ctx.dispose();
    });
  }
}

test('RNS: several primes and several polynomials in one call, and a single block by offset', () => {
  const n = 4096;
  const moduli = [...generateNttPrimes(60, n, 2), ...generateNttPrimes(40, n, 2)];
  const ctx = new NttContext(n, moduli);
  const polys = 3;
  const data = new BigUint64Array(polys * moduli.length * n);
  for (let p = 0; p < polys; p++) {
    moduli.forEach((q, b) => data.set(randomBelow(q, n), (p * moduli.length + b) * n));
  }
  const expect = data.slice();
  for (let p = 0; p < polys; p++) {
    moduli.forEach((q, b) => {
      const off = (p * moduli.length + b) * n;
      const block = toBigints(expect.subarray(off, off + n));
      expect.set(nttForwardReference(block, q, ctx.roots[b]!), off);
    });
  }
  for (const variant of variants) {
    const x = data.slice();
    ctx.forward(x, { variant });
    assert.deepEqual(x, expect, `${variant} batch`);
    ctx.inverse(x, { variant });
    assert.deepEqual(x, data);
  }
  // one residue block alone: block 2 of polynomial 0
  const single = data.slice(2 * n, 3 * n);
  ctx.forward(single, { firstModulus: 2, modulusCount: 1 });
  assert.deepEqual(single, expect.subarray(2 * n, 3 * n));
  ctx.dispose();
});

test('async transforms give the same result and leave the event loop free', async () => {
  const n = 8192;
  const moduli = generateNttPrimes(50, n, 4);
  const ctx = new NttContext(n, moduli);
  const polys = 32;
  const data = new BigUint64Array(polys * moduli.length * n);
  for (let p = 0; p < polys; p++) moduli.forEach((q, b) => data.set(randomBelow(q, n), (p * moduli.length + b) * n));
  const sync = data.slice();
  ctx.forward(sync, { variant: 'scalar' });
  const asyncData = data.slice();
  await ctx.forwardAsync(asyncData, { variant: 'scalar' });
  assert.deepEqual(asyncData, sync);
  await ctx.inverseAsync(asyncData);
  assert.deepEqual(asyncData, data);
  // The work runs on a worker thread: the loop's own thread spends a small part of the CPU the
  // same transforms cost it when run synchronously (forward outputs are reduced, so they are
  // valid inputs again).
  const work = data.slice();
  const cost = await mainThreadCost(
    () => ctx.forward(work, { variant: 'scalar' }),
    () => ctx.forwardAsync(work, { variant: 'scalar' }),
  );
  assert.ok(cost.asyncTicks * 3 <= cost.syncTicks, `main thread: ${cost.asyncTicks} ticks async vs ${cost.syncTicks} sync over ${cost.rounds} rounds`);
  ctx.dispose();
});

test('element-wise add, sub and mul agree with BigInt on every variant', () => {
  const n = 2048;
  const moduli = [generateNttPrimes(60, n, 1)[0]!, generateNttPrimes(45, n, 1)[0]!, generateNttPrimes(30, n, 1)[0]!];
  const ctx = new NttContext(n, moduli);
  const a = new BigUint64Array(moduli.length * n);
  const b = new BigUint64Array(moduli.length * n);
  moduli.forEach((q, k) => {
    a.set(randomBelow(q, n), k * n);
    b.set(randomBelow(q, n), k * n);
    a[k * n] = q - 1n;
    b[k * n] = q - 1n;
    b[k * n + 1] = q - 1n;
    a[k * n + 2] = 0n;
  });
  for (const variant of variants) {
    const sum = new BigUint64Array(a.length);
    const diff = new BigUint64Array(a.length);
    const prod = new BigUint64Array(a.length);
    ctx.addMod(sum, a, b, { variant });
    ctx.subMod(diff, a, b, { variant });
    ctx.mulMod(prod, a, b, { variant });
    for (let i = 0; i < a.length; i++) {
      const q = moduli[Math.floor(i / n)]!;
      assert.equal(sum[i], (a[i]! + b[i]!) % q);
      assert.equal(diff[i], (a[i]! - b[i]! + q) % q);
      assert.equal(prod[i], (a[i]! * b[i]!) % q);
    }
    // in place: out aliases a
    const inPlace = a.slice();
    ctx.mulMod(inPlace, inPlace, b, { variant });
    assert.deepEqual(inPlace, prod);
  }
  ctx.dispose();
});
