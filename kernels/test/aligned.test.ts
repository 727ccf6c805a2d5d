import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

import {
  CkksCore,
  KernelError,
  WORD_ALIGNMENT,
  alignedCopy,
  alignedSharedWords,
  alignedWords,
  byteAlignment,
  compactPlain,
  expandPlain,
} from '../src/index.js';
import { presetModuli } from './helpers.js';

const N = 8192;
const MODULI = presetModuli(N);

function expectCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: unknown) => error instanceof KernelError && error.code === code);
}

test('alignedWords: on a cache line, of the length asked, zeroed when asked, for every size', () => {
  for (const words of [0, 1, 7, 8, 1000, 3 * N, 2 * 4 * N + 1]) {
    const zeroed = alignedWords(words, { zeroed: true });
    assert.equal(zeroed.length, words);
    assert.equal(byteAlignment(zeroed), 0, `${words} zeroed words`);
    assert.ok(zeroed.every((w) => w === 0n));
    const raw = alignedWords(words);
    assert.equal(raw.length, words);
    assert.equal(byteAlignment(raw), 0, `${words} words`);
    assert.ok(raw.buffer.byteLength - raw.byteLength <= WORD_ALIGNMENT, 'no more than the padding beside the words');
  }
});

test('byteAlignment reads where a view starts, on ArrayBuffers and SharedArrayBuffers alike', () => {
  const base = alignedWords(64);
  for (let k = 0; k < 8; k++) assert.equal(byteAlignment(base.subarray(k)), 8 * k);
  assert.equal(byteAlignment(new Uint8Array(base.buffer, base.byteOffset + 3, 5)), 3);
  const shared = alignedSharedWords(100);
  assert.ok(shared.buffer instanceof SharedArrayBuffer);
  assert.equal(shared.length, 100);
  assert.equal(byteAlignment(shared), 0);
  assert.ok(shared.every((w) => w === 0n));
});

test('alignedCopy: an aligned array as it is, any other one copied onto a cache line', () => {
  const aligned = alignedWords(16);
  assert.equal(alignedCopy(aligned), aligned);
  const off = aligned.subarray(1);
  off.set(Array.from({ length: 15 }, (_, i) => BigInt(i) * 0x1_0000_0001n));
  const copy = alignedCopy(off);
  assert.notEqual(copy, off);
  assert.equal(byteAlignment(copy), 0);
  assert.deepEqual(copy, off.slice());
});

test('bad arguments are typed errors, not crashes', () => {
  expectCode(() => alignedWords(-1), 'INVALID_ARGUMENT');
  expectCode(() => alignedWords(Number.NaN), 'INVALID_ARGUMENT');
  expectCode(() => alignedWords(2 ** 40), 'INVALID_ARGUMENT');
  expectCode(() => byteAlignment({} as ArrayBufferView), 'INVALID_ARGUMENT');
  expectCode(() => byteAlignment(new DataView(new ArrayBuffer(8))), 'INVALID_ARGUMENT');
});

test('every CkksCore result and key starts on a cache line (where it was allocated once decided its speed)', () => {
  const core = new CkksCore(N, MODULI);
  try {
    const k = core.dataPrimeCount;
    const sk = core.generateSecretKey(randomBytes(core.randomnessBytes('secretKey')));
    const pk = core.generatePublicKey(sk, randomBytes(core.randomnessBytes('uniform', k + 1)), randomBytes(core.randomnessBytes('noise')));
    const elt = core.galoisElement(1);
    const galois = core.generateKswitchKey(sk, elt, randomBytes(k * core.randomnessBytes('uniform', k + 1)), randomBytes(k * core.randomnessBytes('noise')));
    const relin = core.generateKswitchKey(sk, 0, randomBytes(k * core.randomnessBytes('uniform', k + 1)), randomBytes(k * core.randomnessBytes('noise')));
    const plain = core.encode(
      Float64Array.from({ length: N / 2 }, (_, i) => (i % 7) / 7),
      2 ** 40,
      k,
    );
    const ct = core.encryptPublic(pk, plain, 1, k, randomBytes(core.randomnessBytes('encryptPublic')));
    const results: Record<string, BigUint64Array> = {
      sk,
      pk,
      galois,
      relin,
      hoisting: core.hoistingKey(galois, elt),
      plain,
      ct,
      add: core.add(ct, ct, k),
      multiplyPlain: core.multiplyPlain(ct, plain, k),
      rescale: core.rescale(ct, k),
      relinearize: core.relinearize(relin, core.multiply(ct, ct, k), k),
      rotate: core.applyGalois([galois], [elt], ct, k)[0]!,
      decrypt: core.decrypt(sk, ct, k),
      compact: compactPlain(expandPlain(plain.subarray(0, N), 1), 1),
      expanded: expandPlain(plain, 1),
    };
    for (const [what, words] of Object.entries(results)) assert.equal(byteAlignment(words), 0, what);
  } finally {
    core.dispose();
  }
});
