/**
 * BLAKE2b (RFC 7693) with the full parameter block, and BLAKE2Xb (the XOF), in pure TS.
 *
 * Needed because SEAL hashes encryption parameters with BLAKE2b-256 (parms_id) and expands
 * seeds with BLAKE2Xb; node:crypto only offers BLAKE2b-512 (OpenSSL 3.0 rejects another
 * output length, and BLAKE2b-256 is not a truncation of BLAKE2b-512: the length is hashed in).
 * 64-bit words are kept as (lo, hi) pairs of 32-bit integers.
 */

// IV as little-endian (lo, hi) pairs.
const IV = Uint32Array.from([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a, 0xade682d1, 0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b,
  0x1f83d9ab, 0x137e2179, 0x5be0cd19,
]);

// Message schedule; entries are pre-multiplied by 2 (index into the (lo, hi) pair array).
const SIGMA = Uint8Array.from(
  [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  ]
    .flat()
    .map((i) => i * 2),
);

const v = new Uint32Array(32);
const m = new Uint32Array(32);

/** v[a] += v[b] (64-bit) */
function add(a: number, b: number): void {
  const lo = v[a]! + v[b]!;
  v[a + 1] = v[a + 1]! + v[b + 1]! + (lo > 0xffffffff ? 1 : 0);
  v[a] = lo;
}
/** v[a] += m[x] (64-bit) */
function addM(a: number, x: number): void {
  const lo = v[a]! + m[x]!;
  v[a + 1] = v[a + 1]! + m[x + 1]! + (lo > 0xffffffff ? 1 : 0);
  v[a] = lo;
}

function g(a: number, b: number, c: number, d: number, x: number, y: number): void {
  addM(a, x);
  add(a, b);
  // d = rotr64(d ^ a, 32)
  let lo = v[d]! ^ v[a]!;
  let hi = v[d + 1]! ^ v[a + 1]!;
  v[d] = hi;
  v[d + 1] = lo;
  add(c, d);
  // b = rotr64(b ^ c, 24)
  lo = v[b]! ^ v[c]!;
  hi = v[b + 1]! ^ v[c + 1]!;
  v[b] = (lo >>> 24) | (hi << 8);
  v[b + 1] = (hi >>> 24) | (lo << 8);
  addM(a, y);
  add(a, b);
  // d = rotr64(d ^ a, 16)
  lo = v[d] ^ v[a]!;
  hi = v[d + 1]! ^ v[a + 1]!;
  v[d] = (lo >>> 16) | (hi << 16);
  v[d + 1] = (hi >>> 16) | (lo << 16);
  add(c, d);
  // b = rotr64(b ^ c, 63) = rotl64(b ^ c, 1)
  lo = v[b] ^ v[c]!;
  hi = v[b + 1]! ^ v[c + 1]!;
  v[b] = (lo << 1) | (hi >>> 31);
  v[b + 1] = (hi << 1) | (lo >>> 31);
}

function compress(h: Uint32Array, block: Uint8Array, t: number, last: boolean): void {
  for (let i = 0; i < 16; i++) v[i] = h[i]!;
  for (let i = 0; i < 16; i++) v[i + 16] = IV[i]!;
  // t is a byte counter < 2^53
  v[24] = v[24]! ^ (t % 0x100000000);
  v[25] = v[25]! ^ Math.floor(t / 0x100000000);
  if (last) {
    v[28] = ~v[28]!;
    v[29] = ~v[29]!;
  }
  for (let i = 0; i < 32; i++) {
    const o = i * 4;
    m[i] = block[o]! | (block[o + 1]! << 8) | (block[o + 2]! << 16) | (block[o + 3]! << 24);
  }
  for (let r = 0; r < 12; r++) {
    const s = r * 16;
    g(0, 8, 16, 24, SIGMA[s]!, SIGMA[s + 1]!);
    g(2, 10, 18, 26, SIGMA[s + 2]!, SIGMA[s + 3]!);
    g(4, 12, 20, 28, SIGMA[s + 4]!, SIGMA[s + 5]!);
    g(6, 14, 22, 30, SIGMA[s + 6]!, SIGMA[s + 7]!);
    g(0, 10, 20, 30, SIGMA[s + 8]!, SIGMA[s + 9]!);
    g(2, 12, 22, 24, SIGMA[s + 10]!, SIGMA[s + 11]!);
    g(4, 14, 16, 26, SIGMA[s + 12]!, SIGMA[s + 13]!);
    g(6, 8, 18, 28, SIGMA[s + 14]!, SIGMA[s + 15]!);
  }
  for (let i = 0; i < 16; i++) h[i] = h[i]! ^ v[i]! ^ v[i + 16]!;
}

