/**
 * The `native` backend: CKKS on @hlp/kernels' native core (AVX-512/AVX2 NTTs), producing
 * and consuming SEAL 4.1 bytes, so node-seal decrypts and evaluates its ciphertexts and it
 * decrypts node-seal's.
 *
 * - The secret and public key come from a companion `seal` backend (it generates or loads
 *   them; the native side reads SEAL's serialized form). Relinearization and Galois keys
 *   are made, held and used natively (kswitch-keys.ts), in SEAL's seeded format.
 * - Every operation runs natively: encode, encrypt (public and secret key), decrypt,
 *   decode, add, sub, negate, add/multiply by a plaintext, multiply, relinearize, rescale,
 *   modulus switch, rotate (one at a time, or many of one ciphertext sharing one key-switch
 *   decomposition), and multiply + relinearize + rescale fused.
 * - Randomness: Node's OpenSSL CSPRNG (`randomFillSync`, a CTR-DRBG on AES-NI) for every
 *   secret draw (u, e, s); symmetric encryption expands a fresh 64-byte seed into the
 *   public polynomial c1 with SHAKE256 (SEAL's own seeded format, node-seal loads it) or,
 *   on request, AES-256-CTR (much faster, but only this backend can load the seed).
 */
import { createCipheriv, randomBytes, randomFill, randomFillSync } from 'node:crypto';
import { CkksCore, CudaEncryptor, KernelError } from '@hlp/kernels';
import type {
  CiphertextHandle,
  CkksBackend,
  EncodeOptions,
  KeyGenOptions,
  KeyKind,
  PlaintextHandle,
} from '../backend.js';
import { checkAccumulateTerms } from '../backend.js';
import { CkksError } from '../errors.js';
import { parseParams, type CkksParams, type CkksParamsLike } from '../params.js';
import {
  parmsIdChain,
  ciphertextParts,
  parseCiphertext,
  parseCiphertextView,
  parsePublicKey,
  parseSecretKey,
  writeCiphertext,
  type ChainLevel,
  type SealCiphertext,
  type SealCiphertextView,
  type SealSeed,
  type SeedPrngType,
} from '../seal-format.js';
import { PRNG_SEED_BYTES, SealPrng } from '../seal-prng.js';
import { KswitchKeys } from './kswitch-keys.js';
import { ResultPool } from './result-pool.js';
import { createSealBackend, type SealBackend } from '../seal/index.js';
import { cudaStatus, deviceChoiceFromEnv, deviceError, type BatchDevice, type DeviceChoice } from './device.js';

/** How a symmetric ciphertext's seed expands into c1. */
export type SymmetricPrng = 'shake256' | 'aes256ctr';

export interface NativeBackendOptions {
  /**
   * `shake256` (default): SEAL's seeded format, loadable by node-seal.
   * `aes256ctr`: about 10x cheaper expansion; the seeded bytes load only in this backend.
   */
  readonly symmetricPrng?: SymmetricPrng;
  /** Verify every residue of inputs against its prime in native calls (default true). */
  readonly checkInput?: boolean;
  /**
   * Bytes of disposed ciphertexts kept as result buffers for later operations (default
   * 64 MiB; 0 turns the reuse off). See {@link ResultPool}.
   */
  readonly resultPoolBytes?: number;
  /**
   * Where batched public-key encryption ({@link NativeBackend.encodeEncryptMany}) runs:
   * `auto` the GPU when the cuda variant is usable, else the CPU; `cuda` the GPU or a
   * DEVICE_UNAVAILABLE error; `cpu` never the GPU. Default: what HLP_KERNEL implies
   * (`cuda` → cuda, `scalar`/`avx2`/`avx512` → cpu, otherwise auto).
   */
  readonly device?: DeviceChoice;
}

export interface EncryptManyOptions extends EncodeOptions {
  /** Overrides the backend's device choice for this call. */
  readonly device?: DeviceChoice;
  /**
   * Where the CPU path writes the ciphertexts (exactly `ciphertextWords(level) × count` words;
   * the ciphertexts view it): the caller's pooled memory, reused once it has sent them. The
   * GPU path returns its own buffer.
   */
  readonly out?: BigUint64Array;
}

const CHECK_INPUT = { checkInput: true } as const;
const TRUSTED_INPUT = { checkInput: false } as const;
const DEFAULT_RESULT_POOL_BYTES = 64 * 1024 * 1024;
/** Randomness kept for reuse: a few batches' worth (196 KiB a ciphertext at n = 8192). */
const RANDOMNESS_POOL_BYTES = 16 * 1024 * 1024;

/** Scales of operands must agree to this relative tolerance (as SEAL's are_close). */
const SCALE_TOLERANCE = 1e-9;

class NativeCiphertext implements CiphertextHandle {
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

class NativePlaintext implements PlaintextHandle {
  readonly backend = 'native' as const;
  #data: BigUint64Array | null;

  constructor(
    readonly owner: NativeBackend,
    data: BigUint64Array,
    readonly level: number,
    readonly scale: number,
  ) {
    this.#data = data;
  }

  get parmsId(): string {
    return this.owner.chainLevel(this.level).parmsIdHex;
  }

  get disposed(): boolean {
    return this.#data === null;
  }

