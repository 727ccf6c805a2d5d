import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import { availableVariants, blake2xbBlocks, KernelError, SHAKE_BLOCK_BYTES, SHAKE_SEED_BYTES } from '../src/index.js';

// The seed 00 01 … 3f: the first 32 bytes of stream blocks 0, 1 and 2, from the TypeScript
// BLAKE2Xb of @hlp/ckks (checked there against RFC 7693's vectors and, through node-seal's seeded
// ciphertexts, against SEAL itself). @hlp/ckks's tests compare whole streams with it too.
const KNOWN = [
  '17b9767f6395a77a3d0f2f2bd234d8c6702918e8698e87a33e7d5a5ad6d37d67',
  '55e60aa1ba585070041fe56e25e0542e297bf5c7da1c73126f313b2b4c4a182a',
  'f9a01a2cc07ccb019f2de62c68053d05c0101e770645a3c9ecb1313404a0731f',
];

const cpuVariants = availableVariants().filter((v) => v !== 'cuda');

test('blake2xbBlocks: the known start of blocks 0, 1 and 2 for the seed 00 … 3f, in every CPU variant', () => {
  const seed = Uint8Array.from({ length: SHAKE_SEED_BYTES }, (_, i) => i);
  for (const variant of cpuVariants) {
    const out = blake2xbBlocks(seed, new Uint8Array(3 * SHAKE_BLOCK_BYTES), { variant });
    KNOWN.forEach((hex, b) =>
      assert.equal(Buffer.from(out.subarray(b * SHAKE_BLOCK_BYTES, b * SHAKE_BLOCK_BYTES + 32)).toString('hex'), hex, `${variant}, block ${b}`),
    );
  }
  assert.ok(cpuVariants.includes('scalar'));
});

test('blake2xbBlocks: every CPU variant gives the scalar stream, whatever the groups of eight 64-byte nodes a length cuts', () => {
  const seed = randomBytes(SHAKE_SEED_BYTES);
  // Around one node, one group of eight and one block, and c1 at three primes (n = 8192) with a cut block.
  const lengths = [0, 1, 63, 64, 65, 127, 129, 448, 511, 512, 513, 1000, 4095, SHAKE_BLOCK_BYTES, SHAKE_BLOCK_BYTES + 130, 49 * SHAKE_BLOCK_BYTES + 1000];
  for (const firstBlock of [0, 3]) {
    for (const bytes of lengths) {
      const scalar = blake2xbBlocks(seed, new Uint8Array(bytes), { firstBlock, variant: 'scalar' });
      for (const variant of cpuVariants) {
        const out = blake2xbBlocks(seed, new Uint8Array(bytes), { firstBlock, variant });
        assert.ok(Buffer.from(out).equals(scalar), `${variant}, first block ${firstBlock}, ${bytes} bytes`);
      }
    }
  }
});

test('blake2xbBlocks: a stream from a later block is the tail of the stream from block 0, cut anywhere', () => {
  const seed = randomBytes(SHAKE_SEED_BYTES);
  const whole = blake2xbBlocks(seed, new Uint8Array(7 * SHAKE_BLOCK_BYTES));
  for (const firstBlock of [1, 5]) {
    for (const bytes of [0, 1, 64, 65, SHAKE_BLOCK_BYTES + 3]) {
      const part = blake2xbBlocks(seed, new Uint8Array(bytes), { firstBlock });
      assert.deepEqual(part, whole.subarray(firstBlock * SHAKE_BLOCK_BYTES, firstBlock * SHAKE_BLOCK_BYTES + bytes), `block ${firstBlock}, ${bytes} bytes`);
    }
  }
  assert.notDeepEqual(blake2xbBlocks(randomBytes(SHAKE_SEED_BYTES), new Uint8Array(64)), whole.subarray(0, 64), 'another seed, another stream');
});

test('blake2xbBlocks: a seed of another length, a bad first block or variant is a typed error', () => {
  const out = new Uint8Array(16);
  assert.throws(
    () => blake2xbBlocks(new Uint8Array(65), out),
    (e: unknown) => e instanceof KernelError && e.code === 'LENGTH_MISMATCH',
  );
  for (const firstBlock of [-1, 1.5, 2 ** 32]) {
    assert.throws(
      () => blake2xbBlocks(new Uint8Array(64), out, { firstBlock }),
      (e: unknown) => e instanceof KernelError && e.code === 'INVALID_ARGUMENT',
    );
  }
  assert.throws(
    () => blake2xbBlocks(new Uint8Array(64), out, { variant: 'sse9' as never }),
    (e: unknown) => e instanceof KernelError && e.code === 'INVALID_ARGUMENT',
  );
  assert.throws(
    () => blake2xbBlocks(new Uint8Array(64), new Uint16Array(4) as never),
    (e: unknown) => e instanceof KernelError && e.code === 'INVALID_ARGUMENT',
  );
});
