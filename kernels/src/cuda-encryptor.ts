/**
 * The cuda variant (native/binding/cuda-encryptor.cpp): the batched public-key encryptor on
 * the device (native/include/hlp/cuda.h) and the device memory pool's counters. Without
 * libhlp_cuda.so or without a device every call fails with VARIANT_UNAVAILABLE and the
 * reason in the message (cudaUnavailableReason()).
 */
import { FLAG_CHECK_INPUT, native } from './addon.js';
import { CkksCore, nativeCoreOf, type NativeCkksCore } from './ckks-core.js';
import type { CkksCallOptions } from './ckks-options.js';
import { KernelError, guarded, guardedAsync, translate } from './errors.js';

interface NativeCudaEncryptor {
  encryptPublic(plains: BigUint64Array | null, count: number, randomness: Uint8Array, flags: number): BigUint64Array;
  encryptPublicAsync(plains: BigUint64Array | null, count: number, randomness: Uint8Array, flags: number): Promise<BigUint64Array>;
  encodeEncryptPublic(values: Float64Array, valuesPerPlain: number, count: number, scale: number, randomness: Uint8Array, flags: number): BigUint64Array;
  encodeEncryptPublicAsync(
    values: Float64Array,
    valuesPerPlain: number,
    count: number,
    scale: number,
    randomness: Uint8Array,
    flags: number,
  ): Promise<BigUint64Array>;
  dispose(): void;
}

type NativeCudaPoolCounters = Omit<CudaPoolStats, 'available' | 'efficiency'>;

interface NativeCudaAddon {
  CudaEncryptor: new (core: NativeCkksCore, publicKey: BigUint64Array, level: number, flags: number) => NativeCudaEncryptor;
  cudaUnavailableReason(): string;
  cudaPoolStats(): NativeCudaPoolCounters;
  cudaPoolTrim(): void;
}

function cudaNative(): NativeCudaAddon {
  return native() as unknown as NativeCudaAddon;
}

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
    return guardedAsync(() => e.encryptPublicAsync(plains, count, randomness, options?.checkInput === false ? 0 : FLAG_CHECK_INPUT));
  }

  /**
   * Encode on the host, encrypt on the device: the same ciphertexts as
   * {@link CkksCore.encodeEncryptPublic} at this key and level for the same randomness.
   * `values` holds count·valuesPerPlain reals (valuesPerPlain <= n/2, zero padded).
   */
  encodeEncryptPublic(
    values: Float64Array,
    valuesPerPlain: number,
    count: number,
    scale: number,
    randomness: Uint8Array,
    options?: CkksCallOptions,
  ): BigUint64Array {
    const e = this.#encryptor();
    return guarded(() => e.encodeEncryptPublic(values, valuesPerPlain, count, scale, randomness, options?.checkInput === false ? 0 : FLAG_CHECK_INPUT));
  }

  /** {@link encodeEncryptPublic} on a libuv worker thread (encoding included), so the event loop stays free. */
  async encodeEncryptPublicAsync(
    values: Float64Array,
    valuesPerPlain: number,
    count: number,
    scale: number,
    randomness: Uint8Array,
    options?: CkksCallOptions,
  ): Promise<BigUint64Array> {
    const e = this.#encryptor();
    return guardedAsync(() =>
      e.encodeEncryptPublicAsync(values, valuesPerPlain, count, scale, randomness, options?.checkInput === false ? 0 : FLAG_CHECK_INPUT),
    );
  }

  /** Frees the device state now rather than at garbage collection. Idempotent. */
  dispose(): void {
    this.#native?.dispose();
    this.#native = undefined;
  }
}
