import { test } from 'node:test';
import assert from 'node:assert/strict';

import { encryptValues, type CiphertextHandle, type CkksBackend, type PlaintextHandle } from '../src/index.js';
import { NativeBackend } from '../src/native/index.js';
import { NativePlaintext } from '../src/native/handles.js';
import { presetParams } from '../src/params.js';
import { createSealBackend } from '../src/seal/index.js';

/** Slot values tiled with period `period`, as a matrix's masks are over the blocked layout's blocks. */
function tiled(slots: number, period: number, seed: number): Float64Array {
  return Float64Array.from({ length: slots }, (_, i) => Math.sin(0.7 * (i % period) + seed) * 0.5);
}

function sameWords(a: CiphertextHandle, b: CiphertextHandle): boolean {
  return Buffer.from(a.serialize()).equals(Buffer.from(b.serialize()));
}

test(
  'encode { compact: true }: the native backend holds a tiled mask in 1/R of the words and computes with it exactly as with the whole one',
  { timeout: 120_000 },
  async () => {
    const params = presetParams(8192);
    const seal = await createSealBackend(params);
    const native = new NativeBackend(params, seal);
    native.generateKeys({ relin: false });
    const made: (CiphertextHandle | PlaintextHandle)[] = [];
    const keep = <T extends CiphertextHandle | PlaintextHandle>(h: T): T => (made.push(h), h);
    try {
      const slots = native.slotCount;
      const level = 1;
      const cts = [0, 1, 2].map((i) => {
        const ct = keep(encryptValues(native, tiled(slots, slots, 10 + i)));
        return keep(native.modSwitchToNext(ct));
      });
      for (const [period, repeat] of [
        [1024, 4],
        [2048, 2],
        [slots, 1],
      ] as const) {
        const masks = [0, 1, 2].map((i) => tiled(slots, period, 100 * period + i));
        const whole = masks.map((m) => keep(native.encode(m, { level })));
        const compact = masks.map((m) => keep(native.encode(m, { level, compact: true })));
        for (const p of compact) {
          assert.ok(p instanceof NativePlaintext);
          assert.equal(p.repeat, repeat, `period ${period}`);
          assert.equal(p.held().length, (2 * params.n) / repeat);
        }
        // the matrix product reads the compact words: the same words as from the whole plaintexts
        const rows = [compact, [compact[0]!, null, compact[2]!], [null, compact[1]!, null]];
        const wholeRows = [whole, [whole[0]!, null, whole[2]!], [null, whole[1]!, null]];
        const sums = native.multiplyPlainAccumulateGroups(cts, rows).map(keep);
        const expected = native.multiplyPlainAccumulateGroups(cts, wholeRows).map(keep);
        sums.forEach((s, g) => assert.ok(sameWords(s, expected[g]!), `period ${period}, group ${g}`));
        // every other use gets the whole plaintext back
        assert.deepEqual(native.decode(compact[0]!), native.decode(whole[0]!));
        assert.ok(sameWords(keep(native.multiplyPlain(cts[0]!, compact[1]!)), keep(native.multiplyPlain(cts[0]!, whole[1]!))));
        assert.ok(sameWords(keep(native.multiplyPlainAccumulate(cts, compact)), keep(native.multiplyPlainAccumulate(cts, whole))));
        // a group call mixing compact and whole plaintexts reads them all whole
        const mixed = keep(native.multiplyPlainAccumulateGroups(cts, [[compact[0]!, whole[1]!, compact[2]!]])[0]!);
        assert.ok(sameWords(mixed, keep(native.multiplyPlainAccumulateGroups(cts, [whole])[0]!)));
      }
      // node-seal has no compact form: the option changes nothing there
      const sealPlain = seal.encode(tiled(slots, 1024, 1), { compact: true });
      const sealWhole = seal.encode(tiled(slots, 1024, 1));
      assert.deepEqual(seal.decode(sealPlain), seal.decode(sealWhole));
      for (const p of [sealPlain, sealWhole]) p.dispose();
    } finally {
      for (const h of made) h.dispose();
      native.dispose();
    }
  },
);

test('a disposed compact plaintext is refused as a whole one is', async () => {
  const params = presetParams(8192);
  const backend: CkksBackend = new NativeBackend(params, await createSealBackend(params));
  backend.generateKeys({ relin: false });
  try {
    const p = backend.encode(tiled(backend.slotCount, 1024, 3), { compact: true });
    p.dispose();
    assert.throws(() => backend.decode(p), /DISPOSED|dispose/);
  } finally {
    backend.dispose();
  }
});
