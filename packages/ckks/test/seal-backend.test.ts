import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decryptValues, encryptValues, modSwitchToLevel, type CiphertextHandle } from '../src/backend.js';
import { CkksError, type CkksErrorCode } from '../src/errors.js';
import { CKKS_PRESETS, presetParams } from '../src/params.js';
import { parseCiphertext, parseKSwitchKeys, parsePublicKey, parseSecretKey } from '../src/seal-format.js';
import { createSealBackend, type SealBackend } from '../src/seal/backend.js';
import { maxAbsDiff, rng } from './helpers.js';

function expectCode(fn: () => unknown, code: CkksErrorCode): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CkksError, String(e));
    assert.equal(e.code, code, e.message);
    return true;
  });
}

/** Two vectors of `slots` values in [-1, 1], the same on every call (seed 99). */
function testVectors(slots: number): { x: Float64Array; y: Float64Array } {
  const r = rng(99);
  const x = Float64Array.from({ length: slots }, () => r() * 2 - 1);
  const y = Float64Array.from({ length: slots }, () => r() * 2 - 1);
  return { x, y };
}

/** A backend with every key (Galois keys for steps 1, -1 and 7), and the test vectors for its slots. */
async function keyedBackend(): Promise<{ b: SealBackend; x: Float64Array; y: Float64Array }> {
  const b = await createSealBackend(CKKS_PRESETS[8192]);
  b.generateKeys({ galoisSteps: [1, -1, 7] });
  return { b, ...testVectors(b.slotCount) };
}

