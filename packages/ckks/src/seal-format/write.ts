/** Writing SEAL objects exactly as SEAL 4.1 does with compr_mode none. */
import { CkksError } from '../errors.js';
import { PRNG_SEED_BYTES } from '../seal-prng.js';
import { Writer } from './bytes.js';
import {
  AES256CTR_PRNG_BYTE,
  CIPHERTEXT_FIXED_BYTES,
  DYNARRAY_OVERHEAD,
  LITTLE_ENDIAN_HOST,
  PARMS_ID_BYTES,
  PLAINTEXT_FIXED_BYTES,
  PRNG_INFO_BYTES,
  SEAL_HEADER_SIZE,
  type SealCiphertext,
  type SealKSwitchKeys,
  type SealPlaintext,
  type SealSeed,
} from './layout.js';

export function ciphertextMembersSize(ct: SealCiphertext): number {
  return CIPHERTEXT_FIXED_BYTES + DYNARRAY_OVERHEAD + ct.data.length * 8 + (ct.seed ? PRNG_INFO_BYTES : 0);
}

export function checkCiphertextShape(ct: SealCiphertext, field: string): void {
  if (ct.parmsId.length !== PARMS_ID_BYTES) throw new CkksError('INVALID_ARGUMENT', `${field}.parmsId must be 32 bytes`, `${field}.parmsId`);
  const polyCount = ct.polyModulusDegree * ct.coeffModulusSize;
  const expected = ct.seed ? polyCount : ct.size * polyCount;
  if (ct.seed && ct.size !== 2) throw new CkksError('INVALID_ARGUMENT', `${field}: a seeded ciphertext has size 2`, `${field}.size`);
  if (ct.data.length !== expected) {
    throw new CkksError('INVALID_ARGUMENT', `${field}.data has ${ct.data.length} values, expected ${expected}`, `${field}.data`);
  }
  if (ct.seed && ct.seed.seed.length !== PRNG_SEED_BYTES) {
    throw new CkksError('INVALID_ARGUMENT', `${field}.seed must be ${PRNG_SEED_BYTES} bytes`, `${field}.seed`);
  }
}

export const CIPHERTEXT_PREFIX_BYTES = SEAL_HEADER_SIZE + CIPHERTEXT_FIXED_BYTES + DYNARRAY_OVERHEAD;

/** Everything before the coefficients: the object's header and members, the DynArray's header and count. */
export function writeCiphertextPrefix(w: Writer, ct: SealCiphertext): void {
  const total = SEAL_HEADER_SIZE + ciphertextMembersSize(ct);
  w.header(total);
  w.raw(ct.parmsId);
  w.u8(ct.isNttForm ? 1 : 0);
  w.u64(ct.size);
  w.u64(ct.polyModulusDegree);
  w.u64(ct.coeffModulusSize);
  w.f64(ct.scale);
  w.u64(ct.correctionFactor);
  w.header(DYNARRAY_OVERHEAD + ct.data.length * 8);
  w.u64(ct.data.length);
}

export function writeCiphertextSeed(w: Writer, seed: SealSeed): void {
  w.header(PRNG_INFO_BYTES);
  w.u8(seed.prngType === 'blake2xb' ? 1 : seed.prngType === 'shake256' ? 2 : AES256CTR_PRNG_BYTE);
  w.raw(seed.seed);
}

export function writeCiphertextObject(w: Writer, ct: SealCiphertext): void {
  writeCiphertextPrefix(w, ct);
  w.u64Array(ct.data);
  if (ct.seed) writeCiphertextSeed(w, ct.seed);
}

/** Serialize a Ciphertext (full, or seeded when `seed` is set) exactly as SEAL 4.1 does with compr_mode none. */
export function writeCiphertext(ct: SealCiphertext): Uint8Array {
  checkCiphertextShape(ct, 'ciphertext');
  const w = new Writer(SEAL_HEADER_SIZE + ciphertextMembersSize(ct));
  writeCiphertextObject(w, ct);
  return w.bytes;
}

/**
 * The bytes of {@link writeCiphertext} in pieces whose concatenation is them: a small prefix,
 * a view of `ct.data`'s memory (not a copy: it must not change until the pieces are written),
 * and the seed trailer of a seeded ciphertext. For writing to a socket without copying the
 * coefficients (little-endian hosts; elsewhere one piece, written out).
 */
export function ciphertextParts(ct: SealCiphertext): Uint8Array[] {
  checkCiphertextShape(ct, 'ciphertext');
  if (!LITTLE_ENDIAN_HOST) return [writeCiphertext(ct)];
  const prefix = new Writer(CIPHERTEXT_PREFIX_BYTES);
  writeCiphertextPrefix(prefix, ct);
  const parts = [prefix.bytes, new Uint8Array(ct.data.buffer, ct.data.byteOffset, ct.data.byteLength)];
  if (ct.seed) {
    const trailer = new Writer(PRNG_INFO_BYTES);
    writeCiphertextSeed(trailer, ct.seed);
    parts.push(trailer.bytes);
  }
  return parts;
}

/** Serialize a PublicKey (same bytes as its ciphertext). */
export function writePublicKey(pk: SealCiphertext): Uint8Array {
  return writeCiphertext(pk);
}

/** Serialize a Plaintext exactly as SEAL 4.1 does with compr_mode none. */
export function writePlaintext(pt: SealPlaintext): Uint8Array {
  if (pt.parmsId.length !== PARMS_ID_BYTES) throw new CkksError('INVALID_ARGUMENT', 'plaintext.parmsId must be 32 bytes', 'plaintext.parmsId');
  if (pt.data.length !== pt.coeffCount) throw new CkksError('INVALID_ARGUMENT', 'plaintext.data length differs from coeffCount', 'plaintext.data');
  const total = SEAL_HEADER_SIZE + PLAINTEXT_FIXED_BYTES + DYNARRAY_OVERHEAD + pt.data.length * 8;
  const w = new Writer(total);
  w.header(total);
  w.raw(pt.parmsId);
  w.u64(pt.coeffCount);
  w.f64(pt.scale);
  w.header(DYNARRAY_OVERHEAD + pt.data.length * 8);
  w.u64(pt.data.length);
  w.u64Array(pt.data);
  return w.bytes;
}

/** Serialize a SecretKey (same bytes as its plaintext). */
export function writeSecretKey(sk: SealPlaintext): Uint8Array {
  return writePlaintext(sk);
}

/** Serialize RelinKeys / GaloisKeys. */
export function writeKSwitchKeys(k: SealKSwitchKeys): Uint8Array {
  let total = SEAL_HEADER_SIZE + PARMS_ID_BYTES + 8;
  k.keys.forEach((row, i) => {
    total += 8;
    row.forEach((ct, j) => {
      checkCiphertextShape(ct, `kswitchKeys.keys.${i}.${j}`);
      total += SEAL_HEADER_SIZE + ciphertextMembersSize(ct);
    });
  });
  const w = new Writer(total);
  w.header(total);
  w.raw(k.parmsId);
  w.u64(k.keys.length);
  for (const row of k.keys) {
    w.u64(row.length);
    for (const ct of row) writeCiphertextObject(w, ct);
  }
  return w.bytes;
}
