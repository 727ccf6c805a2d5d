/**
 * The CKKS core (native/binding/ckks-core*.cpp): SEAL-compatible CKKS arithmetic in native
 * code (native/ckks, hlp_ckks_* in kernels.h): encoding, sampling from caller-supplied
 * randomness, encryption, decryption, evaluation and key switching. Every polynomial is a
 * BigUint64Array in SEAL's layout (RNS blocks of n words, NTT form), so data moves to and
 * from SEAL's serialization unchanged.
 */
import { FLAG_CHECK_INPUT, FLAG_HOISTING_KEYS } from './addon.js';
import { ckksNative, type NativeCkksCore } from './ckks-native.js';
import type { CkksCallOptions, CkksRandomnessKind, KeySwitchCallOptions, ResultCallOptions, ResultsCallOptions, SeededCallOptions } from './ckks-options.js';
import { seedStreamFlag } from './ckks-options.js';
import { KernelError, guarded, guardedAsync } from './errors.js';

export type { NativeCkksCore } from './ckks-native.js';

/**
 * The native context of a CkksCore, for the CUDA encryptor (cuda-encryptor.ts): set by
 * CkksCore's static block, so the accessor stays off the package's API.
 */
export let nativeCoreOf: (core: CkksCore) => NativeCkksCore;

/**
 * The native CKKS core for one ring degree and modulus chain, computing exactly what
 * Microsoft SEAL 4.1 computes where ciphertexts must interoperate:
 *
 * - Slots: slot j of a plaintext m(X) is m(ζ^(3^j mod 2n)) / scale, ζ = exp(iπ/n)
 *   (SEAL's CKKSEncoder layout); n/2 slots.
 * - Levels: `moduli` = data primes q_0..q_{k-1}, then the special prime. A plaintext or
 *   ciphertext at `level` L (1..k) uses q_0..q_{L-1}; SEAL's first (top) data level is
 *   L = k and every rescale or modulus switch lowers L by one.
 * - Layouts: a plaintext is L·n words; a ciphertext of size s is s such polynomials
 *   (s·L·n words); the secret key is (k+1)·n words and the public key 2·(k+1)·n words,
 *   all NTT form at the key level — SEAL's data layouts.
 * - Randomness comes in as bytes from a CSPRNG (e.g. AES-256-CTR); the native side only
 *   maps bytes to distributions, in constant time for secret values. Buffers hold
 *   `count` consecutive chunks of {@link randomnessBytes} bytes where a call encrypts
 *   `count` plaintexts; too few bytes fail with `RANDOMNESS_EXHAUSTED`.
 *
 * The caller tracks scales: encryption keeps the plaintext's scale, `multiply` and
 * `multiplyPlain` multiply scales, `rescale` divides by q_{L-1} ({@link rescaledScale}),
 * `modSwitch` keeps it. Results are fresh arrays; inputs are never modified.
 * Errors are {@link KernelError}s (`INVALID_ARGUMENT`, `LENGTH_MISMATCH`,
 * `VALUE_OUT_OF_RANGE`, `SCALE_OUT_OF_BOUNDS`, `RANDOMNESS_EXHAUSTED`, ...).
 */
export class CkksCore {
  /** Ring degree. */
  readonly n: number;
  /** n / 2. */
  readonly slots: number;
  /** Data primes, then the special prime. */
  readonly moduli: readonly bigint[];
  /** k: the number of data primes (the top level). */
  readonly dataPrimeCount: number;
  #native: NativeCkksCore | undefined;

  /**
   * @param n ring degree, a power of two (4..131072)
   * @param moduli k + 1 distinct NTT-friendly primes (q ≡ 1 mod 2n, at most 60 bits),
   *   data primes first and the special prime last; 1 <= k <= 64
   */
  constructor(n: number, moduli: readonly bigint[]) {
    if (!Number.isInteger(n)) throw new KernelError('INVALID_ARGUMENT', `n must be an integer, got ${n}`);
    // Checked through an unknown alias (JavaScript callers pass anything): Array.isArray would narrow `moduli` itself to any[].
    const given: unknown = moduli;
    if (!Array.isArray(given) || moduli.length < 2) {
      throw new KernelError('INVALID_ARGUMENT', 'moduli must hold the data primes and the special prime (at least 2)');
    }
    for (const q of moduli) {
      if (typeof q !== 'bigint' || q < 0n || q >= 1n << 64n) {
        throw new KernelError('INVALID_ARGUMENT', `modulus ${String(q)} is not a 64-bit unsigned bigint`);
      }
    }
    this.#native = guarded(() => new (ckksNative().CkksCore)(n, BigUint64Array.from(moduli)));
    this.n = n;
    this.slots = n / 2;
    this.moduli = Object.freeze([...moduli]);
    this.dataPrimeCount = moduli.length - 1;
  }

