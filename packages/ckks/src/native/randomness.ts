/** The native backend's randomness: OpenSSL's CSPRNG for secret draws, seed expansion for c1. */
import { randomFill, randomFillSync } from 'node:crypto';
import { aes256ctrStream, blake2xbBlocks, shake256Blocks } from '@hlp/kernels';
import { CkksError } from '../errors.js';
import type { SeedPrngType } from '../seal-format.js';
import type { SymmetricPrng } from './options.js';
import { PRNG_SEED_BYTES } from '../seal-prng.js';

/** Reusable CSPRNG buffers: one fill per operation, no allocation on the hot path. */
export class RandomSource {
  readonly #buffers = new Map<number, Uint8Array>();
  readonly #streams = new Map<number, Uint8Array>();

  /** `bytes` fresh random bytes from OpenSSL's CSPRNG. Valid until the next call of the same size. */
  fill(bytes: number): Uint8Array {
    let buf = this.#buffers.get(bytes);
    if (!buf) {
      buf = new Uint8Array(bytes);
      this.#buffers.set(bytes, buf);
    }
    return randomFillSync(buf);
  }

  /**
   * The stream `seed` stands for (expandSeedStream), in a buffer reused per size: valid until the
   * next expansion of the same size. A symmetric encryption expands ~200 KB; a fresh array per
   * encryption was megabytes a second for the collector.
   */
  expand(prng: SeedPrngType, seed: Uint8Array, bytes: number): Uint8Array {
    let buf = this.#streams.get(bytes);
    if (!buf) {
      buf = new Uint8Array(bytes);
      this.#streams.set(bytes, buf);
    }
    return expandSeedStream(prng, seed, bytes, buf);
  }
}

/** `stream` when it is a seed expansion the native backend encrypts with, else INVALID_ARGUMENT. */
export function symmetricStream(stream: SymmetricPrng): SymmetricPrng {
  if (stream !== 'shake256' && stream !== 'aes256ctr')
    throw new CkksError('INVALID_ARGUMENT', `seedStream must be shake256 or aes256ctr, got ${String(stream)}`);
  return stream;
}

/** The byte stream a symmetric ciphertext's seed stands for. */
export function expandSeedStream(prng: SeedPrngType, seed: Uint8Array, bytes: number, out?: Uint8Array): Uint8Array {
  if (seed.length !== PRNG_SEED_BYTES) {
    throw new CkksError('INVALID_ARGUMENT', `a seed is ${PRNG_SEED_BYTES} bytes, got ${seed.length}`);
  }
  if (out !== undefined && out.length !== bytes) throw new CkksError('INVALID_ARGUMENT', `out must hold ${bytes} bytes, got ${out.length}`);
  const dest = out ?? new Uint8Array(bytes);
  // The project's own stream: AES-256-CTR under the seed's first 32 bytes from the counter in the
  // next 16, natively (VAES, else AES-NI) into `dest`, with no cipher object or copy.
  if (prng === 'aes256ctr') return aes256ctrStream(seed, dest);
  // SHAKE256's blocks are independent (seed ‖ counter), so the addon hashes 8 at once (AVX-512):
  // ~7x OpenSSL's one-at-a-time SHAKE256 here, and no digest objects for the collector.
  if (prng === 'shake256') return shake256Blocks(seed, dest);
  // BLAKE2Xb (SEAL's default generator: node-seal clients' seeds) natively too, 8 output nodes at
  // once on AVX-512: 0.11 ms for a level-3 c1 where the JavaScript generator took 18.8 ms on the
  // service's event loop.
  return blake2xbBlocks(seed, dest);
}

/** Node's OpenSSL CSPRNG, filled on a libuv worker thread. */
export function fillRandomAsync(buf: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => randomFill(buf, (error, filled) => (error ? reject(error) : resolve(filled))));
}
