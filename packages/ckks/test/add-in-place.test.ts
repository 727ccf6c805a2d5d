import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { CkksError, decryptValues, encryptValues, type CiphertextHandle, type CkksBackend } from '../src/index.js';
import { NativeBackend } from '../src/native/index.js';
import { presetParams } from '../src/params.js';
import { createSealBackend, type SealBackend } from '../src/seal/index.js';
import { rng } from './helpers.js';

function values(count: number, seed: number): Float64Array {
  const next = rng(seed);
  return Float64Array.from({ length: count }, () => next() * 2 - 1);
}

const isCode = (code: string) => (e: unknown) => e instanceof CkksError && e.code === code;

describe('addInPlace', { timeout: 120_000 }, () => {
  let seal: SealBackend;
  let native: NativeBackend;
  let slots: number;

  before(async () => {
    seal = await createSealBackend(presetParams(8192));
    native = new NativeBackend(presetParams(8192), seal);
    native.generateKeys({ relin: false });
    slots = native.slotCount;
  });
  after(() => native?.dispose());

  it('native: the same words as add, in the accumulator’s own handle and memory, for sizes 2 += 2, 3 += 2 and a += a', () => {
    const x = values(slots, 1);
    const y = values(slots, 2);
    const a = encryptValues(native, x);
    const b = encryptValues(native, y);
    const product = native.multiply(a, b);
    // 3 += 2 with a size-2 term at the product's scale
    const cases: [CiphertextHandle, CiphertextHandle][] = [
      [a, b],
      [product, native.multiplyPlain(b, native.encode(y))],
      [a, a],
    ];
    for (const [acc, term] of cases) {
      const expected = native.add(acc, term).serialize();
      native.addInPlace(acc, term);
      assert.deepEqual(acc.serialize(), expected);
    }
    // and it decrypts to the sum (a was doubled by a += a after a += b)
    const got = decryptValues(native, a);
    for (let i = 0; i < slots; i += 97) assert.ok(Math.abs(got[i]! - 2 * (x[i]! + y[i]!)) < 1e-5, `slot ${i}`);
  });

  it('seal: decrypts to the sum, in the same handle', () => {
    const x = values(slots, 3);
    const y = values(slots, 4);
    const a = encryptValues(seal, x);
    const b = encryptValues(seal, y);
    seal.addInPlace(a, b);
    assert.equal(a.size, 2);
    const got = decryptValues(seal, a);
    for (let i = 0; i < slots; i += 97) assert.ok(Math.abs(got[i]! - (x[i]! + y[i]!)) < 1e-5, `slot ${i}`);
  });

  for (const name of ['native', 'seal'] as const) {
    it(`${name}: refuses what it cannot hold or must not change, with typed errors, and leaves the accumulator as it was`, () => {
      const be: CkksBackend = name === 'native' ? native : seal;
      const a = encryptValues(be, values(slots, 5));
      const b = encryptValues(be, values(slots, 6));
      const before = a.serialize();
      const big = be.multiply(a, b);
      assert.throws(() => be.addInPlace(a, big), isCode('INVALID_ARGUMENT'), 'size 2 += size 3');
      const seeded = encryptValues(be, values(slots, 7), { symmetric: true });
      assert.equal(seeded.seeded, true);
      assert.throws(() => be.addInPlace(seeded, b), isCode('INVALID_ARGUMENT'), 'a seeded accumulator');
      const lower = be.modSwitchToNext(b);
      assert.throws(() => be.addInPlace(a, lower), isCode('LEVEL_MISMATCH'));
      assert.deepEqual(a.serialize(), before);
      for (const h of [a, b, big, seeded, lower]) h.dispose();
    });
  }

  it('native: refuses an accumulator whose serializeParts views are out, and a scale mismatch', () => {
    const a = encryptValues(native, values(slots, 8));
    const b = encryptValues(native, values(slots, 9));
    const squared = native.multiplyPlain(b, native.encode(values(slots, 10)));
    assert.throws(() => native.addInPlace(a, native.modSwitchToNext(native.modSwitchToNext(b))), isCode('LEVEL_MISMATCH'));
    const relinLess = native.multiply(a, b);
    assert.throws(() => native.addInPlace(relinLess, b), isCode('SCALE_MISMATCH'));
    assert.throws(() => native.addInPlace(a, squared), isCode('SCALE_MISMATCH'));
    void a.lendParts();
    native.addInPlace(a, b); // a loan is the caller's to keep
    void a.serializeParts();
    assert.throws(() => native.addInPlace(a, b), isCode('INVALID_ARGUMENT'));
  });
});
