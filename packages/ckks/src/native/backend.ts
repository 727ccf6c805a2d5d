/**
 * The `native` backend: CKKS on @hlp/kernels' native core (AVX-512/AVX2 NTTs), producing
 * and consuming SEAL 4.1 bytes, so node-seal decrypts and evaluates its ciphertexts and it
 * decrypts node-seal's.
 *
 * - The secret and public key come from a companion `seal` backend (it generates or loads
 *   them; the native side reads SEAL's serialized form). Relinearization and Galois keys
 *   are made, held and used natively (kswitch-keys.ts), in SEAL's seeded format.
 * - Every operation runs natively: encode, encrypt (public and secret key), decrypt, decode, add, sub, negate,
 *   add/multiply by a plaintext, multiply, relinearize, rescale, modulus switch, rotate (one at a time, or many of
 *   one ciphertext sharing one key-switch decomposition), multiply + relinearize + rescale and multiply_plain + rescale (+ add_plain) fused.
 * - Randomness: OpenSSL's CSPRNG for every secret draw (u, e, s); symmetric encryption
 *   expands a fresh 64-byte seed into c1 with SHAKE256 (SEAL's seeded format) or AES-256-CTR
 *   (several times cheaper natively; only this backend loads it): randomness.ts.
 *
 * This class holds the state (core, keys, handles, pooled buffers); the operations on it live beside it (evaluation.ts,
 * wire.ts, keys.ts, encode-args.ts, randomness.ts, gpu-encryptors.ts), seeing the backend through a NativeScope (scope.ts).
 */
import { randomBytes } from 'node:crypto';
import { CkksCore, compactPlain, plainRepeat } from '@hlp/kernels';
import type { CiphertextHandle, CkksBackend, EncodeOptions, KeyGenOptions, KeyKind, PlaintextHandle } from '../backend.js';
import { CkksError } from '../errors.js';
import { parseParams, type CkksParams, type CkksParamsLike } from '../params.js';
import { parmsIdChain, type ChainLevel } from '../seal-format.js';
import { PRNG_SEED_BYTES } from '../seal-prng.js';
import { createSealBackend, type SealBackend } from '../seal/index.js';
import { deviceChoiceFromEnv, type BatchDevice, type DeviceChoice } from './device.js';
import { checkedValues, encodeArgs } from './encode-args.js';
import {
  addPlain,
  addInPlace,
  addSub,
  modSwitchToNext,
  multiply,
  multiplyPlain,
  multiplyPlainAccumulate,
  multiplyPlainAccumulateGroups,
  multiplyPlainRescale,
  multiplyRelinRescale,
  negate,
  relinearize,
  rescaleToNext,
  rotate,
  rotateMany,
  rotateSum,
} from './evaluation.js';
import { GpuEncryptors } from './gpu-encryptors.js';
import { NativeCiphertext, NativePlaintext } from './handles.js';
import { translateKernelError } from './kernel-errors.js';
import { publicKeyWords, secretKeyWords } from './keys.js';
import { KswitchKeys } from './kswitch-keys.js';
import type { EncryptManyOptions, NativeBackendOptions, SymmetricPrng } from './options.js';
import { expandSeedStream, RandomSource, symmetricStream } from './randomness.js';
import { encodeEncryptBatch, type BatchEncryptDeps } from './encrypt-batch.js';
import { ResultPool } from './result-pool.js';
import type { NativeScope } from './scope.js';
import { decryptDecodeFrames, deserialize } from './wire.js';

