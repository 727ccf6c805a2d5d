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
  | 'ADDON_NOT_BUILT';

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
