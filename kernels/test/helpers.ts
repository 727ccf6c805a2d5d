import { randomFillSync } from 'node:crypto';

/** Uniform values below q from the OS CSPRNG, by rejection sampling (no modulo bias). */
export function randomBelow(q: bigint, count: number): BigUint64Array {
  const out = new BigUint64Array(count);
  const bits = q.toString(2).length;
  const mask = (1n << BigInt(bits)) - 1n;
  let filled = 0;
  while (filled < count) {
    const view = randomFillSync(new BigUint64Array(count - filled + 16));
    for (const word of view) {
      const v = word & mask;
      if (v < q) out[filled++] = v;
      if (filled === count) break;
    }
  }
  return out;
}

export function toBigints(a: BigUint64Array): bigint[] {
  return Array.from(a);
}
