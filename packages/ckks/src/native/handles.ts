/** The native backend's ciphertext and plaintext handles: RNS words in NTT form, owned by their backend. */
import { expandPlain } from '@hlp/kernels';
import type { CiphertextHandle, PlaintextHandle } from '../backend.js';
import { CkksError } from '../errors.js';
import { ciphertextParts, writeCiphertext, type SealCiphertext } from '../seal-format.js';
import type { NativeBackend } from './backend.js';
import type { SymmetricPrng } from './options.js';

export class NativeCiphertext implements CiphertextHandle {
  readonly backend = 'native' as const;
  #data: BigUint64Array | null;
  #verified: boolean;
  /** Set once serializeParts has handed out views of #data: it is then never reused. */
  #escaped = false;

  constructor(
    readonly owner: NativeBackend,
    data: BigUint64Array,
    readonly level: number,
    readonly scale: number,
    readonly size: number,
    /** Set for a fresh symmetric encryption: c1 is the expansion of this seed. */
    readonly seed: { readonly prng: SymmetricPrng; readonly bytes: Uint8Array } | null = null,
    verified = true,
  ) {
    this.#data = data;
    this.#verified = verified;
  }

  /**
   * @internal Every residue is known to be below its prime: the ciphertext came out of a native
   * operation, or a checked one has read it. Only deserialized ones start unverified.
   */
  get verified(): boolean {
    return this.#verified;
  }

  /** @internal A native operation that checked its input has read this ciphertext. */
  markVerified(): void {
    this.#verified = true;
  }

  get parmsId(): string {
    return this.owner.chainLevel(this.level).parmsIdHex;
  }

  get seeded(): boolean {
    return this.seed !== null;
  }

  /** @internal serializeParts has handed out views of this ciphertext's words (for good, unlike lendParts). */
  get escaped(): boolean {
    return this.#escaped;
  }

  get disposed(): boolean {
    return this.#data === null;
  }

  /** @internal RNS data: size polynomials of (level + 1) blocks of n words, NTT form. */
  data(): BigUint64Array {
    if (!this.#data) throw new CkksError('DISPOSED', 'ciphertext used after dispose()');
    return this.#data;
  }

  serialize(): Uint8Array {
    return writeCiphertext(this.#seal());
  }

  serializeParts(): readonly Uint8Array[] {
    // The parts view this ciphertext's memory, which must then never become another result.
    this.#escaped = true;
    return ciphertextParts(this.#seal());
  }

  lendParts(): readonly Uint8Array[] {
    // The parts view this ciphertext's memory until dispose(), which returns it to the pool.
    return ciphertextParts(this.#seal());
  }

  #seal(): SealCiphertext {
    const data = this.data();
    const chain = this.owner.chainLevel(this.level);
    const polyWords = (this.level + 1) * this.owner.params.n;
    const base = {
      parmsId: chain.parmsId,
      isNttForm: true,
      size: this.size,
      polyModulusDegree: this.owner.params.n,
      coeffModulusSize: this.level + 1,
      scale: this.scale,
      correctionFactor: 1n,
    };
    const ct: SealCiphertext = this.seed
      ? { ...base, data: data.subarray(0, polyWords), seed: { prngType: this.seed.prng, seed: this.seed.bytes } }
      : { ...base, data };
    return ct;
  }

  dispose(): void {
    const data = this.#data;
    if (data === null) return;
    this.#data = null;
    this.owner.forget(this);
    if (!this.#escaped) this.owner.recycle(data);
  }
}

export class NativePlaintext implements PlaintextHandle {
  readonly backend = 'native' as const;
  #data: BigUint64Array | null;

  /** @param repeat how many positions each held word stands for (1: whole; see @hlp/kernels' compactPlain) */
  constructor(
    readonly owner: NativeBackend,
    data: BigUint64Array,
    readonly level: number,
    readonly scale: number,
    readonly repeat = 1,
  ) {
    this.#data = data;
  }

  get parmsId(): string {
    return this.owner.chainLevel(this.level).parmsIdHex;
  }

  get disposed(): boolean {
    return this.#data === null;
  }

  /** @internal (level + 1) blocks of n words, NTT form; a compact plaintext's expanded anew each call. */
  data(): BigUint64Array {
    const held = this.held();
    return this.repeat === 1 ? held : expandPlain(held, this.repeat);
  }

  /** @internal The words as held: (level + 1) blocks of n / repeat words. */
  held(): BigUint64Array {
    if (!this.#data) throw new CkksError('DISPOSED', 'plaintext used after dispose()');
    return this.#data;
  }

  dispose(): void {
    const data = this.#data;
    if (data === null) return;
    this.#data = null;
    this.owner.forget(this);
    // Its words were never handed out (data() and held() are read within a call), so a later
    // result may reuse them: a decryption in a loop then writes into warm memory instead of
    // a fresh, zeroed and faulted allocation each time. Compact words are not a result's size.
    if (this.repeat === 1) this.owner.recycle(data);
  }
}