describe('seal backend (n = 8192, {60, 40, 40, 60}, scale 2^40): keys, encryption and evaluation', () => {
  let b: SealBackend;
  let x: Float64Array;
  let y: Float64Array;

  before(async () => {
    ({ b, x, y } = await keyedBackend());
  });
  after(() => b.dispose());

  it('holds all keys after generateKeys', () => {
    for (const k of ['secret', 'public', 'relin', 'galois'] as const) assert.equal(b.hasKey(k), true, k);
    assert.equal(b.slotCount, 4096);
    assert.equal(b.params.maxLevel, 2);
  });

  it('encode/encrypt/decrypt round trip: error < 1e-6 for inputs in [-1, 1]', () => {
    const ct = encryptValues(b, x);
    assert.equal(ct.level, 2);
    assert.equal(ct.scale, 2 ** 40);
    assert.equal(ct.size, 2);
    assert.equal(ct.seeded, false);
    assert.equal(ct.parmsId, '0f8bbf7d4509a0123c2bc9d4f3d564630c448ed8cc41a8965894081870675512');
    const out = decryptValues(b, ct);
    assert.equal(out.length, 4096);
    assert.ok(maxAbsDiff(out, x) < 1e-6, String(maxAbsDiff(out, x)));
    ct.dispose();
    assert.equal(ct.disposed, true);
  });

  it('symmetric encryption serializes to the seeded form and round-trips', () => {
    const ct = encryptValues(b, x, { symmetric: true });
    assert.equal(ct.seeded, true);
    const bytes = ct.serialize();
    const parsed = parseCiphertext(bytes);
    assert.equal(parsed.seed?.prngType, 'blake2xb');
    const full = encryptValues(b, x).serialize();
    assert.ok(bytes.length < full.length * 0.51, `${bytes.length} vs ${full.length}`);
    assert.ok(maxAbsDiff(decryptValues(b, ct), x) < 1e-6);
    const back = b.deserialize(bytes);
    assert.equal(back.level, 2);
    assert.ok(maxAbsDiff(decryptValues(b, back), x) < 1e-6);
    // the seeded handle can be used in arithmetic too (its seed is expanded on first use)
    const sum = b.add(ct, back);
    assert.ok(
      maxAbsDiff(
        decryptValues(b, sum),
        x.map((v) => 2 * v),
      ) < 1e-6,
    );
  });

  it('add, sub, negate', () => {
    const a = encryptValues(b, x);
    const c = encryptValues(b, y);
    assert.ok(
      maxAbsDiff(
        decryptValues(b, b.add(a, c)),
        x.map((v, i) => v + y[i]!),
      ) < 1e-6,
    );
    assert.ok(
      maxAbsDiff(
        decryptValues(b, b.sub(a, c)),
        x.map((v, i) => v - y[i]!),
      ) < 1e-6,
    );
    assert.ok(
      maxAbsDiff(
        decryptValues(b, b.negate(a)),
        x.map((v) => -v),
      ) < 1e-6,
    );
  });

  it('addPlain, multiplyPlain + rescale', () => {
    const a = encryptValues(b, x);
    const py = b.encode(y);
    assert.ok(
      maxAbsDiff(
        decryptValues(b, b.addPlain(a, py)),
        x.map((v, i) => v + y[i]!),
      ) < 1e-6,
    );
    const prod = b.multiplyPlain(a, py);
    assert.equal(prod.level, 2);
    assert.equal(prod.scale, 2 ** 80);
    const r = b.rescaleToNext(prod);
    assert.equal(r.level, 1);
    assert.ok(Math.abs(Math.log2(r.scale) - 40) < 0.01);
    assert.ok(
      maxAbsDiff(
        decryptValues(b, r),
        x.map((v, i) => v * y[i]!),
      ) < 1e-5,
    );
    // a plaintext for the next level, at the rescaled ciphertext's scale
    const p2 = b.encode(y, { level: 1, scale: r.scale });
    assert.equal(p2.level, 1);
    assert.ok(
      maxAbsDiff(
        decryptValues(b, b.addPlain(r, p2)),
        x.map((v, i) => v * y[i]! + y[i]!),
      ) < 1e-5,
    );
    expectCode(() => b.multiplyPlain(r, py), 'LEVEL_MISMATCH');
  });

  it('multiply + relinearize + rescale; mod-switch', () => {
    const a = encryptValues(b, x);
    const c = encryptValues(b, y);
    const m = b.multiply(a, c);
    assert.equal(m.size, 3);
    const rl = b.relinearize(m);
    assert.equal(rl.size, 2);
    const r = b.rescaleToNext(rl);
    assert.ok(
      maxAbsDiff(
        decryptValues(b, r),
        x.map((v, i) => v * y[i]!),
      ) < 1e-5,
    );
    const a1 = b.modSwitchToNext(a);
    assert.equal(a1.level, 1);
    assert.equal(a1.scale, 2 ** 40);
    assert.ok(maxAbsDiff(decryptValues(b, a1), x) < 1e-6);
    const a0 = modSwitchToLevel(b, a, 0);
    assert.equal(a0.level, 0);
    expectCode(() => b.rescaleToNext(a0), 'LEVEL_MISMATCH');
    expectCode(() => b.modSwitchToNext(a0), 'LEVEL_MISMATCH');
    expectCode(() => b.add(a, a1), 'LEVEL_MISMATCH');
    // scales differ after rescaling (2^80 / q2 ≠ 2^40): SEAL refuses, typed
    expectCode(() => b.add(r, a1), 'SCALE_MISMATCH');
  });

  it('rotate with Galois keys', () => {
    const a = encryptValues(b, x);
    const n = b.slotCount;
    for (const s of [1, -1, 7]) {
      const out = decryptValues(b, b.rotate(a, s));
      const want = Float64Array.from({ length: n }, (_, i) => x[(((i + s) % n) + n) % n]!);
      assert.ok(maxAbsDiff(out, want) < 1e-5, `step ${s}`);
    }
    // 8 = 7 + 1 via SEAL's NAF decomposition is not available (8 → 8), so the key is missing
    expectCode(() => b.rotate(a, 8), 'MISSING_KEY');
    expectCode(() => b.rotate(a, 5000), 'INVALID_ARGUMENT');
  });
});

