/**
 * The native backend's GPU side of batched public-key encryption: which device a batch
 * runs on, and the GPU encryptors of the current public key (one per level, made once:
 * the key, tables and constants go to the device at that point).
 */
import { CudaEncryptor, type CkksCore } from '@hlp/kernels';
import { cudaStatus, type BatchDevice, type DeviceChoice } from './device.js';

export class GpuEncryptors {
  /** GPU encryptors of the current public key by level (the one-time device setup). */
  readonly #byLevel = new Map<number, CudaEncryptor>();
  /** Why `auto` settled on the CPU (null while the GPU is used or not yet tried). */
  #fallback: string | null = null;

  /** @param choice the device choice in force (option, else HLP_KERNEL) */
  constructor(readonly choice: DeviceChoice) {}

  /** Why batch encryption is not on the GPU (null when it is). */
  get unavailableReason(): string | null {
    if (this.choice === 'cpu') return 'the CPU was chosen (HLP_KERNEL or the device option)';
    if (this.#fallback !== null) return this.#fallback;
    const status = cudaStatus();
    return status.usable ? null : status.reason;
  }

  /** The device a batch with this choice runs on: `cuda` when forced or when `auto` finds a usable GPU. */
  resolve(choice: DeviceChoice): BatchDevice {
    if (choice !== 'auto') return choice;
    return this.#fallback === null && cudaStatus().usable ? 'cuda' : 'cpu';
  }

  /** `auto` keeps to the CPU from now on, for this reason. */
  fallBack(reason: string): void {
    this.#fallback = reason;
  }

  /** The GPU encryptor for the current key at `level` (1-based), made once. */
  at(core: CkksCore, pk: BigUint64Array, level: number, check: { checkInput: boolean }): CudaEncryptor {
    let e = this.#byLevel.get(level);
    if (!e) {
      e = new CudaEncryptor(core, pk, level, check);
      this.#byLevel.set(level, e);
    }
    return e;
  }

  /** Frees the device copies (they belong to a key that is being replaced or dropped). */
  dispose(): void {
    for (const e of this.#byLevel.values()) e.dispose();
    this.#byLevel.clear();
  }
}
