/**
 * What the native backend's operation modules (evaluation.ts, wire.ts) use of their backend:
 * its core and parameters, and its handle bookkeeping, bound to one backend. The backend
 * makes one at construction and keeps its state private behind it.
 */
import type { CiphertextHandle, PlaintextHandle } from '../backend.js';
import type { CkksCore } from '@hlp/kernels';
import type { CkksParams } from '../params.js';
import type { ChainLevel, SeedPrngType } from '../seal-format.js';
import type { NativeCiphertext, NativePlaintext } from './handles.js';
import type { KswitchKeys } from './kswitch-keys.js';

/** The input check a native call makes: the backend's setting, or off for data known to be reduced. */
export type InputCheck = { checkInput: boolean };

export interface NativeScope {
  readonly params: CkksParams;
  readonly core: CkksCore;
  /** parms_id by level, the key level first. */
  readonly chain: readonly ChainLevel[];
  readonly kswitch: KswitchKeys;
  /** The backend's input check (its checkInput option). */
  readonly check: InputCheck;
  /** Throws DISPOSED once the backend is disposed. */
  alive(): void;
  /** The handle as this backend's live ciphertext, or FOREIGN_HANDLE / DISPOSED. */
  ct(h: CiphertextHandle): NativeCiphertext;
  pt(h: PlaintextHandle): NativePlaintext;
  /** A new live ciphertext handle over `data`. */
  wrapCt(data: BigUint64Array, level: number, scale: number, size: number, seed?: NativeCiphertext['seed'], verified?: boolean): NativeCiphertext;
  /** A native call on ciphertexts, range-checking them only while one is unverified. */
  evaluate<T>(what: string, operands: readonly NativeCiphertext[], fn: (check: InputCheck) => T): T;
  /** A native call with its KernelError translated into a CkksError. */
  native<T>(what: string, fn: () => T): T;
  /** Call options with a pooled result buffer of `words`, when one is free. */
  into(check: InputCheck, words: number): { checkInput: boolean; out?: BigUint64Array };
  /** Call options with `count` pooled result buffers, when the pool has them all. */
  outsFor(check: InputCheck, count: number, words: number): { checkInput: boolean; outs?: BigUint64Array[] };
  /** Words of one polynomial at data level `level`. */
  polyWords(level: number): number;
  /** Returns a buffer nothing reads any more to the result pool. */
  giveResult(data: BigUint64Array): void;
  /** The secret key, or MISSING_KEY. */
  secretKey(): BigUint64Array;
  /** The stream a seed stands for, in a buffer reused per size (valid until the next expansion of that size). */
  expandSeed(prng: SeedPrngType, seed: Uint8Array, bytes: number): Uint8Array;
}
