/** NTT and element-wise kernels over RNS polynomials (native/binding/ntt-context.cpp). */
import { FLAG_CHECK_INPUT, native, type Variant } from './addon.js';
import { KernelError, guarded, guardedAsync } from './errors.js';

export interface NativeNttContext {
  readonly n: number;
  readonly moduli: BigUint64Array;
  readonly roots: BigUint64Array;
  forward(data: BigUint64Array, first: number, count: number, variant: string, flags: number): void;
  inverse(data: BigUint64Array, first: number, count: number, variant: string, flags: number): void;
  forwardAsync(data: BigUint64Array, first: number, count: number, variant: string, flags: number): Promise<void>;
  inverseAsync(data: BigUint64Array, first: number, count: number, variant: string, flags: number): Promise<void>;
  eltwise(
    op: 'add' | 'sub' | 'mul',
    out: BigUint64Array,
    a: BigUint64Array,
    b: BigUint64Array,
    first: number,
    count: number,
    variant: string,
    flags: number,
  ): void;
  dispose(): void;
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
    await guardedAsync(() => ctx.forwardAsync(data, ...this.#args(options)));
  }

  async inverseAsync(data: BigUint64Array, options?: KernelCallOptions): Promise<void> {
    const ctx = this.#ctx();
    await guardedAsync(() => ctx.inverseAsync(data, ...this.#args(options)));
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
