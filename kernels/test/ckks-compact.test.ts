import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CkksCore, MAX_PLAIN_REPEAT, compactPlain, expandPlain, plainRepeat } from '../src/index.js';
import { expectCode, presetModuli, randomBelow } from './helpers.js';

const N = 8192;
const MODULI = presetModuli(N);
const SCALE = 2 ** 40;
const core = new CkksCore(N, MODULI);

/** Slot values that repeat with period `period` (slots / R copies of one block). */
function periodic(period: number, seed: number): Float64Array {
  return Float64Array.from({ length: N / 2 }, (_, i) => Math.sin(1.3 * (i % period) + seed) * 0.5);
}

/** A size-2 ciphertext's words at `level`: each block uniform below its prime (the sums do not care whether it decrypts). */
function randomCiphertext(level: number): BigUint64Array {
  const out = new BigUint64Array(2 * level * N);
  for (let c = 0; c < 2; c++) for (let b = 0; b < level; b++) out.set(randomBelow(MODULI[b]!, N), (c * level + b) * N);
  return out;
}

test('ckks compact plaintexts: a slot period of slots / R encodes to runs of R equal words, found, compacted and expanded back exactly', () => {
  for (const level of [1, 2, 3]) {
    for (const [period, repeat] of [
      [N / 2, 1],
      [N / 4, 2],
      [N / 8, 4],
      [N / 16, 8],
      [N / 64, MAX_PLAIN_REPEAT], // runs of 32 are read as runs of 8
    ] as const) {
      const plain = core.encode(periodic(period, level), SCALE, level);
      assert.equal(plainRepeat(core, plain, level), repeat, `level ${level}, period ${period}`);
      const compact = compactPlain(plain, repeat);
      assert.equal(compact.length, plain.length / repeat);
      assert.deepEqual(expandPlain(compact, repeat), plain);
    }
  }
  // random slots do not repeat
  const random = core.encode(
    Float64Array.from({ length: N / 2 }, () => Math.random() - 0.5),
    SCALE,
    2,
  );
  assert.equal(plainRepeat(core, random, 2), 1);
});

test('ckks compact plaintexts: multiplyPlainAccumulateGroups reads them bit for bit as the whole ones, odd groups and nulls included', () => {
  for (const level of [1, 3]) {
    for (const repeat of [2, 4, 8]) {
      const cts = [0, 1, 2].map(() => randomCiphertext(level));
      let seed = 0;
      const plain = (): BigUint64Array => core.encode(periodic(N / 2 / repeat, ++seed), SCALE, level);
      const rows: (BigUint64Array | null)[][] = [
        cts.map(() => plain()),
        cts.map((_, t) => (t === 1 ? null : plain())),
        cts.map((_, t) => (t === 2 ? plain() : null)),
      ];
      const compactRows = rows.map((row) => row.map((p) => (p === null ? null : compactPlain(p, repeat))));
      for (const groups of [1, 2, 3]) {
        const whole = core.multiplyPlainAccumulateGroups(cts, rows.slice(0, groups), level);
        const compact = core.multiplyPlainAccumulateGroups(cts, compactRows.slice(0, groups), level, { plainRepeat: repeat });
        assert.deepEqual(compact, whole, `level ${level}, repeat ${repeat}, ${groups} groups`);
      }
    }
  }
});

test('ckks compact plaintexts: bad runs, lengths and repeats are refused with typed errors', () => {
  const level = 2;
  const plain = core.encode(periodic(N / 8, 1), SCALE, level);
  const compact = compactPlain(plain, 4);
  const ct = randomCiphertext(level);
  expectCode(() => compactPlain(core.encode(periodic(N / 4, 1), SCALE, level), 4), 'INVALID_ARGUMENT'); // runs of 2 only
  expectCode(() => compactPlain(plain, 3), 'INVALID_ARGUMENT');
  expectCode(() => expandPlain(compact, 16), 'INVALID_ARGUMENT');
  expectCode(() => plainRepeat(core, plain.subarray(8), level), 'LENGTH_MISMATCH');
  expectCode(() => core.multiplyPlainAccumulateGroups([ct], [[compact]], level), 'LENGTH_MISMATCH'); // compact read as whole
  expectCode(() => core.multiplyPlainAccumulateGroups([ct], [[compact]], level, { plainRepeat: 2 }), 'LENGTH_MISMATCH');
  expectCode(() => core.multiplyPlainAccumulateGroups([ct], [[plain]], level, { plainRepeat: 3 }), 'INVALID_ARGUMENT');
  const high = compact.slice();
  high[5] = MODULI[0]!; // a word at its prime
  expectCode(() => core.multiplyPlainAccumulateGroups([ct], [[high]], level, { plainRepeat: 4 }), 'VALUE_OUT_OF_RANGE');
  // nothing was lost: the good operands still give the whole plaintext's sums
  assert.deepEqual(
    core.multiplyPlainAccumulateGroups([ct], [[compact]], level, { plainRepeat: 4 }),
    core.multiplyPlainAccumulateGroups([ct], [[plain]], level),
  );
});
