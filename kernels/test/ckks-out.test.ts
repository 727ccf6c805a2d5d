import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CkksCore } from '../src/index.js';
import { bytes, expectCode, presetModuli } from './helpers.js';

const N = 8192;
const SCALE = 2 ** 40;

test('ckks: encryptions into a given buffer write the same words as a fresh result, and refuse a short or aliased one', () => {
  const core = new CkksCore(N, presetModuli(N));
  const sk = core.generateSecretKey(bytes(core.randomnessBytes('secretKey')));
  const pk = core.generatePublicKey(sk, bytes(core.randomnessBytes('uniform', core.dataPrimeCount + 1)), bytes(core.randomnessBytes('noise')));
  const values = Float64Array.from({ length: N / 2 }, (_, i) => Math.sin(i));
  for (let level = 1; level <= core.dataPrimeCount; level++) {
    const plain = core.encode(values, SCALE, level);
    // The buffer starts full of ones: every word must be written.
    const out = new BigUint64Array(2 * level * N).fill(0xffffffffffffffffn);
    const uniform = bytes(core.randomnessBytes('uniform', level));
    const noise = bytes(core.randomnessBytes('noise'));
    assert.equal(core.encryptSymmetric(sk, plain, level, uniform, noise, { out }), out);
    assert.deepEqual(out, core.encryptSymmetric(sk, plain, level, uniform, noise), `symmetric into out, level ${level}`);
    const randomness = bytes(core.randomnessBytes('encryptPublic'));
    out.fill(0xffffffffffffffffn);
    assert.equal(core.encryptPublic(pk, plain, 1, level, randomness, { out }), out);
    assert.deepEqual(out, core.encryptPublic(pk, plain, 1, level, randomness), `public into out, level ${level}`);
    const short = new BigUint64Array(2 * level * N - 1);
    expectCode(() => core.encryptSymmetric(sk, plain, level, uniform, noise, { out: short }), 'INVALID_ARGUMENT');
    expectCode(() => core.encryptPublic(pk, plain, 1, level, randomness, { out: short }), 'INVALID_ARGUMENT');
    // The result may not overlap the plaintext it encrypts.
    const overPlain = new BigUint64Array(2 * level * N);
    overPlain.set(plain);
    const aliased = overPlain.subarray(0, level * N);
    expectCode(() => core.encryptSymmetric(sk, aliased, level, uniform, noise, { out: overPlain }), 'INVALID_ARGUMENT');
    expectCode(() => core.encryptPublic(pk, aliased, 1, level, randomness, { out: overPlain }), 'INVALID_ARGUMENT');
  }
});
