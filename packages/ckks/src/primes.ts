/**
 * NTT-friendly prime generation, bit-for-bit the same as SEAL 4.1's `CoeffModulus::Create`.
 *
 * SEAL (native/src/seal/modulus.cpp, util/numth.cpp `get_primes`):
 * - for every distinct bit size b it collects the `count(b)` largest primes p with
 *   2^(b-1) < p < 2^b and p ≡ 1 (mod 2N), scanning downwards from
 *   floor((2^b - 1) / 2N) * 2N + 1 in steps of 2N (so the list is in descending order);
 * - then, walking `bitSizes` in order, it takes the LAST remaining entry of that bit
 *   size's list (pop_back). With [60, 40, 40, 60] the first 60-bit slot therefore gets
 *   the second-largest 60-bit prime and the last slot the largest one.
 */
import { CkksError } from './errors.js';

const MR_BASES = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n] as const;
const SMALL_PRIMES = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n] as const;

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

/**
 * Miller–Rabin with the first 12 prime bases: deterministic (exact) for every n < 3.3·10^24,
 * so in particular for all 64-bit integers. SEAL uses 40 random rounds; for the values in
 * question both answer identically.
 */
export function isPrime(n: bigint): boolean {
  if (n < 2n) return false;
  for (const p of SMALL_PRIMES) {
    if (n === p) return true;
    if (n % p === 0n) return false;
  }
  let d = n - 1n;
  let r = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    r++;
  }
  outer: for (const a of MR_BASES) {
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    for (let i = 1; i < r; i++) {
      x = (x * x) % n;
      if (x === n - 1n) continue outer;
    }
    return false;
  }
  return true;
}

/** SEAL's bounds on a user-chosen coefficient modulus bit size. */
export const SEAL_USER_MOD_BIT_COUNT_MIN = 2;
export const SEAL_USER_MOD_BIT_COUNT_MAX = 60;

function checkDegree(n: number): void {
  if (!Number.isInteger(n) || n < 2 || n > 131072 || (n & (n - 1)) !== 0) {
    throw new CkksError('INVALID_PARAMETERS', `poly modulus degree ${n} is not a power of two in [2, 131072]`, 'n');
  }
}

/**
 * The `count` largest primes p ≡ 1 (mod factor) with 2^(bitSize-1) < p < 2^bitSize,
 * in descending order (SEAL's `get_primes`).
 */
export function getPrimes(factor: bigint, bitSize: number, count: number): bigint[] {
  if (!Number.isInteger(bitSize) || bitSize < 2 || bitSize > 61) {
    throw new CkksError('INVALID_PARAMETERS', `bit size ${bitSize} outside [2, 61]`, 'coeffModulusBits');
  }
  const out: bigint[] = [];
  let value = (((1n << BigInt(bitSize)) - 1n) / factor) * factor + 1n;
  const lowerBound = 1n << BigInt(bitSize - 1);
  while (out.length < count && value > lowerBound) {
    if (isPrime(value)) out.push(value);
    value -= factor;
  }
  if (out.length < count) {
    throw new CkksError('INVALID_PARAMETERS', `only ${out.length} of ${count} primes of ${bitSize} bits are ≡ 1 mod ${factor}`, 'coeffModulusBits');
  }
  return out;
}

/** Exactly SEAL's `CoeffModulus::Create(n, bitSizes)`. */
export function createCoeffModulus(n: number, bitSizes: readonly number[]): bigint[] {
  checkDegree(n);
  if (bitSizes.length === 0 || bitSizes.length > 256) {
    throw new CkksError('INVALID_PARAMETERS', 'between 1 and 256 coefficient moduli are needed', 'coeffModulusBits');
  }
  bitSizes.forEach((b, i) => {
    if (!Number.isInteger(b) || b < SEAL_USER_MOD_BIT_COUNT_MIN || b > SEAL_USER_MOD_BIT_COUNT_MAX) {
      throw new CkksError(
        'INVALID_PARAMETERS',
        `coeffModulusBits[${i}] = ${b} outside [${SEAL_USER_MOD_BIT_COUNT_MIN}, ${SEAL_USER_MOD_BIT_COUNT_MAX}]`,
        `coeffModulusBits.${i}`,
      );
    }
  });
  const counts = new Map<number, number>();
  for (const b of bitSizes) counts.set(b, (counts.get(b) ?? 0) + 1);
  const factor = 2n * BigInt(n);
  const table = new Map<number, bigint[]>();
  for (const [b, c] of counts) table.set(b, getPrimes(factor, b, c));
  return bitSizes.map((b) => {
    const list = table.get(b);
    const p = list?.pop();
    if (p === undefined) throw new CkksError('INVALID_PARAMETERS', 'internal: prime table exhausted', 'coeffModulusBits');
    return p;
  });
}
