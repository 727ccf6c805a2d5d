/**
 * The abuse suite's random stream: SHA-256 in counter mode, keyed by the run's seed. A
 * cryptographic generator like every other source of randomness in the project, and seeded, so
 * that a failing case can be generated again from the seed the report prints.
 */
import { createHash, randomInt } from 'node:crypto';

export class AbuseRandom {
  #block = Buffer.alloc(0);
  #offset = 0;
  #counter = 0;
  constructor(readonly seed: number) {}

  /** A fresh seed from the operating system's CSPRNG. */
  static freshSeed(): number {
    return randomInt(0, 2 ** 32 - 1);
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    let filled = 0;
    while (filled < n) {
      if (this.#offset >= this.#block.length) {
        this.#block = createHash('sha256').update(`hlp-abuse:${this.seed}:${this.#counter++}`).digest();
        this.#offset = 0;
      }
      const take = Math.min(n - filled, this.#block.length - this.#offset);
      this.#block.copy(out, filled, this.#offset, this.#offset + take);
      this.#offset += take;
      filled += take;
    }
    return out;
  }

  /** Uniform in [0, 1). */
  float(): number {
    const b = this.bytes(7);
    let x = 0;
    for (const v of b) x = x * 256 + v;
    return (x % 2 ** 53) / 2 ** 53;
  }

  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** Log-uniform integer in [lo, hi] (lo ≥ 1): as many short cases as long ones per decade. */
  logInt(lo: number, hi: number): number {
    return Math.min(hi, Math.max(lo, Math.round(Math.exp(Math.log(lo) + this.float() * (Math.log(hi) - Math.log(lo))))));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(0, items.length - 1)]!;
  }

  chance(p: number): boolean {
    return this.float() < p;
  }
}
