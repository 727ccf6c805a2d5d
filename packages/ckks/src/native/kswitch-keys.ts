/**
 * The native backend's key-switching keys: the relinearization key and the Galois keys, held
 * as the native core's flat arrays (k components of two key-level polynomials, NTT form) and
 * exchanged as SEAL's KSwitchKeys bytes.
 *
 * Keys made here are seeded as SEAL's KeyGenerator seeds them when asked to save seeds: each
 * component's c1 is the SHAKE256 expansion of its own 64-byte seed, so the bytes are about
 * half of the full form and node-seal loads them. Imported keys may be full or seeded.
 */
import { randomBytes } from 'node:crypto';
import { alignedWords, type CkksCore } from '@hlp/kernels';
import { CkksError } from '../errors.js';
import type { CkksParams } from '../params.js';
import { parseKSwitchKeys, writeKSwitchKeys, type SealCiphertext, type SealKSwitchKeys, type SealSeed, type SeedPrngType } from '../seal-format.js';
import { PRNG_SEED_BYTES } from '../seal-prng.js';

/** One key-switching key. */
export interface KswitchKey {
  /** k · 2 · (k + 1) · n words. */
  readonly data: BigUint64Array;
  /** Component j's c1 is the expansion of seeds[j]; null when held in full only. */
  readonly seeds: readonly SealSeed[] | null;
}

export interface KswitchKeyContext {
  readonly core: CkksCore;
  readonly params: CkksParams;
  /** parms_id of the key level. */
  readonly keyParmsId: Uint8Array;
  /** Throws CkksError (the backend's translation of kernel errors). */
  native<T>(what: string, fn: () => T): T;
  /** The bytes the SEAL PRNG of this type expands `seed` into. */
  expand(prng: SeedPrngType, seed: Uint8Array, bytes: number): Uint8Array;
  /** `bytes` fresh CSPRNG bytes. */
  random(bytes: number): Uint8Array;
}

/** SEAL's util::naf: signed powers of two summing to `value`, fewest terms. */
export function naf(value: number): number[] {
  const out: number[] = [];
  const sign = value < 0 ? -1 : 1;
  let v = Math.abs(value);
  for (let bit = 1; v !== 0; bit *= 2) {
    const z = v % 2 === 1 ? 2 - (v % 4) : 0;
    v = (v - z) / 2;
    if (z !== 0) out.push(sign * z * bit);
  }
  return out;
}

export class KswitchKeys {
  #relin: KswitchKey | null = null;
  /** By Galois element. */
  readonly #galois = new Map<number, KswitchKey>();
  /**
   * Hoisting keys (`CkksCore.hoistingKey`) of the Galois keys that hoisted rotations used, made
   * on first use: a second copy of each such key, so that the baby steps of a matrix product
   * read the shared decomposition in order.
   */
  readonly #hoisting = new Map<number, BigUint64Array>();

  constructor(private readonly ctx: KswitchKeyContext) {}

  get relin(): KswitchKey | null {
    return this.#relin;
  }

  get hasGalois(): boolean {
    return this.#galois.size > 0;
  }