const CHECK_INPUT = { checkInput: true } as const;
const TRUSTED_INPUT = { checkInput: false } as const;
const DEFAULT_RESULT_POOL_BYTES = 64 * 1024 * 1024;
/** Randomness kept for reuse: a few batches' worth (196 KiB a ciphertext at n = 8192). */
const RANDOMNESS_POOL_BYTES = 16 * 1024 * 1024;

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
  readonly #randomness = new ResultPool<Buffer>(RANDOMNESS_POOL_BYTES, { evictOldest: true });
  #secretKey: BigUint64Array | null = null;
  #publicKey: BigUint64Array | null = null;
  readonly #kswitch: KswitchKeys;
  #disposed = false;
  /** Where batches run, and the GPU encryptors of the current public key. */
  readonly #gpu: GpuEncryptors;
  readonly #batch: BatchEncryptDeps;
  /** This backend as the operation modules (evaluation.ts, wire.ts) see it. */
  readonly #scope: NativeScope;

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
    // Past the bound the oldest buffers go: a pool kept full of one operation's sizes left the
    // next workload none of its own (a 768 × 768 product after 64 MB of top-level results
    // allocated ~10 MB a call, 15 % slower).
    this.#results = new ResultPool(poolBytes, { evictOldest: true });
    this.#gpu = new GpuEncryptors(options.device ?? deviceChoiceFromEnv());
    this.#chain = parmsIdChain(params.n, params.coeffModulus);
    try {
      this.#core = new CkksCore(params.n, params.coeffModulus);
    } catch (error) {
      throw translateKernelError('create the native CKKS core', error);
    }
    this.#batch = {
      core: this.#core,
      n: params.n,
      check: this.#check,
      randomness: this.#randomness,
      gpu: this.#gpu,
      symmetricPrng: this.#symmetricPrng,
      publicKey: () => this.#pk(),
      secretKey: () => this.#sk(),
      wrap: (data, level, scale, seed) => this.#wrapCt(data, level, scale, 2, seed),
    };
    this.#kswitch = new KswitchKeys({
      core: this.#core,
      params,
      keyParmsId: this.#chain[0]!.parmsId,
      native: (what, fn) => this.#native(what, fn),
      expand: expandSeedStream,
      random: (bytes) => this.#random.fill(bytes),
    });
    this.#scope = {
      params,
      core: this.#core,
      chain: this.#chain,
      kswitch: this.#kswitch,
      check: this.#check,
      alive: () => this.#alive(),
      ct: (h) => this.#ct(h),
      pt: (h) => this.#pt(h),
      wrapCt: (data, level, scale, size, seed, verified) => this.#wrapCt(data, level, scale, size, seed, verified),
      evaluate: (what, operands, fn) => this.#evaluate(what, operands, fn),
      native: (what, fn) => this.#native(what, fn),
      into: (check, words) => this.#into(check, words),
      outsFor: (check, count, words) => this.#outsFor(check, count, words),
      polyWords: (level) => this.#polyWords(level),
      giveResult: (data) => this.#results.give(data),
      secretKey: () => this.#sk(),
      expandSeed: (prng, seed, bytes) => this.#random.expand(prng, seed, bytes),
    };
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

  /** @internal A disposed ciphertext's or plaintext's words, which nothing reads any more. */
  recycle(data: BigUint64Array): void {
    if (!this.#disposed) this.#results.give(data);
  }

  /** Bytes of disposed ciphertexts held for reuse as results. */
  get pooledResultBytes(): number {
    return this.#results.bytes;
  }

  /**
   * Lets go of the buffers held for reuse (later results are fresh allocations until disposals
   * fill the pool again): for a process done with a burst, and for benchmarks, where a loop
   * writing into one pooled buffer ran as fast as that buffer happened to be (paired runs of
   * identical code put `add` ×0.86–×1.17 apart).
   */
  trimResultPool(): void {
    this.#results.clear();
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

  /**
   * An evaluation on ciphertexts, range-checked in the native call only while one is unverified
   * (deserialized, not yet read by a checked call): native outputs are reduced by construction,
   * and checking them on every use cost the diagonal method's inner loop an eighth of its time.
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
      throw translateKernelError(what, error);
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
    h.held();
    return h;
  }

  #wrapCt(data: BigUint64Array, level: number, scale: number, size: number, seed: NativeCiphertext['seed'] = null, verified = true): NativeCiphertext {
    const h = new NativeCiphertext(this, data, level, scale, size, seed, verified);
    this.#live.add(h);
    return h;
  }

  #wrapPt(data: BigUint64Array, level: number, scale: number, repeat = 1): NativePlaintext {
    const h = new NativePlaintext(this, data, level, scale, repeat);
    this.#live.add(h);
    return h;
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

  #loadSecret(bytes: Uint8Array): void {
    this.#secretKey = secretKeyWords(bytes, this.params, this.#chain[0]!);
  }

  #loadPublic(bytes: Uint8Array): void {
    this.#publicKey = publicKeyWords(bytes, this.params, this.#chain[0]!);
    // The device copies belong to the old key.
    this.#gpu.dispose();
  }

  // -- device -----------------------------------------------------------------------------

  /** The device choice in force (option, else HLP_KERNEL). */
  get deviceChoice(): DeviceChoice {
    return this.#gpu.choice;
  }

  /**
   * The device that batched public-key encryption uses with the backend's choice: `cuda`
   * when forced or when `auto` finds a usable GPU, else `cpu`.
   */
  get batchDevice(): BatchDevice {
    return this.#gpu.resolve(this.#gpu.choice);
  }

  /** Why batch encryption is not on the GPU (null when it is). */
  get gpuUnavailableReason(): string | null {
    return this.#gpu.unavailableReason;
  }

  // -- encoding and encryption ------------------------------------------------------------

  encode(values: ArrayLike<number>, options: EncodeOptions = {}): PlaintextHandle {
    const v = checkedValues(values, this.slotCount);
    const { scale, level } = encodeArgs(options, this.params);
    const out = this.#results.take((level + 1) * this.params.n);
    const data = this.#native('encode', () => this.#core.encode(v, scale, level + 1, out ? { out } : undefined));
    const repeat = options.compact === true ? this.#native('encode', () => plainRepeat(this.#core, data, level + 1)) : 1;
    if (repeat === 1) return this.#wrapPt(data, level, scale);
    const compact = compactPlain(data, repeat);
    this.recycle(data); // the whole words were only the way to the compact ones
    return this.#wrapPt(compact, level, scale, repeat);
  }

  decode(plaintext: PlaintextHandle): Float64Array {
    const p = this.#pt(plaintext);
    return this.#native('decode', () => this.#core.decode(p.data(), p.scale, this.slotCount, this.#check));
  }

  encrypt(plaintext: PlaintextHandle): CiphertextHandle {
    const p = this.#pt(plaintext);
    const pk = this.#pk();
    const randomness = this.#random.fill(this.#core.randomnessBytes('encryptPublic'));
    const into = this.#into(this.#check, 2 * (p.level + 1) * this.params.n);
    const data = this.#native('encrypt', () => this.#core.encryptPublic(pk, p.data(), 1, p.level + 1, randomness, into));
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
    const { scale, level } = encodeArgs(options, this.params);
    if (options.key === 'secret' && options.device === 'cuda') {
      throw new CkksError('INVALID_ARGUMENT', 'seeded secret-key encryption runs on the CPU only');
    }
    return encodeEncryptBatch(this.#batch, values, valuesPerPlain, scale, level, options);
  }

  /** `options.seedStream`: this call's seed expansion, in place of the backend's `symmetricPrng`. */
  encryptSymmetric(plaintext: PlaintextHandle, options: { readonly seedStream?: SymmetricPrng } = {}): CiphertextHandle {
    const p = this.#pt(plaintext);
    const sk = this.#sk();
    const stream = symmetricStream(options.seedStream ?? this.#symmetricPrng);
    const seed = randomBytes(PRNG_SEED_BYTES);
    const uniform = this.#random.expand(stream, seed, this.#core.randomnessBytes('uniform', p.level + 1));
    const noise = this.#random.fill(this.#core.randomnessBytes('noise'));
    const into = this.#into(this.#check, 2 * (p.level + 1) * this.params.n);
    const data = this.#native('encryptSymmetric', () => this.#core.encryptSymmetric(sk, p.data(), p.level + 1, uniform, noise, into));
    return this.#wrapCt(data, p.level, p.scale, 2, { prng: stream, bytes: new Uint8Array(seed) });
  }

  get symmetricPrng(): SymmetricPrng {
    return this.#symmetricPrng;
  }

  decrypt(ciphertext: CiphertextHandle): PlaintextHandle {
    const c = this.#ct(ciphertext);
    const sk = this.#sk();
    const words = (c.level + 1) * this.params.n;
    const data = this.#native('decrypt', () => this.#core.decrypt(sk, c.data(), c.level + 1, this.#into(this.#check, words)));
    return this.#wrapPt(data, c.level, c.scale);
  }

  // -- evaluation (evaluation.ts) --------------------------------------------------------

  add(a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle {
    return addSub(this.#scope, 'add', a, b);
  }

  addInPlace(a: CiphertextHandle, b: CiphertextHandle): void {
    addInPlace(this.#scope, a, b);
  }

  sub(a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle {
    return addSub(this.#scope, 'sub', a, b);
  }

  negate(a: CiphertextHandle): CiphertextHandle {
    return negate(this.#scope, a);
  }

  addPlain(a: CiphertextHandle, p: PlaintextHandle): CiphertextHandle {
    return addPlain(this.#scope, a, p);
  }

  multiplyPlain(a: CiphertextHandle, p: PlaintextHandle): CiphertextHandle {
    return multiplyPlain(this.#scope, a, p);
  }

  multiplyPlainAccumulate(cts: readonly CiphertextHandle[], plains: readonly PlaintextHandle[]): CiphertextHandle {
    return multiplyPlainAccumulate(this.#scope, cts, plains);
  }

  multiplyPlainAccumulateGroups(cts: readonly CiphertextHandle[], plains: readonly (readonly (PlaintextHandle | null)[])[]): CiphertextHandle[] {
    return multiplyPlainAccumulateGroups(this.#scope, cts, plains);
  }

  multiply(a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle {
    return multiply(this.#scope, a, b);
  }

  /** Size 3 → size 2 with the relinearization key; a size-2 ciphertext comes back as a copy (as in SEAL). */
  relinearize(a: CiphertextHandle): CiphertextHandle {
    return relinearize(this.#scope, a);
  }

  /** (a · b) relinearized and rescaled in one native call, without the size-3 and unrescaled intermediates. */
  multiplyRelinRescale(a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle {
    return multiplyRelinRescale(this.#scope, a, b);
  }

  rescaleToNext(a: CiphertextHandle): CiphertextHandle {
    return rescaleToNext(this.#scope, a);
  }

  /** rescaleToNext(multiplyPlain(a, p)) (+ addend, at the level below and the rescaled scale): an affine map in one native call, bit for bit the three calls. */
  multiplyPlainRescale(a: CiphertextHandle, p: PlaintextHandle, addend?: PlaintextHandle): CiphertextHandle {
    return multiplyPlainRescale(this.#scope, a, p, addend);
  }

  modSwitchToNext(a: CiphertextHandle): CiphertextHandle {
    return modSwitchToNext(this.#scope, a);
  }

  /**
   * Rotate the slots left by `steps` (negative: right) with the Galois key of that step, or,
   * as SEAL does, by its NAF terms in turn when only their keys are held.
   */
  rotate(a: CiphertextHandle, steps: number): CiphertextHandle {
    return rotate(this.#scope, a, steps);
  }

  /**
   * Rotations of one ciphertext by each of `steps`, in order. Those whose own Galois key is
   * held share one decomposition of c1 (hoisting: a key switch's inverse and forward NTTs
   * are paid once, not per rotation); the others go through {@link rotate}.
   */
  rotateMany(a: CiphertextHandle, steps: readonly number[]): CiphertextHandle[] {
    return rotateMany(this.#scope, a, steps);
  }

  /**
   * Σ rotate(cts[i], steps[i]). The rotations whose own Galois key is held are summed in one
   * native call that divides the summed key switches by the special prime once (a BSGS
   * product's giant steps: one mod-down instead of one a rotation); the rest are rotated alone
   * and added.
   */
  rotateSum(cts: readonly CiphertextHandle[], steps: readonly number[]): CiphertextHandle {
    return rotateSum(this.#scope, cts, steps);
  }

  // -- serialization (wire.ts) -----------------------------------------------------------

  deserialize(bytes: Uint8Array): CiphertextHandle {
    return deserialize(this.#scope, bytes);
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
    return decryptDecodeFrames(this.#scope, frames, valuesPerCiphertext);
  }

  dispose(): void {
    if (this.#disposed) return;
    for (const h of [...this.#live]) h.dispose();
    this.#secretKey?.fill(0n);
    this.#secretKey = null;
    this.#publicKey = null;
    this.#kswitch.clear();
    this.#results.clear();
    this.#gpu.dispose();
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
