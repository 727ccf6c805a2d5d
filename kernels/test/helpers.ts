import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';

import { KernelError, generateNttPrimes } from '../src/index.js';

/** `count` bytes of the OS CSPRNG (standing in for the seeded streams the callers use). */
export function bytes(count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let off = 0; off < count; off += 65536) randomFillSync(out, off, Math.min(65536, count - off));
  return out;
}

export function maxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Asserts that `fn` throws a KernelError with this code. */
export function expectCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof KernelError, `expected KernelError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

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

/**
 * CPU time the main thread (the event loop) has used so far, in clock ticks, from
 * /proc/self/task/<pid>/stat (utime + stime). The "async leaves the event loop free" tests
 * compare this CPU time, not wall time or timer ticks: a busy machine can deschedule the main
 * thread for the whole of an async call, but it cannot make the loop's thread burn the work's
 * CPU unless the work really ran there.
 */
export function mainThreadCpuTicks(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  // Fields after the parenthesised command name (which may itself contain spaces).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat, i.e. 11 and 12 after "pid (comm) ".
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * Main-thread CPU ticks of `rounds` runs of `run` where `rounds` is chosen so that running `sync`
 * that often costs the main thread at least `minTicks` ticks; returns both costs.
 */
export async function mainThreadCost(
  sync: () => void,
  run: () => Promise<unknown>,
  minTicks = 8,
): Promise<{ readonly syncTicks: number; readonly asyncTicks: number; readonly rounds: number }> {
  let rounds = 0;
  const start = mainThreadCpuTicks();
  while (mainThreadCpuTicks() - start < minTicks) {
    sync();
    rounds++;
  }
  const syncTicks = mainThreadCpuTicks() - start;
  const asyncStart = mainThreadCpuTicks();
  for (let r = 0; r < rounds; r++) await run();
  return { syncTicks, asyncTicks: mainThreadCpuTicks() - asyncStart, rounds };
}

/** The preset's chain shape at ring degree n: {60, 40, 40, 60} bits, the last the special prime. */
export function presetModuli(n: number): bigint[] {
  const [q60a, q60b] = generateNttPrimes(60, n, 2);
  const [q40a, q40b] = generateNttPrimes(40, n, 2);
  return [q60b!, q40b!, q40a!, q60a!];
}