/** Fields of the BLAKE2b parameter block (RFC 7693 §2.8; BLAKE2X adds xofLength). */
export interface Blake2bParams {
  /** Digest length in bytes, 1..64. */
  readonly digestLength: number;
  readonly key?: Uint8Array;
  readonly fanout?: number;
  readonly depth?: number;
  readonly leafLength?: number;
  readonly nodeOffset?: number;
  readonly xofLength?: number;
  readonly nodeDepth?: number;
  readonly innerLength?: number;
}

/** Incremental BLAKE2b. */
export class Blake2b {
  private readonly h = new Uint32Array(16);
  private readonly buf = new Uint8Array(128);
  private bufLen = 0;
  private total = 0;
  private readonly outLen: number;
  private done = false;

  constructor(params: Blake2bParams) {
    const { digestLength } = params;
    const key = params.key ?? new Uint8Array(0);
    if (!Number.isInteger(digestLength) || digestLength < 1 || digestLength > 64) {
      throw new RangeError('BLAKE2b digest length must be 1..64');
    }
    if (key.length > 64) throw new RangeError('BLAKE2b key must be at most 64 bytes');
    this.outLen = digestLength;
    const p = new Uint8Array(64);
    const dv = new DataView(p.buffer);
    p[0] = digestLength;
    p[1] = key.length;
    p[2] = params.fanout ?? 1;
    p[3] = params.depth ?? 1;
    dv.setUint32(4, params.leafLength ?? 0, true);
    dv.setUint32(8, params.nodeOffset ?? 0, true);
    dv.setUint32(12, params.xofLength ?? 0, true);
    p[16] = params.nodeDepth ?? 0;
    p[17] = params.innerLength ?? 0;
    for (let i = 0; i < 16; i++) this.h[i] = IV[i]! ^ dv.getUint32(i * 4, true);
    if (key.length > 0) {
      this.buf.set(key);
      this.bufLen = 128;
    }
  }

  update(data: Uint8Array): this {
    if (this.done) throw new Error('BLAKE2b: update after digest');
    let off = 0;
    while (off < data.length) {
      if (this.bufLen === 128) {
        this.total += 128;
        compress(this.h, this.buf, this.total, false);
        this.bufLen = 0;
      }
      const take = Math.min(128 - this.bufLen, data.length - off);
      this.buf.set(data.subarray(off, off + take), this.bufLen);
      this.bufLen += take;
      off += take;
    }
    return this;
  }

  digest(): Uint8Array {
    if (this.done) throw new Error('BLAKE2b: digest called twice');
    this.done = true;
    this.total += this.bufLen;
    this.buf.fill(0, this.bufLen);
    compress(this.h, this.buf, this.total, true);
    const out = new Uint8Array(this.outLen);
    for (let i = 0; i < this.outLen; i++) out[i] = (this.h[i >> 2]! >>> (8 * (i & 3))) & 0xff;
    return out;
  }
}

/** One-shot BLAKE2b with the given digest length (default 64) and optional key. */
export function blake2b(data: Uint8Array, digestLength = 64, key?: Uint8Array): Uint8Array {
  return new Blake2b(key ? { digestLength, key } : { digestLength }).update(data).digest();
}

/**
 * BLAKE2Xb (reference construction, as in SEAL's util/blake2xb.c): a keyed BLAKE2b root with
 * xof_length = outLen, then output blocks i = BLAKE2b(root) with digest length min(64, rest),
 * key 0, fanout 0, depth 0, leaf length 64, node offset i, inner length 64, xof_length kept.
 */
export function blake2xb(outLen: number, data: Uint8Array, key?: Uint8Array): Uint8Array {
  if (!Number.isInteger(outLen) || outLen < 1 || outLen > 0xfffffffe) throw new RangeError('BLAKE2Xb length');
  const root = new Blake2b({ digestLength: 64, xofLength: outLen, ...(key ? { key } : {}) }).update(data).digest();
  const out = new Uint8Array(outLen);
  for (let i = 0, rest = outLen; rest > 0; i++) {
    const len = Math.min(64, rest);
    const block = new Blake2b({
      digestLength: len,
      fanout: 0,
      depth: 0,
      leafLength: 64,
      nodeOffset: i,
      xofLength: outLen,
      nodeDepth: 0,
      innerLength: 64,
    })
      .update(root)
      .digest();
    out.set(block, i * 64);
    rest -= len;
  }
  return out;
}
