/** Reading SEAL objects: headers, compression, nested objects, and the public parsers. */
import * as zlib from 'node:zlib';
import { CkksError } from '../errors.js';
import { PRNG_SEED_BYTES } from '../seal-prng.js';
import { Reader } from './bytes.js';
import {
  AES256CTR_PRNG_BYTE,
  CIPHERTEXT_FIXED_BYTES,
  COMPR_FROM_BYTE,
  DEFAULT_MAX_DECOMPRESSED,
  malformed,
  MAX_COEFF_MODULI,
  MAX_CT_SIZE,
  MAX_POLY_DEGREE,
  PARMS_ID_BYTES,
  type ParseOptions,
  SEAL_HEADER_SIZE,
  SEAL_MAGIC,
  type SealCiphertext,
  type SealHeader,
  type SealKSwitchKeys,
  type SealPlaintext,
  type SealSeed,
  type SealVersion,
  type SeedPrngType,
} from './layout.js';

export function isSupportedVersion(v: SealVersion): boolean {
  // 4.x: layout with correction_factor; 3.6/3.7: same layout without it, same seeded form.
  return (v.major === 4 && (v.minor === 0 || v.minor === 1)) || (v.major === 3 && (v.minor === 6 || v.minor === 7));
}

export function readHeaderAt(r: Reader, field: string): SealHeader {
  r.need(SEAL_HEADER_SIZE, field);
  const magic = r.u16(`${field}.magic`);
  if (magic !== SEAL_MAGIC) {
    throw malformed(`${field}.magic`, `expected 0x${SEAL_MAGIC.toString(16)}, got 0x${magic.toString(16)}`);
  }
  const headerSize = r.u8(`${field}.headerSize`);
  if (headerSize !== SEAL_HEADER_SIZE) throw malformed(`${field}.headerSize`, `expected 16, got ${headerSize}`);
  const major = r.u8(`${field}.versionMajor`);
  const minor = r.u8(`${field}.versionMinor`);
  const comprByte = r.u8(`${field}.comprMode`);
  const comprMode = COMPR_FROM_BYTE[comprByte];
  if (comprMode === undefined) throw malformed(`${field}.comprMode`, `unknown compression mode ${comprByte}`);
  const reserved = r.u16(`${field}.reserved`);
  const size = r.u64Bounded(`${field}.size`, Number.MAX_SAFE_INTEGER);
  const version = { major, minor };
  if (!isSupportedVersion(version)) {
    throw new CkksError('UNSUPPORTED_VERSION', `SEAL object of version ${major}.${minor} is not supported (4.0, 4.1, 3.6, 3.7 are)`, `${field}.version`);
  }
  if (size < SEAL_HEADER_SIZE) throw malformed(`${field}.size`, `declared size ${size} is smaller than the header`);
  return { magic, headerSize, version, comprMode, reserved, size };
}

/** Read and validate the 16-byte SEALHeader at the start of `bytes`. */
export function readSealHeader(bytes: Uint8Array): SealHeader {
  return readHeaderAt(new Reader(bytes, 0, bytes.length), 'header');
}

export function zstdDecompressor(): ((b: Uint8Array, o: { maxOutputLength: number }) => Uint8Array) | undefined {
  const fn = (zlib as unknown as Record<string, unknown>)['zstdDecompressSync'];
  return typeof fn === 'function' ? (fn as (b: Uint8Array, o: { maxOutputLength: number }) => Uint8Array) : undefined;
}

/**
 * Open a top-level object: validate the header, decompress if needed, and run `readMembers`
 * on a reader over the (decompressed) members; check that everything was consumed.
 */
