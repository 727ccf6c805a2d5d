/**
 * BigInt reference arithmetic: slow, obviously correct, and independent of the native
 * code, so the kernels are checked against the mathematics rather than against
 * themselves. Used by the tests; never on a hot path.
 */

export function modPow(base: bigint, exponent: bigint, q: bigint): bigint {
  let result = 1n % q;
  let b = ((base % q) + q) % q;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % q;
    b = (b * b) % q;
    e >>= 1n;
  }
  return result;
}

export function modInverse(a: bigint, q: bigint): bigint {
  return modPow(a, q - 2n, q);
}

/** Deterministic Miller-Rabin for every n < 2^64 (first twelve primes as bases). */
export function isPrimeReference(n: bigint): boolean {
  if (n < 2n) return false;
  const bases = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n];
  for (const p of bases) {
    if (n === p) return true;
    if (n % p === 0n) return false;
  }
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s += 1;
  }
  outer: for (const a of bases) {
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    for (let r = 1; r < s; r++) {
      x = (x * x) % n;
      if (x === n - 1n) continue outer;
    }
    return false;
  }
  return true;
}

export function bitReverse(value: number, bits: number): number {
  let r = 0;
  let v = value;
  for (let i = 0; i < bits; i++) {
    r = (r << 1) | (v & 1);
    v >>>= 1;
  }
  return r >>> 0;
}

/** The smallest primitive `order`-th root of unity mod prime q, by exhaustive search of odd powers. */
export function minimalPrimitiveRootReference(q: bigint, order: bigint): bigint {
  const cofactor = (q - 1n) / order;
  let generator = 0n;
  for (let x = 2n; x < q; x++) {
    const candidate = modPow(x, cofactor, q);
    if (modPow(candidate, order / 2n, q) === q - 1n) {
      generator = candidate;
      break;
    }
  }
  let smallest = generator;
  const square = (generator * generator) % q;
  let current = generator;
  for (let k = 1n; k < order / 2n; k++) {
    current = (current * square) % q;
    if (current < smallest) smallest = current;
  }
  return smallest;
}

/**
 * The forward transform's definition, term by term (O(n^2)):
 * out[j] = sum_i a[i] * psi^((2*bitrev(j)+1)*i) mod q.
 */
export function nttDefinition(a: readonly bigint[], q: bigint, psi: bigint): bigint[] {
  const n = a.length;
  const logN = Math.log2(n);
  const out: bigint[] = [];
  for (let j = 0; j < n; j++) {
    const step = modPow(psi, BigInt(2 * bitReverse(j, logN) + 1), q);
    let acc = 0n;
    let w = 1n;
    for (let i = 0; i < n; i++) {
      acc += a[i]! * w;
      w = (w * step) % q;
    }
    out.push(acc % q);
  }
  return out;
}

/** The same transform in O(n log n): textbook Cooley-Tukey with full reduction at every step. */
export function nttForwardReference(a: readonly bigint[], q: bigint, psi: bigint): bigint[] {
  const n = a.length;
  const logN = Math.log2(n);
  const roots: bigint[] = new Array<bigint>(n);
  let power = 1n;
  for (let k = 0; k < n; k++) {
    roots[bitReverse(k, logN)] = power;
    power = (power * psi) % q;
  }
  const x = [...a];
  for (let m = 1, gap = n >> 1; m < n; m <<= 1, gap >>= 1) {
    for (let i = 0; i < m; i++) {
      const w = roots[m + i]!;
      const base = 2 * i * gap;
      for (let j = base; j < base + gap; j++) {
        const u = x[j]!;
        const v = (x[j + gap]! * w) % q;
        x[j] = (u + v) % q;
        x[j + gap] = (u - v + q) % q;
      }
    }
  }
  return x;
}

/** Inverse of nttForwardReference (bit-reversed in, natural out, scaled by n^-1). */
export function nttInverseReference(a: readonly bigint[], q: bigint, psi: bigint): bigint[] {
  const n = a.length;
  const logN = Math.log2(n);
  const psiInv = modInverse(psi, q);
  const roots: bigint[] = new Array<bigint>(n);
  let power = 1n;
  for (let k = 0; k < n; k++) {
    roots[bitReverse(k, logN)] = power;
    power = (power * psiInv) % q;
  }
  const x = [...a];
  for (let m = n >> 1, gap = 1; m >= 1; m >>= 1, gap <<= 1) {
    for (let i = 0; i < m; i++) {
      const w = roots[m + i]!;
      const base = 2 * i * gap;
      for (let j = base; j < base + gap; j++) {
        const u = x[j]!;
        const v = x[j + gap]!;
        x[j] = (u + v) % q;
        x[j + gap] = (((u - v + q) % q) * w) % q;
      }
    }
  }
  const nInv = modInverse(BigInt(n), q);
  return x.map((v) => (v * nInv) % q);
}
