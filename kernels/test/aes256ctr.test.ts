import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';

import { aes256ctrStream, availableVariants, KernelError, SHAKE_SEED_BYTES } from '../src/index.js';

const cpuVariants = availableVariants().filter((v) => v !== 'cuda');

/** OpenSSL's AES-256-CTR keystream for the seed's key (bytes 0–31) and counter (32–47). */
function aesReference(seed: Uint8Array, bytes: number): Buffer {
  return createCipheriv('aes-256-ctr', seed.subarray(0, 32), seed.subarray(32, 48)).update(Buffer.alloc(bytes));
}

test('aes256ctrStream: every CPU variant gives OpenSSL’s AES-256-CTR keystream, across steps, cut blocks and counter carries', () => {
  const lengths = [0, 1, 15, 16, 17, 255, 256, 257, 4096 + 9, 196_608 + 3];
  const seeds = [randomBytes(SHAKE_SEED_BYTES), randomBytes(SHAKE_SEED_BYTES)];
  // a counter 3 blocks short of the low word's carry, and one 2 blocks short of wrapping to 0
  seeds[0]!.fill(0xff, 40, 48)[47] = 0xfd;
  seeds[1]!.fill(0xff, 32, 48)[47] = 0xfe;
  for (const variant of cpuVariants)
    for (const [k, seed] of seeds.entries())
      for (const bytes of lengths) {
        const out = aes256ctrStream(seed, new Uint8Array(bytes), { variant });
        assert.ok(Buffer.from(out).equals(aesReference(seed, bytes)), `${variant}, seed ${k}, ${bytes} bytes`);
      }
  // the last 16 bytes of a seed are not read
  const a = randomBytes(SHAKE_SEED_BYTES);
  const b = Buffer.from(a).fill(0, 48);
  assert.deepEqual(aes256ctrStream(a, new Uint8Array(100)), aes256ctrStream(b, new Uint8Array(100)));
});

test('aes256ctrStream: a seed of another length or a bad variant is a typed error', () => {
  assert.throws(
    () => aes256ctrStream(new Uint8Array(48), new Uint8Array(16)),
    (e: unknown) => e instanceof KernelError && e.code === 'LENGTH_MISMATCH',
  );
  assert.throws(
    () => aes256ctrStream(new Uint8Array(64), new Uint8Array(16), { variant: 'sse9' as never }),
    (e: unknown) => e instanceof KernelError && e.code === 'INVALID_ARGUMENT',
  );
});
