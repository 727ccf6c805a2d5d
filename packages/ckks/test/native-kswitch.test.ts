import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CkksError, decryptValues, encryptValues, type CiphertextHandle, type CkksBackend } from '../src/index.js';
import { NativeBackend, createNativeBackend } from '../src/native/index.js';
import { naf } from '../src/native/kswitch-keys.js';
import { presetParams, type PresetDegree } from '../src/params.js';
import { createSealBackend } from '../src/seal/index.js';
import { parseKSwitchKeys } from '../src/seal-format.js';
import { rng } from './helpers.js';

/** The interoperability bound: native and node-seal results for the same input, inputs in [-1, 1] at scale 2^40. */
const BOUND = 1e-6;
/**
 * A rotation against the true rotated values: key-switching noise at scale 2^40, which for
 * node-seal's own rotations reaches 2.5e-6 at N = 16384 (measured).
 */
const ROTATION_BOUND = 2e-5;

function values(count: number, seed: number): Float64Array {
  const next = rng(seed);
  return Float64Array.from({ length: count }, () => next() * 2 - 1);
}

function maxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

function rotated(x: Float64Array, steps: number): Float64Array {
  const m = x.length;
  return Float64Array.from({ length: m }, (_, i) => x[(((i + steps) % m) + m) % m]!);
}

function transfer(from: CiphertextHandle, to: CkksBackend): CiphertextHandle {
  return to.deserialize(from.serialize());
}

const isCode = (code: string) => (e: unknown) => e instanceof CkksError && e.code === code;

/** Steps per preset: the 32768 preset's keys are 220 MB each, so it gets one rotation. */
const STEPS: Record<PresetDegree, number[]> = { 8192: [1, -3, 7], 16384: [1, -3], 32768: [5] };

for (const n of [8192, 16384, 32768] as const) {
  test(
    `N=${n}: native relinearization and Galois keys load in node-seal, node-seal's load natively, and both evaluate alike`,
    { timeout: 600_000 },
    async () => {
      const params = presetParams(n);
      const steps = STEPS[n];
      const native = new NativeBackend(params, await createSealBackend(params));
      const seal = await createSealBackend(params);
      const sealKeys = await createSealBackend(params);
      const nativeOfSealKeys = new NativeBackend(params, await createSealBackend(params));
      try {
        // native keys -> node-seal
        native.generateKeys({ relin: true, galoisSteps: steps });
        for (const kind of ['secret', 'public', 'relin', 'galois'] as const) seal.importKey(kind, native.exportKey(kind));
        const relinBytes = native.exportKey('relin');
        const components = parseKSwitchKeys(relinBytes).keys[0]!;
        assert.equal(components.length, params.coeffModulus.length - 1, 'one component per data prime');
        assert.ok(
          components.every((c) => c.seed?.prngType === 'shake256'),
          'native keys are seeded (SHAKE256, as SEAL reads them)',
        );

        const x = values(native.slotCount, n);
        const y = values(native.slotCount, n + 1);
        const cx = encryptValues(seal, x);
        const cy = encryptValues(seal, y);
        const xy = x.map((v, i) => v * y[i]!);

        const sealProduct = seal.relinearize(seal.multiply(cx, cy));
        const nativeProduct = native.relinearize(native.multiply(transfer(cx, native), transfer(cy, native)));
        assert.ok(maxError(decryptValues(seal, sealProduct), xy) <= BOUND, 'node-seal relinearizes with the native key');
        assert.ok(maxError(decryptValues(seal, transfer(nativeProduct, seal)), decryptValues(seal, sealProduct)) <= BOUND, 'native relinearize = node-seal');
        for (const s of steps) {
          const bySeal = seal.rotate(cx, s);
          const byNative = native.rotate(transfer(cx, native), s);
          const err = maxError(decryptValues(seal, bySeal), rotated(x, s));
          assert.ok(err <= ROTATION_BOUND, `node-seal rotates by ${s} with the native key (error ${err})`);
          assert.ok(maxError(decryptValues(seal, transfer(byNative, seal)), decryptValues(seal, bySeal)) <= BOUND, `native rotate ${s} = node-seal`);
        }

        // node-seal keys -> native
        sealKeys.generateKeys({ relin: true, galoisSteps: steps });
        for (const kind of ['secret', 'public', 'relin', 'galois'] as const) nativeOfSealKeys.importKey(kind, sealKeys.exportKey(kind));
        const sx = encryptValues(sealKeys, x);
        const sy = encryptValues(sealKeys, y);
        const sealOwn = sealKeys.relinearize(sealKeys.multiply(sx, sy));
        const nativeOwn = nativeOfSealKeys.relinearize(nativeOfSealKeys.multiply(transfer(sx, nativeOfSealKeys), transfer(sy, nativeOfSealKeys)));
        assert.ok(
          maxError(decryptValues(sealKeys, transfer(nativeOwn, sealKeys)), decryptValues(sealKeys, sealOwn)) <= BOUND,
          "native relinearize with node-seal's key",
        );
        for (const s of steps) {
          const bySeal = sealKeys.rotate(sx, s);
          const byNative = nativeOfSealKeys.rotate(transfer(sx, nativeOfSealKeys), s);
          assert.ok(
            maxError(decryptValues(sealKeys, transfer(byNative, sealKeys)), decryptValues(sealKeys, bySeal)) <= BOUND,
            `native rotate ${s} with node-seal's key`,
          );
        }
      } finally {
        for (const b of [native, seal, sealKeys, nativeOfSealKeys]) b.dispose();
      }
    },
  );
}