export function readTopLevel<T>(bytes: Uint8Array, opts: ParseOptions | undefined, readMembers: (r: Reader, version: SealVersion) => T): T {
  if (!(bytes instanceof Uint8Array)) throw malformed('input', 'expected a Uint8Array');
  const outer = new Reader(bytes, 0, bytes.length);
  const header = readHeaderAt(outer, 'header');
  if (header.size > bytes.length) {
    throw malformed('header.size', `declares ${header.size} bytes but only ${bytes.length} are present (truncated)`);
  }
  if (header.size < bytes.length) {
    throw malformed('header.size', `declares ${header.size} bytes but ${bytes.length} were given (trailing bytes)`);
  }
  if (header.comprMode === 'none') {
    const r = new Reader(bytes, SEAL_HEADER_SIZE, header.size);
    const value = readMembers(r, header.version);
    if (r.remaining !== 0) throw malformed('header.size', `${r.remaining} unread bytes after the object`);
    return value;
  }
  const maxOut = opts?.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED;
  const compressed = bytes.subarray(SEAL_HEADER_SIZE, header.size);
  let members: Uint8Array;
  if (header.comprMode === 'zlib') {
    try {
      members = zlib.inflateSync(compressed, { maxOutputLength: maxOut });
    } catch (e) {
      throw new CkksError('MALFORMED', `malformed SEAL data at zlib: ${(e as Error).message}`, 'zlib', { cause: e });
    }
  } else {
    const zstd = zstdDecompressor();
    if (!zstd) {
      throw new CkksError(
        'UNSUPPORTED_COMPRESSION',
        'SEAL object is zstd-compressed; this Node.js has no zstd (save with compression none or zlib)',
        'header.comprMode',
      );
    }
    try {
      members = zstd(compressed, { maxOutputLength: maxOut });
    } catch (e) {
      throw new CkksError('MALFORMED', `malformed SEAL data at zstd: ${(e as Error).message}`, 'zstd', { cause: e });
    }
  }
  const r = new Reader(members, 0, members.length);
  const value = readMembers(r, header.version);
  if (r.remaining !== 0) throw malformed('members', `${r.remaining} unread bytes after the decompressed object`);
  return value;
}

/** A nested object (always uncompressed): header, members, exact size check. */
export function readNested<T>(r: Reader, field: string, readMembers: (r: Reader, version: SealVersion) => T): T {
  const start = r.pos;
  const header = readHeaderAt(r, `${field}.header`);
  if (header.comprMode !== 'none') {
    throw new CkksError('UNSUPPORTED_COMPRESSION', `nested SEAL object at ${field} is compressed (${header.comprMode})`, `${field}.header.comprMode`);
  }
  if (header.size > r.end - start) {
    throw malformed(`${field}.header.size`, `declares ${header.size} bytes but only ${r.end - start} remain (truncated)`);
  }
  const inner = new Reader(r.bytes, r.pos, start + header.size);
  const value = readMembers(inner, header.version);
  if (inner.remaining !== 0) throw malformed(`${field}.header.size`, `declared size ${header.size} but ${inner.remaining} bytes unread`);
  r.pos = inner.pos;
  return value;
}

/** How a DynArray's values are taken: copied into u64 words, or left where they are as bytes. */
export type TakeValues<D> = (inner: Reader, count: number, field: string) => D;

export const copyValues =
  (into?: BigUint64Array): TakeValues<BigUint64Array> =>
  (inner, count, field) =>
    inner.u64Array(count, field, into);

export const viewValues: TakeValues<Uint8Array> = (inner, count, field) => {
  inner.need(count * 8, field);
  const view = inner.bytes.subarray(inner.pos, inner.pos + count * 8);
  inner.pos += count * 8;
  return view;
};

export function readDynArray(r: Reader, field: string, allowedCounts: readonly number[], into?: BigUint64Array): BigUint64Array {
  return readDynArrayWith(r, field, allowedCounts, copyValues(into)).values;
}

export function readDynArrayWith<D>(r: Reader, field: string, allowedCounts: readonly number[], take: TakeValues<D>): { count: number; values: D } {
  return readNested(r, field, (inner) => {
    const count = inner.u64Bounded(`${field}.count`, Number.MAX_SAFE_INTEGER);
    if (count * 8 > inner.remaining) {
      throw malformed(`${field}.count`, `declares ${count} coefficients (${count * 8} bytes) but only ${inner.remaining} bytes remain`);
    }
    if (!allowedCounts.includes(count)) {
      throw malformed(`${field}.count`, `${count} coefficients, expected ${allowedCounts.join(' or ')}`);
    }
    return { count, values: take(inner, count, `${field}.values`) };
  });
}

