/**
 * Which device runs the native backend's batched public-key encryption: the CPU (the fused
 * native encode+encrypt) or the GPU (@hlp/kernels' CudaEncryptor). Apps that depend on
 * @hlp/ckks only (the proxy, the lab) read the device pool through here.
 */
import { KernelError, MAX_WORKER_NICE, cudaPoolStats, cudaPoolTrim, cudaUnavailableReason, setWorkerNice, type CudaPoolStats } from '@hlp/kernels';
import { CkksError } from '../errors.js';

/** The device that did (or will do) a batch's work. */
export type BatchDevice = 'cpu' | 'cuda';
/** `auto`: the GPU when the cuda variant is usable, else the CPU. */
export type DeviceChoice = 'auto' | BatchDevice;

export interface CudaStatus {
  /** libhlp_cuda.so loaded and a CUDA device exists. */
  readonly usable: boolean;
  /** Why not ("" when usable). */
  readonly reason: string;
}

/** Whether the cuda variant can run here; never throws (a missing addon is a reason too). */
export function cudaStatus(): CudaStatus {
  try {
    const reason = cudaUnavailableReason();
    return { usable: reason === '', reason };
  } catch (error) {
    return { usable: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The device choice that HLP_KERNEL implies: `cuda` forces the GPU (an unusable GPU is
 * then an error, not a silent CPU fallback), a CPU variant (`scalar`, `avx2`, `avx512`)
 * keeps the work on the CPU, anything else (unset, `auto`) is `auto`.
 */
export function deviceChoiceFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): DeviceChoice {
  const v = env['HLP_KERNEL']?.trim().toLowerCase();
  if (v === 'cuda') return 'cuda';
  if (v === 'scalar' || v === 'avx2' || v === 'avx512') return 'cpu';
  return 'auto';
}

/**
 * The device pool's counters (efficiency = bytes in use / reserved, null when nothing is
 * reserved); all zeros with `available: false` when the cuda variant is unusable.
 */
export function gpuPoolStats(): CudaPoolStats {
  try {
    return cudaPoolStats();
  } catch (error) {
    throw toCkksError('cudaPoolStats', error);
  }
}

/** Returns cached device blocks to CUDA and restarts the peak counters (a new window). */
export function gpuPoolTrim(): void {
  try {
    cudaPoolTrim();
  } catch (error) {
    throw toCkksError('cudaPoolTrim', error);
  }
}

/** The highest niceness `setBatchWorkerNice` takes. */
export const MAX_BATCH_WORKER_NICE = MAX_WORKER_NICE;

/**
 * Lowers the scheduling priority of the libuv pool threads running the native backend's batch
 * work (encryption, decryption+decoding) to niceness `nice` (0–19, Linux), so that a service's
 * event loop, which answers every client, wins when they compete for a core. Process-wide;
 * returns the niceness in force. @throws CkksError INVALID_ARGUMENT
 */
export function setBatchWorkerNice(nice: number): number {
  try {
    return setWorkerNice(nice);
  } catch (error) {
    if (error instanceof KernelError && error.code === 'INVALID_ARGUMENT') throw new CkksError('INVALID_ARGUMENT', error.message, undefined, { cause: error });
    throw toCkksError('setBatchWorkerNice', error);
  }
}

function toCkksError(what: string, error: unknown): CkksError {
  if (error instanceof KernelError && (error.code === 'VARIANT_UNAVAILABLE' || error.code === 'NO_DEVICE' || error.code === 'ADDON_NOT_BUILT')) {
    return new CkksError('DEVICE_UNAVAILABLE', `${what}: ${error.message}`, undefined, { cause: error });
  }
  return new CkksError('BACKEND_ERROR', `${what}: ${error instanceof Error ? error.message : String(error)}`, undefined, { cause: error });
}

export { toCkksError as deviceError };
export type { CudaPoolStats };
