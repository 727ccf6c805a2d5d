/** The native backend's options, and those of its batched encryption. */
import type { EncodeOptions } from '../backend.js';
import type { DeviceChoice } from './device.js';

/** How a symmetric ciphertext's seed expands into c1. */
export type SymmetricPrng = 'shake256' | 'aes256ctr';

export interface NativeBackendOptions {
  /**
   * `shake256` (default): SEAL's seeded format, loadable by node-seal.
   * `aes256ctr`: about 10x cheaper expansion; the seeded bytes load only in this backend.
   */
  readonly symmetricPrng?: SymmetricPrng;
  /** Verify every residue of inputs against its prime in native calls (default true). */
  readonly checkInput?: boolean;
  /**
   * Bytes of disposed ciphertexts kept as result buffers for later operations (default
   * 64 MiB; 0 turns the reuse off). See {@link ResultPool}.
   */
  readonly resultPoolBytes?: number;
  /**
   * Where batched public-key encryption ({@link NativeBackend.encodeEncryptMany}) runs:
   * `auto` the GPU when the cuda variant is usable, else the CPU; `cuda` the GPU or a
   * DEVICE_UNAVAILABLE error; `cpu` never the GPU. Default: what HLP_KERNEL implies
   * (`cuda` → cuda, `scalar`/`avx2`/`avx512` → cpu, otherwise auto).
   */
  readonly device?: DeviceChoice;
}

export interface EncryptManyOptions extends EncodeOptions {
  /** Overrides the backend's device choice for this call. */
  readonly device?: DeviceChoice;
  /**
   * `public` (default): public-key encryption. `secret`: seeded secret-key encryption (SEAL's
   * method and format): each c1 is the SHAKE256 expansion of a fresh 64-byte seed, made on the
   * worker thread, so the ciphertexts serialize with the seed in c1's place (half the bytes).
   * CPU only, and only with `symmetricPrng` `shake256`.
   */
  readonly key?: 'public' | 'secret';
  /**
   * Where the CPU path writes the ciphertexts (exactly `ciphertextWords(level) × count` words;
   * the ciphertexts view it): the caller's pooled memory, reused once it has sent them. The
   * GPU path returns its own buffer.
   */
  readonly out?: BigUint64Array;
}
