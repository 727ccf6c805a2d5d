import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { Blake2b, blake2b, blake2xb } from '../src/blake2b.js';
import { SealPrng, samplePolyUniform } from '../src/seal-prng.js';
import { hex } from './helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('BLAKE2b', () => {
  it('matches node:crypto blake2b512 for lengths 0..300', () => {
    const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 7 + 3) & 0xff);
    for (let len = 0; len <= 300; len++) {
      const m = data.subarray(0, len);
      assert.equal(hex(blake2b(m)), createHash('blake2b512').update(m).digest('hex'), `len ${len}`);
    }
  });

  it('gives the known BLAKE2b-256 and keyed digests', () => {
    assert.equal(hex(blake2b(enc('abc'), 32)), 'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319');
    assert.equal(hex(blake2b(new Uint8Array(0), 32)), '0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8');
    // RFC 7693 Appendix A
    assert.equal(
      hex(blake2b(enc('abc'))),
      'ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923',
    );
    // keyed, 20-byte digest (cross-checked with Python's hashlib.blake2b)
    assert.equal(hex(blake2b(enc('abc'.repeat(100)), 20, new Uint8Array(64).fill(107))), '22e06100b17235c4aee750e170735ad940fd912c');
  });

  it('hashes incrementally the same as in one go', () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    const h = new Blake2b({ digestLength: 32 });
    for (let off = 0; off < data.length; off += 77) h.update(data.subarray(off, off + 77));
    assert.deepEqual(h.digest(), blake2b(data, 32));
  });

  it('BLAKE2Xb: prefix property does not hold (the length is hashed), blocks are 64 bytes', () => {
    const key = new Uint8Array(64).fill(1);
    const a = blake2xb(4096, new Uint8Array(8), key);
    const b = blake2xb(100, new Uint8Array(8), key);
    assert.equal(a.length, 4096);
    assert.notDeepEqual(a.subarray(0, 100), b);
    assert.throws(() => blake2xb(0, new Uint8Array(0)), RangeError);
  });

  it('SealPrng streams across refills and samples below the moduli', () => {
    const seed = Uint8Array.from({ length: 64 }, (_, i) => i);
    const p1 = new SealPrng('blake2xb', seed);
    const whole = new Uint8Array(10000);
    p1.generate(whole);
    const p2 = new SealPrng('blake2xb', seed);
    const parts = new Uint8Array(10000);
    for (let off = 0; off < 10000; off += 999) p2.generate(parts.subarray(off, Math.min(10000, off + 999)));
    assert.deepEqual(parts, whole);
    // first 4096 bytes are blake2xb(4096, counter 0, key = seed)
    assert.deepEqual(whole.subarray(0, 4096), blake2xb(4096, new Uint8Array(8), seed));
    const q = [1152921504606748673n, 1099510890497n];
    const poly = samplePolyUniform(new SealPrng('shake256', seed), 1024, q);
    assert.equal(poly.length, 2048);
    for (let i = 0; i < 2048; i++) assert.ok(poly[i]! < q[i >> 10]!);
  });

  it('SHAKE256 stream: block k is shake256(seed ‖ k as u64 LE, 4096 bytes), across refills and in pieces', () => {
    const seed = Uint8Array.from({ length: 64 }, (_, i) => (i * 13 + 5) & 0xff);
    const whole = new Uint8Array(3 * 4096 + 100);
    new SealPrng('shake256', seed).generate(whole);
    for (let k = 0; k < 4; k++) {
      const input = new Uint8Array(72);
      input.set(seed);
      new DataView(input.buffer).setBigUint64(64, BigInt(k), true);
      const block = createHash('shake256', { outputLength: 4096 }).update(input).digest();
      const at = k * 4096;
      assert.deepEqual(
        whole.subarray(at, Math.min(whole.length, at + 4096)),
        new Uint8Array(block.subarray(0, Math.min(4096, whole.length - at))),
        `block ${k}`,
      );
    }
    const parts = new Uint8Array(whole.length);
    const p = new SealPrng('shake256', seed);
    for (let off = 0; off < parts.length; off += 1000) p.generate(parts.subarray(off, Math.min(parts.length, off + 1000)));
    assert.deepEqual(parts, whole);
  });
});