test('hoisted rotations equal one-at-a-time rotations; the fused product equals multiply, relinearize, rescale', async () => {
  const native = await createNativeBackend(presetParams(8192));
  try {
    const steps = [1, 2, 3, 5, 8, -1, -13];
    native.generateKeys({ relin: true, galoisSteps: steps });
    const x = values(native.slotCount, 11);
    const ct = encryptValues(native, x);
    const before = native.keySwitchingMemory.bytes;
    const keyBytes = (before / (steps.length + 1)) | 0;
    const many = native.rotateMany(ct, [...steps, 0]);
    // the hoisted steps' hoisting keys are made once and counted with the keys
    assert.equal(native.keySwitchingMemory.bytes, before + steps.length * keyBytes);
    native.rotateMany(ct, steps.slice(0, 2));
    assert.equal(native.keySwitchingMemory.bytes, before + steps.length * keyBytes, 'made once');
    assert.equal(many.length, steps.length + 1);
    steps.forEach((s, i) => {
      const one = decryptValues(native, native.rotate(ct, s));
      const hoisted = decryptValues(native, many[i]!);
      assert.ok(maxError(hoisted, rotated(x, s)) <= ROTATION_BOUND, `hoisted ${s} is the rotation`);
      assert.ok(maxError(one, rotated(x, s)) <= ROTATION_BOUND, `rotate ${s} is the rotation`);
    });
    assert.deepEqual(decryptValues(native, many[steps.length]!), decryptValues(native, ct), 'step 0 is a copy');
    // 4 has no key and is its own NAF term; 10 = 2 + 8 by NAF, both keys held
    const mixed = native.rotateMany(ct, [1, 10]);
    assert.ok(maxError(decryptValues(native, mixed[1]!), rotated(x, 10)) <= ROTATION_BOUND, 'NAF-composed rotation inside rotateMany');
    assert.throws(() => native.rotateMany(ct, [1, 4]), isCode('MISSING_KEY'));

    const y = values(native.slotCount, 12);
    const cy = encryptValues(native, y);
    const fused = native.multiplyRelinRescale(ct, cy);
    const steps3 = native.rescaleToNext(native.relinearize(native.multiply(ct, cy)));
    assert.equal(fused.level, steps3.level);
    assert.equal(fused.scale, steps3.scale);
    assert.deepEqual(fused.serialize(), steps3.serialize(), 'bit for bit the three calls');
    assert.ok(
      maxError(
        decryptValues(native, fused),
        x.map((v, i) => v * y[i]!),
      ) <= BOUND,
    );
  } finally {
    native.dispose();
  }
});

