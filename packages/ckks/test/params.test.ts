import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SEALLibrary } from 'node-seal/implementation/seal.js';
import { CkksError } from '../src/errors.js';
import { CKKS_PRESETS, HE_STD_128_MAX_LOG_Q, modulusAtLevel, parseParams, presetParams } from '../src/params.js';
import { createCoeffModulus, getPrimes, isPrime } from '../src/primes.js';
import { sealContext, sealLib } from './helpers.js';

function code(fn: () => unknown): { code: string; field: string | undefined; message: string } {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CkksError, `expected CkksError, got ${String(e)}`);
    return { code: e.code, field: e.field, message: e.message };
  }
  assert.fail('expected a CkksError');
}

describe('parameters', () => {
  it('accepts the presets, all within the 128-bit bound', () => {
    for (const n of [8192, 16384, 32768] as const) {
      const p = presetParams(n);
      assert.equal(p.n, n);
      assert.equal(p.scaleBits, 40);
      assert.equal(p.scale, 2 ** 40);
      assert.equal(p.slotCount, n / 2);
      assert.ok(p.totalBits <= HE_STD_128_MAX_LOG_Q[n]!, `${n}: ${p.totalBits}`);
      assert.equal(p.coeffModulus.length, CKKS_PRESETS[n].coeffModulusBits.length);
      assert.equal(p.maxLevel, p.coeffModulus.length - 2);
      assert.equal(p.insecure, false);
    }
    assert.deepEqual(presetParams(8192).coeffModulusBits, [60, 40, 40, 60]);
    assert.equal(presetParams(16384).totalBits, 400);
    assert.equal(presetParams(32768).totalBits, 880);
  });

  it('has the HomomorphicEncryption.org 128-bit table', () => {
    assert.deepEqual({ ...HE_STD_128_MAX_LOG_Q }, { 1024: 27, 2048: 54, 4096: 109, 8192: 218, 16384: 438, 32768: 881 });
  });

  it('refuses a set over the bound unless insecure: true', () => {
    const weak = { n: 8192, coeffModulusBits: [60, 50, 50, 60], scaleBits: 40 }; // 220 > 218
    const r = code(() => parseParams(weak));
    assert.equal(r.code, 'INSECURE_PARAMETERS');
    assert.equal(r.field, 'coeffModulusBits');
    const p = parseParams({ ...weak, insecure: true });
    assert.equal(p.insecure, true);
    assert.equal(p.totalBits, 220);
    // exactly at the bound is fine
    assert.equal(parseParams({ n: 16384, coeffModulusBits: [60, 40, 40, 40, 40, 40, 40, 40, 40, 58], scaleBits: 40 }).totalBits, 438);
    assert.equal(code(() => parseParams({ n: 1024, coeffModulusBits: [20, 20], scaleBits: 19 })).code, 'INVALID_PARAMETERS');
    assert.equal(code(() => parseParams({ n: 1024, coeffModulusBits: [30, 30], scaleBits: 20 })).code, 'INSECURE_PARAMETERS');
  });

  it('names the field in validation errors', () => {
    const cases: [unknown, string][] = [
      [{ n: 1000, coeffModulusBits: [60, 60], scaleBits: 40 }, 'n'],
      [{ n: 8192, coeffModulusBits: [60, 19, 60], scaleBits: 40 }, 'coeffModulusBits.1'],
      [{ n: 8192, coeffModulusBits: [60, 61], scaleBits: 40 }, 'coeffModulusBits.1'],
      [{ n: 8192, coeffModulusBits: [60], scaleBits: 40 }, 'coeffModulusBits'],
      [{ n: 8192, coeffModulusBits: 'x', scaleBits: 40 }, 'coeffModulusBits'],
      [{ n: 8192, coeffModulusBits: [60, 40, 60], scaleBits: 40.5 }, 'scaleBits'],
      [{ n: 8192, coeffModulusBits: [60, 40, 60] }, 'scaleBits'],
      [{ n: 8192, coeffModulusBits: [40, 40, 60], scaleBits: 40 }, 'scaleBits'],
      [{ n: 8192, coeffModulusBits: [60, 40, 60], scaleBits: 40, insecure: 'yes' }, 'insecure'],
      [{ n: 8192, coeffModulusBits: [60, 40, 60], scaleBits: 40, extra: 1 }, '(root)'],
      [null, '(root)'],
    ];
    for (const [input, field] of cases) {
      const r = code(() => parseParams(input));
      assert.equal(r.code, 'INVALID_PARAMETERS', JSON.stringify(input));
      assert.equal(r.field, field, `${JSON.stringify(input)} -> ${r.message}`);
      assert.ok(r.message.includes(field === '(root)' ? '' : field), r.message);
    }
  });

  it('gives the moduli of each level', () => {
    const p = presetParams(8192);
    assert.deepEqual(modulusAtLevel(p, 0), [p.coeffModulus[0]]);
    assert.equal(modulusAtLevel(p, 2).length, 3);
    assert.throws(() => modulusAtLevel(p, 3), CkksError);
  });
});

