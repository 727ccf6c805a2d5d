/**
 * @hlp/kernels — the JS face of the native kernels. Thin on purpose: argument checks that
 * need JS types happen here, everything else in the C ABI, which reports failures as
 * status codes that surface as KernelError with a stable `code`.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type Variant = 'scalar' | 'avx2' | 'avx512' | 'cuda';
export const VARIANTS: readonly Variant[] = ['scalar', 'avx2', 'avx512', 'cuda'];

export type KernelErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_POWER_OF_TWO'
  | 'MODULUS_NOT_PRIME'
  | 'MODULUS_NOT_NTT_FRIENDLY'
  | 'MODULUS_TOO_LARGE'
  | 'VALUE_OUT_OF_RANGE'
  | 'LENGTH_MISMATCH'
  | 'VARIANT_UNAVAILABLE'
  | 'OUT_OF_MEMORY'
  | 'NO_DEVICE'
  | 'INTERNAL'
  | 'ADDON_NOT_BUILT'
  // CKKS core (CkksCore below)
  | 'SCALE_OUT_OF_BOUNDS'
  | 'RANDOMNESS_EXHAUSTED';

export class KernelError extends Error {
  override readonly name = 'KernelError';
  constructor(
    readonly code: KernelErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface VariantInfo {
  readonly name: Variant;
  /** Compiled into this build. */
  readonly compiled: boolean;
  /** Runnable in this process (CPU features present, or a CUDA device). */
  readonly available: boolean;
}

interface NativeNttContext {
  readonly n: number;
  readonly moduli: BigUint64Array;
  readonly roots: BigUint64Array;
  forward(data: BigUint64Array, first: number, count: number, variant: string, flags: number): void;
  inverse(data: BigUint64Array, first: number, count: number, variant: string, flags: number): void;
  forwardAsync(data: BigUint64Array, first: number, count: number, variant: string, flags: number): Promise<void>;
  inverseAsync(data: BigUint64Array, first: number, count: number, variant: string, flags: number): Promise<void>;
  eltwise(op: 'add' | 'sub' | 'mul', out: BigUint64Array, a: BigUint64Array, b: BigUint64Array, first: number, count: number, variant: string, flags: number): void;
  dispose(): void;
}

interface NativeAllocator {
  alloc(bytes: number): number;
  free(handle: number): void;
  churn(sizes: readonly number[], live: number, rounds: number): void;
  stats(): AllocatorStats;
  dispose(): void;
}

interface NativeAddon {
  cpuFeatures(): string;
  setWorkerNice(nice: number): number;
  variants(): VariantInfo[];
  defaultVariant(): Variant;
  isPrime(q: bigint): boolean;
  generateNttPrimes(bits: number, n: number, count: number): BigUint64Array;
  minimalPrimitiveRoot(q: bigint, order: bigint): bigint;
  mulModBarrett(a: bigint, b: bigint, q: bigint): bigint;
  mulModShoup(a: bigint, w: bigint, q: bigint): bigint;
  powMod(base: bigint, exponent: bigint, q: bigint): bigint;
  invMod(a: bigint, q: bigint): bigint;
  NttContext: new (n: number, moduli: BigUint64Array) => NativeNttContext;
  Allocator: new (kind: 'pool' | 'malloc') => NativeAllocator;
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ADDON_PATH = join(packageRoot, 'build', 'Release', 'hlp_kernels.node');

let addon: NativeAddon | undefined;
function native(): NativeAddon {
  if (addon) return addon;
  if (!existsSync(ADDON_PATH)) {
    throw new KernelError('ADDON_NOT_BUILT', `native addon missing at ${ADDON_PATH}: run \`npm run build -w @hlp/kernels\``);
  }
  addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
  return addon;
}

/** Maps the binding's errors (which carry a status code name) onto KernelError. */
function translate(error: unknown): never {
  if (error instanceof KernelError) throw error;
  if (error instanceof Error) {
    const code = (error as Error & { code?: string }).code;
    if (typeof code === 'string') throw new KernelError(code as KernelErrorCode, error.message);
    throw new KernelError('INVALID_ARGUMENT', error.message);
  }
  throw new KernelError('INTERNAL', String(error));
}

function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    translate(error);
  }
}

export function cpuFeatures(): string[] {
  return guarded(() => native().cpuFeatures().split(',').filter(Boolean));
}

export function variants(): VariantInfo[] {
  return guarded(() => native().variants());
}

export function availableVariants(): Variant[] {
  return variants().filter((v) => v.available).map((v) => v.name);
}

