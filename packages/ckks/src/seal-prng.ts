/**
 * SEAL 4.1's seeded uniform sampling, so that a seed found in a seeded ciphertext (or chosen
 * by a native encryptor) expands to exactly the polynomial SEAL expands it to.
 *
 * - A seed is 64 bytes (8 × u64); `prng_type` 1 = BLAKE2Xb (SEAL's default and what
 *   node-seal 6.0.3 uses), 2 = SHAKE256.
 * - The generator hands out bytes from a 4096-byte buffer, refilled on demand, the first
 *   refill using counter 0:
 *     BLAKE2Xb: buffer = blake2xb(outlen 4096, in = counter as u64 LE (8 bytes), key = seed)
 *     SHAKE256: buffer = shake256(seed ‖ counter as u64 LE, 4096 bytes)
 * - `sample_poly_uniform`: first draw N·L·8 bytes in one go as N·L little-endian u64; then for
 *   each modulus q_j in order and each coefficient in order, while the value r is
 *   ≥ (2^64 − 1) − ((2^64 − 1) mod q_j) − 1, replace it by the next 8 bytes of the stream;
 *   the coefficient is r mod q_j. The result is in the ciphertext's form: for CKKS (NTT form)
 *   it is c1 in the NTT domain.
 */
import { createHash } from 'node:crypto';
import { blake2xb } from './blake2b.js';
import { CkksError } from './errors.js';

export type PrngType = 'blake2xb' | 'shake256';
export const PRNG_SEED_BYTES = 64;
const BUFFER_SIZE = 4096;
const MAX_U64 = 0xffffffffffffffffn;

export class SealPrng {
  private buffer: Uint8Array = new Uint8Array(0);
  private head = 0;
  private counter = 0n;
  private readonly seed: Uint8Array;
  /** SHAKE256's input, seed ‖ counter: made once, its counter bytes rewritten per refill. */
  private readonly shakeInput = new Uint8Array(PRNG_SEED_BYTES + 8);

  constructor(
    readonly type: PrngType,
    seed: Uint8Array,
  ) {
    if (seed.length !== PRNG_SEED_BYTES) {
      throw new CkksError('INVALID_ARGUMENT', `a SEAL PRNG seed is ${PRNG_SEED_BYTES} bytes, got ${seed.length}`);
    }
    this.seed = Uint8Array.from(seed);
    this.shakeInput.set(this.seed);
  }

  private refill(): void {
    if (this.type === 'blake2xb') {
      const ctr = new Uint8Array(8);
      new DataView(ctr.buffer).setBigUint64(0, this.counter, true);
      this.buffer = blake2xb(BUFFER_SIZE, ctr, this.seed);
    } else {
      new DataView(this.shakeInput.buffer).setBigUint64(PRNG_SEED_BYTES, this.counter, true);
      // the digest is a Buffer, i.e. already a Uint8Array: read in place, not copied (a symmetric
      // encryption refills ~50 times, and the copies were half of what the collector had to free)
      this.buffer = createHash('shake256', { outputLength: BUFFER_SIZE }).update(this.shakeInput).digest();
    }
    this.counter++;
    this.head = 0;
  }

  /** Fill `dest` with the next bytes of the stream. */
  generate(dest: Uint8Array): void {
    let off = 0;
    while (off < dest.length) {
      if (this.head === this.buffer.length) this.refill();
      const take = Math.min(dest.length - off, this.buffer.length - this.head);
      dest.set(this.buffer.subarray(this.head, this.head + take), off);
      this.head += take;
      off += take;
    }
  }
}

/**
 * SEAL's `sample_poly_uniform`: a uniform RNS polynomial (N coefficients per modulus,
 * modulus-major) from the PRNG.
 */
export function samplePolyUniform(prng: SealPrng, n: number, moduli: readonly bigint[]): BigUint64Array {
  const count = n * moduli.length;
  const bytes = new Uint8Array(count * 8);
  prng.generate(bytes);
  const dv = new DataView(bytes.buffer);
  const out = new BigUint64Array(count);
  const extra = new Uint8Array(8);
  const extraView = new DataView(extra.buffer);
  for (let j = 0; j < moduli.length; j++) {
    const q = moduli[j]!;
    const maxMultiple = MAX_U64 - (MAX_U64 % q) - 1n;
    for (let i = 0; i < n; i++) {
      const idx = j * n + i;
      let r = dv.getBigUint64(idx * 8, true);
      while (r >= maxMultiple) {
        prng.generate(extra);
        r = extraView.getBigUint64(0, true);
      }
      out[idx] = r % q;
    }
  }
  return out;
}

/** Expand a seeded ciphertext's seed to its second polynomial c1 (as SEAL's `expand_seed`). */
export function expandSeed(type: PrngType, seed: Uint8Array, n: number, moduli: readonly bigint[]): BigUint64Array {
  return samplePolyUniform(new SealPrng(type, seed), n, moduli);
}
