/** SEAL 4.1 serialization: the constants, bounds and shapes of its objects (see ../seal-format.ts for the layout). */
import { CkksError } from '../errors.js';
import { PRNG_SEED_BYTES, type PrngType } from '../seal-prng.js';

export const SEAL_MAGIC = 0xa15e;
export const SEAL_HEADER_SIZE = 16;
/** The version node-seal 6.0.3 bundles (SEAL 4.1.2) and that the writer emits. */
export const SEAL_VERSION = Object.freeze({ major: 4, minor: 1 });

export type ComprMode = 'none' | 'zlib' | 'zstd';
export const COMPR_FROM_BYTE: readonly ComprMode[] = ['none', 'zlib', 'zstd'];

export interface SealVersion {
  readonly major: number;
  readonly minor: number;
}

export interface SealHeader {
  readonly magic: number;
  readonly headerSize: number;
  readonly version: SealVersion;
  readonly comprMode: ComprMode;
  readonly reserved: number;
  /** Total size of the object in bytes, header included. */
  readonly size: number;
}

/**
 * The PRNG behind a seed. SEAL 4.1 knows 1 (BLAKE2Xb) and 2 (SHAKE256). `aes256ctr` (byte
 * 0x80) is this project's extension for the native backend's fast seeded encryption: the
 * stream is AES-256-CTR keyed by seed[0..32) with IV seed[32..48), expanded by SEAL's
 * sampling rule. SEAL itself rejects such bytes; only @hlp/ckks's native backend loads them.
 */
export type SeedPrngType = PrngType | 'aes256ctr';
export const AES256CTR_PRNG_BYTE = 0x80;

export interface SealSeed {
  readonly prngType: SeedPrngType;
  /** 64 bytes. */
  readonly seed: Uint8Array;
}

export interface SealCiphertext {
  /** 32 bytes. */
  readonly parmsId: Uint8Array;
  readonly isNttForm: boolean;
  /** Number of polynomials (2 for a fresh ciphertext, 3 after a multiplication). */
  readonly size: number;
  readonly polyModulusDegree: number;
  readonly coeffModulusSize: number;
  readonly scale: number;
  readonly correctionFactor: bigint;
  /**
   * Coefficients, polynomial-major then modulus-major. Full form: size·L·N values.
   * Seeded form: only c0 (L·N values) and `seed` is set.
   */
  readonly data: BigUint64Array;
  readonly seed?: SealSeed;
}

export interface SealPlaintext {
  readonly parmsId: Uint8Array;
  readonly coeffCount: number;
  readonly scale: number;
  readonly data: BigUint64Array;
}

export interface SealKSwitchKeys {
  readonly parmsId: Uint8Array;
  /** keys[i] is empty for unused slots (e.g. Galois elements without a key). */
  readonly keys: readonly (readonly SealCiphertext[])[];
}

export interface ParseOptions {
  /** Upper bound on the decompressed size of a zlib (or zstd) object; default 1 GiB. */
  readonly maxDecompressedBytes?: number;
}

export const DEFAULT_MAX_DECOMPRESSED = 1 << 30;
export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
export const MAX_POLY_DEGREE = 131072;
export const MAX_COEFF_MODULI = 256;
export const MAX_CT_SIZE = 16;
export const PARMS_ID_BYTES = 32;
export const CIPHERTEXT_FIXED_BYTES = PARMS_ID_BYTES + 1 + 8 + 8 + 8 + 8 + 8;
export const PLAINTEXT_FIXED_BYTES = PARMS_ID_BYTES + 8 + 8;
export const DYNARRAY_OVERHEAD = SEAL_HEADER_SIZE + 8;
export const PRNG_INFO_BYTES = SEAL_HEADER_SIZE + 1 + PRNG_SEED_BYTES;

export function malformed(field: string, message: string): CkksError {
  return new CkksError('MALFORMED', `malformed SEAL data at ${field}: ${message}`, field);
}
