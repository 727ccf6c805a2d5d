import { test } from 'node:test';
import assert from 'node:assert/strict';

import { WORD_ALIGNMENT, alignedWords } from '@hlp/kernels';

import { CkksError, decryptValues, encryptValues, type CiphertextHandle, type PlaintextHandle } from '../src/index.js';
import { NativeBackend } from '../src/native/index.js';
import type { NativeCiphertext, NativePlaintext } from '../src/native/handles.js';
import { ResultPool, pooledCapacity } from '../src/native/result-pool.js';
import { presetParams } from '../src/params.js';
import { createSealBackend } from '../src/seal/index.js';

test('ResultPool: exact sizes only, whole buffers only, bounded in bytes', () => {
  const pool = new ResultPool(3 * 8 * 100);
  assert.equal(pool.take(100), undefined);
  const a = new BigUint64Array(100);
  const b = new BigUint64Array(100);
  pool.give(a);
  pool.give(b);
  assert.equal(pool.bytes, 1600);
  assert.equal(pool.take(99), undefined, 'another size is never handed out');
  const batch = new BigUint64Array(300);
  pool.give(batch.subarray(100, 200));
  assert.equal(pool.bytes, 1600, 'a view of a larger buffer is not kept');
  pool.give(new BigUint64Array(200));
  assert.equal(pool.bytes, 1600, 'past the bound nothing more is kept');
  assert.equal(pool.take(100), b);
  assert.equal(pool.take(100), a);
  assert.equal(pool.take(100), undefined);
  assert.equal(pool.bytes, 0);
});

test('ResultPool: keeps cache-line aligned arrays, whose buffer holds their padding', () => {
  const pool = new ResultPool(1 << 20);
  const aligned = alignedWords(100);
  assert.ok(aligned.buffer.byteLength > aligned.byteLength, 'the native allocation pads the array');
  pool.give(aligned);
  assert.equal(pool.take(100), aligned);
  const padded = new BigUint64Array(new ArrayBuffer(8 * 100 + WORD_ALIGNMENT + 8), 0, 100);
  pool.give(padded);
  assert.equal(pool.take(100), undefined, "more than an alignment of slack is another buffer's memory");
});

test('ResultPool.takeAtLeast: the smallest buffer held within [length, maxLength]', () => {
  const pool = new ResultPool<Float64Array>(1 << 20);
  const small = new Float64Array(100);
  const mid = new Float64Array(150);
  const big = new Float64Array(400);
  for (const b of [big, mid, small]) pool.give(b);
  assert.equal(pool.takeAtLeast(101), mid, 'the best fit, not the first or the largest');
  assert.equal(pool.takeAtLeast(101), undefined, 'the 400 is more than twice 101: not handed out');
  assert.equal(pool.takeAtLeast(101, 400), big, 'unless the caller allows it');
  assert.equal(pool.takeAtLeast(100), small, 'an exact size fits');
  assert.equal(pool.bytes, 0);
});

test('ResultPool evictOldest: past the bound the oldest buffers make room; without it the newcomer is dropped', () => {
  const bytes = 8 * 100;
  const keep = new ResultPool(3 * bytes);
  const evict = new ResultPool(3 * bytes, { evictOldest: true });
  const bufs = Array.from({ length: 4 }, () => new BigUint64Array(100));
  for (const b of bufs) {
    keep.give(b);
    evict.give(b);
  }
  assert.equal(keep.bytes, 3 * bytes);
  assert.equal(evict.bytes, 3 * bytes);
  const kept = [keep.take(100), keep.take(100), keep.take(100)];
  const evicted = [evict.take(100), evict.take(100), evict.take(100)];
  assert.ok(!kept.includes(bufs[3]) && kept.includes(bufs[0]), 'the default keeps the first three');
  assert.ok(evicted.includes(bufs[3]) && !evicted.includes(bufs[0]), 'evictOldest keeps the last three');
  // A larger newcomer evicts as many of the oldest as it needs, and one past the bound is never kept.
  for (const b of bufs.slice(0, 3)) evict.give(b);
  const two = new BigUint64Array(200);
  evict.give(two);
  assert.equal(evict.bytes, 3 * bytes);
  assert.equal(evict.take(100), bufs[2], 'the newest of the three stays');
  assert.equal(evict.take(200), two);
  evict.give(bufs[0]!);
  evict.give(new BigUint64Array(400));
  assert.equal(evict.bytes, bytes, 'a buffer larger than the whole bound is not kept, and evicts nothing');
  evict.give(two);
  evict.give(two);
  assert.equal(evict.bytes, 3 * bytes, 'a buffer given twice is held once');
});