/** The variant used when none is named: best detected, or HLP_KERNEL when it names an available one. */
export function defaultVariant(): Variant {
  return guarded(() => native().defaultVariant());
}

export function isPrime(q: bigint): boolean {
  return guarded(() => native().isPrime(q));
}

/** `count` primes of exactly `bits` bits with q ≡ 1 (mod 2n), largest first. */
export function generateNttPrimes(bits: number, n: number, count = 1): bigint[] {
  return guarded(() => Array.from(native().generateNttPrimes(bits, n, count)));
}

/** Smallest primitive `order`-th root of unity mod q (order a power of two). */
export function minimalPrimitiveRoot(q: bigint, order: bigint | number): bigint {
  return guarded(() => native().minimalPrimitiveRoot(q, BigInt(order)));
}

export function mulModBarrett(a: bigint, b: bigint, q: bigint): bigint {
  return guarded(() => native().mulModBarrett(a, b, q));
}

export function mulModShoup(a: bigint, w: bigint, q: bigint): bigint {
  return guarded(() => native().mulModShoup(a, w, q));
}

export function powMod(base: bigint, exponent: bigint, q: bigint): bigint {
  return guarded(() => native().powMod(base, exponent, q));
}

export function invMod(a: bigint, q: bigint): bigint {
  return guarded(() => native().invMod(a, q));
}

export interface KernelCallOptions {
  /** Kernel variant; defaults to defaultVariant(). */
  readonly variant?: Variant;
  /** First modulus of the context the data starts at (default 0). */
  readonly firstModulus?: number;
  /** How many consecutive moduli one polynomial spans (default: the rest of the context). */
  readonly modulusCount?: number;
  /** Verify inputs are below their moduli first (default true). Off only for trusted data. */
  readonly checkInput?: boolean;
}

const FLAG_CHECK_INPUT = 1;

/**
 * Tables for one ring degree n and a list of NTT-friendly primes. Data is laid out as
 * RNS polynomials: `modulusCount` blocks of n words, block b reduced by modulus
 * firstModulus + b; several polynomials may follow each other in one array.
 */
export class NttContext {
  readonly n: number;
  readonly moduli: readonly bigint[];
  /** psi for each modulus: forward output j is the evaluation at psi^(2·bitrev(j)+1). */
  readonly roots: readonly bigint[];
  #native: NativeNttContext | undefined;

  constructor(n: number, moduli: readonly bigint[]) {
    if (!Number.isInteger(n)) throw new KernelError('INVALID_ARGUMENT', `n must be an integer, got ${n}`);
    if (moduli.length === 0) throw new KernelError('INVALID_ARGUMENT', 'at least one modulus is required');
    for (const q of moduli) {
      if (typeof q !== 'bigint' || q < 0n || q >= 1n << 64n) {
        throw new KernelError('INVALID_ARGUMENT', `modulus ${String(q)} is not a 64-bit unsigned bigint`);
      }
    }
    const ctx = guarded(() => new (native().NttContext)(n, BigUint64Array.from(moduli)));
    this.#native = ctx;
    this.n = n;
    this.moduli = Object.freeze([...moduli]);
    this.roots = Object.freeze(Array.from(ctx.roots));
  }

  #ctx(): NativeNttContext {
    if (!this.#native) throw new KernelError('INVALID_ARGUMENT', 'NttContext used after dispose()');
    return this.#native;
  }

