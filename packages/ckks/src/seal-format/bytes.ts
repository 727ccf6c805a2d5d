/** The bounded little-endian reader and the exact-size writer the SEAL codec works through. */
import { LITTLE_ENDIAN_HOST, malformed, SEAL_HEADER_SIZE, SEAL_MAGIC, SEAL_VERSION } from './layout.js';

/** Bounded little-endian reader over bytes[pos, end). */
export class Reader {
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
export class Writer {
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
