import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CkksError, decryptValues, encryptValues, type CkksBackend, type CiphertextHandle } from '../src/index.js';
import { NativeBackend, createNativeBackend, encryptBatch } from '../src/native/index.js';
import { presetParams, type PresetDegree } from '../src/params.js';
import { createSealBackend, type SealBackend } from '../src/seal/index.js';
import { parseCiphertext } from '../src/seal-format.js';
import { rng } from './helpers.js';

const BOUND = 1e-6;

function values(count: number, seed: number): Float64Array {
  const next = rng(seed);
  return Float64Array.from({ length: count }, () => next() * 2 - 1);
}

function maxError(a: ArrayLike<number>, b: ArrayLike<number>, count = Math.min(a.length, b.length)): number {
  let worst = 0;
  for (let i = 0; i < count; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** A native backend and the seal backend it delegates to, sharing one key set. */
async function pair(n: PresetDegree): Promise<{ native: NativeBackend; seal: SealBackend }> {
  const params = presetParams(n);
  const seal = await createSealBackend(params);
  const native = new NativeBackend(params, seal);
  native.generateKeys({ relin: n === 8192 });
  return { native, seal };
}

/** Moves a ciphertext between backends through SEAL's byte format. */
function transfer(from: CiphertextHandle, to: CkksBackend): CiphertextHandle {
  return to.deserialize(from.serialize());
}

for (const n of [8192, 16384, 32768] as const) {
  test(`interop at N=${n}: native ciphertexts decrypt in node-seal and node-seal's natively`, { timeout: 180_000 }, async () => {
    const { native, seal } = await pair(n);
    try {
      const x = values(native.slotCount, n);

      const ctPublic = encryptValues(native, x);
      const inSeal = transfer(ctPublic, seal);
      assert.ok(maxError(decryptValues(seal, inSeal), x) <= BOUND, 'native public-key ciphertext in seal');

      const ctSecret = encryptValues(native, x, { symmetric: true });
      assert.ok(ctSecret.seeded, 'symmetric ciphertexts are seeded');
      const seededBytes = ctSecret.serialize();
      assert.ok(seededBytes.length < ctPublic.serialize().length * 0.51, 'seeded form is about half the bytes');
      assert.equal(parseCiphertext(seededBytes).seed?.prngType, 'shake256');
      assert.ok(maxError(decryptValues(seal, seal.deserialize(seededBytes)), x) <= BOUND, 'seeded native ciphertext in seal');

      const fromSeal = encryptValues(seal, x);
      assert.ok(maxError(decryptValues(native, transfer(fromSeal, native)), x) <= BOUND, "seal's ciphertext natively");
      const fromSealSeeded = encryptValues(seal, x, { symmetric: true });
      assert.ok(maxError(decryptValues(native, transfer(fromSealSeeded, native)), x) <= BOUND, "seal's seeded ciphertext natively");

      // node-seal evaluates on native ciphertexts
      const y = values(native.slotCount, n + 1);
      const ctY = encryptValues(native, y);
      const sum = seal.add(inSeal, transfer(ctY, seal));
      assert.ok(
        maxError(
          decryptValues(seal, sum),
          x.map((v, i) => v + y[i]!),
        ) <=
          2 * BOUND,
        'seal add on native ciphertexts',
      );
      const w = values(native.slotCount, n + 2);
      const prodSeal = seal.rescaleToNext(seal.multiplyPlain(inSeal, seal.encode(w)));
      const expectProd = x.map((v, i) => v * w[i]!);
      assert.ok(maxError(decryptValues(seal, prodSeal), expectProd) <= BOUND, 'seal multiply_plain + rescale on a native ciphertext');

      // native evaluation matches seal's
      const prodNative = native.rescaleToNext(native.multiplyPlain(ctPublic, native.encode(w)));
      assert.equal(prodNative.level, prodSeal.level);
      assert.ok(Math.abs(prodNative.scale / prodSeal.scale - 1) < 1e-12, 'same scale after rescale');
      assert.equal(prodNative.parmsId, prodSeal.parmsId);
      assert.ok(maxError(decryptValues(native, prodNative), decryptValues(seal, prodSeal)) <= BOUND, 'native multiply_plain+rescale matches seal');
      assert.ok(maxError(decryptValues(seal, transfer(prodNative, seal)), expectProd) <= BOUND, 'native result decrypts in seal');
      // the affine map fused natively (multiply_plain, rescale, add_plain in one call) against seal's three calls
      const shiftSeal = seal.encode(y, { scale: prodSeal.scale, level: prodSeal.level });
      const affineSeal = seal.addPlain(prodSeal, shiftSeal);
      const shiftNative = native.encode(y, { scale: prodNative.scale, level: prodNative.level });
      const affineNative = native.multiplyPlainRescale(ctPublic, native.encode(w), shiftNative);
      assert.equal(affineNative.parmsId, affineSeal.parmsId);
      assert.ok(Math.abs(affineNative.scale / affineSeal.scale - 1) < 1e-12, 'same scale as seal');
      const expectAffine = expectProd.map((v, i) => v + y[i]!);
      assert.ok(maxError(decryptValues(seal, transfer(affineNative, seal)), expectAffine) <= BOUND, 'native fused affine decrypts in seal');
      assert.ok(maxError(decryptValues(native, affineNative), decryptValues(seal, affineSeal)) <= BOUND, 'native fused affine matches seal');
      assert.throws(
        () => native.multiplyPlainRescale(ctPublic, native.encode(w), native.encode(y, { scale: prodNative.scale })),
        (e: unknown) => e instanceof CkksError && e.code === 'LEVEL_MISMATCH',
        'an addend at the level of the product, not the rescaled one',
      );
      assert.throws(
        () => native.multiplyPlainRescale(ctPublic, native.encode(w), native.encode(y, { scale: 2 * prodNative.scale, level: prodNative.level })),
        (e: unknown) => e instanceof CkksError && e.code === 'SCALE_MISMATCH',
      );
      let bottom = ctPublic;
      while (bottom.level > 0) bottom = native.modSwitchToNext(bottom);
      assert.throws(
        () => native.multiplyPlainRescale(bottom, native.encode(w, { level: 0 })),
        (e: unknown) => e instanceof CkksError && e.code === 'LEVEL_MISMATCH',
      );
      const sumNative = native.add(ctPublic, ctY);
      assert.ok(maxError(decryptValues(native, sumNative), decryptValues(seal, sum)) <= 2 * BOUND, 'native add matches seal');
      const dropped = native.modSwitchToNext(ctPublic);
      assert.ok(maxError(decryptValues(seal, transfer(dropped, seal)), x) <= BOUND, 'native mod-switch decrypts in seal');
      if (n === 8192) {
        const squareNative = native.rescaleToNext(native.relinearize(native.multiply(ctPublic, ctY)));
        const expectSq = x.map((v, i) => v * y[i]!);
        assert.ok(maxError(decryptValues(native, squareNative), expectSq) <= 10 * BOUND, 'native multiply, relinearize via seal, rescale');
        const size3 = native.multiply(ctPublic, ctY);
        assert.equal(size3.size, 3);
        assert.ok(maxError(decryptValues(seal, transfer(size3, seal)), expectSq) <= 10 * BOUND, 'native size-3 product decrypts in seal');
        const size3Seal = seal.multiply(inSeal, transfer(ctY, seal));
        assert.ok(maxError(decryptValues(native, transfer(size3Seal, native)), decryptValues(seal, size3Seal)) <= 10 * BOUND, 'size-3 ciphertexts agree');
      }
    } finally {
      native.dispose();
    }
  });
}

test('batch encryption with the worker pool gives ciphertexts that decrypt, in order', async () => {
  const native = await createNativeBackend(presetParams(8192));
  try {
    native.generateKeys({ relin: false });
    const vectors = Array.from({ length: 9 }, (_, i) => values(native.slotCount - i, 100 + i));
    for (const threads of [1, 3]) {
      const bytes = await encryptBatch(native, vectors, { threads });
      assert.equal(bytes.length, vectors.length);
      bytes.forEach((b, i) => {
        const ct = native.deserialize(b);
        assert.ok(maxError(decryptValues(native, ct), vectors[i]!, vectors[i]!.length) <= BOUND, `vector ${i}, threads ${threads}`);
        ct.dispose();
      });
    }
    const symmetric = await encryptBatch(native, vectors.slice(0, 2), { symmetric: true });
    assert.ok(maxError(decryptValues(native, native.deserialize(symmetric[1]!)), vectors[1]!, vectors[1]!.length) <= BOUND);
    // Batches reuse their buffers from call to call: a short vector after full ones has zeros
    // past its end, not the earlier call's values, and earlier results are not overwritten.
    const full = await encryptBatch(native, [values(native.slotCount, 31)]);
    const [short] = await encryptBatch(native, [values(5, 32)]);
    const tail = decryptValues(native, native.deserialize(short!)).subarray(5);
    assert.ok(maxError(tail, new Float64Array(tail.length)) <= BOUND, 'zeros past a short vector');
    assert.ok(maxError(decryptValues(native, native.deserialize(full[0]!)), values(native.slotCount, 31)) <= BOUND, 'the earlier result stands');
    await assert.rejects(encryptBatch(native, vectors, { threads: 0 }), (e: unknown) => e instanceof CkksError && e.code === 'INVALID_ARGUMENT');
  } finally {
    native.dispose();
  }
});

test("encodeEncryptMany into a caller's buffer: the ciphertexts live in it and decrypt; reused buffers and randomness never repeat a ciphertext; a wrong length is INVALID_ARGUMENT", async () => {
  const native = await createNativeBackend(presetParams(8192));
  try {
    native.generateKeys({ relin: false });
    const level = 1;
    const count = 3;
    const vecs = values(count * native.slotCount, 900);
    const out = new BigUint64Array(count * native.ciphertextWords(level));
    const seen: string[] = [];
    for (let round = 0; round < 3; round++) {
      const cts = await native.encodeEncryptMany(vecs, native.slotCount, { level, out });
      assert.equal(cts.length, count);
      cts.forEach((ct, i) => {
        const got = decryptValues(native, ct);
        assert.ok(maxError(got, vecs.subarray(i * native.slotCount), native.slotCount) <= BOUND, `round ${round}, ciphertext ${i}`);
        ct.dispose();
      });
      // the same buffer, written afresh with fresh randomness each round
      seen.push(Buffer.from(out.buffer, 0, 64).toString('hex'));
    }
    assert.equal(new Set(seen).size, seen.length, 'a reused buffer or randomness buffer repeated a ciphertext');
    for (const bad of [new BigUint64Array(count * native.ciphertextWords(level) - 1), new BigUint64Array(count * native.ciphertextWords(2))]) {
      await assert.rejects(
        native.encodeEncryptMany(vecs, native.slotCount, { level, out: bad }),
        (e: unknown) => e instanceof CkksError && e.code === 'INVALID_ARGUMENT',
      );
    }
    assert.throws(
      () => native.ciphertextWords(99),
      (e: unknown) => e instanceof CkksError && e.code === 'LEVEL_MISMATCH',
    );
  } finally {
    native.dispose();
  }
});

test('encodeEncryptMany with the secret key: seeded ciphertexts (each seed expanded on the pool) that decrypt natively and, serialized at half the bytes, in node-seal; with AES-CTR seeds natively only; refused on the GPU', async () => {
  const { native, seal } = await pair(8192);
  const aes = new NativeBackend(presetParams(8192), seal, { symmetricPrng: 'aes256ctr' });
  try {
    const count = 3;
    for (const level of [2, 0]) {
      const vecs = values(count * native.slotCount, 910 + level);
      const out = new BigUint64Array(count * native.ciphertextWords(level));
      const cts = await native.encodeEncryptMany(vecs, native.slotCount, { level, key: 'secret', out });
      const publicBytes = (await native.encodeEncryptMany(vecs.subarray(0, native.slotCount), native.slotCount, { level }))[0]!.serialize().length;
      const seeds = new Set<string>();
      cts.forEach((ct, i) => {
        const want = vecs.subarray(i * native.slotCount, (i + 1) * native.slotCount);
        assert.ok(ct.seeded, 'seeded');
        assert.ok(maxError(decryptValues(native, ct), want) <= BOUND, `native, level ${level}, ciphertext ${i}`);
        const bytes = ct.serialize();
        assert.ok(bytes.length < publicBytes * 0.51, `half the bytes: ${bytes.length} of ${publicBytes}`);
        const parsed = parseCiphertext(bytes);
        assert.equal(parsed.seed?.prngType, 'shake256');
        seeds.add(Buffer.from(parsed.seed.seed).toString('hex'));
        assert.ok(maxError(decryptValues(seal, seal.deserialize(bytes)), want) <= BOUND, `node-seal, level ${level}, ciphertext ${i}`);
        assert.ok(maxError(decryptValues(native, native.deserialize(bytes)), want) <= BOUND, `unseeded natively, level ${level}, ciphertext ${i}`);
      });
      assert.equal(seeds.size, count, 'a fresh seed per ciphertext');
    }
    const one = values(native.slotCount, 920);
    await assert.rejects(
      native.encodeEncryptMany(one, native.slotCount, { key: 'secret', device: 'cuda' }),
      (e: unknown) => e instanceof CkksError && e.code === 'INVALID_ARGUMENT',
    );
    // AES-256-CTR seeds (the batch expands them natively): the one-at-a-time path's format, read by this backend alone
    aes.generateKeys({ relin: false });
    const three = values(3 * aes.slotCount, 930);
    const aesCts = await aes.encodeEncryptMany(three, aes.slotCount, { key: 'secret' });
    aesCts.forEach((ct, i) => {
      const want = three.subarray(i * aes.slotCount, (i + 1) * aes.slotCount);
      assert.ok(maxError(decryptValues(aes, ct), want) <= BOUND, `aes256ctr batch, ciphertext ${i}`);
      const bytes = ct.serialize();
      assert.equal(parseCiphertext(bytes).seed?.prngType, 'aes256ctr');
      assert.ok(maxError(decryptValues(aes, aes.deserialize(bytes)), want) <= BOUND, `aes256ctr, expanded again on reading, ciphertext ${i}`);
      assert.throws(
        () => seal.deserialize(bytes),
        (e: unknown) => e instanceof CkksError,
        'node-seal refuses the project-own seed',
      );
    });
    // a call may name SEAL's stream instead; a stream that is neither is a typed error
    const [shake] = await aes.encodeEncryptMany(one, aes.slotCount, { key: 'secret', seedStream: 'shake256' });
    assert.equal(parseCiphertext(shake!.serialize()).seed?.prngType, 'shake256');
    assert.ok(maxError(decryptValues(aes, aes.deserialize(shake!.serialize())), one) <= BOUND, 'read back with SHAKE256');
    await assert.rejects(
      aes.encodeEncryptMany(one, aes.slotCount, { key: 'secret', seedStream: 'blake2xb' as never }),
      (e: unknown) => e instanceof CkksError && e.code === 'INVALID_ARGUMENT',
    );
    const pt = aes.encode(one);
    assert.throws(
      () => aes.encryptSymmetric(pt, { seedStream: 'md5' as never }),
      (e: unknown) => e instanceof CkksError && e.code === 'INVALID_ARGUMENT',
    );
    assert.equal(parseCiphertext(aes.encryptSymmetric(pt, { seedStream: 'shake256' }).serialize()).seed?.prngType, 'shake256');
    pt.dispose();
    await assert.rejects(
      native.encodeEncryptMany(one, native.slotCount, { key: 'secret', out: new BigUint64Array(5) }),
      (e: unknown) => e instanceof CkksError && e.code === 'INVALID_ARGUMENT',
    );
  } finally {
    aes.dispose();
    native.dispose();
  }
});

test('decryptDecodeFrames: a batch of serialized ciphertexts (full and seeded) decodes as deserialize + decrypt + decode; mixed batches and bad bytes are typed errors', async () => {
  const native = await createNativeBackend(presetParams(8192));
  try {
    native.generateKeys({ relin: false });
    const vectors = Array.from({ length: 5 }, (_, i) => values(native.slotCount, 300 + i));
    const frames = await encryptBatch(native, vectors);
    const out = await native.decryptDecodeFrames(frames);
    assert.equal(out.length, frames.length);
    out.forEach((v, i) => {
      const ct = native.deserialize(frames[i]!);
      assert.deepEqual(v, decryptValues(native, ct), `frame ${i} equals the one-by-one path`);
      assert.ok(maxError(v, vectors[i]!) <= BOUND);
      ct.dispose();
    });
    const first = await native.decryptDecodeFrames(frames, 10);
    assert.deepEqual(
      first.map((v) => v.length),
      [10, 10, 10, 10, 10],
    );
    assert.deepEqual(await native.decryptDecodeFrames([]), []);
    // seeded (symmetric) frames after a full one, and a seeded one first
    const seeded = await encryptBatch(native, vectors.slice(0, 2), { symmetric: true });
    for (const batch of [
      [frames[0]!, seeded[1]!],
      [seeded[0]!, frames[1]!],
    ]) {
      const got = await native.decryptDecodeFrames(batch);
      assert.ok(maxError(got[0]!, vectors[0]!) <= BOUND && maxError(got[1]!, vectors[1]!) <= BOUND);
    }
    const isCode = (code: string) => (e: unknown) => e instanceof CkksError && e.code === code;
    // another level in the batch
    const x = native.encode(vectors[0]!, { level: 0 });
    const low = native.encrypt(x);
    await assert.rejects(native.decryptDecodeFrames([frames[0]!, low.serialize()]), isCode('PARAMETER_MISMATCH'));
    await assert.rejects(native.decryptDecodeFrames([frames[0]!, frames[1]!.subarray(0, 1000)]), isCode('MALFORMED'));
    // a residue out of range (all ones) is caught by the native check
    const bad = Uint8Array.from(frames[1]!);
    bad.fill(0xff, bad.length - 64);
    await assert.rejects(native.decryptDecodeFrames([frames[0]!, bad]), isCode('MALFORMED'));
    await assert.rejects(native.decryptDecodeFrames(frames, 0), isCode('INVALID_ARGUMENT'));
  } finally {
    native.dispose();
  }
});

test('AES-CTR seeded ciphertexts round-trip natively and are refused by node-seal with a typed error', async () => {
  const params = presetParams(8192);
  const seal = await createSealBackend(params);
  const native = new NativeBackend(params, seal, { symmetricPrng: 'aes256ctr' });
  try {
    native.generateKeys({ relin: false });
    const x = values(100, 7);
    const ct = encryptValues(native, x, { symmetric: true });
    const bytes = ct.serialize();
    assert.equal(parseCiphertext(bytes).seed?.prngType, 'aes256ctr');
    assert.ok(maxError(decryptValues(native, native.deserialize(bytes)), x, 100) <= BOUND);
    assert.throws(
      () => seal.deserialize(bytes),
      (e: unknown) => e instanceof CkksError,
    );
  } finally {
    native.dispose();
  }
});

test('bad input: truncated and mutated ciphertexts, other parameters, foreign keys — typed errors only', async () => {
  const { native, seal } = await pair(8192);
  const other = await createNativeBackend(presetParams(16384));
  try {
    other.generateKeys({ relin: false });
    const x = values(native.slotCount, 3);
    const good = encryptValues(native, x).serialize();
    const seeded = encryptValues(native, x, { symmetric: true }).serialize();

    const expectCkks = (fn: () => unknown, what: string): void => {
      try {
        fn();
      } catch (error) {
        assert.ok(error instanceof CkksError, `${what}: ${String(error)}`);
      }
    };
    const useAll = (bytes: Uint8Array): void => {
      const ct = native.deserialize(bytes);
      const values = decryptValues(native, ct);
      assert.equal(values.length, native.slotCount);
      ct.dispose();
    };

    for (const cut of [0, 1, 15, 16, 50, 89, 120, good.length - 8, good.length - 1]) {
      assert.throws(
        () => native.deserialize(good.subarray(0, cut)),
        (e: unknown) => e instanceof CkksError,
        `cut at ${cut}`,
      );
    }
    const next = rng(20261126);
    for (let i = 0; i < 3000; i++) {
      const source = i % 3 === 0 ? seeded : good;
      const bytes = source.slice();
      const flips = 1 + (next() % 4);
      for (let f = 0; f < flips; f++) {
        // Most mutations target the header and metadata, where parsing decisions are made.
        const at = next() % 2 === 0 ? next() % 160 : next() % bytes.length;
        bytes[at] = next() & 0xff;
      }
      expectCkks(() => useAll(bytes), `mutation ${i}`);
    }
    // a word just above its prime in the data: a typed error on use
    const bad = good.slice();
    new DataView(bad.buffer).setBigUint64(bad.length - 8, 0xffffffffffffffffn, true);
    assert.throws(
      () => useAll(bad),
      (e: unknown) => e instanceof CkksError && e.code === 'MALFORMED',
    );
    assert.throws(
      () => seal.deserialize(bad),
      (e: unknown) => e instanceof CkksError && e.code === 'MALFORMED',
      'seal too',
    );

    const fromOther = encryptValues(other, values(10, 4)).serialize();
    assert.throws(
      () => native.deserialize(fromOther),
      (e: unknown) => e instanceof CkksError && e.code === 'PARAMETER_MISMATCH',
    );
    assert.throws(
      () => native.importKey('public', other.exportKey('public')),
      (e: unknown) => e instanceof CkksError,
    );
    assert.throws(
      () => native.importKey('secret', other.exportKey('secret')),
      (e: unknown) => e instanceof CkksError,
    );
    assert.throws(
      () => native.importKey('secret', good),
      (e: unknown) => e instanceof CkksError,
      'a ciphertext is not a secret key',
    );
    assert.throws(
      () => native.encode([Number.NaN]),
      (e: unknown) => e instanceof CkksError && e.code === 'INVALID_ARGUMENT',
    );
    assert.throws(
      () => native.encode(new Float64Array(native.slotCount + 1)),
      (e: unknown) => e instanceof CkksError,
    );
    assert.throws(
      () => native.encode([1], { scale: 2 ** 200 }),
      (e: unknown) => e instanceof CkksError && e.code === 'INVALID_ARGUMENT',
    );
    assert.throws(
      () => native.encode([1e30]),
      (e: unknown) => e instanceof CkksError && e.code === 'INVALID_ARGUMENT',
    );
    const foreign = encryptValues(seal, x);
    assert.throws(
      () => native.add(foreign, foreign),
      (e: unknown) => e instanceof CkksError && e.code === 'FOREIGN_HANDLE',
    );
    const low = native.modSwitchToNext(native.deserialize(good));
    assert.throws(
      () => native.add(low, native.deserialize(good)),
      (e: unknown) => e instanceof CkksError && e.code === 'LEVEL_MISMATCH',
    );
  } finally {
    native.dispose();
    other.dispose();
  }
});
