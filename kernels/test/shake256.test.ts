import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';

import { availableVariants, KernelError, SHAKE_BLOCK_BYTES, SHAKE_SEED_BYTES, shake256Blocks } from '../src/index.js';

/** The stream as its definition says, one OpenSSL SHAKE256 per block. */
function reference(seed: Uint8Array, firstBlock: number, bytes: number): Buffer {
  const blocks: Buffer[] = [];
  for (let c = firstBlock; blocks.length * SHAKE_BLOCK_BYTES < bytes; c++) {
    const counter = Buffer.alloc(8);
    counter.writeBigUInt64LE(BigInt(c));
    blocks.push(createHash('shake256', { outputLength: SHAKE_BLOCK_BYTES }).update(seed).update(counter).digest());
  }
  return Buffer.concat(blocks).subarray(0, bytes);
}

const cpuVariants = availableVariants().filter((v) => v !== 'cuda');

test('shake256Blocks: every CPU variant gives the per-block SHAKE256 stream, whole blocks, cut ones and offsets', () => {
  const seed = randomBytes(SHAKE_SEED_BYTES);
  // 49 blocks and a cut one: a symmetric ciphertext's c1 at three primes, n = 8192, and its spare draws.
  const lengths = [0, 1, 4095, SHAKE_BLOCK_BYTES, 3 * SHAKE_BLOCK_BYTES + 7, 8 * SHAKE_BLOCK_BYTES, 49 * SHAKE_BLOCK_BYTES + 1000];
  for (const variant of cpuVariants) {
    for (const firstBlock of [0, 5]) {
      for (const bytes of lengths) {
        const out = shake256Blocks(seed, new Uint8Array(bytes), { firstBlock, variant });
        assert.ok(Buffer.from(out).equals(reference(seed, firstBlock, bytes)), `${variant}, first block ${firstBlock}, ${bytes} bytes`);
      }
    }
  }
  assert.ok(cpuVariants.includes('scalar'));
});

test('shake256Blocks: a seed of another length, a bad first block or variant is a typed error', () => {
  const out = new Uint8Array(16);
  assert.throws(
    () => shake256Blocks(new Uint8Array(63), out),
    (e: unknown) => e instanceof KernelError && e.code === 'LENGTH_MISMATCH',
  );
  assert.throws(
    () => shake256Blocks(new Uint8Array(64), out, { firstBlock: -1 }),
    (e: unknown) => e instanceof KernelError && e.code === 'INVALID_ARGUMENT',
  );
  assert.throws(
    () => shake256Blocks(new Uint8Array(64), out, { firstBlock: 1.5 }),
    (e: unknown) => e instanceof KernelError && e.code === 'INVALID_ARGUMENT',
  );
  assert.throws(
    () => shake256Blocks(new Uint8Array(64), out, { variant: 'sse9' as never }),
    (e: unknown) => e instanceof KernelError && e.code === 'INVALID_ARGUMENT',
  );
  assert.throws(
    () => shake256Blocks(new Uint8Array(64), new Uint16Array(4) as never),
    (e: unknown) => e instanceof KernelError && e.code === 'INVALID_ARGUMENT',
  );
});
