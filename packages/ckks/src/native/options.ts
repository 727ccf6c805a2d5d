/** The native backend's options, and those of its batched encryption. */
import type { EncodeOptions } from '../backend.js';
import type { DeviceChoice } from './device.js';

/** How a symmetric ciphertext's seed expands into c1. */
export type SymmetricPrng = 'shake256' | 'aes256ctr';

export interface NativeBackendOptions {
  /**
   * `shake256` (default): SEAL's seeded format, loadable by node-seal.
   * `aes256ctr`: AES-256-CTR (VAES or AES-NI natively), several times cheaper to expand;
   *  the seeded bytes load only in this backend (PRNG byte 0x80).
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
   * method and format): each c1 is the expansion of a fresh 64-byte seed with the backend's
   * `symmetricPrng`, made on the worker thread, so the ciphertexts serialize with the seed in
   * c1's place (half the bytes). CPU only.
   */
  readonly key?: 'public' | 'secret';
  /**
   * With `key: 'secret'`: the seed expansion of this call, in place of the backend's
   * `symmetricPrng` (`shake256` for ciphertexts that must load in node-seal).
   */
  readonly seedStream?: SymmetricPrng;
  /**
   * Where the CPU path writes the ciphertexts (exactly `ciphertextWords(level) × count` words;
   * the ciphertexts view it): the caller's pooled memory, reused once it has sent them. The
   * GPU path returns its own buffer.
   */
  readonly out?: BigUint64Array;
}