test('rotateSum: the sum of the rotations on both backends, steps without their own key and step 0 included; bad terms refused', async () => {
  const params = presetParams(8192);
  const native = await createNativeBackend(params);
  const seal = await createSealBackend(params);
  try {
    const steps = [1, 2, 8, -3];
    for (const b of [native, seal] as CkksBackend[]) b.generateKeys({ relin: false, galoisSteps: steps });
    const xs = [values(native.slotCount, 21), values(native.slotCount, 22), values(native.slotCount, 23)];
    const expect = (terms: readonly number[]): Float64Array =>
      Float64Array.from({ length: native.slotCount }, (_, i) => terms.reduce((acc, s, t) => acc + rotated(xs[t % 3]!, s)[i]!, 0));
    // 1, 2, 8 fused; 10 = 2 + 8 by NAF and 0 are rotated alone and added
    for (const terms of [[1, 2, 8], [1, 10, 0], [2]]) {
      for (const b of [native, seal] as CkksBackend[]) {
        const cts = terms.map((_, t) => encryptValues(b, xs[t % 3]!));
        const sum = b.rotateSum(cts, terms);
        assert.ok(maxError(decryptValues(b, sum), expect(terms)) <= 3 * ROTATION_BOUND, `${b.name}: rotateSum of ${terms.join(', ')}`);
        assert.equal(sum.level, cts[0]!.level);
        assert.equal(sum.scale, cts[0]!.scale);
        sum.dispose();
        for (const c of cts) c.dispose();
      }
    }
    for (const b of [native, seal] as CkksBackend[]) {
      const a = encryptValues(b, xs[0]!);
      const lower = b.modSwitchToNext(a);
      assert.throws(() => b.rotateSum([a, lower], [1, 2]), isCode('LEVEL_MISMATCH'), `${b.name}: levels differ`);
      assert.throws(() => b.rotateSum([a], [1, 2]), isCode('INVALID_ARGUMENT'), `${b.name}: a step per ciphertext`);
      assert.throws(() => b.rotateSum([], []), isCode('INVALID_ARGUMENT'), `${b.name}: no terms`);
      assert.throws(() => b.rotateSum([a, a], [1, 4]), isCode('MISSING_KEY'), `${b.name}: 4 has no key`);
      a.dispose();
      lower.dispose();
    }
  } finally {
    native.dispose();
    seal.dispose();
  }
});

test('naf: signed powers of two, as SEAL decomposes a rotation without its own key', () => {
  assert.deepEqual(naf(0), []);
  assert.deepEqual(naf(1), [1]);
  assert.deepEqual(naf(7), [-1, 8]);
  assert.deepEqual(naf(-7), [1, -8]);
  assert.deepEqual(naf(6), [-2, 8]);
  for (let v = -300; v <= 300; v++) {
    const terms = naf(v);
    assert.equal(
      terms.reduce((a, b) => a + b, 0),
      v,
      `sum for ${v}`,
    );
    assert.ok(
      terms.every((t) => Number.isInteger(Math.log2(Math.abs(t)))),
      `powers of two for ${v}`,
    );
  }
});

