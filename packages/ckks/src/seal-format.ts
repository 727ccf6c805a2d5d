/**
 * SEAL 4.1's binary serialization, read and written in pure TS (no node-seal).
 *
 * Every SEAL object is `SEALHeader ‖ members`, all integers little-endian:
 *
 *   SEALHeader (16 bytes): u16 magic 0xA15E · u8 header size 0x10 · u8 version major (4) ·
 *   u8 version minor (1) · u8 compr_mode (0 none, 1 zlib, 2 zstd) · u16 reserved (0) ·
 *   u64 size = total bytes of the object including this header (compressed size if compressed).
 *
 * With zlib/zstd everything after the header is one compressed stream (zlib: RFC 1950, as
 * written by deflateInit) of the uncompressed members. Nested objects inside the members are
 * themselves full SEAL objects with their own header, always with compr_mode none.
 *
 *   DynArray<u64>:   header · u64 count · count × u64
 *   Ciphertext:      parms_id (4 × u64 = 32 bytes) · u8 is_ntt_form · u64 size ·
 *                    u64 poly_modulus_degree · u64 coeff_modulus_size · f64 scale ·
 *                    u64 correction_factor (only when version major is 4) ·
 *                    DynArray data (size × coeff_modulus_size × N coefficients, polynomial-major,
 *                    then modulus-major: data[(p · L + j) · N + i])
 *   seeded Ciphertext (SEAL's `*Serializable` forms of symmetric encryption and keys): size = 2,
 *                    the DynArray holds only c0 (L × N coefficients), followed by a nested
 *                    UniformRandomGeneratorInfo: header · u8 prng_type (1 blake2xb, 2 shake256) ·
 *                    64 seed bytes. The reader recognises it by the DynArray count being N·L.
 *                    (In memory SEAL marks it with c1[0] = 0xFFFFFFFFFFFFFFFF followed by the saved
 *                    UniformRandomGeneratorInfo; see seal-prng.ts for how c1 is re-expanded.)
 *   Plaintext:       parms_id · u64 coeff_count · f64 scale · DynArray data (coeff_count values);
 *                    NTT form is parms_id ≠ 0
 *   PublicKey:       exactly a Ciphertext (at the key level, NTT form, size 2)
 *   SecretKey:       exactly a Plaintext (at the key level, NTT form)
 *   KSwitchKeys (RelinKeys, GaloisKeys): parms_id · u64 dim1 · dim1 × (u64 dim2 · dim2 × PublicKey)
 *
 * parms_id = BLAKE2b-256 over the u64 LE words [scheme (CKKS = 2), N, q_0 … q_{k-1},
 * plain modulus (0 for CKKS)], stored as the 32 digest bytes.
 *
 * Decoding bounds every count by the bytes that remain before allocating, and reports any
 * problem as CkksError MALFORMED with the field at fault (or UNSUPPORTED_COMPRESSION /
 * UNSUPPORTED_VERSION).
 */
import * as zlib from 'node:zlib';
import { blake2b } from './blake2b.js';
import { CkksError } from './errors.js';
import { PRNG_SEED_BYTES, type PrngType } from './seal-prng.js';

export const SEAL_MAGIC = 0xa15e;
export const SEAL_HEADER_SIZE = 16;
/** The version node-seal 6.0.3 bundles (SEAL 4.1.2) and that the writer emits. */
export const SEAL_VERSION = Object.freeze({ major: 4, minor: 1 });

export type ComprMode = 'none' | 'zlib' | 'zstd';
const COMPR_FROM_BYTE: readonly ComprMode[] = ['none', 'zlib', 'zstd'];

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

const DEFAULT_MAX_DECOMPRESSED = 1 << 30;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const MAX_POLY_DEGREE = 131072;
const MAX_COEFF_MODULI = 256;
const MAX_CT_SIZE = 16;
const PARMS_ID_BYTES = 32;
const CIPHERTEXT_FIXED_BYTES = PARMS_ID_BYTES + 1 + 8 + 8 + 8 + 8 + 8;
const PLAINTEXT_FIXED_BYTES = PARMS_ID_BYTES + 8 + 8;
const DYNARRAY_OVERHEAD = SEAL_HEADER_SIZE + 8;
const PRNG_INFO_BYTES = SEAL_HEADER_SIZE + 1 + PRNG_SEED_BYTES;