test('pooledCapacity: rounded up to a quarter octave, never below the length, at most 25 % above', () => {
  assert.deepEqual([1, 4, 5, 8, 9, 10, 11, 12, 13, 16, 17].map(pooledCapacity), [1, 4, 5, 8, 10, 10, 12, 12, 14, 16, 20]);
  for (let n = 1; n < 5000; n += 7) {
    const c = pooledCapacity(n);
    assert.ok(c >= n && c <= 1.25 * n && Number.isInteger(c), `${n} -> ${c}`);
  }
});

async function backend(resultPoolBytes?: number): Promise<NativeBackend> {
  const params = presetParams(8192);
  const seal = await createSealBackend(params);
  const native = new NativeBackend(params, seal, resultPoolBytes === undefined ? {} : { resultPoolBytes });
  native.generateKeys({ relin: true, galoisSteps: [1, -1, 4] });
  return native;
}

function values(count: number, offset: number): Float64Array {
  return Float64Array.from({ length: count }, (_, i) => Math.sin(i + offset) / 2);
}

test('native backend: disposed ciphertexts become later results, and those results are right', async () => {
  const be = await backend();
  try {
    const x = values(be.slotCount, 1);
    const y = values(be.slotCount, 2);
    const a = encryptValues(be, x);
    const b = encryptValues(be, y);
    const p = be.encode(y, { scale: Number(be.params.coeffModulus[be.params.maxLevel]) });
    const start = be.pooledResultBytes;
    be.add(a, b).dispose();
    const held = be.pooledResultBytes;
    assert.ok(held > start, 'a disposed sum is kept');
    // Every kind of evaluation takes its result from the pool and computes all of it.
    const checks: [string, () => ReturnType<typeof be.add>, (i: number) => number][] = [
      ['add', () => be.add(a, b), (i) => x[i]! + y[i]!],
      ['sub', () => be.sub(a, b), (i) => x[i]! - y[i]!],
      ['negate', () => be.negate(a), (i) => -x[i]!],
      ['rotate', () => be.rotate(a, 1), (i) => x[(i + 1) % be.slotCount]!],
      ['rotate by 3 (composed: 4, then -1)', () => be.rotate(a, 3), (i) => x[(i + 3) % be.slotCount]!],
      ['rescale(multiplyPlain)', () => be.rescaleToNext(be.multiplyPlain(a, p)), (i) => x[i]! * y[i]!],
      ['multiplyRelinRescale', () => be.multiplyRelinRescale(a, b), (i) => x[i]! * y[i]!],
      ['multiplyPlainRescale', () => be.multiplyPlainRescale(a, p), (i) => x[i]! * y[i]!],
    ];
    for (const [what, op, expected] of checks) {
      // Fill the pool with the words of an unrelated result, then compute into it.
      be.add(b, b).dispose();
      const r = op();
      const got = decryptValues(be, r);
      let worst = 0;
      for (let i = 0; i < be.slotCount; i++) worst = Math.max(worst, Math.abs(got[i]! - expected(i)));
      assert.ok(worst < 1e-5, `${what}: max error ${worst}`);
      r.dispose();
    }
    const many = be.rotateMany(a, [1, 4]);
    assert.ok(Math.abs(decryptValues(be, many[1]!)[0]! - x[4]!) < 1e-5, 'hoisted results');
    for (const h of many) h.dispose();
    assert.ok(be.pooledResultBytes >= held);
  } finally {
    be.dispose();
  }
});