export function readPrngInfo(r: Reader, field: string): SealSeed {
  return readNested(r, field, (inner) => {
    const t = inner.u8(`${field}.prngType`);
    const prngType: SeedPrngType | undefined = t === 1 ? 'blake2xb' : t === 2 ? 'shake256' : t === AES256CTR_PRNG_BYTE ? 'aes256ctr' : undefined;
    if (!prngType) throw malformed(`${field}.prngType`, `unknown PRNG type ${t} (1 blake2xb, 2 shake256, 0x80 hlp aes256ctr)`);
    const seed = inner.take(PRNG_SEED_BYTES, `${field}.seed`);
    return { prngType, seed };
  });
}

export function isPow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

export function readCiphertextMembers(r: Reader, version: SealVersion, field: string, into?: BigUint64Array): SealCiphertext {
  const { values, ...rest } = readCiphertextMembersWith(r, version, field, copyValues(into));
  return { ...rest, data: values };
}

export function readCiphertextMembersWith<D>(
  r: Reader,
  version: SealVersion,
  field: string,
  take: TakeValues<D>,
): Omit<SealCiphertext, 'data'> & { values: D } {
  const parmsId = r.take(PARMS_ID_BYTES, `${field}.parmsId`);
  const nttByte = r.u8(`${field}.isNttForm`);
  if (nttByte > 1) throw malformed(`${field}.isNttForm`, `expected 0 or 1, got ${nttByte}`);
  const size = r.u64Bounded(`${field}.size`, MAX_CT_SIZE);
  if (size === 1) throw malformed(`${field}.size`, 'a ciphertext has 0 or 2..16 polynomials, got 1');
  const polyModulusDegree = r.u64Bounded(`${field}.polyModulusDegree`, MAX_POLY_DEGREE);
  const coeffModulusSize = r.u64Bounded(`${field}.coeffModulusSize`, MAX_COEFF_MODULI);
  const empty = size === 0 && polyModulusDegree === 0 && coeffModulusSize === 0;
  if (!empty) {
    if (polyModulusDegree < 2 || !isPow2(polyModulusDegree)) {
      throw malformed(`${field}.polyModulusDegree`, `${polyModulusDegree} is not a power of two in [2, ${MAX_POLY_DEGREE}]`);
    }
    if (coeffModulusSize < 1) throw malformed(`${field}.coeffModulusSize`, 'must be at least 1');
  }
  const scale = r.f64(`${field}.scale`);
  if (!Number.isFinite(scale) || scale <= 0) throw malformed(`${field}.scale`, `scale ${scale} is not a positive finite number`);
  let correctionFactor = 1n;
  if (version.major === 4) {
    correctionFactor = r.u64(`${field}.correctionFactor`);
    if (correctionFactor === 0n) throw malformed(`${field}.correctionFactor`, 'must not be 0');
  }
  const polyCount = polyModulusDegree * coeffModulusSize;
  const fullCount = size * polyCount;
  const allowed = size === 2 && polyCount > 0 ? [fullCount, polyCount] : [fullCount];
  const { count, values } = readDynArrayWith(r, `${field}.data`, allowed, take);
  if (size === 2 && polyCount > 0 && count === polyCount) {
    const seed = readPrngInfo(r, `${field}.seed`);
    return { parmsId, isNttForm: nttByte === 1, size, polyModulusDegree, coeffModulusSize, scale, correctionFactor, values, seed };
  }
  return { parmsId, isNttForm: nttByte === 1, size, polyModulusDegree, coeffModulusSize, scale, correctionFactor, values };
}

export function readPlaintextMembers(r: Reader, field: string): SealPlaintext {
  const parmsId = r.take(PARMS_ID_BYTES, `${field}.parmsId`);
  const coeffCount = r.u64Bounded(`${field}.coeffCount`, MAX_POLY_DEGREE * MAX_COEFF_MODULI);
  const scale = r.f64(`${field}.scale`);
  if (!Number.isFinite(scale)) throw malformed(`${field}.scale`, `scale ${scale} is not finite`);
  const data = readDynArray(r, `${field}.data`, [coeffCount]);
  return { parmsId, coeffCount, scale, data };
}