  #args(options: KernelCallOptions | undefined): [number, number, string, number] {
    const first = options?.firstModulus ?? 0;
    const count = options?.modulusCount ?? this.moduli.length - first;
    const variant = options?.variant ?? 'auto';
    const flags = options?.checkInput === false ? 0 : FLAG_CHECK_INPUT;
    return [first, count, variant, flags];
  }

  /** In-place forward NTT (natural order in, bit-reversed out). */
  forward(data: BigUint64Array, options?: KernelCallOptions): void {
    const ctx = this.#ctx();
    guarded(() => ctx.forward(data, ...this.#args(options)));
  }

  /** In-place inverse NTT (bit-reversed in, natural order out, scaled by n^-1). */
  inverse(data: BigUint64Array, options?: KernelCallOptions): void {
    const ctx = this.#ctx();
    guarded(() => ctx.inverse(data, ...this.#args(options)));
  }

  /** forward() on a libuv worker thread; `data` must not be touched until it settles. */
  async forwardAsync(data: BigUint64Array, options?: KernelCallOptions): Promise<void> {
    const ctx = this.#ctx();
    try {
      await ctx.forwardAsync(data, ...this.#args(options));
    } catch (error) {
      translate(error);
    }
  }

  async inverseAsync(data: BigUint64Array, options?: KernelCallOptions): Promise<void> {
    const ctx = this.#ctx();
    try {
      await ctx.inverseAsync(data, ...this.#args(options));
    } catch (error) {
      translate(error);
    }
  }

  /** out = a + b mod q, element-wise; out may be a or b. */
  addMod(out: BigUint64Array, a: BigUint64Array, b: BigUint64Array, options?: KernelCallOptions): void {
    const ctx = this.#ctx();
    guarded(() => ctx.eltwise('add', out, a, b, ...this.#args(options)));
  }

  subMod(out: BigUint64Array, a: BigUint64Array, b: BigUint64Array, options?: KernelCallOptions): void {
    const ctx = this.#ctx();
    guarded(() => ctx.eltwise('sub', out, a, b, ...this.#args(options)));
  }

  mulMod(out: BigUint64Array, a: BigUint64Array, b: BigUint64Array, options?: KernelCallOptions): void {
    const ctx = this.#ctx();
    guarded(() => ctx.eltwise('mul', out, a, b, ...this.#args(options)));
  }

  /** Frees the native tables now rather than at garbage collection. Idempotent. */
  dispose(): void {
    this.#native?.dispose();
    this.#native = undefined;
  }
}

export type AllocatorKind = 'pool' | 'malloc';

export interface AllocatorStats {
  readonly allocations: number;
  readonly frees: number;
  readonly hits: number;
  readonly misses: number;
  readonly bytesInUse: number;
  readonly bytesReserved: number;
  readonly peakBytesInUse: number;
  readonly hugePageBlocks: number;
}

/** The native memory pool or plain malloc, behind one interface, so the lab can compare them. */
export class Allocator {
  readonly kind: AllocatorKind;
  #native: NativeAllocator | undefined;

  constructor(kind: AllocatorKind) {
    if (kind !== 'pool' && kind !== 'malloc') {
      throw new KernelError('INVALID_ARGUMENT', `allocator kind must be "pool" or "malloc", got ${String(kind)}`);
    }
    this.kind = kind;
    this.#native = guarded(() => new (native().Allocator)(kind));
  }

  #alloc(): NativeAllocator {
    if (!this.#native) throw new KernelError('INVALID_ARGUMENT', 'Allocator used after dispose()');
    return this.#native;
  }

  /** Allocates a 64-byte aligned block; returns an opaque handle for free(). */
  alloc(bytes: number): number {
    const a = this.#alloc();
    return guarded(() => a.alloc(bytes));
  }

  free(handle: number): void {
    const a = this.#alloc();
    guarded(() => a.free(handle));
  }

  /** Runs a deterministic allocate/touch/free pattern natively (for benchmarks). */
  churn(sizes: readonly number[], live: number, rounds: number): void {
    const a = this.#alloc();
    guarded(() => a.churn(sizes, live, rounds));
  }

  stats(): AllocatorStats {
    const a = this.#alloc();
    return guarded(() => a.stats());
  }

  dispose(): void {
    this.#native?.dispose();
    this.#native = undefined;
  }
}

// ==== CKKS core =================================================================
// SEAL-compatible CKKS arithmetic in native code (native/ckks, hlp_ckks_* in kernels.h):
// encoding, sampling from caller-supplied randomness, encryption, decryption and the
// operations that need no key switching. Every polynomial is a BigUint64Array in SEAL's
// layout (RNS blocks of n words, NTT form), so data moves to and from SEAL's
// serialization unchanged.

/**
 * What a randomness buffer is for, as counted by {@link CkksCore.randomnessBytes}:
 * - `ternary`, `secretKey`: one ternary polynomial, 8 bytes a coefficient
 * - `noise`: one noise polynomial (rounded normal, sigma 3.2, |e| <= 19), 8 bytes a coefficient
 * - `uniform`: one uniform polynomial with `level` primes (1..k+1, k+1 = key level);
 *   an upper bound — rejection sampling consumes a prefix, and runs out with
 *   probability below 2^-100
 * - `encryptPublic`: one public-key encryption (u, e0, e1), 24 bytes a coefficient
 */
export type CkksRandomnessKind = 'ternary' | 'noise' | 'uniform' | 'encryptPublic' | 'secretKey';

export interface CkksCallOptions {
  /** Verify that every residue of keys, plaintexts and ciphertexts is below its prime (default true). */
  readonly checkInput?: boolean;
}

export interface ResultCallOptions extends CkksCallOptions {
  /**
   * Where the result goes (exactly its length; it must not overlap an input): a buffer
   * reused across calls saves the allocation, zeroing and page faults of a fresh one.
   * Default: a fresh array.
   */
  readonly out?: BigUint64Array;
}

/** The options of the key-switching calls (a result buffer, as every evaluation takes). */
export type KeySwitchCallOptions = ResultCallOptions;

interface NativeCkksCore {
  randomnessBytes(kind: CkksRandomnessKind, level: number): number;
  encode(values: Float64Array, scale: number, level: number, complex: boolean): BigUint64Array;
  decode(plain: BigUint64Array, level: number, scale: number, count: number, complex: boolean, flags: number): Float64Array;
  keygenSecret(randomness: Uint8Array): BigUint64Array;
  sampleUniform(randomness: Uint8Array, level: number): BigUint64Array;
  keygenPublic(secretKey: BigUint64Array, uniform: Uint8Array, noise: Uint8Array, flags: number): BigUint64Array;
  encryptPublic(pk: BigUint64Array, plains: BigUint64Array | null, count: number, level: number, randomness: Uint8Array, flags: number): BigUint64Array;
  encryptPublicAsync(pk: BigUint64Array, plains: BigUint64Array | null, count: number, level: number, randomness: Uint8Array, flags: number): Promise<BigUint64Array>;
  encodeEncryptPublic(pk: BigUint64Array, values: Float64Array, valuesPerPlain: number, count: number, scale: number, level: number, randomness: Uint8Array, flags: number): BigUint64Array;
  encodeEncryptPublicAsync(pk: BigUint64Array, values: Float64Array, valuesPerPlain: number, count: number, scale: number, level: number, randomness: Uint8Array, flags: number, out?: BigUint64Array): Promise<BigUint64Array>;
  encryptSymmetric(sk: BigUint64Array, plains: BigUint64Array, count: number, level: number, uniform: Uint8Array, noise: Uint8Array, flags: number): BigUint64Array;
  decrypt(sk: BigUint64Array, ct: BigUint64Array, size: number, level: number, flags: number): BigUint64Array;
  decryptDecodeAsync(sk: BigUint64Array, cts: BigUint64Array | readonly Uint8Array[], count: number, size: number, level: number, scale: number, valuesPerCiphertext: number, flags: number): Promise<Float64Array>;
  addSub(op: 'add' | 'sub', a: BigUint64Array, aSize: number, b: BigUint64Array, bSize: number, level: number, flags: number, out?: BigUint64Array): BigUint64Array;
  negate(a: BigUint64Array, size: number, level: number, flags: number, out?: BigUint64Array): BigUint64Array;
  plainOp(op: 'add' | 'multiply', ct: BigUint64Array, size: number, plain: BigUint64Array, level: number, flags: number, out?: BigUint64Array): BigUint64Array;
  multiplyPlainAccumulate(cts: readonly BigUint64Array[], plains: readonly BigUint64Array[], level: number, flags: number, out?: BigUint64Array): BigUint64Array;
  multiply(a: BigUint64Array, b: BigUint64Array, level: number, flags: number, out?: BigUint64Array): BigUint64Array;
  dropLevel(op: 'rescale' | 'modSwitch', ct: BigUint64Array, size: number, level: number, flags: number, out?: BigUint64Array): BigUint64Array;
  galoisElement(steps: number): number;
  checkKswitchKey(key: BigUint64Array): void;
  keygenKswitch(sk: BigUint64Array, galoisElt: number, uniform: Uint8Array, noise: Uint8Array, flags: number): BigUint64Array;
  relinearize(key: BigUint64Array, ct: BigUint64Array, level: number, flags: number, out?: BigUint64Array): BigUint64Array;
  applyGalois(keys: readonly BigUint64Array[], elts: readonly number[], ct: BigUint64Array, level: number, flags: number, outs?: readonly BigUint64Array[]): BigUint64Array[];
  multiplyRelinRescale(key: BigUint64Array, a: BigUint64Array, b: BigUint64Array, level: number, flags: number, out?: BigUint64Array): BigUint64Array;
  dispose(): void;
}

interface NativeCkksAddon {
  CkksCore: new (n: number, moduli: BigUint64Array) => NativeCkksCore;
  ckksSample(kind: 'noise' | 'ternary', randomness: Uint8Array, count: number): Int8Array;
}

interface NativeCudaEncryptor {
  encryptPublic(plains: BigUint64Array | null, count: number, randomness: Uint8Array, flags: number): BigUint64Array;
  encryptPublicAsync(plains: BigUint64Array | null, count: number, randomness: Uint8Array, flags: number): Promise<BigUint64Array>;
  encodeEncryptPublic(values: Float64Array, valuesPerPlain: number, count: number, scale: number, randomness: Uint8Array, flags: number): BigUint64Array;
  encodeEncryptPublicAsync(values: Float64Array, valuesPerPlain: number, count: number, scale: number, randomness: Uint8Array, flags: number): Promise<BigUint64Array>;
  dispose(): void;
}

type NativeCudaPoolCounters = Omit<CudaPoolStats, 'available' | 'efficiency'>;

interface NativeCudaAddon {
  CudaEncryptor: new (core: NativeCkksCore, publicKey: BigUint64Array, level: number, flags: number) => NativeCudaEncryptor;
  cudaUnavailableReason(): string;
  cudaPoolStats(): NativeCudaPoolCounters;
  cudaPoolTrim(): void;
}

/** Set by CkksCore's static block. */
let nativeCoreOf: (core: CkksCore) => NativeCkksCore;

function cudaNative(): NativeCudaAddon {
  return native() as unknown as NativeCudaAddon;
}

function ckksNative(): NativeCkksAddon {
  return native() as unknown as NativeCkksAddon;
}

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
    if (!Array.isArray(moduli) || moduli.length < 2) {
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

  #flags(options: CkksCallOptions | undefined): number {
    return options?.checkInput === false ? 0 : FLAG_CHECK_INPUT;
  }

  /** Size (number of polynomials) of a ciphertext-like array at `level`, checked. */
  #size(data: BigUint64Array, level: number, what: string, allowed: readonly number[] = [2, 3]): number {
    if (!(data instanceof BigUint64Array)) throw new KernelError('INVALID_ARGUMENT', `${what} must be a BigUint64Array`);
    this.#level(level);
    const poly = level * this.n;
    const size = data.length / poly;
    if (!Number.isInteger(size) || !allowed.includes(size)) {
      throw new KernelError(
        'LENGTH_MISMATCH',
        `${what} has ${data.length} words: not ${allowed.join(' or ')} polynomials of ${level} x ${this.n} words`,
      );
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
   * level·n words): coefficients round(scale · m_i). `SCALE_OUT_OF_BOUNDS` when the
   * scale is not positive and finite or too large for the level (SEAL's bound), or a
   * coefficient would reach 2^63 or the level's modulus; `VALUE_OUT_OF_RANGE` for
   * non-finite values.
   */
  encode(values: Float64Array, scale: number, level: number = this.dataPrimeCount): BigUint64Array {
    const core = this.#core();
    return guarded(() => core.encode(values, scale, level, false));
  }

  /** As {@link encode} for complex values given as (re, im) pairs: values.length = 2 · slots used. */
  encodeComplex(values: Float64Array, scale: number, level: number = this.dataPrimeCount): BigUint64Array {
    const core = this.#core();
    return guarded(() => core.encode(values, scale, level, true));
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
   * so a receiver re-expands a seeded ciphertext with the same PRNG stream.
   */
  sampleUniform(randomness: Uint8Array, level: number): BigUint64Array {
    const core = this.#core();
    if (!Number.isInteger(level) || level < 1 || level > this.dataPrimeCount + 1) {
      throw new KernelError('INVALID_ARGUMENT', `level must be an integer in [1, ${this.dataPrimeCount + 1}], got ${level}`);
    }
    return guarded(() => core.sampleUniform(randomness, level));
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
  encryptPublic(publicKey: BigUint64Array, plains: BigUint64Array | null, count: number, level: number, randomness: Uint8Array, options?: CkksCallOptions): BigUint64Array {
    const core = this.#core();
    return guarded(() => core.encryptPublic(publicKey, plains, count, level, randomness, this.#flags(options)));
  }

  /**
   * {@link encryptPublic} on a libuv worker thread, so the event loop stays free; the
   * input arrays must not be modified until the promise settles. Independent calls run
   * in parallel on the libuv pool (UV_THREADPOOL_SIZE threads).
   */
  async encryptPublicAsync(publicKey: BigUint64Array, plains: BigUint64Array | null, count: number, level: number, randomness: Uint8Array, options?: CkksCallOptions): Promise<BigUint64Array> {
    const core = this.#core();
    try {
      return await core.encryptPublicAsync(publicKey, plains, count, level, randomness, this.#flags(options));
    } catch (error) {
      translate(error);
    }
  }

  /**
   * Encode and public-key encrypt in one pass (the plaintext's NTTs are folded into the
   * encryption's): `values` holds count·valuesPerPlain reals (valuesPerPlain <= n/2,
   * zero padded). Same ciphertexts as encode + encryptPublic with the same randomness.
   */
  encodeEncryptPublic(publicKey: BigUint64Array, values: Float64Array, valuesPerPlain: number, count: number, scale: number, level: number, randomness: Uint8Array, options?: CkksCallOptions): BigUint64Array {
    const core = this.#core();
    return guarded(() => core.encodeEncryptPublic(publicKey, values, valuesPerPlain, count, scale, level, randomness, this.#flags(options)));
  }

  /** {@link encodeEncryptPublic} on a libuv worker thread (see {@link encryptPublicAsync}). */
  async encodeEncryptPublicAsync(publicKey: BigUint64Array, values: Float64Array, valuesPerPlain: number, count: number, scale: number, level: number, randomness: Uint8Array, options?: ResultCallOptions): Promise<BigUint64Array> {
    const core = this.#core();
    try {
      return await core.encodeEncryptPublicAsync(publicKey, values, valuesPerPlain, count, scale, level, randomness, this.#flags(options), options?.out);
    } catch (error) {
      translate(error);
    }
  }

  /**
   * Secret-key encryption, SEAL's method: c1 = a (uniform, sampled directly in NTT
   * form), c0 = -(a·s + e) + m. `plains` holds one or more plaintexts at `level`
   * (count = plains.length / (level·n)); `uniformRandomness` count chunks of
   * randomnessBytes('uniform', level) bytes (each ciphertext's `a` from its own chunk),
   * `noiseRandomness` count · randomnessBytes('noise') bytes.
   */
  encryptSymmetric(secretKey: BigUint64Array, plains: BigUint64Array, level: number, uniformRandomness: Uint8Array, noiseRandomness: Uint8Array, options?: CkksCallOptions): BigUint64Array {
    const core = this.#core();
    this.#level(level);
    if (!(plains instanceof BigUint64Array)) throw new KernelError('INVALID_ARGUMENT', 'plains must be a BigUint64Array');
    const count = plains.length / (level * this.n);
    if (!Number.isInteger(count) || count < 1) {
      throw new KernelError('LENGTH_MISMATCH', `plains has ${plains.length} words: not a multiple of ${level} x ${this.n}`);
    }
    return guarded(() => core.encryptSymmetric(secretKey, plains, count, level, uniformRandomness, noiseRandomness, this.#flags(options)));
  }

  /** m = c0 + c1·s (+ c2·s² for size 3): a plaintext at `level` (NTT form). */
  decrypt(secretKey: BigUint64Array, ciphertext: BigUint64Array, level: number, options?: CkksCallOptions): BigUint64Array {
    const core = this.#core();
    const size = this.#size(ciphertext, level, 'ciphertext');
    return guarded(() => core.decrypt(secretKey, ciphertext, size, level, this.#flags(options)));
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
      if (bad >= 0) throw new KernelError('LENGTH_MISMATCH', `ciphertext view ${bad} is not a Uint8Array of ${words * 8} bytes (${size} polynomials of ${level} x ${this.n} words)`);
    } else if (!(ciphertexts instanceof BigUint64Array)) {
      throw new KernelError('INVALID_ARGUMENT', 'ciphertexts must be a BigUint64Array or an array of Uint8Array views');
    } else if (!Number.isInteger(count) || count < 1 || ciphertexts.length !== count * words) {
      throw new KernelError('LENGTH_MISMATCH', `ciphertexts has ${ciphertexts.length} words: not ${count} x ${size} polynomials of ${level} x ${this.n} words`);
    }
    try {
      return await core.decryptDecodeAsync(secretKey, ciphertexts, count, size, level, scale, valuesPerCiphertext, this.#flags(options));
    } catch (error) {
      translate(error);
    }
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

  /**
   * Σ_t ciphertexts[t] · plains[t] over size-2 ciphertexts and plaintexts of one level in one
   * pass, each sum reduced once: bit for bit multiplyPlain then add term by term, without a
   * product per term (the inner loop of a diagonal-method matrix–vector product).
   */
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

  /** SEAL's mod_switch_to_next for CKKS: drops the last prime (scale unchanged); size 1 switches a plaintext. */
  modSwitch(ciphertext: BigUint64Array, level: number, options?: ResultCallOptions): BigUint64Array {
    const core = this.#core();
    const size = this.#size(ciphertext, level, 'ciphertext', [1, 2, 3]);
    return guarded(() => core.dropLevel('modSwitch', ciphertext, size, level, this.#flags(options), options?.out));
  }

  // -- key switching ------------------------------------------------------------------

  /**
   * Words of one key-switching key (a relinearization key, or the Galois key of one
   * element): k components of two key-level polynomials, k · 2 · (k + 1) · n, as SEAL's
   * KSwitchKeys holds them.
   */
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
   * Galois key: one result (2 · level · n words) per element, in `outs` when given (reused
   * buffers, distinct, not overlapping an input). Several elements share one decomposition
   * of c1 (hoisting); one element computes exactly SEAL's apply_galois.
   */
  applyGalois(
    keys: readonly BigUint64Array[],
    galoisElts: readonly number[],
    ciphertext: BigUint64Array,
    level: number,
    options?: CkksCallOptions & { readonly outs?: readonly BigUint64Array[] },
  ): BigUint64Array[] {
    const core = this.#core();
    return guarded(() => core.applyGalois(keys, galoisElts, ciphertext, level, this.#flags(options), options?.outs));
  }

  /** multiply, relinearize and rescale in one call: two size-2 ciphertexts at level ≥ 2 → size 2 at level − 1. */
  multiplyRelinRescale(
    key: BigUint64Array,
    a: BigUint64Array,
    b: BigUint64Array,
    level: number,
    options?: KeySwitchCallOptions,
  ): BigUint64Array {
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

/** Niceness a service may give the pool threads running this addon's batch work (0: as the process). */
export const MAX_WORKER_NICE = 19;

/**
 * Lowers the scheduling priority (raises the niceness, 0–19) of the libuv pool threads that
 * run this addon's batch work (encryption, decryption, transforms), from their next piece of
 * work on, so that the event loop wins when they compete for a core: batch crypto is
 * throughput work, the loop answers every client. Linux only; elsewhere a no-op. A thread
 * never lowers its niceness again (that needs a privilege). Returns the value now in force.
 */
export function setWorkerNice(nice: number): number {
  if (!Number.isInteger(nice) || nice < 0 || nice > MAX_WORKER_NICE) {
    throw new KernelError('INVALID_ARGUMENT', `worker niceness must be an integer in [0, ${MAX_WORKER_NICE}], got ${String(nice)}`);
  }
  return guarded(() => native().setWorkerNice(nice));
}

/** `count` noise samples (rounded normal, sigma 3.2, clipped at 6 sigma) from 8·count random bytes; for tests. */
export function ckksSampleNoise(randomness: Uint8Array, count: number): Int8Array {
  return guarded(() => ckksNative().ckksSample('noise', randomness, count));
}

/** `count` ternary samples in {-1, 0, 1} from 8·count random bytes; for tests. */
export function ckksSampleTernary(randomness: Uint8Array, count: number): Int8Array {
  return guarded(() => ckksNative().ckksSample('ternary', randomness, count));
}

// ==== cuda variant ================================================================
// The batched public-key encryptor on the device (native/include/hlp/cuda.h) and the device
// memory pool's counters. Without libhlp_cuda.so or without a device every call fails
// with VARIANT_UNAVAILABLE and the reason in the message (cudaUnavailableReason()).

/** Why the cuda variant cannot run in this process; "" when it can. */
export function cudaUnavailableReason(): string {
  return guarded(() => cudaNative().cudaUnavailableReason());
}

/** True when libhlp_cuda.so loaded and a CUDA device exists. */
export function cudaAvailable(): boolean {
  return cudaUnavailableReason() === '';
}

export interface CudaPoolStats {
  /** False when the cuda variant is unavailable: every counter is then 0. */
  readonly available: boolean;
  readonly allocations: number;
  readonly frees: number;
  /** Served from a cached block. */
  readonly hits: number;
  /** Needed a fresh cudaMalloc. */
  readonly misses: number;
  /** Requested bytes (rounded to 256) of live blocks. */
  readonly bytesInUse: number;
  /** Bytes held from cudaMalloc, live or cached. */
  readonly bytesReserved: number;
  readonly peakBytesInUse: number;
  readonly peakBytesReserved: number;
  /** bytesInUse / bytesReserved; null when nothing is reserved (no ratio to report). */
  readonly efficiency: number | null;
}

/**
 * The device pool's counters. Without a usable device this is all zeros with
 * `available: false` (nothing can be reserved), not an error, so a scraper can call it
 * unconditionally; any other failure throws a KernelError.
 */
export function cudaPoolStats(): CudaPoolStats {
  let counters: NativeCudaPoolCounters;
  try {
    counters = cudaNative().cudaPoolStats();
  } catch (error) {
    if (error instanceof Error && (error as Error & { code?: string }).code === 'VARIANT_UNAVAILABLE') {
      return {
        available: false,
        allocations: 0,
        frees: 0,
        hits: 0,
        misses: 0,
        bytesInUse: 0,
        bytesReserved: 0,
        peakBytesInUse: 0,
        peakBytesReserved: 0,
        efficiency: null,
      };
    }
    translate(error);
  }
  return { available: true, ...counters, efficiency: counters.bytesReserved > 0 ? counters.bytesInUse / counters.bytesReserved : null };
}

/**
 * Returns the pool's cached device and pinned blocks to CUDA and restarts the peak
 * counters (a new measurement window). @throws KernelError VARIANT_UNAVAILABLE without a device
 */
export function cudaPoolTrim(): void {
  guarded(() => cudaNative().cudaPoolTrim());
}

/**
 * A public-key CKKS encryptor on the GPU for one key and level: the public key, tables and
 * constants go to the device once, here. {@link encryptPublic} takes the same arguments as
 * {@link CkksCore.encryptPublic} (without key and level) and returns the same ciphertexts,
 * bit for bit, for the same randomness. The core must stay alive (not disposed) while the
 * encryptor is used; the encryptor keeps the native context alive itself.
 *
 * @throws KernelError VARIANT_UNAVAILABLE (with the reason) when there is no usable device
 */
export class CudaEncryptor {
  readonly level: number;
  #native: NativeCudaEncryptor | undefined;

  constructor(core: CkksCore, publicKey: BigUint64Array, level: number = core.dataPrimeCount, options?: CkksCallOptions) {
    if (!(core instanceof CkksCore)) throw new KernelError('INVALID_ARGUMENT', 'core must be a CkksCore');
    if (!Number.isInteger(level) || level < 1 || level > core.dataPrimeCount) {
      throw new KernelError('INVALID_ARGUMENT', `level must be an integer in [1, ${core.dataPrimeCount}], got ${level}`);
    }
    const flags = options?.checkInput === false ? 0 : FLAG_CHECK_INPUT;
    this.#native = guarded(() => new (cudaNative().CudaEncryptor)(nativeCoreOf(core), publicKey, level, flags));
    this.level = level;
  }

  #encryptor(): NativeCudaEncryptor {
    if (!this.#native) throw new KernelError('INVALID_ARGUMENT', 'CudaEncryptor used after dispose()');
    return this.#native;
  }

  /**
   * `count` ciphertexts (count·2·level·n words) of `plains` (count·level·n words, NTT form,
   * or null for zeros) from count · randomnessBytes('encryptPublic') bytes of randomness.
   */
  encryptPublic(plains: BigUint64Array | null, count: number, randomness: Uint8Array, options?: CkksCallOptions): BigUint64Array {
    const e = this.#encryptor();
    return guarded(() => e.encryptPublic(plains, count, randomness, options?.checkInput === false ? 0 : FLAG_CHECK_INPUT));
  }

  /** {@link encryptPublic} on a libuv worker thread; inputs must not change until it settles. */
  async encryptPublicAsync(plains: BigUint64Array | null, count: number, randomness: Uint8Array, options?: CkksCallOptions): Promise<BigUint64Array> {
    const e = this.#encryptor();
    try {
      return await e.encryptPublicAsync(plains, count, randomness, options?.checkInput === false ? 0 : FLAG_CHECK_INPUT);
    } catch (error) {
      translate(error);
    }
  }

  /**
   * Encode on the host, encrypt on the device: the same ciphertexts as
   * {@link CkksCore.encodeEncryptPublic} at this key and level for the same randomness.
   * `values` holds count·valuesPerPlain reals (valuesPerPlain <= n/2, zero padded).
   */
  encodeEncryptPublic(values: Float64Array, valuesPerPlain: number, count: number, scale: number, randomness: Uint8Array, options?: CkksCallOptions): BigUint64Array {
    const e = this.#encryptor();
    return guarded(() => e.encodeEncryptPublic(values, valuesPerPlain, count, scale, randomness, options?.checkInput === false ? 0 : FLAG_CHECK_INPUT));
  }

  /** {@link encodeEncryptPublic} on a libuv worker thread (encoding included), so the event loop stays free. */
  async encodeEncryptPublicAsync(values: Float64Array, valuesPerPlain: number, count: number, scale: number, randomness: Uint8Array, options?: CkksCallOptions): Promise<BigUint64Array> {
    const e = this.#encryptor();
    try {
      return await e.encodeEncryptPublicAsync(values, valuesPerPlain, count, scale, randomness, options?.checkInput === false ? 0 : FLAG_CHECK_INPUT);
    } catch (error) {
      translate(error);
    }
  }

  /** Frees the device state now rather than at garbage collection. Idempotent. */
  dispose(): void {
    this.#native?.dispose();
    this.#native = undefined;
  }
}
