/**
 * The `seal` backend: CKKS through node-seal 6.0.3 (SEAL 4.1.2 in WebAssembly). Every SEAL
 * object is freed explicitly (`.delete()`): handles on `dispose()`, the context, keys and
 * tools on the backend's `dispose()` (which also frees the handles still alive).
 */
import type { CipherText } from 'node-seal/implementation/cipher-text.js';
import type { CKKSEncoder } from 'node-seal/implementation/ckks-encoder.js';
import type { ComprModeType } from 'node-seal/implementation/compr-mode-type.js';
import type { Context } from 'node-seal/implementation/context.js';
import type { Decryptor } from 'node-seal/implementation/decryptor.js';
import type { Encryptor } from 'node-seal/implementation/encryptor.js';
import type { Evaluator } from 'node-seal/implementation/evaluator.js';
import type { GaloisKeys } from 'node-seal/implementation/galois-keys.js';
import type { PlainText } from 'node-seal/implementation/plain-text.js';
import type { PublicKey } from 'node-seal/implementation/public-key.js';
import type { RelinKeys } from 'node-seal/implementation/relin-keys.js';
import type { SecretKey } from 'node-seal/implementation/secret-key.js';
import type { CiphertextHandle, CkksBackend, EncodeOptions, KeyGenOptions, KeyKind, PlaintextHandle } from '../backend.js';
import { addRotations, checkAccumulateGroups, checkAccumulateTerms, checkAddInPlace, checkRotateSumTerms } from '../backend.js';
import { CkksError } from '../errors.js';
import { parseParams, type CkksParams, type CkksParamsLike } from '../params.js';
import { parmsIdChain, parmsIdToHex, parseCiphertext, readSealHeader, type ChainLevel } from '../seal-format.js';
import { classify, errorMessage, explainLoadFailure, must } from './failures.js';
import { SealCiphertext, SealPlaintext, type Disposable } from './handles.js';
import { ckksScheme, loadSealLibrary, securityLevel, type SEALLibrary } from './library.js';

export class SealBackend implements CkksBackend {
  readonly name = 'seal' as const;
  readonly slotCount: number;
  private readonly chain: readonly ChainLevel[];
  /** parms_id hex by data level. */
  private readonly levelIds: readonly string[];
  private readonly ctx: Context;
  private readonly encoder: CKKSEncoder;
  private readonly evaluator: Evaluator;
  private secretKey: SecretKey | null = null;
  private publicKey: PublicKey | null = null;
  private relinKeys: RelinKeys | null = null;
  private galoisKeys: GaloisKeys | null = null;
  private encryptor: Encryptor | null = null;
  private decryptor: Decryptor | null = null;
  private readonly live = new Set<Disposable>();
  private isDisposed = false;

  /** Use `createSealBackend`. */
  constructor(
    private readonly seal: SEALLibrary,
    readonly params: CkksParams,
  ) {
    this.slotCount = params.slotCount;
    this.chain = parmsIdChain(params.n, params.coeffModulus);
    const ids: string[] = [];
    for (const c of this.chain) if (c.level >= 0) ids[c.level] = c.parmsIdHex;
    this.levelIds = ids;

    const parms = seal.EncryptionParameters(ckksScheme(seal));
    let ctx: Context | null = null;
    try {
      parms.setPolyModulusDegree(params.n);
      const cm = seal.CoeffModulus.Create(params.n, Int32Array.from(params.coeffModulusBits));
      try {
        const primes = cm.toArray() as BigUint64Array;
        const same = primes.length === params.coeffModulus.length && params.coeffModulus.every((q, i) => primes[i] === q);
        if (!same) throw new CkksError('BACKEND_ERROR', 'node-seal chose other coefficient moduli than @hlp/ckks');
        parms.setCoeffModulus(cm);
      } finally {
        cm.delete();
      }
      const level = securityLevel(seal, params.insecure);
      ctx = seal.Context(parms, true, level);
      if (!ctx.parametersSet()) {
        throw new CkksError('INVALID_PARAMETERS', `SEAL rejected the parameters: ${ctx.toHuman()}`);
      }
      const first = ctx.firstParmsId;
      const firstHex = parmsIdToHex(new Uint8Array(first.values.buffer, first.values.byteOffset, 32));
      first.delete();
      if (firstHex !== ids[params.maxLevel]) {
        throw new CkksError('BACKEND_ERROR', `SEAL's first parms_id ${firstHex} differs from the computed one`);
      }
    } catch (e) {
      ctx?.delete();
      parms.delete();
      if (e instanceof CkksError) throw e;
      throw new CkksError('BACKEND_ERROR', `creating the SEAL context failed: ${errorMessage(e)}`, undefined, { cause: e });
    }
    parms.delete();
    this.ctx = ctx;
    this.encoder = seal.CKKSEncoder(ctx);
    this.evaluator = seal.Evaluator(ctx);
  }