  /** @internal (level + 1) blocks of n words, NTT form. */
  data(): BigUint64Array {
    if (!this.#data) throw new CkksError('DISPOSED', 'plaintext used after dispose()');
    return this.#data;
  }

  dispose(): void {
    if (this.#data === null) return;
    this.#data = null;
    this.owner.forget(this);
  }
}

/** Reusable CSPRNG buffers: one fill per operation, no allocation on the hot path. */
class RandomSource {
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
function fillRandomAsync(buf: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => randomFill(buf, (error, filled) => (error ? reject(error) : resolve(filled))));
}

export class NativeBackend implements CkksBackend {
  readonly name = 'native' as const;
  readonly slotCount: number;
  readonly #core: CkksCore;
  readonly #seal: SealBackend;
  readonly #chain: ChainLevel[];
  readonly #random = new RandomSource();
  readonly #live = new Set<NativeCiphertext | NativePlaintext>();
  readonly #symmetricPrng: SymmetricPrng;
  readonly #check: { checkInput: boolean };
  readonly #results: ResultPool;
  /** Batch encryption's randomness buffers, reused once the encryption has read them. */
  readonly #randomness = new ResultPool<Buffer>(RANDOMNESS_POOL_BYTES);
  #secretKey: BigUint64Array | null = null;
  #publicKey: BigUint64Array | null = null;
  readonly #kswitch: KswitchKeys;
  #disposed = false;
  readonly #deviceChoice: DeviceChoice;
  /** GPU encryptors of the current public key by level (the one-time device setup). */
  readonly #gpu = new Map<number, CudaEncryptor>();
  /** Why `auto` settled on the CPU (null while the GPU is used or not yet tried). */
  #gpuFallback: string | null = null;

  constructor(
    readonly params: CkksParams,
    seal: SealBackend,
    options: NativeBackendOptions = {},
  ) {
    this.slotCount = params.slotCount;
    this.#seal = seal;
    this.#symmetricPrng = options.symmetricPrng ?? 'shake256';
    this.#check = { checkInput: options.checkInput ?? true };
    const poolBytes = options.resultPoolBytes ?? DEFAULT_RESULT_POOL_BYTES;
    if (!Number.isSafeInteger(poolBytes) || poolBytes < 0) {
      throw new CkksError('INVALID_ARGUMENT', `resultPoolBytes must be a non-negative integer, got ${String(poolBytes)}`);
    }
    this.#results = new ResultPool(poolBytes);
    this.#deviceChoice = options.device ?? deviceChoiceFromEnv();
    this.#chain = parmsIdChain(params.n, params.coeffModulus);
    try {
      this.#core = new CkksCore(params.n, params.coeffModulus);
    } catch (error) {
      throw this.#translate('create the native CKKS core', error);
    }
    this.#kswitch = new KswitchKeys({
      core: this.#core,
      params,
      keyParmsId: this.#chain[0]!.parmsId,
      native: (what, fn) => this.#native(what, fn),
      expand: expandSeedStream,
      random: (bytes) => this.#random.fill(bytes),
    });
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Handles alive (not yet disposed). */
  get liveHandles(): number {
    return this.#live.size;
  }

  /** Words of one fresh (two-part) ciphertext at data level `level`: what `encodeEncryptMany`'s `out` holds per ciphertext. */
  ciphertextWords(level: number): number {
    this.chainLevel(level);
    return 2 * (level + 1) * this.params.n;
  }

  /** @internal The chain entry of a data level (0 … maxLevel). */
  chainLevel(level: number): ChainLevel {
    const entry = this.#chain.find((c) => c.level === level);
    if (!entry) throw new CkksError('LEVEL_MISMATCH', `no data level ${level} (0 … ${this.params.maxLevel})`);
    return entry;
  }

  /** @internal */
  forget(h: NativeCiphertext | NativePlaintext): void {
    this.#live.delete(h);
  }

  /** @internal A disposed ciphertext's words, which nothing reads any more. */
  recycle(data: BigUint64Array): void {
    if (!this.#disposed) this.#results.give(data);
  }

  /** Bytes of disposed ciphertexts held for reuse as results. */
  get pooledResultBytes(): number {
    return this.#results.bytes;
  }

  /** Words of one polynomial at data level `level`. */
  #polyWords(level: number): number {
    return (level + 1) * this.params.n;
  }

  /** applyGalois's options: `count` reused result buffers when the pool has them all (the call takes all or none). */
  #outsFor(check: { checkInput: boolean }, count: number, words: number): { checkInput: boolean; outs?: BigUint64Array[] } {
    const outs: BigUint64Array[] = [];
    for (let r = 0; r < count; r++) {
      const out = this.#results.take(words);
      if (!out) break;
      outs.push(out);
    }
    if (outs.length === count) return { checkInput: check.checkInput, outs };
    for (const out of outs) this.#results.give(out);
    return check;
  }

  /** The call options of an evaluation: its input check and a reused result buffer of `words`, when one is pooled. */
  #into(check: { checkInput: boolean }, words: number): { checkInput: boolean; out?: BigUint64Array } {
    const out = this.#results.take(words);
    return out ? { checkInput: check.checkInput, out } : check;
  }

  #alive(): void {
    if (this.#disposed) throw new CkksError('DISPOSED', 'native backend used after dispose()');
  }