test('native backend: public-key and seeded encryptions write into pooled words, and decrypt right', async () => {
  const be = await backend();
  try {
    const x = values(be.slotCount, 5);
    const words = (h: CiphertextHandle): BigUint64Array => (h as NativeCiphertext).data();
    for (const [what, encrypt] of [
      ['public key', (p: PlaintextHandle) => be.encrypt(p)],
      ['secret key, seeded', (p: PlaintextHandle) => be.encryptSymmetric(p)],
    ] as const) {
      // The pool holds an unrelated ciphertext's words: the encryption must overwrite all of them.
      const unrelated = encryptValues(be, values(be.slotCount, 11));
      const unrelatedWords = words(unrelated);
      unrelated.dispose();
      const plain = be.encode(x);
      const ct = encrypt(plain);
      plain.dispose();
      assert.equal(words(ct), unrelatedWords, `${what}: the encryption wrote into the pooled words`);
      for (const [how, h] of [
        ['in memory', ct],
        ['serialized', be.deserialize(ct.serialize())],
      ] as const) {
        const got = decryptValues(be, h);
        let worst = 0;
        for (let i = 0; i < be.slotCount; i++) worst = Math.max(worst, Math.abs(got[i]! - x[i]!));
        assert.ok(worst < 1e-5, `${what}, ${how}: max error ${worst}`);
        h.dispose();
      }
    }
  } finally {
    be.dispose();
  }
});

test('native backend: a disposed plaintext becomes a later decryption, which decrypts right; compact ones are not kept', async () => {
  const be = await backend();
  try {
    const x = values(be.slotCount, 3);
    const a = encryptValues(be, x);
    const heldWords = (h: PlaintextHandle): BigUint64Array => (h as NativePlaintext).held();
    const first = be.decrypt(a);
    const firstWords = heldWords(first);
    const before = be.pooledResultBytes;
    first.dispose();
    assert.equal(be.pooledResultBytes, before + firstWords.byteLength, 'a disposed plaintext is kept');
    // The pool now holds another plaintext's words: the next decryption must overwrite all of them.
    const other = encryptValues(be, values(be.slotCount, 9));
    const unrelated = be.decrypt(other);
    const unrelatedWords = heldWords(unrelated);
    unrelated.dispose();
    const again = be.decrypt(a);
    assert.equal(heldWords(again), unrelatedWords, 'the decryption wrote into the pooled words');
    const got = be.decode(again);
    let worst = 0;
    for (let i = 0; i < be.slotCount; i++) worst = Math.max(worst, Math.abs(got[i]! - x[i]!));
    assert.ok(worst < 1e-6, `max error ${worst}`);
    again.dispose();
    const y = values(be.slotCount, 4);
    const encoded = be.encode(y);
    assert.equal(heldWords(encoded), unrelatedWords, 'an encoding writes into the pooled words too');
    const decoded = be.decode(encoded);
    for (let i = 0; i < be.slotCount; i++) assert.ok(Math.abs(decoded[i]! - y[i]!) < 1e-6, `slot ${i}`);
    encoded.dispose();
    const pooled = be.pooledResultBytes;
    const compact = be.encode(
      Float64Array.from({ length: be.slotCount }, (_, i) => i % 4),
      { compact: true },
    );
    assert.ok((compact as NativePlaintext).repeat > 1);
    compact.dispose();
    assert.equal(be.pooledResultBytes, pooled, 'compact words are not a result size: not kept');
    a.dispose();
    other.dispose();
  } finally {
    be.dispose();
  }
});

test('native backend: a ciphertext whose bytes went out as views is never reused', async () => {
  const be = await backend();
  try {
    const a = encryptValues(be, values(be.slotCount, 3));
    const b = encryptValues(be, values(be.slotCount, 4));
    const sum = be.add(a, b);
    const parts = sum.serializeParts();
    const before = parts.map((part) => part.slice());
    sum.dispose();
    for (let i = 0; i < 4; i++) be.add(b, b).dispose();
    parts.forEach((part, i) => assert.deepEqual(part, before[i], `part ${i} unchanged after later operations`));
  } finally {
    be.dispose();
  }
});