  /** Bytes held for key switching (the flat arrays). */
  get heldBytes(): number {
    let words = this.#relin?.data.length ?? 0;
    for (const key of this.#galois.values()) words += key.data.length;
    for (const key of this.#hoisting.values()) words += key.length;
    return words * 8;
  }

  /** The Galois elements held, ascending. */
  get galoisElements(): number[] {
    return [...this.#galois.keys()].sort((a, b) => a - b);
  }

  galoisKey(elt: number): KswitchKey | undefined {
    return this.#galois.get(elt);
  }

  /** The hoisting key of `elt`'s Galois key (made on first use), undefined without that key. */
  hoistingKey(elt: number): BigUint64Array | undefined {
    const key = this.#galois.get(elt);
    if (!key) return undefined;
    let made = this.#hoisting.get(elt);
    if (!made) {
      const { core } = this.ctx;
      made = this.ctx.native('make a hoisting key', () => core.hoistingKey(key.data, elt));
      this.#hoisting.set(elt, made);
    }
    return made;
  }

  clear(): void {
    this.#relin = null;
    this.#galois.clear();
    this.#hoisting.clear();
  }

  // -- generation -------------------------------------------------------------------------

  generateRelin(secretKey: BigUint64Array): void {
    this.#relin = this.#generate(secretKey, 0);
  }

  /** Galois keys for these steps (0: conjugation), replacing those held. */
  generateGalois(secretKey: BigUint64Array, steps: readonly number[]): void {
    const elts = [...new Set(steps.map((s) => this.elementOf(s)))];
    const made = new Map<number, KswitchKey>();
    for (const elt of elts) made.set(elt, this.#generate(secretKey, elt));
    this.#galois.clear();
    this.#hoisting.clear();
    for (const [elt, key] of made) this.#galois.set(elt, key);
  }

  #generate(secretKey: BigUint64Array, elt: number): KswitchKey {
    const { core } = this.ctx;
    const k = core.dataPrimeCount;
    const stride = core.randomnessBytes('uniform', k + 1);
    const uniform = new Uint8Array(k * stride);
    const seeds: SealSeed[] = [];
    for (let j = 0; j < k; j++) {
      const seed = new Uint8Array(randomBytes(PRNG_SEED_BYTES));
      seeds.push({ prngType: 'shake256', seed });
      uniform.set(this.ctx.expand('shake256', seed, stride), j * stride);
    }
    const noise = this.ctx.random(k * core.randomnessBytes('noise'));
    const data = this.ctx.native(elt === 0 ? 'generate relinearization key' : 'generate Galois key', () =>
      core.generateKswitchKey(secretKey, elt, uniform, noise),
    );
    noise.fill(0);
    return { data, seeds };
  }

  /** The Galois element of a rotation by `steps` (0: conjugation). */
  elementOf(steps: number): number {
    const slots = this.ctx.params.slotCount;
    if (!Number.isInteger(steps) || Math.abs(steps) >= slots) {
      throw new CkksError('INVALID_ARGUMENT', `rotation step ${steps} must be an integer with |step| < ${slots}`);
    }
    return this.ctx.core.galoisElement(steps);
  }

  /**
   * The rotations that make up `steps` with the keys held: the step itself when its key is
   * here, else its NAF terms (as SEAL does), each of which must have a key.
   */
  rotationPlan(steps: number): { readonly steps: number; readonly elt: number; readonly key: KswitchKey }[] {
    if (this.#galois.size === 0) throw new CkksError('MISSING_KEY', 'rotation needs Galois keys');
    const elt = this.elementOf(steps);
    const key = this.#galois.get(elt);
    if (key) return [{ steps, elt, key }];
    const terms = naf(steps);
    if (terms.length > 1) return terms.flatMap((t) => this.rotationPlan(t));
    throw new CkksError('MISSING_KEY', `no Galois key for a rotation by ${steps} (element ${elt}), nor for its NAF terms`);
  }

  // -- exchange ---------------------------------------------------------------------------

  exportRelin(): Uint8Array {
    if (!this.#relin) throw new CkksError('MISSING_KEY', 'no relin key to export');
    return writeKSwitchKeys({ parmsId: this.ctx.keyParmsId, keys: [this.#components(this.#relin)] });
  }

  exportGalois(): Uint8Array {
    if (this.#galois.size === 0) throw new CkksError('MISSING_KEY', 'no galois key to export');
    // SEAL indexes Galois keys by (elt - 1) / 2 over all n odd elements below 2n.
    const rows: (readonly SealCiphertext[])[] = Array.from({ length: this.ctx.params.n }, () => []);
    for (const [elt, key] of this.#galois) rows[(elt - 1) / 2] = this.#components(key);
    return writeKSwitchKeys({ parmsId: this.ctx.keyParmsId, keys: rows });
  }

  importRelin(bytes: Uint8Array): void {
    const ks = this.#parse(bytes, 'relin key');
    const row = ks.keys[0];
    if (ks.keys.length < 1 || !row || row.length === 0) throw new CkksError('MALFORMED', 'relin key holds no key for s^2');
    if (ks.keys.slice(1).some((r) => r.length > 0)) {
      throw new CkksError('INVALID_ARGUMENT', 'relin keys beyond s^2 (for size > 3 ciphertexts) are not supported');
    }
    this.#relin = this.#load(row, 'relin key');
  }

  importGalois(bytes: Uint8Array): void {
    const ks = this.#parse(bytes, 'galois key');
    if (ks.keys.length > this.ctx.params.n) {
      throw new CkksError('MALFORMED', `galois key has ${ks.keys.length} slots, more than the ${this.ctx.params.n} elements of n = ${this.ctx.params.n}`);
    }
    const loaded = new Map<number, KswitchKey>();
    ks.keys.forEach((row, i) => {
      if (row.length > 0) loaded.set(2 * i + 1, this.#load(row, `galois key for element ${2 * i + 1}`));
    });
    if (loaded.size === 0) throw new CkksError('MALFORMED', 'galois key holds no key');
    this.#galois.clear();
    this.#hoisting.clear();
    for (const [elt, key] of loaded) this.#galois.set(elt, key);
  }

  #parse(bytes: Uint8Array, what: string): SealKSwitchKeys {
    const ks = parseKSwitchKeys(bytes);
    if (Buffer.compare(Buffer.from(ks.parmsId), Buffer.from(this.ctx.keyParmsId)) !== 0) {
      throw new CkksError('PARAMETER_MISMATCH', `${what} belongs to other parameters (parms_id mismatch)`, 'parmsId');
    }
    return ks;
  }

  #load(row: readonly SealCiphertext[], what: string): KswitchKey {
    const { core, params } = this.ctx;
    const k = core.dataPrimeCount;
    const polyWords = (k + 1) * params.n;
    if (row.length !== k) throw new CkksError('PARAMETER_MISMATCH', `${what} has ${row.length} components, expected ${k} (one per data prime)`);
    const data = alignedWords(core.kswitchKeyWords, { zeroed: true });
    const seeds: SealSeed[] = [];
    row.forEach((ct, j) => {
      if (ct.size !== 2 || !ct.isNttForm || ct.polyModulusDegree !== params.n || ct.coeffModulusSize !== k + 1) {
        throw new CkksError('PARAMETER_MISMATCH', `${what} component ${j} is not two NTT-form polynomials at the key level`);
      }
      if (Buffer.compare(Buffer.from(ct.parmsId), Buffer.from(this.ctx.keyParmsId)) !== 0) {
        throw new CkksError('PARAMETER_MISMATCH', `${what} component ${j} belongs to another level`, 'parmsId');
      }
      const at = 2 * j * polyWords;
      if (ct.seed) {
        data.set(ct.data.subarray(0, polyWords), at);
        const stream = this.ctx.expand(ct.seed.prngType, ct.seed.seed, core.randomnessBytes('uniform', k + 1));
        data.set(
          this.ctx.native('expand a key seed', () => core.sampleUniform(stream, k + 1)),
          at + polyWords,
        );
        seeds.push(ct.seed);
      } else {
        data.set(ct.data, at);
      }
    });
    this.ctx.native(`check the ${what}`, () => core.checkKswitchKey(data));
    return { data, seeds: seeds.length === k ? seeds : null };
  }

  #components(key: KswitchKey): SealCiphertext[] {
    const { params } = this.ctx;
    const k = this.ctx.core.dataPrimeCount;
    const polyWords = (k + 1) * params.n;
    return Array.from({ length: k }, (_, j) => {
      const at = 2 * j * polyWords;
      const base = {
        parmsId: this.ctx.keyParmsId,
        isNttForm: true,
        size: 2,
        polyModulusDegree: params.n,
        coeffModulusSize: k + 1,
        scale: 1,
        correctionFactor: 1n,
      };
      const seed = key.seeds?.[j];
      return seed ? { ...base, data: key.data.subarray(at, at + polyWords), seed } : { ...base, data: key.data.subarray(at, at + 2 * polyWords) };
    });
  }
}
