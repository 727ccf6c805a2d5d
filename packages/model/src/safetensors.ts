/**
 * A reader (and a small writer) for the safetensors format, written from its public description:
 *
 *   [8 bytes: N, unsigned little-endian] [N bytes: JSON header] [raw tensor data]
 *
 * The header maps tensor names to `{ dtype, shape, data_offsets: [begin, end] }` (offsets relative
 * to the first data byte) and may hold `__metadata__` (string → string). Values are little-endian.
 * Supported dtypes: F64, F32, F16, BF16.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { z } from 'zod';
import { ModelError } from './errors.js';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16';

/** Bytes per element of each supported dtype. */
export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = { F64: 8, F32: 4, F16: 2, BF16: 2 };

/** Largest header the reader accepts (the format's reference implementation uses the same cap). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  /** [begin, end) relative to the first data byte. */
  readonly dataOffsets: readonly [number, number];
}

export interface SafetensorsHeader {
  /** N, the JSON header's length in bytes. */
  readonly headerBytes: number;
  /** Absolute offset of the first data byte (8 + N). */
  readonly dataStart: number;
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Readonly<Record<string, string>>;
}

const TensorEntrySchema = z.object({
  dtype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
});
const MetadataSchema = z.record(z.string(), z.string());
const HeaderObjectSchema = z.record(z.string(), z.unknown());

function bad(message: string, details: Record<string, string | number> = {}, cause?: unknown): ModelError {
  return new ModelError('BAD_SAFETENSORS', message, details, cause === undefined ? undefined : { cause });
}

function isSupported(dtype: string): dtype is SafetensorsDtype {
  return Object.hasOwn(DTYPE_BYTES, dtype);
}

/** Reads N from the first 8 bytes; checks it against the cap and the total size. */
export function readHeaderLength(first8: Uint8Array, totalBytes: number): number {
  if (first8.length < 8 || totalBytes < 8) {
    throw bad(`file is ${totalBytes} bytes, shorter than the 8-byte header length`, { size: totalBytes });
  }
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw bad(`header length ${n} exceeds ${MAX_HEADER_BYTES} bytes`);
  const len = Number(n);
  if (8 + len > totalBytes) {
    throw bad(`truncated header: it claims ${len} bytes but the file has only ${totalBytes - 8} after the length`, {
      headerBytes: len,
      size: totalBytes,
    });
  }
  return len;
}

/** Parses and validates the JSON header. `headerJson` is exactly N bytes; `totalBytes` is the file size. */
export function parseHeader(headerJson: Uint8Array, totalBytes: number): SafetensorsHeader {
  const headerBytes = headerJson.length;
  const dataStart = 8 + headerBytes;
  const dataBytes = totalBytes - dataStart;
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerJson));
  } catch (err) {
    throw bad('header is not valid UTF-8 JSON', {}, err);
  }
  const top = HeaderObjectSchema.safeParse(raw);
  if (!top.success) throw bad('header is not a JSON object');
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(top.data)) {
    if (name === '__metadata__') {
      const m = MetadataSchema.safeParse(value);
      if (!m.success) throw bad('__metadata__ must map strings to strings');
      metadata = m.data;
      continue;
    }
    const e = TensorEntrySchema.safeParse(value);
    if (!e.success) {
      const issue = e.error.issues[0];
      const where = issue === undefined ? '' : `${issue.path.join('.')}: ${issue.message}`;
      throw bad(`tensor "${name}" has a malformed entry (${where})`, { tensor: name });
    }
    const [begin, end] = e.data.data_offsets;
    if (end < begin) throw bad(`tensor "${name}" has data_offsets [${begin}, ${end}] with end < begin`, { tensor: name });
    if (end > dataBytes) {
      throw bad(`truncated data: tensor "${name}" ends at data byte ${end} but the file holds ${Math.max(0, dataBytes)} data bytes`, {
        tensor: name,
        end,
        dataBytes,
      });
    }
    if (isSupported(e.data.dtype)) {
      const numel = e.data.shape.reduce((a, b) => a * b, 1);
      const expected = numel * DTYPE_BYTES[e.data.dtype];
      if (end - begin !== expected) {
        throw bad(`tensor "${name}" (${e.data.dtype} [${e.data.shape.join(', ')}]) needs ${expected} bytes but data_offsets span ${end - begin}`, {
          tensor: name,
        });
      }
    }
    tensors.set(name, { name, dtype: e.data.dtype, shape: e.data.shape, dataOffsets: [begin, end] });
  }
  return { headerBytes, dataStart, tensors, metadata };
}

/** Parses the header of an in-memory safetensors file. */
export function parseSafetensors(bytes: Uint8Array): SafetensorsHeader {
  const n = readHeaderLength(bytes.subarray(0, 8), bytes.length);
  return parseHeader(bytes.subarray(8, 8 + n), bytes.length);
}

// ---------------------------------------------------------------------------------------------
// Half-precision conversions

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
let halfTable: Float32Array | undefined;

/** IEEE 754 binary16 bits → number. */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function halfLookup(): Float32Array {
  if (halfTable === undefined) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToNumber(h);
  }
  return halfTable;
}