function malformed(field: string, message: string): CkksError {
  return new CkksError('MALFORMED', `malformed SEAL data at ${field}: ${message}`, field);
}

/** Bounded little-endian reader over bytes[pos, end). */
class Reader {
  private readonly dv: DataView;
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get remaining(): number {
    return this.end - this.pos;
  }
  need(n: number, field: string): void {
    if (n > this.end - this.pos) {
      throw malformed(field, `truncated: needs ${n} bytes at offset ${this.pos}, ${Math.max(0, this.end - this.pos)} left`);
    }
  }
  u8(field: string): number {
    this.need(1, field);
    return this.dv.getUint8(this.pos++);
  }
  u16(field: string): number {
    this.need(2, field);
    const v = this.dv.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u64(field: string): bigint {
    this.need(8, field);
    const v = this.dv.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** A u64 that must be ≤ max (a safe integer); returned as number. */
  u64Bounded(field: string, max: number): number {
    const v = this.u64(field);
    if (v > BigInt(max)) throw malformed(field, `value ${v} exceeds the bound ${max}`);
    return Number(v);
  }
  f64(field: string): number {
    this.need(8, field);
    const v = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  take(n: number, field: string): Uint8Array {
    this.need(n, field);
    // A copy, and a plain Uint8Array even when the input is a Buffer (whose slice() is a view).
    const out = new Uint8Array(n);
    out.set(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }
  /** `count` u64 values into `into` (when it has that length) or a fresh (aligned) BigUint64Array. */
  u64Array(count: number, field: string, into?: BigUint64Array): BigUint64Array {
    const byteLen = count * 8;
    this.need(byteLen, field);
    const out = into && into.length === count ? into : new BigUint64Array(count);
    if (LITTLE_ENDIAN_HOST) {
      new Uint8Array(out.buffer, out.byteOffset, byteLen).set(this.bytes.subarray(this.pos, this.pos + byteLen));
    } else {
      for (let i = 0; i < count; i++) out[i] = this.dv.getBigUint64(this.pos + i * 8, true);
    }
    this.pos += byteLen;
    return out;
  }
}

/** Growing-free writer into a buffer of precomputed size. */
class Writer {
  readonly bytes: Uint8Array;
  private readonly dv: DataView;
  pos = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.dv = new DataView(this.bytes.buffer);
  }
  u8(v: number): void {
    this.dv.setUint8(this.pos++, v);
  }
  u16(v: number): void {
    this.dv.setUint16(this.pos, v, true);
    this.pos += 2;
  }
  u64(v: bigint | number): void {
    this.dv.setBigUint64(this.pos, BigInt(v), true);
    this.pos += 8;
  }
  f64(v: number): void {
    this.dv.setFloat64(this.pos, v, true);
    this.pos += 8;
  }
  raw(b: Uint8Array): void {
    this.bytes.set(b, this.pos);
    this.pos += b.length;
  }
  u64Array(a: BigUint64Array): void {
    if (LITTLE_ENDIAN_HOST) {
      this.raw(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    } else {
      for (const x of a) this.u64(x);
    }
  }
  header(totalSize: number): void {
    this.u16(SEAL_MAGIC);
    this.u8(SEAL_HEADER_SIZE);
    this.u8(SEAL_VERSION.major);
    this.u8(SEAL_VERSION.minor);
    this.u8(0); // compr_mode none
    this.u16(0);
    this.u64(totalSize);
  }
}

function isSupportedVersion(v: SealVersion): boolean {
  // 4.x: layout with correction_factor; 3.6/3.7: same layout without it, same seeded form.
  return (v.major === 4 && (v.minor === 0 || v.minor === 1)) || (v.major === 3 && (v.minor === 6 || v.minor === 7));
}

function readHeaderAt(r: Reader, field: string): SealHeader {
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

function zstdDecompressor(): ((b: Uint8Array, o: { maxOutputLength: number }) => Uint8Array) | undefined {
  const fn = (zlib as unknown as Record<string, unknown>)['zstdDecompressSync'];
  return typeof fn === 'function' ? (fn as (b: Uint8Array, o: { maxOutputLength: number }) => Uint8Array) : undefined;
}

/**
 * Open a top-level object: validate the header, decompress if needed, and run `readMembers`
 * on a reader over the (decompressed) members; check that everything was consumed.
 */
function readTopLevel<T>(
  bytes: Uint8Array,
  opts: ParseOptions | undefined,
  readMembers: (r: Reader, version: SealVersion) => T,
): T {
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
function readNested<T>(r: Reader, field: string, readMembers: (r: Reader, version: SealVersion) => T): T {
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
type TakeValues<D> = (inner: Reader, count: number, field: string) => D;

const copyValues =
  (into?: BigUint64Array): TakeValues<BigUint64Array> =>
  (inner, count, field) =>
    inner.u64Array(count, field, into);

const viewValues: TakeValues<Uint8Array> = (inner, count, field) => {
  inner.need(count * 8, field);
  const view = inner.bytes.subarray(inner.pos, inner.pos + count * 8);
  inner.pos += count * 8;
  return view;
};

function readDynArray(r: Reader, field: string, allowedCounts: readonly number[], into?: BigUint64Array): BigUint64Array {
  return readDynArrayWith(r, field, allowedCounts, copyValues(into)).values;
}

function readDynArrayWith<D>(r: Reader, field: string, allowedCounts: readonly number[], take: TakeValues<D>): { count: number; values: D } {
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

function readPrngInfo(r: Reader, field: string): SealSeed {
  return readNested(r, field, (inner) => {
    const t = inner.u8(`${field}.prngType`);
    const prngType: SeedPrngType | undefined =
      t === 1 ? 'blake2xb' : t === 2 ? 'shake256' : t === AES256CTR_PRNG_BYTE ? 'aes256ctr' : undefined;
    if (!prngType) throw malformed(`${field}.prngType`, `unknown PRNG type ${t} (1 blake2xb, 2 shake256, 0x80 hlp aes256ctr)`);
    const seed = inner.take(PRNG_SEED_BYTES, `${field}.seed`);
    return { prngType, seed };
  });
}

function isPow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

function readCiphertextMembers(r: Reader, version: SealVersion, field: string, into?: BigUint64Array): SealCiphertext {
  const { values, ...rest } = readCiphertextMembersWith(r, version, field, copyValues(into));
  return { ...rest, data: values };
}

function readCiphertextMembersWith<D>(r: Reader, version: SealVersion, field: string, take: TakeValues<D>): Omit<SealCiphertext, 'data'> & { values: D } {
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

function readPlaintextMembers(r: Reader, field: string): SealPlaintext {
  const parmsId = r.take(PARMS_ID_BYTES, `${field}.parmsId`);
  const coeffCount = r.u64Bounded(`${field}.coeffCount`, MAX_POLY_DEGREE * MAX_COEFF_MODULI);
  const scale = r.f64(`${field}.scale`);
  if (!Number.isFinite(scale)) throw malformed(`${field}.scale`, `scale ${scale} is not finite`);
  const data = readDynArray(r, `${field}.data`, [coeffCount]);
  return { parmsId, coeffCount, scale, data };
}

// ---------------------------------------------------------------------------------------------
// Public readers

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

// ---------------------------------------------------------------------------------------------
// Writers (compression none, version 4.1)

function ciphertextMembersSize(ct: SealCiphertext): number {
  return CIPHERTEXT_FIXED_BYTES + DYNARRAY_OVERHEAD + ct.data.length * 8 + (ct.seed ? PRNG_INFO_BYTES : 0);
}

function checkCiphertextShape(ct: SealCiphertext, field: string): void {
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

const CIPHERTEXT_PREFIX_BYTES = SEAL_HEADER_SIZE + CIPHERTEXT_FIXED_BYTES + DYNARRAY_OVERHEAD;

/** Everything before the coefficients: the object's header and members, the DynArray's header and count. */
function writeCiphertextPrefix(w: Writer, ct: SealCiphertext): void {
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

function writeCiphertextSeed(w: Writer, seed: SealSeed): void {
  w.header(PRNG_INFO_BYTES);
  w.u8(seed.prngType === 'blake2xb' ? 1 : seed.prngType === 'shake256' ? 2 : AES256CTR_PRNG_BYTE);
  w.raw(seed.seed);
}

function writeCiphertextObject(w: Writer, ct: SealCiphertext): void {
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

// ---------------------------------------------------------------------------------------------
// parms_id

export type SchemeName = 'none' | 'bfv' | 'ckks' | 'bgv';
const SCHEME_BYTE: Readonly<Record<SchemeName, number>> = { none: 0, bfv: 1, ckks: 2, bgv: 3 };

/**
 * SEAL's parms_id: BLAKE2b with a 32-byte digest over the u64 LE words
 * [scheme, poly_modulus_degree, coeff_modulus..., plain_modulus] (plain modulus 0 for CKKS).
 */
export function computeParmsId(n: number, coeffModulus: readonly bigint[], scheme: SchemeName = 'ckks', plainModulus = 0n): Uint8Array {
  const words = [BigInt(SCHEME_BYTE[scheme]), BigInt(n), ...coeffModulus, plainModulus];
  const buf = new Uint8Array(words.length * 8);
  const dv = new DataView(buf.buffer);
  words.forEach((w, i) => dv.setBigUint64(i * 8, w, true));
  return blake2b(buf, 32);
}

export interface ChainLevel {
  /** Data level (coeffModulusCount − 1), or −1 for the key level (special prime included). */
  readonly level: number;
  readonly coeffModulus: readonly bigint[];
  readonly parmsId: Uint8Array;
  readonly parmsIdHex: string;
}

/**
 * The modulus-switching chain as a SEALContext with expand_mod_chain builds it: the key level
 * (all primes), then the first data level (special prime dropped), and so on down to one prime.
 */
export function parmsIdChain(n: number, coeffModulus: readonly bigint[]): ChainLevel[] {
  const out: ChainLevel[] = [];
  for (let k = coeffModulus.length; k >= 1; k--) {
    const mods = coeffModulus.slice(0, k);
    const id = computeParmsId(n, mods);
    out.push({ level: k === coeffModulus.length ? -1 : k - 1, coeffModulus: mods, parmsId: id, parmsIdHex: parmsIdToHex(id) });
  }
  return out;
}

export function parmsIdToHex(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}

/** From node-seal's `ParmsIdType.values` (4 × u64) to the 32 serialized bytes. */
export function parmsIdFromWords(words: ArrayLike<bigint>): Uint8Array {
  if (words.length !== 4) throw new CkksError('INVALID_ARGUMENT', 'a parms_id has 4 words');
  const out = new Uint8Array(32);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) dv.setBigUint64(i * 8, BigInt(words[i] ?? 0n), true);
  return out;
}

/**
 * Check a parsed ciphertext against a chain: known parms_id, matching degree and modulus
 * count, every coefficient below its prime. Returns the chain level it sits at.
 * @throws CkksError PARAMETER_MISMATCH or MALFORMED (coefficient out of range)
 */
export function checkCiphertextAgainst(ct: SealCiphertext, chain: readonly ChainLevel[], n: number): ChainLevel {
  const hex = parmsIdToHex(ct.parmsId);
  const lvl = chain.find((c) => c.parmsIdHex === hex);
  if (!lvl) throw new CkksError('PARAMETER_MISMATCH', `ciphertext parms_id ${hex} is not in this parameter chain`, 'parmsId');
  if (ct.polyModulusDegree !== n) {
    throw new CkksError('PARAMETER_MISMATCH', `ciphertext degree ${ct.polyModulusDegree}, expected ${n}`, 'polyModulusDegree');
  }
  if (ct.coeffModulusSize !== lvl.coeffModulus.length) {
    throw new CkksError('PARAMETER_MISMATCH', `ciphertext has ${ct.coeffModulusSize} moduli, its parms_id has ${lvl.coeffModulus.length}`, 'coeffModulusSize');
  }
  const L = ct.coeffModulusSize;
  const polys = ct.seed ? 1 : ct.size;
  for (let p = 0; p < polys; p++) {
    for (let j = 0; j < L; j++) {
      const q = lvl.coeffModulus[j]!;
      const base = (p * L + j) * n;
      for (let i = 0; i < n; i++) {
        if (ct.data[base + i]! >= q) throw malformed('ciphertext.data', `coefficient ${base + i} is not reduced modulo q_${j}`);
      }
    }
  }
  return lvl;
}
