/** The option and randomness types of the CKKS core's calls (ckks-core.ts). */
import { FLAG_SEED_AES256CTR } from './addon.js';
import { KernelError } from './errors.js';

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

/** The stream a seeded encryption's seeds expand to: SEAL's SHAKE256, or AES-256-CTR (aes256ctrStream). */
export type SeedStream = 'shake256' | 'aes256ctr';

/** The binding's flag bit for `stream` (absent: SHAKE256); another name is INVALID_ARGUMENT. */
export function seedStreamFlag(stream: SeedStream | undefined): number {
  if (stream === undefined || stream === 'shake256') return 0;
  if (stream === 'aes256ctr') return FLAG_SEED_AES256CTR;
  throw new KernelError('INVALID_ARGUMENT', `seedStream must be shake256 or aes256ctr, got ${String(stream)}`);
}

export interface SeededCallOptions extends ResultCallOptions {
  /** Default `shake256`: SEAL's seeded format, which node-seal loads; `aes256ctr` loads only in this project's native backend. */
  readonly seedStream?: SeedStream;
}

/** Calls with a result per element or group (applyGalois, multiplyPlainAccumulateGroups). */
export interface ResultsCallOptions extends CkksCallOptions {
  /** Where the results go: as ResultCallOptions' `out`, one per result, distinct. */
  readonly outs?: readonly BigUint64Array[];
}

/** The options of the key-switching calls (a result buffer, as every evaluation takes). */
export type KeySwitchCallOptions = ResultCallOptions;
