import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CkksError } from '../src/index.js';
import { RandomSource, expandSeedStream } from '../src/native/randomness.js';
import { SealPrng } from '../src/seal-prng.js';

const seedOf = (k: number): Uint8Array => Uint8Array.from({ length: 64 }, (_, i) => (i * 31 + k) & 0xff);

test('expandSeedStream into a given buffer writes the same stream as a fresh one, for every PRNG; a wrong length is INVALID_ARGUMENT', () => {
  for (const prng of ['shake256', 'blake2xb', 'aes256ctr'] as const) {
    const fresh = expandSeedStream(prng, seedOf(1), 10_000);
    const out = new Uint8Array(10_000).fill(0xaa);
    assert.equal(expandSeedStream(prng, seedOf(1), 10_000, out), out);
    assert.deepEqual(out, fresh, prng);
    assert.notDeepEqual(expandSeedStream(prng, seedOf(2), 10_000), fresh, `${prng}: another seed, another stream`);
    assert.throws(
      () => expandSeedStream(prng, seedOf(1), 10_000, new Uint8Array(9_999)),
      (e: unknown) => e instanceof CkksError && e.code === 'INVALID_ARGUMENT',
    );
  }
});

test('RandomSource.expand reuses one buffer per size, each time holding the stream of the seed it was given', () => {
  const source = new RandomSource();
  const a = source.expand('shake256', seedOf(3), 5000);
  const first = Uint8Array.from(a);
  assert.deepEqual(first, expandSeedStream('shake256', seedOf(3), 5000));
  const b = source.expand('shake256', seedOf(4), 5000);
  assert.equal(b, a, 'the same buffer');
  assert.deepEqual(b, expandSeedStream('shake256', seedOf(4), 5000));
  assert.notDeepEqual(b, first);
  const c = source.expand('shake256', seedOf(3), 6000);
  assert.notEqual(c, a, 'another size, another buffer');
  assert.deepEqual(c.subarray(0, 5000), first, 'a stream does not depend on its length');
  // expansions never share memory with the CSPRNG fills
  assert.notEqual(source.fill(5000).buffer, a.buffer);
});

test("expandSeedStream (shake256, hashed natively) is the stream of SealPrng, SEAL's PRNG as written in TypeScript", () => {
  // Lengths around the 4096-byte refills and the native groups of 8 blocks.
  for (const bytes of [1, 4096, 4097, 8 * 4096 - 1, 9 * 4096 + 5, 196_608 + 1600]) {
    const want = new Uint8Array(bytes);
    new SealPrng('shake256', seedOf(bytes & 0xff)).generate(want);
    assert.deepEqual(expandSeedStream('shake256', seedOf(bytes & 0xff), bytes), want, `${bytes} bytes`);
  }
});

test("expandSeedStream (blake2xb, SEAL's default generator, hashed natively) is the stream of SealPrng in TypeScript", () => {
  // Lengths around the 4096-byte blocks and the 64-byte output blocks inside them; a level-3 c1.
  for (const bytes of [1, 63, 64, 65, 4096, 4097, 3 * 4096 + 100, 196_608]) {
    const want = new Uint8Array(bytes);
    new SealPrng('blake2xb', seedOf(bytes & 0xff)).generate(want);
    assert.deepEqual(expandSeedStream('blake2xb', seedOf(bytes & 0xff), bytes), want, `${bytes} bytes`);
  }
});