describe('seal backend (n = 8192, {60, 40, 40, 60}, scale 2^40): key exchange and typed refusals', () => {
  let b: SealBackend;
  let x: Float64Array;
  let y: Float64Array;

  before(async () => {
    ({ b, x, y } = await keyedBackend());
  });
  after(() => b.dispose());

  it('exports keys as SEAL bytes and another backend imports them (proxy → inference → proxy)', async () => {
    const pub = b.exportKey('public');
    const relin = b.exportKey('relin');
    const galois = b.exportKey('galois');
    assert.equal(parsePublicKey(pub).coeffModulusSize, 4);
    assert.equal(parseKSwitchKeys(relin).keys[0]!.length, 3);
    assert.ok(parseSecretKey(b.exportKey('secret')).coeffCount === 4 * 8192);
    const server = await createSealBackend(CKKS_PRESETS[8192]);
    try {
      server.importKey('public', pub);
      server.importKey('relin', relin);
      server.importKey('galois', galois);
      assert.equal(server.hasKey('secret'), false);
      // the client encrypts, the server computes x*y rotated by one, the client decrypts
      const cx = server.deserialize(encryptValues(b, x).serialize());
      const cy = server.deserialize(encryptValues(b, y, { symmetric: true }).serialize());
      const res = server.rotate(server.rescaleToNext(server.relinearize(server.multiply(cx, cy))), 1);
      const back = b.deserialize(res.serialize());
      const n = b.slotCount;
      const want = Float64Array.from({ length: n }, (_, i) => x[(i + 1) % n]! * y[(i + 1) % n]!);
      assert.ok(maxAbsDiff(decryptValues(b, back), want) < 1e-5);
      // the server can encrypt with the public key but not decrypt
      const fromServer = encryptValues(server, y);
      expectCode(() => decryptValues(server, fromServer), 'MISSING_KEY');
      expectCode(() => encryptValues(server, y, { symmetric: true }), 'MISSING_KEY');
      assert.ok(maxAbsDiff(decryptValues(b, b.deserialize(fromServer.serialize())), y) < 1e-6);
    } finally {
      server.dispose();
    }
  });

  it('refuses foreign, disposed, malformed and mismatched inputs with typed errors', async () => {
    const other = await createSealBackend({ n: 8192, coeffModulusBits: [60, 40, 60], scaleBits: 40 });
    try {
      other.generateKeys({ relin: false });
      const foreign = encryptValues(other, x);
      expectCode(() => b.add(foreign, foreign), 'FOREIGN_HANDLE');
      expectCode(() => b.deserialize(foreign.serialize()), 'PARAMETER_MISMATCH');
      expectCode(() => b.importKey('public', other.exportKey('public')), 'PARAMETER_MISMATCH');
      expectCode(() => other.relinearize(foreign), 'MISSING_KEY');
    } finally {
      other.dispose();
    }
    const ct = encryptValues(b, x);
    const bytes = ct.serialize();
    ct.dispose();
    expectCode(() => b.negate(ct), 'DISPOSED');
    expectCode(() => ct.serialize(), 'DISPOSED');
    expectCode(() => b.deserialize(bytes.subarray(0, 1000)), 'MALFORMED');
    const bad = bytes.slice();
    bad[16 + 33] = 9; // size = 9 polynomials: inconsistent with the data
    expectCode(() => b.deserialize(bad), 'MALFORMED');
    expectCode(() => b.encode(new Float64Array(4097)), 'INVALID_ARGUMENT');
    expectCode(() => b.encode([NaN]), 'INVALID_ARGUMENT');
    expectCode(() => b.generateGaloisKeys([0]), 'INVALID_ARGUMENT');
  });
});

describe('seal backend (n = 8192, {60, 40, 40, 60}, scale 2^40): lifecycle and security level', () => {
  const { x, y } = testVectors(presetParams(8192).slotCount);

  it('dispose frees every handle; the backend then refuses work', async () => {
    const t = await createSealBackend({ n: 8192, coeffModulusBits: [60, 40, 60], scaleBits: 40 });
    t.generateKeys({ relin: false });
    const hs: CiphertextHandle[] = [];
    for (let i = 0; i < 5; i++) hs.push(encryptValues(t, x));
    const p = t.encode(y);
    assert.equal(t.liveHandles, 6);
    hs[0]!.dispose();
    assert.equal(t.liveHandles, 5);
    t.dispose();
    assert.equal(t.liveHandles, 0);
    assert.equal(t.disposed, true);
    assert.equal(p.disposed, true);
    for (const h of hs) assert.equal(h.disposed, true);
    expectCode(() => t.encode(x), 'DISPOSED');
    t.dispose(); // idempotent
  });

  it('refuses insecure parameters unless insecure: true (then uses security level none)', async () => {
    await assert.rejects(createSealBackend({ n: 4096, coeffModulusBits: [40, 40, 40], scaleBits: 30 }), (e: unknown) => {
      assert.ok(e instanceof CkksError);
      assert.equal(e.code, 'INSECURE_PARAMETERS');
      return true;
    });
    const weak = await createSealBackend({ n: 4096, coeffModulusBits: [40, 40, 40], scaleBits: 30, insecure: true });
    try {
      weak.generateKeys();
      const v = [0.5, -0.25, 1];
      assert.ok(maxAbsDiff(decryptValues(weak, encryptValues(weak, v)), v, 3) < 1e-4);
    } finally {
      weak.dispose();
    }
  });
});