  get disposed(): boolean {
    return this.isDisposed;
  }

  // -- internal helpers used by the handles ------------------------------------------------

  /** @internal */
  parmsIdAt(level: number): string {
    return this.levelIds[level] ?? '';
  }
  /** @internal */
  comprNone(): ComprModeType {
    // node-seal types the enum values as `any`; its save() parameters take them as ComprModeType.
    return this.seal.ComprModeType.none as ComprModeType;
  }
  /** @internal */
  forget(h: Disposable): void {
    this.live.delete(h);
  }
  /** @internal */
  saveNone(what: string, fn: () => Uint8Array): Uint8Array {
    return this.guard(what, fn);
  }
  /** @internal Load SEAL ciphertext bytes into a new SEAL object (typed errors on failure). */
  loadCiphertextBytes(bytes: Uint8Array): CipherText {
    this.alive();
    const header = readSealHeader(bytes);
    if (header.size !== bytes.length) parseCiphertext(bytes); // throws the precise MALFORMED
    const ct = this.seal.CipherText();
    try {
      ct.loadArray(this.ctx, bytes);
    } catch (e) {
      ct.delete();
      throw explainLoadFailure('ciphertext', bytes, e, this.chain);
    }
    return ct;
  }

  private alive(): void {
    if (this.isDisposed) throw new CkksError('DISPOSED', 'seal backend used after dispose()');
  }