  #translate(what: string, error: unknown): CkksError {
    if (error instanceof CkksError) return error;
    if (error instanceof KernelError) {
      const code =
        error.code === 'LENGTH_MISMATCH' || error.code === 'VALUE_OUT_OF_RANGE'
          ? 'MALFORMED'
          : error.code === 'SCALE_OUT_OF_BOUNDS' || error.code === 'INVALID_ARGUMENT'
            ? 'INVALID_ARGUMENT'
            : 'BACKEND_ERROR';
      return new CkksError(code, `${what}: ${error.message}`);
    }
    return new CkksError('BACKEND_ERROR', `${what}: ${error instanceof Error ? error.message : String(error)}`);
  }

  /**
   * An evaluation on ciphertexts: their residues are range-checked in the native call only
   * while one of them is unverified (deserialized and not yet read by a checked call), and
   * all count as verified once a checked call succeeds. Outputs of native operations are
   * reduced by construction; checking them again on every use cost the diagonal method's
   * inner loop an eighth of its time (the same baby steps read once per giant step).
   */
  #evaluate<T>(what: string, operands: readonly NativeCiphertext[], fn: (check: { checkInput: boolean }) => T): T {
    const check = this.#check.checkInput && operands.some((o) => !o.verified) ? CHECK_INPUT : TRUSTED_INPUT;
    const out = this.#native(what, () => fn(check));
    if (check === CHECK_INPUT) for (const o of operands) o.markVerified();
    return out;
  }

  #native<T>(what: string, fn: () => T): T {
    this.#alive();
    try {
      return fn();
    } catch (error) {
      throw this.#translate(what, error);
    }
  }

  #ct(h: CiphertextHandle): NativeCiphertext {
    this.#alive();
    if (!(h instanceof NativeCiphertext) || h.owner !== this) {
      throw new CkksError('FOREIGN_HANDLE', 'ciphertext does not belong to this native backend');
    }
    h.data();
    return h;
  }

  #pt(h: PlaintextHandle): NativePlaintext {
    this.#alive();
    if (!(h instanceof NativePlaintext) || h.owner !== this) {
      throw new CkksError('FOREIGN_HANDLE', 'plaintext does not belong to this native backend');
    }
    h.data();
    return h;
  }

  #wrapCt(data: BigUint64Array, level: number, scale: number, size: number, seed: NativeCiphertext['seed'] = null, verified = true): NativeCiphertext {
    const h = new NativeCiphertext(this, data, level, scale, size, seed, verified);
    this.#live.add(h);
    return h;
  }

  #wrapPt(data: BigUint64Array, level: number, scale: number): NativePlaintext {
    const h = new NativePlaintext(this, data, level, scale);
    this.#live.add(h);
    return h;
  }

  #sameLevel(a: { level: number }, b: { level: number }, what: string): void {
    if (a.level !== b.level) {
      throw new CkksError('LEVEL_MISMATCH', `${what}: operands at levels ${a.level} and ${b.level}; mod-switch first`);
    }
  }

  #sameScale(a: { scale: number }, b: { scale: number }, what: string): void {
    if (Math.abs(a.scale - b.scale) > SCALE_TOLERANCE * Math.max(a.scale, b.scale)) {
      throw new CkksError('SCALE_MISMATCH', `${what}: scales ${a.scale} and ${b.scale} differ`);
    }
  }

  #sk(): BigUint64Array {
    if (!this.#secretKey) throw new CkksError('MISSING_KEY', 'no secret key: generate or import one');
    return this.#secretKey;
  }

  #pk(): BigUint64Array {
    if (!this.#publicKey) throw new CkksError('MISSING_KEY', 'no public key: generate or import one');
    return this.#publicKey;
  }

  // -- keys -------------------------------------------------------------------------------

  hasKey(kind: KeyKind): boolean {
    if (kind === 'secret') return this.#secretKey !== null;
    if (kind === 'public') return this.#publicKey !== null;
    if (kind === 'relin') return this.#kswitch.relin !== null;
    return this.#kswitch.hasGalois;
  }

  /**
   * Fresh keys: the secret and public key from the companion, the relinearization key
   * (unless `relin: false`) and the Galois keys of `galoisSteps` natively. A step of 0 asks
   * for the conjugation key.
   */
  generateKeys(options: KeyGenOptions = {}): void {
    this.#alive();
    // Bad steps fail before any key is replaced.
    for (const s of options.galoisSteps ?? []) this.#kswitch.elementOf(s);
    this.#seal.generateKeys({ relin: false });
    this.#kswitch.clear();
    this.#loadSecret(this.#seal.exportKey('secret'));
    this.#loadPublic(this.#seal.exportKey('public'));
    const sk = this.#sk();
    if (options.relin !== false) this.#kswitch.generateRelin(sk);
    if (options.galoisSteps && options.galoisSteps.length > 0) this.#kswitch.generateGalois(sk, options.galoisSteps);
  }

  generateGaloisKeys(steps: readonly number[]): void {
    this.#alive();
    const sk = this.#secretKey;
    if (!sk) throw new CkksError('MISSING_KEY', 'generating Galois keys needs the secret key');
    this.#kswitch.generateGalois(sk, steps);
  }

  exportKey(kind: KeyKind): Uint8Array {
    this.#alive();
    if (kind === 'relin') return this.#kswitch.exportRelin();
    if (kind === 'galois') return this.#kswitch.exportGalois();
    return this.#seal.exportKey(kind);
  }

  importKey(kind: KeyKind, bytes: Uint8Array): void {
    this.#alive();
    if (kind === 'relin') return this.#kswitch.importRelin(bytes);
    if (kind === 'galois') return this.#kswitch.importGalois(bytes);
    if (kind === 'secret') this.#loadSecret(bytes);
    if (kind === 'public') this.#loadPublic(bytes);
    this.#seal.importKey(kind, bytes);
  }

  /** Bytes of relinearization and Galois keys held, and the Galois elements they cover. */
  get keySwitchingMemory(): { readonly bytes: number; readonly galoisElements: readonly number[] } {
    return { bytes: this.#kswitch.heldBytes, galoisElements: this.#kswitch.galoisElements };
  }

  #keyLevel(parmsId: Uint8Array, what: string): void {
    const keyLevel = this.#chain[0]!;
    if (Buffer.compare(Buffer.from(parmsId), Buffer.from(keyLevel.parmsId)) !== 0) {
      throw new CkksError('PARAMETER_MISMATCH', `${what} belongs to other parameters (parms_id mismatch)`, 'parmsId');
    }
  }

  #loadSecret(bytes: Uint8Array): void {
    const sk = parseSecretKey(bytes);
    this.#keyLevel(sk.parmsId, 'secret key');
    const words = this.params.coeffModulus.length * this.params.n;
    if (sk.data.length !== words) throw new CkksError('PARAMETER_MISMATCH', `secret key has ${sk.data.length} words, expected ${words}`);
    this.#secretKey = sk.data.slice();
  }

  #loadPublic(bytes: Uint8Array): void {
    const pk = parsePublicKey(bytes);
    this.#keyLevel(pk.parmsId, 'public key');
    const words = 2 * this.params.coeffModulus.length * this.params.n;
    if (pk.data.length !== words) throw new CkksError('PARAMETER_MISMATCH', `public key has ${pk.data.length} words, expected ${words}`);
    this.#publicKey = pk.data.slice();
    // The device copies belong to the old key.
    this.#disposeGpu();
  }

  #disposeGpu(): void {
    for (const e of this.#gpu.values()) e.dispose();
    this.#gpu.clear();
  }

  // -- device -----------------------------------------------------------------------------

  /** The device choice in force (option, else HLP_KERNEL). */
  get deviceChoice(): DeviceChoice {
    return this.#deviceChoice;
  }

  /**
   * The device that batched public-key encryption uses with the backend's choice: `cuda`
   * when forced or when `auto` finds a usable GPU, else `cpu`.
   */
  get batchDevice(): BatchDevice {
    return this.#resolveDevice(this.#deviceChoice);
  }

  /** Why batch encryption is not on the GPU (null when it is). */
  get gpuUnavailableReason(): string | null {
    if (this.#deviceChoice === 'cpu') return 'the CPU was chosen (HLP_KERNEL or the device option)';
    if (this.#gpuFallback !== null) return this.#gpuFallback;
    const status = cudaStatus();
    return status.usable ? null : status.reason;
  }

  #resolveDevice(choice: DeviceChoice): BatchDevice {
    if (choice !== 'auto') return choice;
    return this.#gpuFallback === null && cudaStatus().usable ? 'cuda' : 'cpu';
  }

  /** The GPU encryptor for the current key at `level` (1-based), made once. */
  #encryptorAt(pk: BigUint64Array, level: number): CudaEncryptor {
    let e = this.#gpu.get(level);
    if (!e) {
      e = new CudaEncryptor(this.#core, pk, level, this.#check);
      this.#gpu.set(level, e);
    }
    return e;
  }

  // -- encoding and encryption ------------------------------------------------------------

  #values(values: ArrayLike<number>): Float64Array {
    if (values.length > this.slotCount) {
      throw new CkksError('INVALID_ARGUMENT', `${values.length} values do not fit ${this.slotCount} slots`);
    }
    const out = values instanceof Float64Array ? values : Float64Array.from(values);
    for (let i = 0; i < out.length; i++) {
      if (!Number.isFinite(out[i]!)) throw new CkksError('INVALID_ARGUMENT', `value ${i} is not a finite number`);
    }
    return out;
  }

  #encodeArgs(options: EncodeOptions): { scale: number; level: number } {
    const scale = options.scale ?? this.params.scale;
    const level = options.level ?? this.params.maxLevel;
    if (!Number.isInteger(level) || level < 0 || level > this.params.maxLevel) {
      throw new CkksError('LEVEL_MISMATCH', `level must be an integer in [0, ${this.params.maxLevel}], got ${level}`);
    }
    if (!(scale > 0) || !Number.isFinite(scale)) throw new CkksError('SCALE_MISMATCH', `scale must be positive and finite, got ${scale}`);
    return { scale, level };
  }

  encode(values: ArrayLike<number>, options: EncodeOptions = {}): PlaintextHandle {
    const v = this.#values(values);
    const { scale, level } = this.#encodeArgs(options);
    const data = this.#native('encode', () => this.#core.encode(v, scale, level + 1));
    return this.#wrapPt(data, level, scale);
  }

  decode(plaintext: PlaintextHandle): Float64Array {
    const p = this.#pt(plaintext);
    return this.#native('decode', () => this.#core.decode(p.data(), p.scale, this.slotCount, this.#check));
  }

  encrypt(plaintext: PlaintextHandle): CiphertextHandle {
    const p = this.#pt(plaintext);
    const pk = this.#pk();
    const randomness = this.#random.fill(this.#core.randomnessBytes('encryptPublic'));
    const data = this.#native('encrypt', () => this.#core.encryptPublic(pk, p.data(), 1, p.level + 1, randomness, this.#check));
    return this.#wrapCt(data, p.level, p.scale, 2);
  }

  /**
   * Encode and public-key encrypt `count` vectors of `valuesPerPlain` values in one native
   * call (fused: the plaintexts' NTTs are folded into the encryption), on a libuv worker
   * thread so the event loop stays free. `values` holds the vectors back to back.
   */
  async encodeEncryptMany(values: Float64Array, valuesPerPlain: number, options: EncryptManyOptions = {}): Promise<CiphertextHandle[]> {
    return (await this.encodeEncryptManyOn(values, valuesPerPlain, options)).ciphertexts;
  }

  /**
   * {@link encodeEncryptMany}, also saying which device did the work. On the GPU the
   * plaintexts are encoded on the same libuv worker and encrypted on the device; the
   * randomness is the same CSPRNG bytes in the same layout, so the ciphertexts equal the
   * CPU's bit for bit for the same bytes.
   */
  async encodeEncryptManyOn(
    values: Float64Array,
    valuesPerPlain: number,
    options: EncryptManyOptions = {},
  ): Promise<{ readonly ciphertexts: CiphertextHandle[]; readonly device: BatchDevice }> {
    this.#alive();
    if (!Number.isInteger(valuesPerPlain) || valuesPerPlain < 1 || valuesPerPlain > this.slotCount) {
      throw new CkksError('INVALID_ARGUMENT', `valuesPerPlain must be in [1, ${this.slotCount}]`);
    }
    if (values.length % valuesPerPlain !== 0 || values.length === 0) {
      throw new CkksError('INVALID_ARGUMENT', `${values.length} values are not whole vectors of ${valuesPerPlain}`);
    }
    const { scale, level } = this.#encodeArgs(options);
    const count = values.length / valuesPerPlain;
    const pk = this.#pk();
    // A buffer of this call's own (not Node's shared pool): concurrent calls must not share
    // bytes. It comes back to #randomness once the encryption has read it, so a busy server
    // reuses warm memory instead of a fresh megabyte per batch; allocUnsafe skips zeroing
    // what the CSPRNG overwrites at once. The asynchronous fill runs on the libuv pool, so the
    // event loop does not spend about 0.1 ms per ciphertext generating randomness.
    const randomBytesNeeded = count * this.#core.randomnessBytes('encryptPublic');
    const randomness = await fillRandomAsync(this.#randomness.take(randomBytesNeeded) ?? Buffer.allocUnsafe(randomBytesNeeded));
    const words = 2 * (level + 1) * this.params.n;
    const given = options.out;
    if (given !== undefined && given.length !== count * words) {
      this.#randomness.give(randomness);
      throw new CkksError('INVALID_ARGUMENT', `out must hold ${count * words} words (${count} ciphertexts), got ${given.length}`);
    }
    const choice = options.device ?? this.#deviceChoice;
    let device = this.#resolveDevice(choice);
    let encryptor: CudaEncryptor | null = null;
    if (device === 'cuda') {
      try {
        encryptor = this.#encryptorAt(pk, level + 1);
      } catch (error) {
        // Forced: a clear error. Auto: the CPU from now on, with the reason kept.
        if (choice === 'cuda') throw deviceError('GPU batch encryption (device cuda)', error);
        this.#gpuFallback = `GPU encryptor setup failed: ${error instanceof Error ? error.message : String(error)}`;
        device = 'cpu';
      }
    }
    let data: BigUint64Array;
    try {
      // The device path returns its own buffer (copied back from the GPU), `out` or not.
      data = encryptor
        ? await encryptor.encodeEncryptPublicAsync(values, valuesPerPlain, count, scale, randomness, this.#check)
        : await this.#core.encodeEncryptPublicAsync(pk, values, valuesPerPlain, count, scale, level + 1, randomness, { ...this.#check, ...(given ? { out: given } : {}) });
    } catch (error) {
      if (encryptor && error instanceof KernelError && (error.code === 'VARIANT_UNAVAILABLE' || error.code === 'NO_DEVICE')) {
        throw deviceError('GPU encode+encrypt', error);
      }
      throw this.#translate(encryptor ? 'GPU encode+encrypt' : 'encode+encrypt', error);
    } finally {
      this.#randomness.give(randomness);
    }
    const out: CiphertextHandle[] = [];
    for (let c = 0; c < count; c++) out.push(this.#wrapCt(data.subarray(c * words, (c + 1) * words), level, scale, 2));
    return { ciphertexts: out, device };
  }

  encryptSymmetric(plaintext: PlaintextHandle): CiphertextHandle {
    const p = this.#pt(plaintext);
    const sk = this.#sk();
    const seed = randomBytes(PRNG_SEED_BYTES);
    const uniform = expandSeedStream(this.#symmetricPrng, seed, this.#core.randomnessBytes('uniform', p.level + 1));
    const noise = this.#random.fill(this.#core.randomnessBytes('noise'));
    const data = this.#native('encryptSymmetric', () =>
      this.#core.encryptSymmetric(sk, p.data(), p.level + 1, uniform, noise, this.#check),
    );
    return this.#wrapCt(data, p.level, p.scale, 2, { prng: this.#symmetricPrng, bytes: new Uint8Array(seed) });
  }

  decrypt(ciphertext: CiphertextHandle): PlaintextHandle {
    const c = this.#ct(ciphertext);
    const sk = this.#sk();
    const data = this.#native('decrypt', () => this.#core.decrypt(sk, c.data(), c.level + 1, this.#check));
    return this.#wrapPt(data, c.level, c.scale);
  }

  // -- evaluation -------------------------------------------------------------------------

  add(a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle {
    return this.#addSub('add', a, b);
  }

  sub(a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle {
    return this.#addSub('sub', a, b);
  }

  #addSub(op: 'add' | 'sub', a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle {
    const x = this.#ct(a);
    const y = this.#ct(b);
    this.#sameLevel(x, y, op);
    this.#sameScale(x, y, op);
    const words = Math.max(x.size, y.size) * this.#polyWords(x.level);
    const data = this.#evaluate(op, [x, y], (check) => {
      const call = this.#into(check, words);
      return op === 'add' ? this.#core.add(x.data(), y.data(), x.level + 1, call) : this.#core.sub(x.data(), y.data(), x.level + 1, call);
    });
    return this.#wrapCt(data, x.level, x.scale, Math.max(x.size, y.size));
  }

  negate(a: CiphertextHandle): CiphertextHandle {
    const x = this.#ct(a);
    const data = this.#evaluate('negate', [x], (check) => this.#core.negate(x.data(), x.level + 1, this.#into(check, x.data().length)));
    return this.#wrapCt(data, x.level, x.scale, x.size);
  }

  addPlain(a: CiphertextHandle, p: PlaintextHandle): CiphertextHandle {
    const x = this.#ct(a);
    const y = this.#pt(p);
    this.#sameLevel(x, y, 'addPlain');
    this.#sameScale(x, y, 'addPlain');
    const data = this.#evaluate('addPlain', [x], (check) => this.#core.addPlain(x.data(), y.data(), x.level + 1, this.#into(check, x.data().length)));
    return this.#wrapCt(data, x.level, x.scale, x.size);
  }

  multiplyPlain(a: CiphertextHandle, p: PlaintextHandle): CiphertextHandle {
    const x = this.#ct(a);
    const y = this.#pt(p);
    this.#sameLevel(x, y, 'multiplyPlain');
    const data = this.#evaluate('multiplyPlain', [x], (check) =>
      this.#core.multiplyPlain(x.data(), y.data(), x.level + 1, this.#into(check, x.data().length)),
    );
    return this.#wrapCt(data, x.level, x.scale * y.scale, x.size);
  }

  multiplyPlainAccumulate(cts: readonly CiphertextHandle[], plains: readonly PlaintextHandle[]): CiphertextHandle {
    const scale = checkAccumulateTerms(cts, plains);
    const handles = cts.map((c) => this.#ct(c));
    const xs = handles.map((h) => h.data());
    const ps = plains.map((p) => this.#pt(p).data());
    const level = cts[0]!.level;
    const data = this.#evaluate('multiplyPlainAccumulate', handles, (check) =>
      this.#core.multiplyPlainAccumulate(xs, ps, level + 1, this.#into(check, 2 * this.#polyWords(level))),
    );
    return this.#wrapCt(data, level, scale, 2);
  }

  multiply(a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle {
    const x = this.#ct(a);
    const y = this.#ct(b);
    this.#sameLevel(x, y, 'multiply');
    if (x.size !== 2 || y.size !== 2) {
      throw new CkksError('INVALID_ARGUMENT', `multiply takes two size-2 ciphertexts (got sizes ${x.size} and ${y.size}); relinearize first`);
    }
    const data = this.#evaluate('multiply', [x, y], (check) =>
      this.#core.multiply(x.data(), y.data(), x.level + 1, this.#into(check, 3 * this.#polyWords(x.level))),
    );
    return this.#wrapCt(data, x.level, x.scale * y.scale, 3);
  }

  /** Size 3 → size 2 with the relinearization key; a size-2 ciphertext comes back as a copy (as in SEAL). */
  relinearize(a: CiphertextHandle): CiphertextHandle {
    const x = this.#ct(a);
    const key = this.#kswitch.relin;
    if (!key) throw new CkksError('MISSING_KEY', 'relinearization needs relinearization keys');
    if (x.size === 2) return this.#wrapCt(x.data().slice(), x.level, x.scale, 2, null, x.verified);
    const data = this.#evaluate('relinearize', [x], (check) =>
      this.#core.relinearize(key.data, x.data(), x.level + 1, this.#into(check, 2 * this.#polyWords(x.level))),
    );
    return this.#wrapCt(data, x.level, x.scale, 2);
  }

  /**
   * (a · b) relinearized and rescaled in one native call: what a ciphertext product is
   * followed by in every workload, without the size-3 and unrescaled intermediates.
   */
  multiplyRelinRescale(a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle {
    const x = this.#ct(a);
    const y = this.#ct(b);
    this.#sameLevel(x, y, 'multiplyRelinRescale');
    if (x.size !== 2 || y.size !== 2) {
      throw new CkksError('INVALID_ARGUMENT', `multiplyRelinRescale takes two size-2 ciphertexts (got sizes ${x.size} and ${y.size})`);
    }
    if (x.level === 0) throw new CkksError('LEVEL_MISMATCH', 'cannot rescale a level-0 product: no prime left to divide by');
    const key = this.#kswitch.relin;
    if (!key) throw new CkksError('MISSING_KEY', 'relinearization needs relinearization keys');
    const data = this.#evaluate('multiplyRelinRescale', [x, y], (check) =>
      this.#core.multiplyRelinRescale(key.data, x.data(), y.data(), x.level + 1, this.#into(check, 2 * this.#polyWords(x.level - 1))),
    );
    return this.#wrapCt(data, x.level - 1, this.#core.rescaledScale(x.scale * y.scale, x.level + 1), 2);
  }

  rescaleToNext(a: CiphertextHandle): CiphertextHandle {
    const x = this.#ct(a);
    if (x.level === 0) throw new CkksError('LEVEL_MISMATCH', 'cannot rescale a level-0 ciphertext: no prime left to divide by');
    const data = this.#evaluate('rescale', [x], (check) =>
      this.#core.rescale(x.data(), x.level + 1, this.#into(check, x.size * this.#polyWords(x.level - 1))),
    );
    return this.#wrapCt(data, x.level - 1, this.#core.rescaledScale(x.scale, x.level + 1), x.size);
  }

  modSwitchToNext(a: CiphertextHandle): CiphertextHandle {
    const x = this.#ct(a);
    if (x.level === 0) throw new CkksError('LEVEL_MISMATCH', 'cannot mod-switch a level-0 ciphertext');
    const data = this.#evaluate('modSwitch', [x], (check) =>
      this.#core.modSwitch(x.data(), x.level + 1, this.#into(check, x.size * this.#polyWords(x.level - 1))),
    );
    return this.#wrapCt(data, x.level - 1, x.scale, x.size);
  }

  /**
   * Rotate the slots left by `steps` (negative: right) with the Galois key of that step, or,
   * as SEAL does, by its NAF terms in turn when only their keys are held.
   */
  rotate(a: CiphertextHandle, steps: number): CiphertextHandle {
    const x = this.#rotatable(a);
    if (steps === 0) {
      if (!this.#kswitch.hasGalois) throw new CkksError('MISSING_KEY', 'rotation needs Galois keys');
      return this.#wrapCt(x.data().slice(), x.level, x.scale, 2, null, x.verified);
    }
    const plan = this.#kswitch.rotationPlan(steps);
    let data = x.data();
    for (const r of plan) {
      const input = data;
      // The first rotation reads x (checked while it is unverified); later ones read our own output.
      data = this.#evaluate('rotate', input === x.data() ? [x] : [], (check) =>
        this.#core.applyGalois([r.key.data], [r.elt], input, x.level + 1, this.#outsFor(check, 1, 2 * this.#polyWords(x.level)))[0]!,
      );
      // An intermediate of a composed rotation is ours alone.
      if (input !== x.data()) this.#results.give(input);
    }
    return this.#wrapCt(data, x.level, x.scale, 2);
  }

  /**
   * Rotations of one ciphertext by each of `steps`, in order. Those whose own Galois key is
   * held share one decomposition of c1 (hoisting: a key switch's inverse and forward NTTs
   * are paid once, not per rotation); the others go through {@link rotate}.
   */
  rotateMany(a: CiphertextHandle, steps: readonly number[]): CiphertextHandle[] {
    const x = this.#rotatable(a);
    const hoisted: { index: number; elt: number; key: BigUint64Array }[] = [];
    const results: (CiphertextHandle | undefined)[] = new Array<CiphertextHandle | undefined>(steps.length);
    try {
      steps.forEach((s, index) => {
        const plan = s === 0 ? [] : this.#kswitch.rotationPlan(s);
        if (plan.length === 1) hoisted.push({ index, elt: plan[0]!.elt, key: plan[0]!.key.data });
        else results[index] = this.rotate(x, s);
      });
      if (hoisted.length > 0) {
        const data = this.#evaluate('rotateMany', [x], (check) =>
          this.#core.applyGalois(
            hoisted.map((h) => h.key),
            hoisted.map((h) => h.elt),
            x.data(),
            x.level + 1,
            this.#outsFor(check, hoisted.length, 2 * this.#polyWords(x.level)),
          ),
        );
        hoisted.forEach((h, r) => {
          results[h.index] = this.#wrapCt(data[r]!, x.level, x.scale, 2);
        });
      }
      return results as CiphertextHandle[];
    } catch (error) {
      for (const r of results) r?.dispose();
      throw error;
    }
  }

  #rotatable(a: CiphertextHandle): NativeCiphertext {
    const x = this.#ct(a);
    if (x.size !== 2) throw new CkksError('INVALID_ARGUMENT', `rotation takes a size-2 ciphertext (got size ${x.size}); relinearize first`);
    return x;
  }

  // -- serialization ----------------------------------------------------------------------

  deserialize(bytes: Uint8Array): CiphertextHandle {
    this.#alive();
    const ct = parseCiphertext(bytes);
    const level = this.#levelOf(ct);
    let data = ct.data;
    if (ct.seed) {
      data = new BigUint64Array(2 * (level + 1) * this.params.n);
      this.#unseed(ct, level, data);
    } else {
      data = data.slice();
    }
    // Residues are range-checked by the first native operation that reads it (checkInput; it
    // stays unverified until then), so a hostile ciphertext fails with a typed error on first
    // use rather than with a scan here.
    return this.#wrapCt(data, level, ct.scale, ct.size, null, false);
  }

  /**
   * Decrypt and decode serialized ciphertexts of one level, size and scale (an evaluation's
   * answer) in one native call on a libuv worker thread: each one's first `valuesPerCiphertext`
   * slots. The event loop only checks each frame's header: the worker thread reads the
   * coefficients where they arrived (no handle, plaintext or batch buffer on the way; copying a
   * thousand answers into one buffer held the loop for half a second). Seeded frames, which no
   * evaluation answers with, are expanded here first.
   */
  async decryptDecodeFrames(frames: readonly Uint8Array[], valuesPerCiphertext: number = this.slotCount): Promise<Float64Array[]> {
    this.#alive();
    if (!Number.isInteger(valuesPerCiphertext) || valuesPerCiphertext < 1 || valuesPerCiphertext > this.slotCount) {
      throw new CkksError('INVALID_ARGUMENT', `valuesPerCiphertext must be in [1, ${this.slotCount}]`);
    }
    const head = frames[0];
    if (head === undefined) return [];
    const first = parseCiphertextView(head);
    const level = this.#levelOf(first);
    const views: Uint8Array[] = new Array<Uint8Array>(frames.length);
    for (const [i, bytes] of frames.entries()) {
      const ct = i === 0 ? first : parseCiphertextView(bytes);
      if (i > 0) {
        this.#levelOf(ct);
        if (Buffer.compare(ct.parmsId, first.parmsId) !== 0 || ct.size !== first.size || ct.scale !== first.scale) {
          throw new CkksError('PARAMETER_MISMATCH', `ciphertext ${i} differs from the first in level, size or scale: a batch shares them`);
        }
      }
      views[i] = ct.seed ? this.#unseedView(ct, level) : ct.dataBytes;
    }
    const sk = this.#sk();
    let values: Float64Array;
    try {
      values = await this.#core.decryptDecodeAsync(sk, views, frames.length, first.size, level + 1, first.scale, valuesPerCiphertext, this.#check);
    } catch (error) {
      throw this.#translate('decrypt+decode', error);
    }
    return frames.map((_, i) => values.subarray(i * valuesPerCiphertext, (i + 1) * valuesPerCiphertext));
  }

  /** A seeded ciphertext's c1, expanded from its seed. */
  #expandC1(seed: SealSeed, level: number): BigUint64Array {
    const stream = expandSeedStream(seed.prngType, seed.seed, this.#core.randomnessBytes('uniform', level + 1));
    return this.#native('expand seed', () => this.#core.sampleUniform(stream, level + 1));
  }

  /** A seeded ciphertext's c0 and its c1 expanded from the seed, into `out` (2 polynomials). */
  #unseed(ct: SealCiphertext, level: number, out: BigUint64Array): void {
    const polyWords = (level + 1) * this.params.n;
    out.set(ct.data.subarray(0, polyWords));
    out.set(this.#expandC1(ct.seed!, level), polyWords);
  }

  /** The same for a ciphertext left in place: the bytes of its 2 polynomials. */
  #unseedView(ct: SealCiphertextView, level: number): Uint8Array {
    const polyWords = (level + 1) * this.params.n;
    const out = new BigUint64Array(2 * polyWords);
    new Uint8Array(out.buffer).set(ct.dataBytes.subarray(0, polyWords * 8));
    out.set(this.#expandC1(ct.seed!, level), polyWords);
    return new Uint8Array(out.buffer);
  }

  /** The data level of a parsed ciphertext, after the checks every reader of the wire makes. */
  #levelOf(ct: Omit<SealCiphertext, 'data'>): number {
    const chain = this.#chain.find((c) => Buffer.compare(Buffer.from(c.parmsId), Buffer.from(ct.parmsId)) === 0);
    if (!chain || chain.level < 0) {
      throw new CkksError('PARAMETER_MISMATCH', 'ciphertext parms_id is not a data level of these parameters', 'parmsId');
    }
    if (ct.polyModulusDegree !== this.params.n || ct.coeffModulusSize !== chain.level + 1) {
      throw new CkksError('PARAMETER_MISMATCH', `ciphertext shape (n ${ct.polyModulusDegree}, ${ct.coeffModulusSize} moduli) does not match its level`);
    }
    if (!ct.isNttForm) throw new CkksError('PARAMETER_MISMATCH', 'CKKS ciphertexts must be in NTT form', 'isNttForm');
    if (!(ct.scale > 0) || !Number.isFinite(ct.scale)) throw new CkksError('MALFORMED', `scale ${ct.scale} is not positive and finite`, 'scale');
    if (ct.size < 2 || ct.size > 3) throw new CkksError('INVALID_ARGUMENT', `ciphertexts of size ${ct.size} are not supported (2 or 3)`, 'size');
    return chain.level;
  }

  dispose(): void {
    if (this.#disposed) return;
    for (const h of [...this.#live]) h.dispose();
    this.#secretKey?.fill(0n);
    this.#secretKey = null;
    this.#publicKey = null;
    this.#kswitch.clear();
    this.#results.clear();
    this.#disposeGpu();
    this.#core.dispose();
    this.#seal.dispose();
    this.#disposed = true;
  }
}

/**
 * A native backend for these parameters. Loads node-seal (the companion that generates
 * the secret and public key); creating its context takes ~0.2 s at N = 8192,
 * ~1.6 s at 16384 and ~17 s at 32768.
 */
export async function createNativeBackend(params: CkksParamsLike, options: NativeBackendOptions = {}): Promise<NativeBackend> {
  const p = parseParams({
    n: params.n,
    coeffModulusBits: [...params.coeffModulusBits],
    scaleBits: params.scaleBits,
    ...(params.insecure === true ? { insecure: true } : {}),
  });
  const seal = await createSealBackend(p);
  try {
    return new NativeBackend(p, seal, options);
  } catch (error) {
    seal.dispose();
    throw error;
  }
}
