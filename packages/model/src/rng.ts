/**
 * Counter-based pseudo-random values for *public model weights*.
 *
 * NOT cryptographic randomness: nothing here is secret. These numbers stand in for GPT-2's
 * published weight tables and for the server-owned workload weights, which must be reproducible
 * from a seed on any machine. Key material and encryption noise come from the CKKS engine's
 * CSPRNG, never from this module.
 *
 * Every value is a pure function of (seed, table, row, column): rows can be generated on demand,
 * in any order, by any thread, with identical results. The mixing function is a 32-bit
 * integer finalizer (xor-shift / multiply, the "lowbias32" constants published by C. Wellons),
 * applied to Weyl-sequence counters keyed per row by two independent 32-bit row keys. Pairs of
 * uniforms become normals by the Box–Muller transform.
 */
import { ModelError } from './errors.js';

const GOLDEN = 0x9e3779b9;
const TWO_PI = 2 * Math.PI;
const INV_2_32 = 1 / 4294967296;

/** 32-bit avalanche finalizer (bijective on uint32). */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Tables of values the package derives from seeds; distinct tables never share a stream. */
export const RNG_TABLE = {
  wte: 0,
  wpe: 1,
  affineScale: 16,
  affineShift: 17,
  projection: 18,
} as const;

/** Deterministic generator of rows of values, addressed by (table, row, column). */
export class CounterRng {
  readonly seed: number;
  private readonly k0: number;
  private readonly k1: number;

  /** @param seed a non-negative safe integer (all 53 bits are used). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new ModelError('INVALID_ARGUMENT', `seed must be a non-negative safe integer, got ${String(seed)}`, {
        argument: 'seed',
      });
    }
    this.seed = seed;
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    this.k0 = mix32(lo ^ 0x5bd1e995);
    this.k1 = mix32((hi + this.k0 + 0x27d4eb2f) >>> 0);
  }

  /** Two independent 32-bit keys for one (table, row). */
  private rowKeys(table: number, row: number): [number, number] {
    const t = mix32((this.k0 ^ Math.imul(table + 1, GOLDEN)) >>> 0) ^ this.k1;
    const a = mix32((t ^ mix32((row + 0x632be5ab) >>> 0)) >>> 0);
    const b = mix32((a + Math.imul(row ^ this.k1, 0x85ebca6b) + 0x165667b1) >>> 0);
    return [a, b];
  }

  /** Fills `out` with uniform integers in [0, 2^32) for (table, row); column j is out[j]. */
  uint32Row(table: number, row: number, out: Uint32Array | Float64Array): void {
    const [a, b] = this.rowKeys(table, row);
    for (let j = 0; j < out.length; j++) {
      out[j] = mix32((mix32((a + Math.imul(j + 1, GOLDEN)) >>> 0) ^ b) >>> 0);
    }
  }

  /** Fills `out` with uniform doubles in [lo, hi) (32-bit resolution). */
  uniformRow(table: number, row: number, out: Float64Array, lo = 0, hi = 1): void {
    this.uint32Row(table, row, out);
    const span = (hi - lo) * INV_2_32;
    for (let j = 0; j < out.length; j++) out[j] = lo + (out[j] as number) * span;
  }

  /**
   * Fills `out` with normal values N(0, std²), clipped to [-clip, clip] (no clipping when clip is
   * Infinity). Columns 2i and 2i+1 come from one Box–Muller pair.
   */
  normalRow(table: number, row: number, out: Float64Array, std: number, clip = Infinity): void {
    const [a, b] = this.rowKeys(table, row);
    const n = out.length;
    for (let j = 0; j < n; j += 2) {
      const w1 = mix32((mix32((a + Math.imul(j + 1, GOLDEN)) >>> 0) ^ b) >>> 0);
      const w2 = mix32((mix32((a + Math.imul(j + 2, GOLDEN)) >>> 0) ^ b) >>> 0);
      const r = std * Math.sqrt(-2 * Math.log((w1 + 1) * INV_2_32)); // u1 in (0, 1]
      const theta = TWO_PI * w2 * INV_2_32;
      let z = r * Math.cos(theta);
      out[j] = z > clip ? clip : z < -clip ? -clip : z;
      if (j + 1 < n) {
        z = r * Math.sin(theta);
        out[j + 1] = z > clip ? clip : z < -clip ? -clip : z;
      }
    }
  }
}