  #core(): NativeCkksCore {
    if (!this.#native) throw new KernelError('INVALID_ARGUMENT', 'CkksCore used after dispose()');
    return this.#native;
  }

  #flags(options: (CkksCallOptions & Pick<SeededCallOptions, 'seedStream'>) | undefined): number {
    return (options?.checkInput === false ? 0 : FLAG_CHECK_INPUT) | seedStreamFlag(options?.seedStream);
  }

  /** Size (number of polynomials) of a ciphertext-like array at `level`, checked. */
  #size(data: BigUint64Array, level: number, what: string, allowed: readonly number[] = [2, 3]): number {
    if (!(data instanceof BigUint64Array)) throw new KernelError('INVALID_ARGUMENT', `${what} must be a BigUint64Array`);
    this.#level(level);
    const poly = level * this.n;
    const size = data.length / poly;
    if (!Number.isInteger(size) || !allowed.includes(size)) {
      throw new KernelError('LENGTH_MISMATCH', `${what} has ${data.length} words: not ${allowed.join(' or ')} polynomials of ${level} x ${this.n} words`);
    }
    return size;
  }

  #level(level: number): void {
    if (!Number.isInteger(level) || level < 1 || level > this.dataPrimeCount) {
      throw new KernelError('INVALID_ARGUMENT', `level must be an integer in [1, ${this.dataPrimeCount}], got ${level}`);
    }
  }

  /** Random bytes one operation of `kind` consumes (`level` matters for `uniform` only: 1..k+1). */
  randomnessBytes(kind: CkksRandomnessKind, level = 1): number {
    const core = this.#core();
    return guarded(() => core.randomnessBytes(kind, level));
  }

  /** The scale after {@link rescale} at `level`: scale / q_{level-1}. */
  rescaledScale(scale: number, level: number): number {
    this.#level(level);
    return scale / Number(this.moduli[level - 1]!);
  }

  /**
   * Encodes up to n/2 real values (zero padded) as a plaintext at `level` (NTT form,
   * level·n words, in `out` when given): coefficients round(scale · m_i). `SCALE_OUT_OF_BOUNDS` when the
   * scale is not positive and finite or too large for the level (SEAL's bound), or a
   * coefficient would reach 2^63 or the level's modulus; `VALUE_OUT_OF_RANGE` for
   * non-finite values.
   */
  encode(values: Float64Array, scale: number, level: number = this.dataPrimeCount, options?: ResultCallOptions): BigUint64Array {
    const core = this.#core();
    return guarded(() => core.encode(values, scale, level, false, options?.out));
  }

  /** As {@link encode} for complex values given as (re, im) pairs: values.length = 2 · slots used. */
  encodeComplex(values: Float64Array, scale: number, level: number = this.dataPrimeCount, options?: ResultCallOptions): BigUint64Array {
    const core = this.#core();
    return guarded(() => core.encode(values, scale, level, true, options?.out));
  }

  /** Decodes a plaintext (level inferred from its length) into its first `count` slots (real parts). */
  decode(plain: BigUint64Array, scale: number, count: number = this.slots, options?: CkksCallOptions): Float64Array {
    const core = this.#core();
    const level = this.#plainLevel(plain);
    return guarded(() => core.decode(plain, level, scale, count, false, this.#flags(options)));
  }

  /** As {@link decode}, returning `count` (re, im) pairs. */
  decodeComplex(plain: BigUint64Array, scale: number, count: number = this.slots, options?: CkksCallOptions): Float64Array {
    const core = this.#core();
    const level = this.#plainLevel(plain);
    return guarded(() => core.decode(plain, level, scale, count, true, this.#flags(options)));
  }

  #plainLevel(plain: BigUint64Array): number {
    if (!(plain instanceof BigUint64Array)) throw new KernelError('INVALID_ARGUMENT', 'plain must be a BigUint64Array');
    const level = plain.length / this.n;
    if (!Number.isInteger(level) || level < 1 || level > this.dataPrimeCount) {
      throw new KernelError('LENGTH_MISMATCH', `plain has ${plain.length} words: not L x ${this.n} with 1 <= L <= ${this.dataPrimeCount}`);
    }
    return level;
  }

  /**
   * The uniform polynomial (NTT form, `level` primes, 1..k+1) that an encryption draws
   * from these bytes — what a symmetric ciphertext's c1 is. Deterministic in the bytes,
   * so a receiver re-expands a seeded ciphertext with the same PRNG stream. `out`: where it
   * goes (exactly its length: a ciphertext's c1 in place), else a fresh array.
   */
  sampleUniform(randomness: Uint8Array, level: number, options?: { readonly out?: BigUint64Array }): BigUint64Array {
    const core = this.#core();
    if (!Number.isInteger(level) || level < 1 || level > this.dataPrimeCount + 1) {
      throw new KernelError('INVALID_ARGUMENT', `level must be an integer in [1, ${this.dataPrimeCount + 1}], got ${level}`);
    }
    return guarded(() => core.sampleUniform(randomness, level, options?.out));
  }

  /** A secret key (ternary, NTT form at the key level) from randomnessBytes('secretKey') bytes. */
  generateSecretKey(randomness: Uint8Array): BigUint64Array {
    const core = this.#core();
    return guarded(() => core.keygenSecret(randomness));
  }

  /**
   * The public key (pk0, pk1) = (-(a·s + e), a) at the key level, as SEAL's KeyGenerator:
   * `a` from randomnessBytes('uniform', k + 1) bytes, `e` from randomnessBytes('noise').
   */
  generatePublicKey(secretKey: BigUint64Array, uniformRandomness: Uint8Array, noiseRandomness: Uint8Array, options?: CkksCallOptions): BigUint64Array {
    const core = this.#core();
    return guarded(() => core.keygenPublic(secretKey, uniformRandomness, noiseRandomness, this.#flags(options)));
  }

  /**
   * Public-key encryption of `count` plaintexts at `level`, SEAL's method (u ternary,
   * e0 and e1 noise, c_j = pk_j·u + e_j over q_0..q_level, then divide and round by
   * q_level; the plaintext is added to c0). `plains` holds count·level·n words, or is
   * null to encrypt zeros; `randomness` count · randomnessBytes('encryptPublic') bytes.
   * Returns count ciphertexts of size 2 (count·2·level·n words).
   */
  encryptPublic(
    publicKey: BigUint64Array,
    plains: BigUint64Array | null,
    count: number,
    level: number,
    randomness: Uint8Array,
    options?: ResultCallOptions,
  ): BigUint64Array {
    const core = this.#core();
    return guarded(() => core.encryptPublic(publicKey, plains, count, level, randomness, this.#flags(options), options?.out));
  }

  /**
   * {@link encryptPublic} on a libuv worker thread, so the event loop stays free; the
   * input arrays must not be modified until the promise settles. Independent calls run
   * in parallel on the libuv pool (UV_THREADPOOL_SIZE threads).
   */
  async encryptPublicAsync(
    publicKey: BigUint64Array,
    plains: BigUint64Array | null,
    count: number,
    level: number,
    randomness: Uint8Array,
    options?: CkksCallOptions,
  ): Promise<BigUint64Array> {
    const core = this.#core();
    return guardedAsync(() => core.encryptPublicAsync(publicKey, plains, count, level, randomness, this.#flags(options)));
  }

  /**
   * Encode and public-key encrypt in one pass (the plaintext's NTTs are folded into the
   * encryption's): `values` holds count·valuesPerPlain reals (valuesPerPlain <= n/2,
   * zero padded). Same ciphertexts as encode + encryptPublic with the same randomness.
   */
  encodeEncryptPublic(
    publicKey: BigUint64Array,
    values: Float64Array,
    valuesPerPlain: number,
    count: number,
    scale: number,
    level: number,
    randomness: Uint8Array,
    options?: CkksCallOptions,
  ): BigUint64Array {
    const core = this.#core();
    return guarded(() => core.encodeEncryptPublic(publicKey, values, valuesPerPlain, count, scale, level, randomness, this.#flags(options)));
  }

  /** {@link encodeEncryptPublic} on a libuv worker thread (see {@link encryptPublicAsync}). */
  async encodeEncryptPublicAsync(
    publicKey: BigUint64Array,
    values: Float64Array,
    valuesPerPlain: number,
    count: number,
    scale: number,
    level: number,
    randomness: Uint8Array,
    options?: ResultCallOptions,
  ): Promise<BigUint64Array> {
    const core = this.#core();
    return guardedAsync(() =>
      core.encodeEncryptPublicAsync(publicKey, values, valuesPerPlain, count, scale, level, randomness, this.#flags(options), options?.out),
    );
  }

  /**
   * Encode and secret-key encrypt in one pass, each ciphertext seeded: `seeds` holds count
   * 64-byte seeds, and ciphertext c's c1 is what seed c expands to with SEAL's SHAKE256 PRNG
   * (hashed natively, see shake256Blocks), or with AES-256-CTR when `options.seedStream` says
   * so (aes256ctrStream), so the seed can travel in c1's place.
   * `noiseRandomness`: count · randomnessBytes('noise') bytes from a CSPRNG. Same
   * ciphertexts as encode + encryptSymmetric with each seed's expansion as its uniform bytes.
   */
  encodeEncryptSeeded(
    secretKey: BigUint64Array,
    values: Float64Array,
    valuesPerPlain: number,
    count: number,
    scale: number,
    level: number,
    seeds: Uint8Array,
    noiseRandomness: Uint8Array,
    options?: Omit<SeededCallOptions, 'out'>,
  ): BigUint64Array {
    const core = this.#core();
    return guarded(() => core.encodeEncryptSeeded(secretKey, values, valuesPerPlain, count, scale, level, seeds, noiseRandomness, this.#flags(options)));
  }

  /** {@link encodeEncryptSeeded} on a libuv worker thread, into `options.out` when given. */
  async encodeEncryptSeededAsync(
    secretKey: BigUint64Array,
    values: Float64Array,
    valuesPerPlain: number,
    count: number,
    scale: number,
    level: number,
    seeds: Uint8Array,
    noiseRandomness: Uint8Array,
    options?: SeededCallOptions,
  ): Promise<BigUint64Array> {
    const core = this.#core();
    return guardedAsync(() =>
      core.encodeEncryptSeededAsync(secretKey, values, valuesPerPlain, count, scale, level, seeds, noiseRandomness, this.#flags(options), options?.out),
    );
  }

  /**
   * Secret-key encryption, SEAL's method: c1 = a (uniform, sampled directly in NTT
   * form), c0 = -(a·s + e) + m. `plains` holds one or more plaintexts at `level`
   * (count = plains.length / (level·n)); `uniformRandomness` count chunks of
   * randomnessBytes('uniform', level) bytes (each ciphertext's `a` from its own chunk),
   * `noiseRandomness` count · randomnessBytes('noise') bytes.
   */
  encryptSymmetric(
    secretKey: BigUint64Array,
    plains: BigUint64Array,
    level: number,
    uniformRandomness: Uint8Array,
    noiseRandomness: Uint8Array,
    options?: ResultCallOptions,
  ): BigUint64Array {
    const core = this.#core();
    this.#level(level);
    if (!(plains instanceof BigUint64Array)) throw new KernelError('INVALID_ARGUMENT', 'plains must be a BigUint64Array');
    const count = plains.length / (level * this.n);
    if (!Number.isInteger(count) || count < 1) {
      throw new KernelError('LENGTH_MISMATCH', `plains has ${plains.length} words: not a multiple of ${level} x ${this.n}`);
    }
    return guarded(() => core.encryptSymmetric(secretKey, plains, count, level, uniformRandomness, noiseRandomness, this.#flags(options), options?.out));
  }

  /** m = c0 + c1·s (+ c2·s² for size 3): a plaintext at `level` (NTT form), in `out` when given. */
  decrypt(secretKey: BigUint64Array, ciphertext: BigUint64Array, level: number, options?: ResultCallOptions): BigUint64Array {
    const core = this.#core();
    const size = this.#size(ciphertext, level, 'ciphertext');
    return guarded(() => core.decrypt(secretKey, ciphertext, size, level, this.#flags(options), options?.out));
  }

  /**
   * Decrypt and decode `count` ciphertexts of `size` polynomials at `level` on a libuv worker
   * thread: their first `valuesPerCiphertext` slots (real parts), back to back. The same doubles
   * as decrypt then decode one by one. `ciphertexts` holds them back to back, or is one byte view
   * per ciphertext (little-endian words at any alignment, e.g. where they sit in a received
   * frame): those are read on the worker thread, so the event loop copies nothing.
   */
  async decryptDecodeAsync(
    secretKey: BigUint64Array,
    ciphertexts: BigUint64Array | readonly Uint8Array[],
    count: number,
    size: number,
    level: number,
    scale: number,
    valuesPerCiphertext: number = this.slots,
    options?: CkksCallOptions,
  ): Promise<Float64Array> {
    const core = this.#core();
    this.#level(level);
    if (size !== 2 && size !== 3) throw new KernelError('INVALID_ARGUMENT', `ciphertext size must be 2 or 3, got ${size}`);
    const words = size * level * this.n;
    if (Array.isArray(ciphertexts)) {
      const views = ciphertexts as readonly unknown[];
      if (!Number.isInteger(count) || count < 1 || views.length !== count) {
        throw new KernelError('LENGTH_MISMATCH', `${views.length} ciphertext views for a count of ${count}`);
      }
      const bad = views.findIndex((v) => !(v instanceof Uint8Array) || v.byteLength !== words * 8);
      if (bad >= 0)
        throw new KernelError(
          'LENGTH_MISMATCH',
          `ciphertext view ${bad} is not a Uint8Array of ${words * 8} bytes (${size} polynomials of ${level} x ${this.n} words)`,
        );
    } else if (!(ciphertexts instanceof BigUint64Array)) {
      throw new KernelError('INVALID_ARGUMENT', 'ciphertexts must be a BigUint64Array or an array of Uint8Array views');
    } else if (!Number.isInteger(count) || count < 1 || ciphertexts.length !== count * words) {
      throw new KernelError('LENGTH_MISMATCH', `ciphertexts has ${ciphertexts.length} words: not ${count} x ${size} polynomials of ${level} x ${this.n} words`);
    }
    return guardedAsync(() => core.decryptDecodeAsync(secretKey, ciphertexts, count, size, level, scale, valuesPerCiphertext, this.#flags(options)));
  }

  /** a + b (sizes 2 or 3; the result has the larger size). */
  add(a: BigUint64Array, b: BigUint64Array, level: number, options?: ResultCallOptions): BigUint64Array {
    return this.#addSub('add', a, b, level, options);
  }

  /** a - b (sizes 2 or 3; the result has the larger size). */
  sub(a: BigUint64Array, b: BigUint64Array, level: number, options?: ResultCallOptions): BigUint64Array {
    return this.#addSub('sub', a, b, level, options);
  }

  #addSub(op: 'add' | 'sub', a: BigUint64Array, b: BigUint64Array, level: number, options?: ResultCallOptions): BigUint64Array {
    const core = this.#core();
    const aSize = this.#size(a, level, 'a');
    const bSize = this.#size(b, level, 'b');
    return guarded(() => core.addSub(op, a, aSize, b, bSize, level, this.#flags(options), options?.out));
  }

  /** -a. */
  negate(a: BigUint64Array, level: number, options?: ResultCallOptions): BigUint64Array {
    const core = this.#core();
    const size = this.#size(a, level, 'ciphertext');
    return guarded(() => core.negate(a, size, level, this.#flags(options), options?.out));
  }

  /** ct + plain (added to c0); the scales must match (the caller's concern). */
  addPlain(ciphertext: BigUint64Array, plain: BigUint64Array, level: number, options?: ResultCallOptions): BigUint64Array {
    const core = this.#core();
    const size = this.#size(ciphertext, level, 'ciphertext');
    return guarded(() => core.plainOp('add', ciphertext, size, plain, level, this.#flags(options), options?.out));
  }

  /** ct · plain (every component); the scale becomes the product of the scales. */
  multiplyPlain(ciphertext: BigUint64Array, plain: BigUint64Array, level: number, options?: ResultCallOptions): BigUint64Array {
    const core = this.#core();
    const size = this.#size(ciphertext, level, 'ciphertext');
    return guarded(() => core.plainOp('multiply', ciphertext, size, plain, level, this.#flags(options), options?.out));
  }

  /** Σ_t ciphertexts[t] · plains[t] (size 2, one level) in one pass, each sum reduced once: bit for bit multiplyPlain then add (a diagonal method's inner loop). */
  multiplyPlainAccumulate(
    ciphertexts: readonly BigUint64Array[],
    plains: readonly BigUint64Array[],
    level: number,
    options?: KeySwitchCallOptions,
  ): BigUint64Array {
    const core = this.#core();
    this.#level(level);
    if (ciphertexts.length === 0 || plains.length !== ciphertexts.length) {
      throw new KernelError('LENGTH_MISMATCH', `${plains.length} plaintexts for ${ciphertexts.length} ciphertexts (one each, at least one)`);
    }
    return guarded(() => core.multiplyPlainAccumulate(ciphertexts, plains, level, this.#flags(options), options?.out));
  }

  /**
   * multiplyPlainAccumulate per group over the same ciphertexts: result g sums the terms whose
   * plains[g][t] is not null (each group needs one), two groups a pass (BSGS giant steps).
   * `plainRepeat` R > 1: every plaintext is compact (`compactPlain`, n / R words a block).
   */
  multiplyPlainAccumulateGroups(
    ciphertexts: readonly BigUint64Array[],
    plains: readonly (readonly (BigUint64Array | null)[])[],
    level: number,
    options?: ResultsCallOptions & { readonly plainRepeat?: number },
  ): BigUint64Array[] {
    const core = this.#core();
    this.#level(level);
    if (ciphertexts.length === 0 || plains.length === 0 || plains.some((row) => row.length !== ciphertexts.length)) {
      throw new KernelError('LENGTH_MISMATCH', `every group needs one plaintext (or null) per ciphertext, at least one group and ciphertext`);
    }
    const repeat = options?.plainRepeat ?? 1;
    return guarded(() => core.multiplyPlainAccumulateGroups(ciphertexts, plains.flat(), plains.length, level, repeat, this.#flags(options), options?.outs));
  }

  /** Size 2 × size 2 → size 3 (no relinearization; decrypt uses s²); scales multiply. */
  multiply(a: BigUint64Array, b: BigUint64Array, level: number, options?: ResultCallOptions): BigUint64Array {
    const core = this.#core();
    return guarded(() => core.multiply(a, b, level, this.#flags(options), options?.out));
  }

  /**
   * SEAL's rescale_to_next: every component divided by q_{level-1} with rounding; the
   * result is at level - 1 and its scale is {@link rescaledScale}(scale, level).
   * Size 1 (a plaintext) is accepted too.
   */
  rescale(ciphertext: BigUint64Array, level: number, options?: ResultCallOptions): BigUint64Array {
    const core = this.#core();
    const size = this.#size(ciphertext, level, 'ciphertext', [1, 2, 3]);
    return guarded(() => core.dropLevel('rescale', ciphertext, size, level, this.#flags(options), options?.out));
  }

  /** rescale(multiplyPlain(ct, plain)) + addend (level − 1, the rescaled scale; null: none) in one call, bit for bit the three. */
  multiplyPlainRescale(
    ciphertext: BigUint64Array,
    plain: BigUint64Array,
    addend: BigUint64Array | null,
    level: number,
    options?: ResultCallOptions,
  ): BigUint64Array {
    const core = this.#core();
    const size = this.#size(ciphertext, level, 'ciphertext');
    if (level < 2) throw new KernelError('INVALID_ARGUMENT', 'multiplyPlainRescale needs level >= 2: no prime left to divide by');
    return guarded(() => core.multiplyPlainRescale(ciphertext, size, plain, addend, level, this.#flags(options), options?.out));
  }

  /** SEAL's mod_switch_to_next for CKKS: drops the last prime (scale unchanged); size 1 switches a plaintext. */
  modSwitch(ciphertext: BigUint64Array, level: number, options?: ResultCallOptions): BigUint64Array {
    const core = this.#core();
    const size = this.#size(ciphertext, level, 'ciphertext', [1, 2, 3]);
    return guarded(() => core.dropLevel('modSwitch', ciphertext, size, level, this.#flags(options), options?.out));
  }

  // -- key switching ------------------------------------------------------------------

  /** Words of one key-switching key (relinearization, or an element's Galois key): k · 2 · (k + 1) · n, as SEAL's KSwitchKeys holds them. */
  get kswitchKeyWords(): number {
    return this.dataPrimeCount * 2 * (this.dataPrimeCount + 1) * this.n;
  }

  /** The Galois element of a slot rotation by `steps` (positive: left); 0 gives conjugation (2n − 1). */
  galoisElement(steps: number): number {
    const core = this.#core();
    return guarded(() => core.galoisElement(steps));
  }

  /** Throws VALUE_OUT_OF_RANGE (or LENGTH_MISMATCH) unless the key is well formed: check a key once, when it is loaded. */
  checkKswitchKey(key: BigUint64Array): void {
    const core = this.#core();
    guarded(() => core.checkKswitchKey(key));
  }

  /**
   * A key-switching key from the secret key: the relinearization key (`galoisElt` 0) or
   * the Galois key of an element. `uniformRandomness`: k chunks of
   * `randomnessBytes('uniform', k + 1)` bytes, component j from chunk j (each the expansion
   * of its own seed for a seeded key); `noiseRandomness`: k · randomnessBytes('noise').
   */
  generateKswitchKey(
    secretKey: BigUint64Array,
    galoisElt: number,
    uniformRandomness: Uint8Array,
    noiseRandomness: Uint8Array,
    options?: CkksCallOptions,
  ): BigUint64Array {
    const core = this.#core();
    return guarded(() => core.keygenKswitch(secretKey, galoisElt, uniformRandomness, noiseRandomness, this.#flags(options)));
  }

  /** Size 3 → size 2 at `level` with the relinearization key (scale unchanged). */
  relinearize(key: BigUint64Array, ciphertext: BigUint64Array, level: number, options?: KeySwitchCallOptions): BigUint64Array {
    const core = this.#core();
    return guarded(() => core.relinearize(key, ciphertext, level, this.#flags(options), options?.out));
  }

  /**
   * The automorphisms X → X^elt of one size-2 ciphertext, each switched back to s with its
   * Galois key: a result (2 · level · n words) per element. Several elements share one
   * decomposition of c1 (hoisting); one computes exactly SEAL's apply_galois. `hoistingKeys`:
   * the keys are their elements' `hoistingKey`s, and every count is hoisted (same words, faster).
   */
  applyGalois(
    keys: readonly BigUint64Array[],
    galoisElts: readonly number[],
    ciphertext: BigUint64Array,
    level: number,
    options?: ResultsCallOptions & { readonly hoistingKeys?: boolean },
  ): BigUint64Array[] {
    const core = this.#core();
    const flags = this.#flags(options) | (options?.hoistingKeys ? FLAG_HOISTING_KEYS : 0);
    return guarded(() => core.applyGalois(keys, galoisElts, ciphertext, level, flags, options?.outs));
  }

  /**
   * Σ_r rot_{galoisElts[r]}(ciphertexts[r]) for size-2 ciphertexts at `level`, each with the
   * Galois key of its element: the key switches are summed before one division by the special
   * prime (a BSGS product's giant steps), so the result is the sum of the rotations up to
   * key-switching noise. 2 · level · n words, in `out` when given.
   */
  rotateSum(
    keys: readonly BigUint64Array[],
    galoisElts: readonly number[],
    ciphertexts: readonly BigUint64Array[],
    level: number,
    options?: KeySwitchCallOptions,
  ): BigUint64Array {
    const core = this.#core();
    return guarded(() => core.rotateSum(keys, galoisElts, ciphertexts, level, this.#flags(options), options?.out));
  }

  /**
   * The Galois key of `galoisElt` arranged for hoisted rotations (its blocks permuted by the
   * inverse automorphism): a second copy of the key, for keys that hoisted rotations use often.
   */
  hoistingKey(galoisKey: BigUint64Array, galoisElt: number): BigUint64Array {
    const core = this.#core();
    return guarded(() => core.hoistingKey(galoisKey, galoisElt));
  }

  /** multiply, relinearize and rescale in one call: two size-2 ciphertexts at level ≥ 2 → size 2 at level − 1. */
  multiplyRelinRescale(key: BigUint64Array, a: BigUint64Array, b: BigUint64Array, level: number, options?: KeySwitchCallOptions): BigUint64Array {
    const core = this.#core();
    return guarded(() => core.multiplyRelinRescale(key, a, b, level, this.#flags(options), options?.out));
  }

  /** Frees the native context now rather than at garbage collection. Idempotent. */
  dispose(): void {
    this.#native?.dispose();
    this.#native = undefined;
  }

  static {
    // CudaEncryptor needs the native object; a module-private accessor keeps it off the API.
    nativeCoreOf = (core) => core.#core();
  }
}
