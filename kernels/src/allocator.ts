/** The native memory pool and plain malloc (native/binding/allocator.cpp). */
import { native } from './addon.js';
import { KernelError, guarded } from './errors.js';

export interface NativeAllocator {
  alloc(bytes: number): number;
  free(handle: number): void;
  churn(sizes: readonly number[], live: number, rounds: number): void;
  stats(): AllocatorStats;
  dispose(): void;
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