test('bad input: missing keys, keys of other parameters, wrong sizes and levels, fuzzed key bytes — typed errors, never a crash', async () => {
  const params = presetParams(8192);
  const native = await createNativeBackend(params);
  const other = await createNativeBackend(presetParams(16384));
  try {
    const x = values(native.slotCount, 21);
    native.generateKeys({ relin: false });
    const ct = encryptValues(native, x);
    assert.throws(() => native.relinearize(native.multiply(ct, ct)), isCode('MISSING_KEY'));
    assert.throws(() => native.rotate(ct, 1), isCode('MISSING_KEY'));
    assert.throws(() => native.exportKey('galois'), isCode('MISSING_KEY'));
    native.generateKeys({ relin: true, galoisSteps: [1, 4] });
    const ct2 = encryptValues(native, x);
    assert.ok(maxError(decryptValues(native, native.rotate(ct2, 5)), rotated(x, 5)) <= ROTATION_BOUND, '5 = 1 + 4 by NAF');
    assert.throws(() => native.rotate(ct2, 3), isCode('MISSING_KEY'), '3 = 4 - 1: no key for -1');
    assert.throws(() => native.rotate(ct2, native.slotCount), isCode('INVALID_ARGUMENT'));
    assert.throws(() => native.rotate(ct2, 1.5), isCode('INVALID_ARGUMENT'));
    assert.throws(() => native.rotate(native.multiply(ct2, ct2), 1), isCode('INVALID_ARGUMENT'), 'size 3');
    const low = native.modSwitchToNext(ct2);
    assert.throws(() => native.multiplyRelinRescale(ct2, low), isCode('LEVEL_MISMATCH'));
    const bottom = native.modSwitchToNext(low);
    assert.throws(() => native.multiplyRelinRescale(bottom, bottom), isCode('LEVEL_MISMATCH'));
    // key switching works at every level
    assert.ok(maxError(decryptValues(native, native.rotate(bottom, 1)), rotated(x, 1)) <= ROTATION_BOUND, 'rotation at level 0');

    other.generateKeys({ relin: true, galoisSteps: [1] });
    assert.throws(() => native.importKey('relin', other.exportKey('relin')), isCode('PARAMETER_MISMATCH'));
    assert.throws(() => native.importKey('galois', other.exportKey('galois')), isCode('PARAMETER_MISMATCH'));
    assert.throws(
      () => native.importKey('relin', native.exportKey('galois')),
      (e: unknown) => e instanceof CkksError,
    );

    // Fuzzed relinearization keys: every outcome is a typed error or a usable key.
    const relin = native.exportKey('relin');
    const draw = rng(99);
    const next = (): number => Math.floor(draw() * 0x100000000);
    let refused = 0;
    let accepted = 0;
    for (let i = 0; i < 2000; i++) {
      const bytes = Uint8Array.from(relin);
      const flips = 1 + (next() % 4);
      for (let f = 0; f < flips; f++) {
        // half the mutations in the first 400 bytes (headers, sizes, seeds), half anywhere
        const at = next() % 2 === 0 ? next() % 400 : next() % bytes.length;
        bytes[at] = next() & 0xff;
      }
      try {
        native.importKey('relin', bytes);
        accepted++;
        const out = native.relinearize(native.multiply(ct2, ct2));
        assert.equal(out.size, 2);
        out.dispose();
      } catch (error) {
        assert.ok(error instanceof CkksError, `mutation ${i}: ${String(error)}`);
        refused++;
      }
    }
    assert.equal(refused + accepted, 2000);
    assert.ok(refused > 0, 'some mutations are refused');
    native.importKey('relin', relin);
    const square = native.relinearize(native.multiply(ct2, ct2));
    assert.ok(
      maxError(
        decryptValues(native, native.rescaleToNext(square)),
        x.map((v) => v * v),
      ) <= BOUND,
      'the good key still works',
    );
  } finally {
    native.dispose();
    other.dispose();
  }
});

test('keySwitchingMemory: what the keys hold, and Galois keys only for the steps asked', async () => {
  const params = presetParams(8192);
  const native = await createNativeBackend(params);
  try {
    native.generateKeys({ relin: true, galoisSteps: [1, 2, 2, -1] });
    const k = params.coeffModulus.length - 1;
    const keyBytes = k * 2 * (k + 1) * params.n * 8;
    const mem = native.keySwitchingMemory;
    assert.equal(mem.galoisElements.length, 3, 'duplicate steps share a key');
    assert.equal(mem.bytes, 4 * keyBytes, 'one relinearization key and three Galois keys');
    // seeded export: about half the full form
    const exported = native.exportKey('relin').length;
    assert.ok(exported < keyBytes * 0.52 && exported > keyBytes * 0.5, `seeded relin key is ${exported} bytes of ${keyBytes}`);
  } finally {
    native.dispose();
  }
});
