import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CkksError, decryptValues, encryptValues, type CiphertextHandle, type CkksBackend, type PlaintextHandle } from '../src/index.js';
import { NativeBackend } from '../src/native/index.js';
import { presetParams } from '../src/params.js';
import { createSealBackend } from '../src/seal/index.js';
import { rng } from './helpers.js';

function values(count: number, seed: number): Float64Array {
  const next = rng(seed);
  return Float64Array.from({ length: count }, () => next() * 2 - 1);
}

/** Σ multiplyPlain then add, term by term: what multiplyPlainAccumulate must equal. */
function termByTerm(be: CkksBackend, cts: readonly CiphertextHandle[], plains: readonly PlaintextHandle[]): CiphertextHandle {
  let acc = be.multiplyPlain(cts[0]!, plains[0]!);
  for (let t = 1; t < cts.length; t++) {
    const term = be.multiplyPlain(cts[t]!, plains[t]!);
    const sum = be.add(acc, term);
    acc.dispose();
    term.dispose();
    acc = sum;
  }
  return acc;
}

test(
  'multiplyPlainAccumulate: bit for bit term-by-term multiplyPlain + add (native), the same sum decrypted (seal), levels 2 and 1, 1 to 300 terms',
  { timeout: 120_000 },
  async () => {
    const params = presetParams(8192);
    const seal = await createSealBackend(params);
    const native = new NativeBackend(params, seal);
    native.generateKeys({ relin: false });
    try {
      const slots = native.slotCount;
      for (const be of [native, seal] as CkksBackend[]) {
        for (const count of [1, 2, 29, 300]) {
          for (const level of [2, 1]) {
            const xs = Array.from({ length: Math.min(count, 8) }, (_, i) => values(slots, 100 + i));
            const ws = Array.from({ length: count }, (_, i) => values(slots, 900 + i));
            const cts: CiphertextHandle[] = [];
            for (const x of xs) {
              let ct = encryptValues(be, x);
              while (ct.level > level) {
                const next = be.modSwitchToNext(ct);
                ct.dispose();
                ct = next;
              }
              cts.push(ct);
            }
            const terms = Array.from({ length: count }, (_, t) => cts[t % cts.length]!);
            const plains = ws.map((w) => be.encode(w, { level }));
            const sum = be.multiplyPlainAccumulate(terms, plains);
            assert.equal(sum.level, level);
            assert.equal(sum.size, 2);
            assert.ok(Math.abs(sum.scale - terms[0]!.scale * plains[0]!.scale) < 1, 'scale of the products');
            const expected = new Float64Array(slots);
            for (let t = 0; t < count; t++) for (let i = 0; i < slots; i++) expected[i]! += xs[t % xs.length]![i]! * ws[t]![i]!;
            const got = decryptValues(be, sum);
            let worst = 0;
            for (let i = 0; i < slots; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
            assert.ok(worst <= 1e-5 * Math.max(1, Math.sqrt(count)), `${be.name} ${count} terms at level ${level}: max error ${worst}`);
            if (be === native) {
              const reference = termByTerm(be, terms, plains);
              assert.deepEqual(sum.serialize(), reference.serialize(), `${count} terms at level ${level}: the same words as term by term`);
              reference.dispose();
            }
            sum.dispose();
            for (const p of plains) p.dispose();
            for (const c of cts) c.dispose();
          }
        }
      }
    } finally {
      native.dispose();
    }
  },
);

test('multiplyPlainAccumulate: bad operands are typed errors on both backends', async () => {
  const params = presetParams(8192);
  const seal = await createSealBackend(params);
  const native = new NativeBackend(params, seal);
  native.generateKeys({ relin: true });
  try {
    for (const be of [native, seal] as CkksBackend[]) {
      const x = encryptValues(be, values(16, 1));
      const p = be.encode(values(16, 2));
      const code = (c: string) => (e: unknown) => e instanceof CkksError && e.code === c;
      assert.throws(() => be.multiplyPlainAccumulate([], []), code('INVALID_ARGUMENT'), `${be.name}: no terms`);
      assert.throws(() => be.multiplyPlainAccumulate([x, x], [p]), code('INVALID_ARGUMENT'), `${be.name}: one plaintext short`);
      const low = be.modSwitchToNext(x);
      assert.throws(() => be.multiplyPlainAccumulate([x, low], [p, p]), code('LEVEL_MISMATCH'), `${be.name}: levels differ`);
      const other = be.encode(values(16, 3), { scale: 2 ** 30 });
      assert.throws(() => be.multiplyPlainAccumulate([x, x], [p, other]), code('SCALE_MISMATCH'), `${be.name}: scales differ`);
      const square = be.multiply(x, x);
      assert.throws(() => be.multiplyPlainAccumulate([square], [p]), code('INVALID_ARGUMENT'), `${be.name}: a size-3 term`);
      for (const h of [x, p, low, other, square]) h.dispose();
    }
  } finally {
    native.dispose();
  }
});

test(
  'multiplyPlainAccumulateGroups: each group is multiplyPlainAccumulate over its terms (native bit for bit, seal the same values), nulls left out',
  { timeout: 120_000 },
  async () => {
    const params = presetParams(8192);
    const seal = await createSealBackend(params);
    const native = new NativeBackend(params, seal);
    native.generateKeys({ relin: false });
    try {
      const slots = native.slotCount;
      for (const be of [native, seal] as CkksBackend[]) {
        const level = 1;
        const xs = [0, 1, 2, 3].map((i) => values(slots, 300 + i));
        const cts = xs.map((x) => {
          const top = encryptValues(be, x);
          const ct = be.modSwitchToNext(top);
          top.dispose();
          return ct;
        });
        // three groups: every term, the odd terms, the first alone (a pair and one unpaired)
        const keep = [(_: number) => true, (t: number) => t % 2 === 1, (t: number) => t === 0];
        const ws = keep.map((_, g) => xs.map((__, t) => values(slots, 400 + 10 * g + t)));
        const rows = keep.map((k, g) => cts.map((_, t) => (k(t) ? be.encode(ws[g]![t]!, { level }) : null)));
        const sums = be.multiplyPlainAccumulateGroups(cts, rows);
        assert.equal(sums.length, rows.length);
        sums.forEach((sum, g) => {
          const terms = cts.filter((_, t) => keep[g]!(t));
          const plains = rows[g]!.filter((p): p is PlaintextHandle => p !== null);
          assert.equal(sum.level, level);
          const expected = new Float64Array(slots);
          xs.forEach((x, t) => {
            if (keep[g]!(t)) for (let i = 0; i < slots; i++) expected[i]! += x[i]! * ws[g]![t]![i]!;
          });
          const got = decryptValues(be, sum);
          let worst = 0;
          for (let i = 0; i < slots; i++) worst = Math.max(worst, Math.abs(got[i]! - expected[i]!));
          assert.ok(worst <= 1e-5, `${be.name} group ${g}: max error ${worst}`);
          const reference = be.multiplyPlainAccumulate(terms, plains);
          if (be === native) assert.deepEqual(sum.serialize(), reference.serialize(), `group ${g}: the same words as multiplyPlainAccumulate`);
          reference.dispose();
          sum.dispose();
        });
        for (const row of rows) for (const p of row) p?.dispose();
        for (const c of cts) c.dispose();
      }
    } finally {
      native.dispose();
    }
  },
);

test('multiplyPlainAccumulateGroups: bad operands are typed errors naming the group, on both backends', async () => {
  const params = presetParams(8192);
  const seal = await createSealBackend(params);
  const native = new NativeBackend(params, seal);
  native.generateKeys({ relin: false });
  try {
    for (const be of [native, seal] as CkksBackend[]) {
      const x = encryptValues(be, values(16, 1));
      const p = be.encode(values(16, 2));
      const low = be.modSwitchToNext(x);
      const other = be.encode(values(16, 3), { scale: 2 ** 30 });
      const fails = (fn: () => unknown, c: string, text: RegExp, what: string) =>
        assert.throws(fn, (e: unknown) => e instanceof CkksError && e.code === c && text.test(e.message), `${be.name}: ${what}`);
      fails(() => be.multiplyPlainAccumulateGroups([], [[]]), 'INVALID_ARGUMENT', /at least one/, 'no ciphertexts');
      fails(() => be.multiplyPlainAccumulateGroups([x], []), 'INVALID_ARGUMENT', /at least one/, 'no groups');
      fails(() => be.multiplyPlainAccumulateGroups([x, x], [[p, p], [p]]), 'INVALID_ARGUMENT', /group 1 has 1 plaintexts/, 'a short row');
      fails(
        () =>
          be.multiplyPlainAccumulateGroups(
            [x, x],
            [
              [p, null],
              [null, null],
            ],
          ),
        'INVALID_ARGUMENT',
        /group 1 has no term/,
        'an empty group',
      );
      fails(
        () =>
          be.multiplyPlainAccumulateGroups(
            [x, low],
            [
              [p, null],
              [p, p],
            ],
          ),
        'LEVEL_MISMATCH',
        /group 1/,
        'levels differ in a group',
      );
      fails(() => be.multiplyPlainAccumulateGroups([x, x], [[p, other]]), 'SCALE_MISMATCH', /group 0/, 'scales differ in a group');
      for (const h of [x, p, low, other]) h.dispose();
    }
  } finally {
    native.dispose();
  }
});

test('native: a deserialized ciphertext is range-checked by the operations until one has read it, however it is used', async () => {
  const params = presetParams(8192);
  const seal = await createSealBackend(params);
  const native = new NativeBackend(params, seal);
  native.generateKeys({ relin: false });
  try {
    const good = encryptValues(native, values(16, 5)).serialize();
    const bad = good.slice();
    // The last word of c1's last block, set above every prime.
    new DataView(bad.buffer).setBigUint64(bad.length - 8, 0xffffffffffffffffn, true);
    const p = native.encode(values(16, 6));
    const malformed = (e: unknown) => e instanceof CkksError && e.code === 'MALFORMED';
    const ct = native.deserialize(bad);
    // Every entry point refuses it, and goes on refusing it: a failed check verifies nothing.
    for (let round = 0; round < 2; round++) {
      assert.throws(() => native.multiplyPlainAccumulate([ct], [p]), malformed, 'accumulate');
      assert.throws(() => native.multiplyPlain(ct, p), malformed, 'multiplyPlain');
      assert.throws(() => native.add(ct, ct), malformed, 'add');
      assert.throws(() => native.rescaleToNext(ct), malformed, 'rescale');
    }
    // A good one, once read, is no longer checked, and its results never were unverified.
    const fine = native.deserialize(good);
    const sum = native.multiplyPlainAccumulate([fine, fine], [p, p]);
    assert.equal(decryptValues(native, sum).length, native.slotCount);
    for (const h of [ct, fine, sum, p]) h.dispose();
  } finally {
    native.dispose();
  }
});