test('native backend: deserialized ciphertexts (seeded and full) take pooled buffers and overwrite all of them', async () => {
  const be = await backend();
  try {
    const x = values(be.slotCount, 6);
    const pt = be.encode(x);
    const seeded = be.encryptSymmetric(pt);
    const full = be.encrypt(pt);
    pt.dispose();
    for (const [what, ct] of [
      ['seeded', seeded],
      ['full', full],
    ] as const) {
      const bytes = ct.serialize();
      // a result of the same size, full of other values, waits in the pool
      be.add(full, full).dispose();
      const held = be.pooledResultBytes;
      const back = be.deserialize(bytes);
      assert.ok(be.pooledResultBytes < held, `${what}: the pooled buffer was taken`);
      const got = decryptValues(be, back);
      for (let i = 0; i < 64; i++) assert.ok(Math.abs(got[i]! - x[i]!) < 1e-5, `${what}, slot ${i}: ${got[i]} vs ${x[i]}`);
      back.dispose();
    }
  } finally {
    be.dispose();
  }
});

test('native backend: trimResultPool lets the held buffers go, and results stay right after it', async () => {
  const be = await backend();
  try {
    const x = values(be.slotCount, 3);
    const a = encryptValues(be, x);
    const first = be.add(a, a);
    const firstWords = (first as unknown as { data(): BigUint64Array }).data();
    first.dispose();
    assert.ok(be.pooledResultBytes > 0);
    be.trimResultPool();
    assert.equal(be.pooledResultBytes, 0);
    const sum = be.add(a, a);
    assert.notEqual((sum as unknown as { data(): BigUint64Array }).data(), firstWords, 'the trimmed buffer is not handed out again');
    const got = decryptValues(be, sum);
    for (let i = 0; i < 64; i++) assert.ok(Math.abs(got[i]! - 2 * x[i]!) < 1e-5, `slot ${i}`);
    sum.dispose();
    assert.ok(be.pooledResultBytes > 0, 'the pool fills again');
  } finally {
    be.dispose();
  }
});

test('native backend: resultPoolBytes 0 keeps nothing; a bad value is a typed error', async () => {
  const be = await backend(0);
  try {
    const a = encryptValues(be, values(16, 5));
    be.add(a, a).dispose();
    assert.equal(be.pooledResultBytes, 0);
  } finally {
    be.dispose();
  }
  const params = presetParams(8192);
  for (const bad of [-1, 1.5, Number.NaN]) {
    const seal = await createSealBackend(params);
    assert.throws(
      () => new NativeBackend(params, seal, { resultPoolBytes: bad }),
      (e: unknown) => e instanceof CkksError && e.code === 'INVALID_ARGUMENT',
      String(bad),
    );
    seal.dispose();
  }
});

test('native backend: a pool full of one size makes room for the sizes in use now (the oldest buffers go)', async () => {
  const topWords = 2 * 3 * 8192;
  const be = await backend(2 * 8 * topWords); // room for two top-level results
  const words = (h: unknown): BigUint64Array => (h as { data(): BigUint64Array }).data();
  try {
    const a = encryptValues(be, values(16, 7));
    const sums = [be.add(a, a), be.add(a, a), be.add(a, a)];
    for (const s of sums) s.dispose();
    assert.equal(be.pooledResultBytes, 2 * 8 * topWords, 'full of top-level buffers');
    const lower = be.modSwitchToNext(a);
    const lowerSum = be.add(lower, lower);
    const lowerWords = words(lowerSum);
    lowerSum.dispose();
    assert.ok(be.pooledResultBytes <= 2 * 8 * topWords);
    // the lower level's buffer was kept (an old top-level one went), and serves its next result
    const again = be.add(lower, lower);
    assert.equal(words(again), lowerWords);
    for (const h of [again, lower, a]) h.dispose();
  } finally {
    be.dispose();
  }
});