/** Parse a serialized SEAL Ciphertext (full or seeded form). */
export function parseCiphertext(bytes: Uint8Array, opts?: ParseOptions): SealCiphertext {
  return readTopLevel(bytes, opts, (r, v) => readCiphertextMembers(r, v, 'ciphertext'));
}

/** A parsed ciphertext whose coefficients were left in place. */
export interface SealCiphertextView extends Omit<SealCiphertext, 'data'> {
  /**
   * The coefficients' bytes (little-endian u64, polynomial-major then modulus-major) where they
   * are: a view into the input, or into its decompressed members; at any alignment.
   */
  readonly dataBytes: Uint8Array;
}

/**
 * Parse and check a serialized SEAL Ciphertext like parseCiphertext, without copying its
 * coefficients (a quarter of a megabyte at n = 8192, two primes): for a reader that consumes
 * them from the received bytes (the native backend's decryption of a batch on its worker thread).
 */
export function parseCiphertextView(bytes: Uint8Array, opts?: ParseOptions): SealCiphertextView {
  const { values, ...rest } = readTopLevel(bytes, opts, (r, v) => readCiphertextMembersWith(r, v, 'ciphertext', viewValues));
  return { ...rest, dataBytes: values };
}

/** Parse a serialized SEAL Plaintext. */
export function parsePlaintext(bytes: Uint8Array, opts?: ParseOptions): SealPlaintext {
  return readTopLevel(bytes, opts, (r) => readPlaintextMembers(r, 'plaintext'));
}

/** Parse a serialized SEAL PublicKey (a ciphertext in NTT form with 2 polynomials). */
export function parsePublicKey(bytes: Uint8Array, opts?: ParseOptions): SealCiphertext {
  const ct = readTopLevel(bytes, opts, (r, v) => readCiphertextMembers(r, v, 'publicKey'));
  if (ct.size !== 2) throw malformed('publicKey.size', `a public key has 2 polynomials, got ${ct.size}`);
  if (!ct.isNttForm) throw malformed('publicKey.isNttForm', 'a public key is in NTT form');
  return ct;
}

/** Parse a serialized SEAL SecretKey (a plaintext in NTT form, i.e. with a non-zero parms_id). */
export function parseSecretKey(bytes: Uint8Array, opts?: ParseOptions): SealPlaintext {
  const pt = readTopLevel(bytes, opts, (r) => readPlaintextMembers(r, 'secretKey'));
  if (pt.parmsId.every((b) => b === 0)) throw malformed('secretKey.parmsId', 'a secret key is in NTT form (non-zero parms_id)');
  return pt;
}

/** Parse serialized SEAL RelinKeys or GaloisKeys (KSwitchKeys). */
export function parseKSwitchKeys(bytes: Uint8Array, opts?: ParseOptions): SealKSwitchKeys {
  return readTopLevel(bytes, opts, (r) => {
    const parmsId = r.take(PARMS_ID_BYTES, 'kswitchKeys.parmsId');
    // Every slot needs at least its 8-byte count: bound before allocating.
    const dim1 = r.u64Bounded('kswitchKeys.count', Math.floor(r.remaining / 8));
    const keys: SealCiphertext[][] = [];
    for (let i = 0; i < dim1; i++) {
      const dim2 = r.u64Bounded(`kswitchKeys.keys.${i}.count`, Math.floor(r.remaining / (SEAL_HEADER_SIZE + CIPHERTEXT_FIXED_BYTES)));
      const row: SealCiphertext[] = [];
      for (let j = 0; j < dim2; j++) {
        const field = `kswitchKeys.keys.${i}.${j}`;
        row.push(readNested(r, field, (inner, v) => readCiphertextMembers(inner, v, field)));
      }
      keys.push(row);
    }
    return { parmsId, keys };
  });
}
