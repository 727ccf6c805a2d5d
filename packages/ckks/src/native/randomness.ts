/** The native backend's randomness: OpenSSL's CSPRNG for secret draws, seed expansion for c1. */
import { createCipheriv, randomFill, randomFillSync } from 'node:crypto';
import { CkksError } from '../errors.js';
import type { SeedPrngType } from '../seal-format.js';
import { PRNG_SEED_BYTES, SealPrng } from '../seal-prng.js';

/** Reusable CSPRNG buffers: one fill per operation, no allocation on the hot path. */
export class RandomSource {
  readonly #buffers = new Map<number, Uint8Array>();

  /** `bytes` fresh random bytes from OpenSSL's CSPRNG. Valid until the next call of the same size. */
  fill(bytes: number): Uint8Array {
    let buf = this.#buffers.get(bytes);
    if (!buf) {
      buf = new Uint8Array(bytes);
      this.#buffers.set(bytes, buf);
    }
    return randomFillSync(buf);
  }
}

/** The byte stream a symmetric ciphertext's seed stands for. */
export function expandSeedStream(prng: SeedPrngType, seed: Uint8Array, bytes: number): Uint8Array {
  if (seed.length !== PRNG_SEED_BYTES) {
    throw new CkksError('INVALID_ARGUMENT', `a seed is ${PRNG_SEED_BYTES} bytes, got ${seed.length}`);
  }
  if (prng === 'aes256ctr') {
    const cipher = createCipheriv('aes-256-ctr', seed.subarray(0, 32), seed.subarray(32, 48));
    return new Uint8Array(cipher.update(new Uint8Array(bytes)));
  }
  const out = new Uint8Array(bytes);
  new SealPrng(prng, seed).generate(out);
  return out;
}

/** Node's OpenSSL CSPRNG, filled on a libuv worker thread. */
export function fillRandomAsync(buf: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => randomFill(buf, (error, filled) => (error ? reject(error) : resolve(filled))));
}