/** number → binary16 bits (through float32, then round to nearest even; overflow → ±Inf). */
export function numberToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1) === 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++;
  return sign | h;
}

/** bfloat16 bits → number. */
export function bf16ToNumber(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0] as number;
}

/** number → bfloat16 bits (through float32, round to nearest even; NaN stays NaN). */
export function numberToBf16(v: number): number {
  f32[0] = v;
  const x = u32[0] as number;
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

// ---------------------------------------------------------------------------------------------
// Row decoding

/**
 * Decodes `out.length` little-endian values of `dtype` starting at `byteOffset` of `view` into
 * `out`. Returns the index of the first non-finite value, or -1.
 */
export function decodeValues(view: DataView, byteOffset: number, dtype: SafetensorsDtype, out: Float64Array): number {
  const n = out.length;
  let firstBad = -1;
  switch (dtype) {
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(byteOffset + 8 * i, true);
      break;
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(byteOffset + 4 * i, true);
      break;
    case 'F16': {
      const table = halfLookup();
      for (let i = 0; i < n; i++) out[i] = table[view.getUint16(byteOffset + 2 * i, true)] as number;
      break;
    }
    case 'BF16':
      for (let i = 0; i < n; i++) out[i] = bf16ToNumber(view.getUint16(byteOffset + 2 * i, true));
      break;
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(out[i])) {
      firstBad = i;
      break;
    }
  }
  return firstBad;
}

// ---------------------------------------------------------------------------------------------
// Writer

export interface TensorToWrite {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Row-major values; length = product of shape. */
  readonly data: ArrayLike<number>;
}

/**
 * Serializes tensors into one safetensors file image (data laid out in the given order, header
 * padded with spaces to a multiple of 8 bytes). Used by tests and tools to produce inputs.
 */
export function encodeSafetensors(tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length) {
      throw new ModelError('INVALID_ARGUMENT', `tensor "${t.name}" has ${t.data.length} values for shape [${t.shape.join(', ')}]`);
    }
    const size = numel * DTYPE_BYTES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  const jsonBytes = new TextEncoder().encode(json).length;
  json += ' '.repeat((8 - ((8 + jsonBytes) % 8)) % 8);
  const headerBuf = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBuf.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBuf.length), true);
  out.set(headerBuf, 8);
  let p = 8 + headerBuf.length;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++) {
      const v = t.data[i] as number;
      switch (t.dtype) {
        case 'F64':
          view.setFloat64(p, v, true);
          p += 8;
          break;
        case 'F32':
          view.setFloat32(p, v, true);
          p += 4;
          break;
        case 'F16':
          view.setUint16(p, numberToHalf(v), true);
          p += 2;
          break;
        case 'BF16':
          view.setUint16(p, numberToBf16(v), true);
          p += 2;
          break;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Byte sources

/** Random access to the bytes of a safetensors file. */
export interface ByteSource {
  readonly size: number;
  /** Fills `into` with the bytes at [offset, offset + into.length); BAD_SAFETENSORS when short. */
  readInto(offset: number, into: Uint8Array): void;
  close(): void;
}

export class MemoryByteSource implements ByteSource {
  readonly size: number;
  constructor(private readonly bytes: Uint8Array) {
    this.size = bytes.length;
  }
  readInto(offset: number, into: Uint8Array): void {
    if (offset + into.length > this.size) throw bad(`read past the end (byte ${offset + into.length} of ${this.size})`);
    into.set(this.bytes.subarray(offset, offset + into.length));
  }
  /** A view of the bytes, no copy. */
  view(offset: number, length: number): Uint8Array {
    return this.bytes.subarray(offset, offset + length);
  }
  close(): void {}
}

export class FileByteSource implements ByteSource {
  readonly size: number;
  private fd: number | undefined;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'r');
      this.size = fstatSync(this.fd).size;
    } catch (err) {
      if (this.fd !== undefined) closeSync(this.fd);
      throw new ModelError('IO', `cannot open ${path}: ${(err as Error).message}`, { path }, { cause: err });
    }
  }

  readInto(offset: number, into: Uint8Array): void {
    if (this.fd === undefined) throw new ModelError('IO', `${this.path} is closed`, { path: this.path });
    let done = 0;
    while (done < into.length) {
      let n: number;
      try {
        n = readSync(this.fd, into, done, into.length - done, offset + done);
      } catch (err) {
        throw new ModelError('IO', `reading ${this.path}: ${(err as Error).message}`, { path: this.path }, { cause: err });
      }
      if (n === 0) {
        throw bad(`truncated file: wanted bytes up to ${offset + into.length}, file ended at ${offset + done}`, {
          path: this.path,
        });
      }
      done += n;
    }
  }

  close(): void {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

/** Reads and validates the header from any byte source. */
export function readHeader(source: ByteSource): SafetensorsHeader {
  const first8 = new Uint8Array(8);
  if (source.size < 8) throw bad(`file is ${source.size} bytes, shorter than the 8-byte header length`, { size: source.size });
  source.readInto(0, first8);
  const n = readHeaderLength(first8, source.size);
  const json = new Uint8Array(n);
  source.readInto(8, json);
  return parseHeader(json, source.size);
}