  private guard<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof CkksError) throw e;
      const msg = errorMessage(e);
      throw new CkksError(classify(msg), `${what}: ${msg}`, undefined, { cause: e });
    }
  }

  private ct(h: CiphertextHandle): SealCiphertext {
    this.alive();
    if (!(h instanceof SealCiphertext) || h.owner !== this) {
      throw new CkksError('FOREIGN_HANDLE', 'ciphertext handle belongs to another backend');
    }
    if (h.disposed) throw new CkksError('DISPOSED', 'ciphertext handle used after dispose()');
    return h;
  }

  private pt(h: PlaintextHandle): SealPlaintext {
    this.alive();
    if (!(h instanceof SealPlaintext) || h.owner !== this) {
      throw new CkksError('FOREIGN_HANDLE', 'plaintext handle belongs to another backend');
    }
    if (h.disposed) throw new CkksError('DISPOSED', 'plaintext handle used after dispose()');
    return h;
  }

  private wrapCt(ct: CipherText): SealCiphertext {
    const h = new SealCiphertext(this, ct, null, ct.coeffModulusSize - 1, ct.scale, ct.size);
    this.live.add(h);
    return h;
  }

  private wrapPt(pt: PlainText, level: number): SealPlaintext {
    const h = new SealPlaintext(this, pt, level, pt.scale);
    this.live.add(h);
    return h;
  }

  /** Run a SEAL operation that yields a new ciphertext; free it if wrapping fails. */
  private produce(what: string, fn: () => CipherText | void): SealCiphertext {
    const ct = must(this.guard(what, fn), what);
    try {
      return this.wrapCt(ct);
    } catch (e) {
      ct.delete();
      throw e;
    }
  }

  private sameLevel(a: { level: number }, b: { level: number }, what: string): void {
    if (a.level !== b.level) {
      throw new CkksError('LEVEL_MISMATCH', `${what}: operands are at levels ${a.level} and ${b.level}; mod-switch the higher one first`);
    }
  }

  // -- keys ------------------------------------------------------------------------------

  hasKey(kind: KeyKind): boolean {
    switch (kind) {
      case 'secret':
        return this.secretKey !== null;
      case 'public':
        return this.publicKey !== null;
      case 'relin':
        return this.relinKeys !== null;
      case 'galois':
        return this.galoisKeys !== null;
    }
  }

  private dropTools(): void {
    this.encryptor?.delete();
    this.encryptor = null;
    this.decryptor?.delete();
    this.decryptor = null;
  }

  private checkSteps(steps: readonly number[]): Int32Array {
    for (const s of steps) {
      if (!Number.isInteger(s) || s === 0 || Math.abs(s) >= this.slotCount) {
        throw new CkksError('INVALID_ARGUMENT', `rotation step ${s} must be a non-zero integer with |step| < ${this.slotCount}`);
      }
    }
    return Int32Array.from(steps);
  }

  generateKeys(options: KeyGenOptions = {}): void {
    this.alive();
    const steps = options.galoisSteps ? this.checkSteps(options.galoisSteps) : null;
    const kg = this.guard('generateKeys', () => this.seal.KeyGenerator(this.ctx));
    try {
      const sk = this.guard('generateKeys', () => kg.secretKey());
      const pk = this.guard('generateKeys', () => kg.createPublicKey());
      const rk = options.relin === false ? null : this.guard('generateKeys', () => kg.createRelinKeys());
      const gk = steps && steps.length > 0 ? this.guard('generateKeys', () => kg.createGaloisKeys(steps)) : null;
      this.dropTools();
      this.secretKey?.delete();
      this.publicKey?.delete();
      this.relinKeys?.delete();
      this.galoisKeys?.delete();
      this.secretKey = sk;
      this.publicKey = pk;
      this.relinKeys = rk;
      this.galoisKeys = gk;
    } finally {
      kg.delete();
    }
  }

  generateGaloisKeys(steps: readonly number[]): void {
    this.alive();
    const sk = this.secretKey;
    if (!sk) throw new CkksError('MISSING_KEY', 'generating Galois keys needs the secret key');
    const s = this.checkSteps(steps);
    const kg = this.guard('generateGaloisKeys', () => this.seal.KeyGenerator(this.ctx, sk));
    try {
      const gk = this.guard('generateGaloisKeys', () => kg.createGaloisKeys(s));
      this.galoisKeys?.delete();
      this.galoisKeys = gk;
    } finally {
      kg.delete();
    }
  }

  exportKey(kind: KeyKind): Uint8Array {
    this.alive();
    const none = this.comprNone();
    const key = { secret: this.secretKey, public: this.publicKey, relin: this.relinKeys, galois: this.galoisKeys }[kind];
    if (!key) throw new CkksError('MISSING_KEY', `no ${kind} key to export`);
    return this.guard(`exportKey(${kind})`, () => key.saveArray(none));
  }

  importKey(kind: KeyKind, bytes: Uint8Array): void {
    this.alive();
    if (!(bytes instanceof Uint8Array)) throw new CkksError('INVALID_ARGUMENT', 'importKey expects a Uint8Array');
    const header = readSealHeader(bytes);
    if (header.size !== bytes.length) {
      throw new CkksError('MALFORMED', `SEAL ${kind} key declares ${header.size} bytes, ${bytes.length} given`, 'header.size');
    }
    const load = <K extends { loadArray(c: Context, a: Uint8Array): void; delete(): void }>(k: K): K => {
      try {
        k.loadArray(this.ctx, bytes);
        return k;
      } catch (e) {
        k.delete();
        throw explainLoadFailure(kind, bytes, e, this.chain);
      }
    };
    switch (kind) {
      case 'secret': {
        const k = load(this.seal.SecretKey());
        this.dropTools();
        this.secretKey?.delete();
        this.secretKey = k;
        break;
      }
      case 'public': {
        const k = load(this.seal.PublicKey());
        this.dropTools();
        this.publicKey?.delete();
        this.publicKey = k;
        break;
      }
      case 'relin': {
        const k = load(this.seal.RelinKeys());
        this.relinKeys?.delete();
        this.relinKeys = k;
        break;
      }
      case 'galois': {
        const k = load(this.seal.GaloisKeys());
        this.galoisKeys?.delete();
        this.galoisKeys = k;
        break;
      }
    }
  }

  private getEncryptor(): Encryptor {
    if (this.encryptor) return this.encryptor;
    let pk = this.publicKey;
    const sk = this.secretKey;
    if (!pk) {
      if (!sk) throw new CkksError('MISSING_KEY', 'encryption needs a public or secret key');
      // Derive a public key from the secret key.
      const kg = this.guard('encrypt', () => this.seal.KeyGenerator(this.ctx, sk));
      try {
        pk = this.guard('encrypt', () => kg.createPublicKey());
      } finally {
        kg.delete();
      }
      this.publicKey = pk;
    }
    const pub = pk;
    this.encryptor = this.guard('encrypt', () => (sk ? this.seal.Encryptor(this.ctx, pub, sk) : this.seal.Encryptor(this.ctx, pub)));
    return this.encryptor;
  }

  private getDecryptor(): Decryptor {
    if (this.decryptor) return this.decryptor;
    const sk = this.secretKey;
    if (!sk) throw new CkksError('MISSING_KEY', 'decryption needs the secret key');
    this.decryptor = this.guard('decrypt', () => this.seal.Decryptor(this.ctx, sk));
    return this.decryptor;
  }

  // -- encoding and encryption -------------------------------------------------------------

  encode(values: ArrayLike<number>, options: EncodeOptions = {}): PlaintextHandle {
    this.alive();
    if (values.length > this.slotCount) {
      throw new CkksError('INVALID_ARGUMENT', `${values.length} values do not fit in ${this.slotCount} slots`);
    }
    const arr = new Float64Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new CkksError('INVALID_ARGUMENT', `value ${i} is not a finite number`);
      arr[i] = v;
    }
    const scale = options.scale ?? this.params.scale;
    if (!Number.isFinite(scale) || scale <= 0) throw new CkksError('INVALID_ARGUMENT', `scale ${scale} must be positive`);
    const level = options.level ?? this.params.maxLevel;
    if (!Number.isInteger(level) || level < 0 || level > this.params.maxLevel) {
      throw new CkksError('INVALID_ARGUMENT', `level ${level} outside [0, ${this.params.maxLevel}]`);
    }
    let pt = must(
      this.guard('encode', () => this.encoder.encode(arr, scale)),
      'encode',
    );
    try {
      for (let l = this.params.maxLevel; l > level; l--) {
        const next = must(
          this.guard('encode', () => this.evaluator.plainModSwitchToNext(pt)),
          'encode',
        );
        pt.delete();
        pt = next;
      }
      return this.wrapPt(pt, level);
    } catch (e) {
      pt.delete();
      throw e;
    }
  }

  decode(plaintext: PlaintextHandle): Float64Array {
    const p = this.pt(plaintext);
    return Float64Array.from(this.guard('decode', () => this.encoder.decode(p.native())));
  }

  encrypt(plaintext: PlaintextHandle): CiphertextHandle {
    const p = this.pt(plaintext);
    const enc = this.getEncryptor();
    return this.produce('encrypt', () => enc.encrypt(p.native()));
  }

  encryptSymmetric(plaintext: PlaintextHandle): CiphertextHandle {
    const p = this.pt(plaintext);
    if (!this.secretKey) throw new CkksError('MISSING_KEY', 'symmetric encryption needs the secret key');
    const enc = this.getEncryptor();
    const bytes = this.guard('encryptSymmetric', () => {
      const s = enc.encryptSymmetricSerializable(p.native());
      try {
        return s.saveArray(this.comprNone());
      } finally {
        s.delete();
      }
    });
    const h = new SealCiphertext(this, null, bytes, p.level, p.scale, 2);
    this.live.add(h);
    return h;
  }

  decrypt(ciphertext: CiphertextHandle): PlaintextHandle {
    const c = this.ct(ciphertext);
    const dec = this.getDecryptor();
    const pt = must(
      this.guard('decrypt', () => dec.decrypt(c.native())),
      'decrypt',
    );
    return this.wrapPt(pt, c.level);
  }

  // -- evaluation ------------------------------------------------------------------------

  add(a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle {
    const x = this.ct(a);
    const y = this.ct(b);
    this.sameLevel(x, y, 'add');
    return this.produce('add', () => this.evaluator.add(x.native(), y.native()));
  }

  addInPlace(a: CiphertextHandle, b: CiphertextHandle): void {
    const x = this.ct(a);
    const y = this.ct(b);
    this.sameLevel(x, y, 'addInPlace');
    checkAddInPlace(x, y);
    this.guard('addInPlace', () => this.evaluator.add(x.native(), y.native(), x.native()));
  }

  sub(a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle {
    const x = this.ct(a);
    const y = this.ct(b);
    this.sameLevel(x, y, 'sub');
    return this.produce('sub', () => this.evaluator.sub(x.native(), y.native()));
  }

  negate(a: CiphertextHandle): CiphertextHandle {
    const x = this.ct(a);
    return this.produce('negate', () => this.evaluator.negate(x.native()));
  }

  addPlain(a: CiphertextHandle, p: PlaintextHandle): CiphertextHandle {
    const x = this.ct(a);
    const y = this.pt(p);
    this.sameLevel(x, y, 'addPlain');
    return this.produce('addPlain', () => this.evaluator.addPlain(x.native(), y.native()));
  }

  multiplyPlain(a: CiphertextHandle, p: PlaintextHandle): CiphertextHandle {
    const x = this.ct(a);
    const y = this.pt(p);
    this.sameLevel(x, y, 'multiplyPlain');
    return this.produce('multiplyPlain', () => this.evaluator.multiplyPlain(x.native(), y.native()));
  }

  multiply(a: CiphertextHandle, b: CiphertextHandle): CiphertextHandle {
    const x = this.ct(a);
    const y = this.ct(b);
    this.sameLevel(x, y, 'multiply');
    return this.produce('multiply', () => this.evaluator.multiply(x.native(), y.native()));
  }

  relinearize(a: CiphertextHandle): CiphertextHandle {
    const x = this.ct(a);
    const rk = this.relinKeys;
    if (!rk) throw new CkksError('MISSING_KEY', 'relinearization needs relinearization keys');
    return this.produce('relinearize', () => this.evaluator.relinearize(x.native(), rk));
  }

  rescaleToNext(a: CiphertextHandle): CiphertextHandle {
    const x = this.ct(a);
    if (x.level === 0) throw new CkksError('LEVEL_MISMATCH', 'rescaleToNext: the ciphertext is at level 0');
    return this.produce('rescaleToNext', () => this.evaluator.rescaleToNext(x.native()));
  }

  modSwitchToNext(a: CiphertextHandle): CiphertextHandle {
    const x = this.ct(a);
    if (x.level === 0) throw new CkksError('LEVEL_MISMATCH', 'modSwitchToNext: the ciphertext is at level 0');
    return this.produce('modSwitchToNext', () => this.evaluator.cipherModSwitchToNext(x.native()));
  }

  rotate(a: CiphertextHandle, steps: number): CiphertextHandle {
    const x = this.ct(a);
    if (!Number.isInteger(steps) || Math.abs(steps) >= this.slotCount) {
      throw new CkksError('INVALID_ARGUMENT', `rotation step ${steps} must be an integer with |step| < ${this.slotCount}`);
    }
    const gk = this.galoisKeys;
    if (!gk) throw new CkksError('MISSING_KEY', 'rotation needs Galois keys');
    if (steps === 0) return this.produce('rotate', () => x.native().clone());
    return this.produce('rotate', () => this.evaluator.rotateVector(x.native(), steps, gk));
  }

  multiplyPlainAccumulate(cts: readonly CiphertextHandle[], plains: readonly PlaintextHandle[]): CiphertextHandle {
    checkAccumulateTerms(cts, plains);
    let acc: CiphertextHandle | null = null;
    try {
      cts.forEach((ct, t) => {
        const term = this.multiplyPlain(ct, plains[t]!);
        if (acc === null) {
          acc = term;
          return;
        }
        const sum = this.add(acc, term);
        acc.dispose();
        term.dispose();
        acc = sum;
      });
      return acc!;
    } catch (error) {
      (acc as CiphertextHandle | null)?.dispose();
      throw error;
    }
  }

  multiplyPlainAccumulateGroups(cts: readonly CiphertextHandle[], plains: readonly (readonly (PlaintextHandle | null)[])[]): CiphertextHandle[] {
    const groups = checkAccumulateGroups(cts, plains);
    const out: CiphertextHandle[] = [];
    try {
      for (const g of groups) out.push(this.multiplyPlainAccumulate(g.cts, g.plains));
      return out;
    } catch (error) {
      for (const o of out) o.dispose();
      throw error;
    }
  }

  rotateMany(a: CiphertextHandle, steps: readonly number[]): CiphertextHandle[] {
    const out: CiphertextHandle[] = [];
    try {
      for (const s of steps) out.push(this.rotate(a, s));
      return out;
    } catch (error) {
      for (const h of out) h.dispose();
      throw error;
    }
  }

  rotateSum(cts: readonly CiphertextHandle[], steps: readonly number[]): CiphertextHandle {
    checkRotateSumTerms(cts, steps);
    return addRotations(this, null, cts, steps, [...steps.keys()])!;
  }

  // -- serialization ---------------------------------------------------------------------

  deserialize(bytes: Uint8Array): CiphertextHandle {
    this.alive();
    if (!(bytes instanceof Uint8Array)) throw new CkksError('INVALID_ARGUMENT', 'deserialize expects a Uint8Array');
    const ct = this.loadCiphertextBytes(bytes);
    if (ct.coeffModulusSize - 1 > this.params.maxLevel || ct.size < 2) {
      ct.delete();
      throw new CkksError('PARAMETER_MISMATCH', 'the bytes hold a key-level or empty ciphertext, not data', 'parmsId');
    }
    return this.wrapCt(ct);
  }

  dispose(): void {
    if (this.isDisposed) return;
    for (const h of [...this.live]) h.dispose();
    this.live.clear();
    this.dropTools();
    this.secretKey?.delete();
    this.publicKey?.delete();
    this.relinKeys?.delete();
    this.galoisKeys?.delete();
    this.secretKey = this.publicKey = null;
    this.relinKeys = null;
    this.galoisKeys = null;
    this.evaluator.delete();
    this.encoder.delete();
    this.ctx.delete();
    this.isDisposed = true;
  }

  /** Number of live handles (for leak checks in tests). */
  get liveHandles(): number {
    return this.live.size;
  }
}

/**
 * A `seal` backend for the given parameters (validated with `parseParams`: an insecure set
 * needs `insecure: true`, and then uses SEAL's security level none; otherwise tc128).
 */
export async function createSealBackend(params: CkksParamsLike): Promise<SealBackend> {
  const input = {
    n: params.n,
    coeffModulusBits: [...params.coeffModulusBits],
    scaleBits: params.scaleBits,
    ...(params.insecure === true ? { insecure: true } : {}),
  };
  const p = parseParams(input);
  const seal = await loadSealLibrary();
  return new SealBackend(seal, p);
}