describe('prime generation', () => {
  let seal: SEALLibrary;
  before(async () => {
    seal = await sealLib();
  });
  after(() => undefined);

  it('Miller-Rabin agrees with trial division on small numbers and known 64-bit values', () => {
    const sieve = new Uint8Array(5000).fill(1);
    sieve[0] = sieve[1] = 0;
    for (let i = 2; i * i < 5000; i++) if (sieve[i]) for (let j = i * i; j < 5000; j += i) sieve[j] = 0;
    for (let i = 0; i < 5000; i++) assert.equal(isPrime(BigInt(i)), sieve[i] === 1, String(i));
    assert.equal(isPrime(1152921504606846883n), true); // 2^60 - 93
    assert.equal(isPrime(3215031751n), false); // strong pseudoprime to bases 2, 3, 5, 7
    assert.equal(isPrime(3825123056546413051n), false); // strong pseudoprime to bases up to 23
    assert.equal(isPrime(18446744073709551557n), true); // largest 64-bit prime
  });

  it('getPrimes returns descending primes ≡ 1 mod 2N', () => {
    const ps = getPrimes(16384n, 40, 5);
    assert.equal(ps.length, 5);
    for (let i = 0; i < ps.length; i++) {
      assert.equal(ps[i]! % 16384n, 1n);
      assert.ok(ps[i]! < 1n << 40n && ps[i]! > 1n << 39n);
      if (i > 0) assert.ok(ps[i]! < ps[i - 1]!);
    }
  });

  it("equals node-seal's CoeffModulus.Create", () => {
    const cases: [number, number[]][] = [
      [8192, [60, 40, 40, 60]],
      [16384, [...CKKS_PRESETS[16384].coeffModulusBits]],
      [32768, [...CKKS_PRESETS[32768].coeffModulusBits]],
      [4096, [36, 36, 37]],
      [1024, [20, 30, 20, 30, 25]],
      [2048, [60, 60, 60]],
      [8192, [50, 30, 50, 30, 50, 20]],
      [32768, [60, 50, 40, 30, 20, 60, 50]],
    ];
    for (const [n, bits] of cases) {
      const v = seal.CoeffModulus.Create(n, Int32Array.from(bits));
      const theirs = [...(v.toArray() as BigUint64Array)];
      v.delete();
      assert.deepEqual(createCoeffModulus(n, bits), theirs, `n=${n} bits=${bits.join(',')}`);
    }
  });

  it('SEAL accepts every preset as a 128-bit context', () => {
    // Without the modulus-switching chain: node-seal needs ~17 s to expand the 32768 chain.
    for (const n of [8192, 16384, 32768] as const) {
      const ctx = sealContext(seal, presetParams(n), false);
      assert.equal(ctx.parametersSet(), true, n.toString());
      ctx.delete();
    }
  });

  it('refuses impossible requests with a typed error', () => {
    assert.equal(code(() => createCoeffModulus(1000, [40])).code, 'INVALID_PARAMETERS');
    assert.equal(code(() => createCoeffModulus(8192, [61])).field, 'coeffModulusBits.0');
    assert.equal(code(() => createCoeffModulus(32768, Array<number>(200).fill(20))).code, 'INVALID_PARAMETERS'); // too few 20-bit primes ≡ 1 mod 65536
  });
});
