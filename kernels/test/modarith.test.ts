import { test } from 'node:test';
import assert from 'node:assert/strict';

import { generateNttPrimes, invMod, isPrime, minimalPrimitiveRoot, mulModBarrett, mulModShoup, powMod } from '../src/index.js';
import { isPrimeReference, minimalPrimitiveRootReference, modInverse, modPow } from '../src/reference.js';
import { randomBelow } from './helpers.js';

const BIT_SIZES = [30, 36, 40, 45, 49, 50, 52, 55, 59, 60];

test('generated primes have the asked size, are prime and are 1 mod 2n', () => {
  for (const n of [1024, 8192, 32768]) {
    for (const bits of BIT_SIZES) {
      const primes = generateNttPrimes(bits, n, 3);
      assert.equal(primes.length, 3);
      assert.equal(new Set(primes).size, 3, 'distinct');
      for (const q of primes) {
        assert.equal(q.toString(2).length, bits, `${q} has ${bits} bits`);
        assert.equal((q - 1n) % BigInt(2 * n), 0n);
        assert.ok(isPrimeReference(q), `${q} is prime`);
      }
      assert.ok(primes[0]! > primes[1]! && primes[1]! > primes[2]!, 'largest first');
    }
  }
});

test('Barrett and Shoup multiplication agree with BigInt for every prime size, edges included', () => {
  for (const bits of BIT_SIZES) {
    const q = generateNttPrimes(bits, 4096, 1)[0]!;
    const a = randomBelow(q, 300);
    const b = randomBelow(q, 300);
    const edges: Array<[bigint, bigint]> = [
      [0n, 0n],
      [0n, q - 1n],
      [q - 1n, q - 1n],
      [1n, q - 1n],
      [q - 1n, 2n],
    ];
    for (let i = 0; i < a.length; i++) edges.push([a[i]!, b[i]!]);
    for (const [x, y] of edges) {
      const expect = (x * y) % q;
      assert.equal(mulModBarrett(x, y, q), expect, `barrett ${x}*${y} mod ${q}`);
      assert.equal(mulModShoup(x, y, q), expect, `shoup ${x}*${y} mod ${q}`);
    }
    assert.equal(powMod(3n, q - 1n, q), 1n, 'Fermat');
    assert.equal(powMod(a[0]!, 12345n, q), modPow(a[0]!, 12345n, q));
    assert.equal(invMod(a[1]! === 0n ? 1n : a[1]!, q), modInverse(a[1]! === 0n ? 1n : a[1]!, q));
  }
});

test('primality matches the BigInt reference on primes, composites and strong pseudoprimes', () => {
  const cases = [
    0n,
    1n,
    2n,
    3n,
    4n,
    561n,
    3215031751n,
    2152302898747n,
    3474749660383n,
    341550071728321n,
    3825123056546413051n,
    18446744073709551557n,
    18446744073709551615n,
    (1n << 61n) - 1n,
  ];
  const q = generateNttPrimes(50, 8192, 1)[0]!;
  cases.push(q, q + 2n, q + 2n * 8192n);
  for (const c of cases) assert.equal(isPrime(c), isPrimeReference(c), String(c));
});

test('minimal primitive 2n-th root matches an exhaustive BigInt search', () => {
  for (const n of [16, 256, 1024]) {
    for (const bits of [30, 50, 60]) {
      const q = generateNttPrimes(bits, n, 1)[0]!;
      const psi = minimalPrimitiveRoot(q, 2 * n);
      assert.equal(modPow(psi, BigInt(n), q), q - 1n, 'psi^n = -1');
      assert.equal(psi, minimalPrimitiveRootReference(q, BigInt(2 * n)));
    }
  }
});
