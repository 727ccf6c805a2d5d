import { test } from 'node:test';
import assert from 'node:assert/strict';

import { CkksCore, KernelError, NttContext, SHAKE_SEED_BYTES, ckksSampleNoise, ckksSampleTernary, generateNttPrimes, shake256Blocks } from '../src/index.js';
import { bytes, expectCode, mainThreadCost, maxError, presetModuli } from './helpers.js';

const N = 8192;
// SEAL's CoeffModulus::Create(8192, {60, 40, 40, 60}): for each bit size the largest primes
// = 1 mod 2n, handed out smallest first — so q_0 is the second largest 60-bit prime and
// the special prime the largest (checked against node-seal 6.0.3).
const MODULI = presetModuli(N);
const SCALE = 2 ** 40;

function randomValues(count: number, lo = -1, hi = 1): Float64Array {
  const v = new Float64Array(count);
  for (let i = 0; i < count; i++) v[i] = lo + (hi - lo) * Math.random();
  return v;
}

interface Keys {
  core: CkksCore;
  sk: BigUint64Array;
  pk: BigUint64Array;
}

let shared: Keys | undefined;
function keys(): Keys {
  if (shared) return shared;
  const core = new CkksCore(N, MODULI);
  const k = core.dataPrimeCount;
  const sk = core.generateSecretKey(bytes(core.randomnessBytes('secretKey')));
  const pk = core.generatePublicKey(sk, bytes(core.randomnessBytes('uniform', k + 1)), bytes(core.randomnessBytes('noise')));
  shared = { core, sk, pk };
  return shared;
}

function encryptOne(level: number, values: Float64Array): BigUint64Array {
  const { core, pk } = keys();
  const plain = core.encode(values, SCALE, level);
  return core.encryptPublic(pk, plain, 1, level, bytes(core.randomnessBytes('encryptPublic')));
}

function decryptDecode(ct: BigUint64Array, level: number, scale = SCALE): Float64Array {
  const { core, sk } = keys();
  return core.decode(core.decrypt(sk, ct, level), scale);
}

test('ckks: the context reports its shape and randomness needs', () => {
  const { core } = keys();
  assert.equal(core.n, N);
  assert.equal(core.slots, N / 2);
  assert.equal(core.dataPrimeCount, 3);
  assert.equal(core.randomnessBytes('ternary'), 8 * N);
  assert.equal(core.randomnessBytes('noise'), 8 * N);
  assert.equal(core.randomnessBytes('encryptPublic'), 24 * N);
  const u3 = core.randomnessBytes('uniform', 3);
  assert.ok(u3 >= 3 * 8 * N && u3 < 3 * 8 * N * 1.2, String(u3));
});

test('ckks: slot j is m(zeta^(3^j)) / scale (SEAL layout), checked against a direct evaluation', () => {
  const n = 32;
  const [q, p] = generateNttPrimes(50, n, 2);
  const core = new CkksCore(n, [q!, p!]);
  const ntt = new NttContext(n, [q!]);
  const values = randomValues(n / 2);
  const plain = core.encode(values, 2 ** 30, 1);
  ntt.inverse(plain);
  const coeffs = Array.from(plain, (v) => Number(v > q! / 2n ? -(q! - v) : v));
  let g = 1;
  for (let j = 0; j < n / 2; j++) {
    let re = 0;
    for (let i = 0; i < n; i++) re += coeffs[i]! * Math.cos((Math.PI * ((g * i) % (2 * n))) / n);
    assert.ok(Math.abs(re / 2 ** 30 - values[j]!) < 1e-6, `slot ${j}: ${re / 2 ** 30} vs ${values[j]}`);
    g = (g * 3) % (2 * n);
  }
  core.dispose();
  ntt.dispose();
});

test('ckks: encode/decode round trip at scale 2^40 is within 1e-7 at every level', () => {
  const { core } = keys();
  for (let level = 1; level <= 3; level++) {
    const v = randomValues(N / 2);
    const plain = core.encode(v, SCALE, level);
    assert.equal(plain.length, level * N);
    const err = maxError(core.decode(plain, SCALE), v);
    assert.ok(err <= 1e-7, `level ${level}: ${err}`);
  }
  // fewer values are zero padded; complex values round trip
  const short = core.decode(core.encode(Float64Array.of(0.25, -0.5), SCALE), SCALE, 4);
  assert.ok(maxError(short, [0.25, -0.5, 0, 0]) <= 1e-7);
  const c = randomValues(N);
  assert.ok(maxError(core.decodeComplex(core.encodeComplex(c, SCALE), SCALE), c) <= 1e-7);
});

test('ckks: public-key and symmetric encryption decrypt within 1e-6 at every level', () => {
  const { core, sk } = keys();
  for (let level = 1; level <= 3; level++) {
    const v = randomValues(N / 2);
    const ct = encryptOne(level, v);
    assert.equal(ct.length, 2 * level * N);
    assert.ok(maxError(decryptDecode(ct, level), v) <= 1e-6, `public, level ${level}`);
    const plain = core.encode(v, SCALE, level);
    const sct = core.encryptSymmetric(sk, plain, level, bytes(core.randomnessBytes('uniform', level)), bytes(core.randomnessBytes('noise')));
    assert.ok(maxError(decryptDecode(sct, level), v) <= 1e-6, `symmetric, level ${level}`);
    // Into a given buffer: every word written (it starts full of ones), the same words as a fresh result.
    const out = new BigUint64Array(level * N).fill(0xffffffffffffffffn);
    assert.equal(core.decrypt(sk, ct, level, { out }), out);
    assert.deepEqual(out, core.decrypt(sk, ct, level), `decrypt into out, level ${level}`);
    expectCode(() => core.decrypt(sk, ct, level, { out: new BigUint64Array(level * N + 1) }), 'INVALID_ARGUMENT');
    expectCode(() => core.decrypt(sk, ct, level, { out: ct.subarray(0, level * N) }), 'INVALID_ARGUMENT');
    out.fill(0xffffffffffffffffn);
    assert.equal(core.encode(v, SCALE, level, { out }), out);
    assert.deepEqual(out, plain, `encode into out, level ${level}`);
    expectCode(() => core.encode(v, SCALE, level, { out: new BigUint64Array(level * N - 1) }), 'INVALID_ARGUMENT');
  }
});

test('ckks: batched, fused and async encryptions agree with single calls', async () => {
  const { core, pk } = keys();
  const count = 4;
  const level = 3;
  const values = randomValues(count * (N / 2));
  const plains = new BigUint64Array(count * level * N);
  for (let i = 0; i < count; i++) plains.set(core.encode(values.subarray(i * (N / 2), (i + 1) * (N / 2)), SCALE, level), i * level * N);
  const per = core.randomnessBytes('encryptPublic');
  const rand = bytes(count * per);
  const batch = core.encryptPublic(pk, plains, count, level, rand);
  const one = core.encryptPublic(pk, plains.subarray(level * N, 2 * level * N), 1, level, rand.subarray(per, 2 * per));
  assert.deepEqual(batch.subarray(2 * level * N, 4 * level * N), one);
  assert.deepEqual(core.encodeEncryptPublic(pk, values, N / 2, count, SCALE, level, rand), batch);
  assert.deepEqual(await core.encryptPublicAsync(pk, plains, count, level, rand), batch);
  assert.deepEqual(await core.encodeEncryptPublicAsync(pk, values, N / 2, count, SCALE, level, rand), batch);
  for (let i = 0; i < count; i++) {
    const ct = batch.subarray(i * 2 * level * N, (i + 1) * 2 * level * N);
    assert.ok(maxError(decryptDecode(ct, level), values.subarray(i * (N / 2), (i + 1) * (N / 2))) <= 1e-6);
  }
});

test("ckks: seeded encode+encrypt equals encode + encryptSymmetric with each seed's SHAKE256 expansion; sync and async agree", async () => {
  const { core, sk } = keys();
  const count = 3;
  for (const level of [3, 1]) {
    const values = randomValues(count * 1000);
    const seeds = bytes(count * SHAKE_SEED_BYTES);
    const noisePer = core.randomnessBytes('noise');
    const noise = bytes(count * noisePer);
    const seeded = core.encodeEncryptSeeded(sk, values, 1000, count, SCALE, level, seeds, noise);
    assert.deepEqual(await core.encodeEncryptSeededAsync(sk, values, 1000, count, SCALE, level, seeds, noise), seeded);
    const words = 2 * level * N;
    for (let c = 0; c < count; c++) {
      const uniform = shake256Blocks(seeds.subarray(c * SHAKE_SEED_BYTES, (c + 1) * SHAKE_SEED_BYTES), new Uint8Array(core.randomnessBytes('uniform', level)));
      const plain = core.encode(values.subarray(c * 1000, (c + 1) * 1000), SCALE, level);
      const one = core.encryptSymmetric(sk, plain, level, uniform, noise.subarray(c * noisePer, (c + 1) * noisePer));
      const ct = seeded.subarray(c * words, (c + 1) * words);
      assert.deepEqual(ct, one, `level ${level}, ciphertext ${c}`);
      // c1 is the seed's uniform polynomial, sampled into a given buffer as into a fresh one
      const c1 = new BigUint64Array(level * N).fill(7n);
      core.sampleUniform(uniform, level, { out: c1 });
      assert.deepEqual(c1, ct.subarray(level * N), `c1 at level ${level}`);
      assert.deepEqual(core.sampleUniform(uniform, level), c1);
      const back = decryptDecode(ct, level).subarray(0, 1000);
      assert.ok(maxError(back, values.subarray(c * 1000, (c + 1) * 1000)) <= 1e-6);
    }
  }
  const seeds = bytes(SHAKE_SEED_BYTES);
  const noise = bytes(core.randomnessBytes('noise'));
  expectCode(() => core.sampleUniform(bytes(core.randomnessBytes('uniform', 2)), 2, { out: new BigUint64Array(N) }), 'INVALID_ARGUMENT');
  expectCode(() => core.encodeEncryptSeeded(sk, randomValues(10), 10, 1, SCALE, 3, seeds.subarray(1), noise), 'LENGTH_MISMATCH');
  expectCode(() => core.encodeEncryptSeeded(sk, randomValues(10), 10, 1, SCALE, 3, seeds, noise.subarray(1)), 'RANDOMNESS_EXHAUSTED');
  expectCode(() => core.encodeEncryptSeeded(sk, randomValues(10), 5, 1, SCALE, 3, seeds, noise), 'LENGTH_MISMATCH');
  expectCode(() => core.encodeEncryptSeeded(sk, Float64Array.of(1e30), 1, 1, SCALE, 3, seeds, noise), 'SCALE_OUT_OF_BOUNDS');
  await assert.rejects(core.encodeEncryptSeededAsync(sk, randomValues(10), 10, 1, SCALE, 9, seeds, noise), (e: unknown) => e instanceof KernelError);
});

test('ckks: decryptDecodeAsync of a batch equals decrypt + decode one by one, and refuses bad shapes', async () => {
  const { core, pk, sk } = keys();
  const count = 3;
  const level = 2;
  const values = randomValues(count * (N / 2));
  const batch = core.encodeEncryptPublic(pk, values, N / 2, count, SCALE, level, bytes(count * core.randomnessBytes('encryptPublic')));
  const per = 100;
  const out = await core.decryptDecodeAsync(sk, batch, count, 2, level, SCALE, per);
  assert.equal(out.length, count * per);
  for (let i = 0; i < count; i++) {
    const ct = batch.subarray(i * 2 * level * N, (i + 1) * 2 * level * N);
    assert.deepEqual(out.subarray(i * per, (i + 1) * per), decryptDecode(ct, level).subarray(0, per));
    assert.ok(maxError(out.subarray(i * per, (i + 1) * per), values.subarray(i * (N / 2), i * (N / 2) + per)) <= 1e-6);
  }
  const all = await core.decryptDecodeAsync(sk, batch, count, 2, level, SCALE);
  assert.equal(all.length, count * (N / 2));
  const rejectsWith = (p: Promise<unknown>, code: string) => assert.rejects(p, (e: unknown) => e instanceof KernelError && e.code === code);
  await rejectsWith(core.decryptDecodeAsync(sk, batch.subarray(1), count, 2, level, SCALE), 'LENGTH_MISMATCH');
  await rejectsWith(core.decryptDecodeAsync(sk, batch, count, 4, level, SCALE), 'INVALID_ARGUMENT');
  await rejectsWith(core.decryptDecodeAsync(sk, batch, count, 2, level, SCALE, N), 'LENGTH_MISMATCH');
  await rejectsWith(core.decryptDecodeAsync(sk.subarray(N), batch, count, 2, level, SCALE), 'LENGTH_MISMATCH');
});

test('ckks: decryptDecodeAsync reads one byte view per ciphertext, at any alignment, as it reads a batch', async () => {
  const { core, pk, sk } = keys();
  const count = 3;
  const level = 2;
  const words = 2 * level * N;
  const batch = core.encodeEncryptPublic(pk, randomValues(count * (N / 2)), N / 2, count, SCALE, level, bytes(count * core.randomnessBytes('encryptPublic')));
  const expected = await core.decryptDecodeAsync(sk, batch, count, 2, level, SCALE, 64);
  // each ciphertext at an odd offset inside a frame-like buffer, as it sits in a received body
  const views = Array.from({ length: count }, (_, i) => {
    const frame = new Uint8Array(words * 8 + 8);
    frame.set(new Uint8Array(batch.buffer, batch.byteOffset + i * words * 8, words * 8), 3);
    return frame.subarray(3, 3 + words * 8);
  });
  assert.deepEqual(await core.decryptDecodeAsync(sk, views, count, 2, level, SCALE, 64), expected);
  const rejectsWith = (p: Promise<unknown>, code: string) => assert.rejects(p, (e: unknown) => e instanceof KernelError && e.code === code);
  await rejectsWith(core.decryptDecodeAsync(sk, views.slice(1), count, 2, level, SCALE), 'LENGTH_MISMATCH');
  await rejectsWith(core.decryptDecodeAsync(sk, [views[0]!, views[1]!.subarray(8), views[2]!], count, 2, level, SCALE), 'LENGTH_MISMATCH');
  await rejectsWith(
    core.decryptDecodeAsync(sk, [views[0]!, new Uint16Array(words * 4) as unknown as Uint8Array, views[2]!], count, 2, level, SCALE),
    'LENGTH_MISMATCH',
  );
  // a residue out of range in one view is the native input check's typed error, not a crash
  const bad = Uint8Array.from(views[1]!);
  bad.fill(0xff, 0, 64);
  await rejectsWith(core.decryptDecodeAsync(sk, [views[0]!, bad, views[2]!], count, 2, level, SCALE, 64, { checkInput: true }), 'VALUE_OUT_OF_RANGE');
  // views are gathered 16 at a time: 35 of them cross two chunk boundaries and end in a part chunk
  const many = Array.from({ length: 35 }, (_, i) => views[i % count]!);
  const want = Array.from({ length: 35 }, (_, i) => expected.subarray((i % count) * 64, ((i % count) + 1) * 64));
  const got = await core.decryptDecodeAsync(sk, many, many.length, 2, level, SCALE, 64);
  for (let i = 0; i < 35; i++) assert.deepEqual(got.subarray(i * 64, (i + 1) * 64), want[i], `view ${i}`);
});

test('ckks: async encryption leaves the event loop free', async () => {
  const { core, pk } = keys();
  const count = 8;
  const randomness = bytes(count * core.randomnessBytes('encryptPublic'));
  // The batch runs on a worker thread: the loop's own thread spends a small part of the CPU the
  // same encryptions cost it when run synchronously.
  const cost = await mainThreadCost(
    () => core.encryptPublic(pk, null, count, 3, randomness),
    () => core.encryptPublicAsync(pk, null, count, 3, randomness),
  );
  assert.ok(cost.asyncTicks * 3 <= cost.syncTicks, `main thread: ${cost.asyncTicks} ticks async vs ${cost.syncTicks} sync over ${cost.rounds} rounds`);
});

test('ckks: homomorphic add, sub, negate, addPlain, multiplyPlain + rescale (and fused), multiply, modSwitch', () => {
  const { core } = keys();
  const L = 3;
  const a = randomValues(N / 2);
  const b = randomValues(N / 2);
  const ca = encryptOne(L, a);
  const cb = encryptOne(L, b);
  const pb = core.encode(b, SCALE, L);
  const sum = a.map((x, i) => x + b[i]!);
  const prod = a.map((x, i) => x * b[i]!);
  assert.ok(maxError(decryptDecode(core.add(ca, cb, L), L), sum) <= 1e-6);
  assert.ok(
    maxError(
      decryptDecode(core.sub(ca, cb, L), L),
      a.map((x, i) => x - b[i]!),
    ) <= 1e-6,
  );
  assert.ok(
    maxError(
      decryptDecode(core.negate(ca, L), L),
      a.map((x) => -x),
    ) <= 1e-6,
  );
  assert.ok(maxError(decryptDecode(core.addPlain(ca, pb, L), L), sum) <= 1e-6);

  const mp = core.multiplyPlain(ca, pb, L);
  const rescaled = core.rescale(mp, L);
  assert.equal(rescaled.length, 2 * (L - 1) * N);
  const scale2 = core.rescaledScale(SCALE * SCALE, L);
  assert.equal(scale2, (SCALE * SCALE) / Number(MODULI[2]!));
  assert.ok(maxError(decryptDecode(rescaled, L - 1, scale2), prod) <= 1e-5);

  // multiplyPlain, rescale and addPlain in one call: the same words
  assert.deepEqual(core.multiplyPlainRescale(ca, pb, null, L), rescaled);
  const shift = core.encode(b, scale2, L - 1);
  const affine = core.multiplyPlainRescale(ca, pb, shift, L);
  assert.deepEqual(affine, core.addPlain(rescaled, shift, L - 1));
  assert.ok(
    maxError(
      decryptDecode(affine, L - 1, scale2),
      prod.map((p, i) => p + b[i]!),
    ) <= 1e-5,
  );
  const into = new BigUint64Array(affine.length);
  assert.equal(core.multiplyPlainRescale(ca, pb, shift, L, { out: into }), into);
  assert.deepEqual(into, affine);
  expectCode(() => core.multiplyPlainRescale(ca, pb, shift.subarray(1), L), 'LENGTH_MISMATCH');
  expectCode(() => core.multiplyPlainRescale(core.modSwitch(core.modSwitch(ca, L), L - 1), pb.subarray(0, N), null, 1), 'INVALID_ARGUMENT');
  expectCode(() => core.multiplyPlainRescale(ca, pb, null, L, { out: new BigUint64Array(3) }), 'INVALID_ARGUMENT');

  const m3 = core.multiply(ca, cb, L);
  assert.equal(m3.length, 3 * L * N);
  assert.ok(maxError(decryptDecode(m3, L, SCALE * SCALE), prod) <= 1e-6, 'size-3 decrypt with s^2');
  assert.ok(maxError(decryptDecode(core.rescale(m3, L), L - 1, scale2), prod) <= 1e-5);

  const switched = core.modSwitch(ca, L);
  assert.equal(switched.length, 2 * (L - 1) * N);
  assert.ok(maxError(decryptDecode(switched, L - 1), a) <= 1e-6);
  // plaintexts switch too
  assert.ok(maxError(core.decode(core.modSwitch(pb, L), SCALE), b) <= 1e-7);
});

test('ckks: noise sampler has variance 3.2^2 and |e| <= 19; ternary is uniform on {-1, 0, 1}', () => {
  const count = 1 << 20;
  const rand = bytes(8 * count);
  const e = ckksSampleNoise(rand, count);
  let sum = 0;
  let sq = 0;
  let max = 0;
  for (const x of e) {
    sum += x;
    sq += x * x;
    max = Math.max(max, Math.abs(x));
  }
  const mean = sum / count;
  const variance = sq / count - mean * mean;
  // rounding a normal of variance 10.24 adds about 1/12
  assert.ok(Math.abs(mean) < 0.05, `mean ${mean}`);
  assert.ok(Math.abs(variance - (3.2 * 3.2 + 1 / 12)) < 0.2, `variance ${variance}`);
  assert.ok(max <= 19, `max ${max}`);

  const t = ckksSampleTernary(rand, count);
  const freq = new Map<number, number>();
  for (const x of t) freq.set(x, (freq.get(x) ?? 0) + 1);
  assert.deepEqual([...freq.keys()].sort(), [-1, 0, 1]);
  for (const [value, f] of freq) assert.ok(Math.abs(f / count - 1 / 3) < 0.005, `P(${value}) = ${f / count}`);
});

test('ckks: bad inputs are typed errors', async () => {
  const { core, sk, pk } = keys();
  const plain = core.encode(Float64Array.of(1), SCALE, 3);
  const per = core.randomnessBytes('encryptPublic');
  // lengths
  expectCode(() => core.encryptPublic(pk.subarray(1), plain, 1, 3, bytes(per)), 'LENGTH_MISMATCH');
  expectCode(() => core.encryptPublic(pk, plain.subarray(1), 1, 3, bytes(per)), 'LENGTH_MISMATCH');
  expectCode(() => core.encryptPublic(pk, plain, 2, 3, bytes(2 * per)), 'LENGTH_MISMATCH');
  expectCode(() => core.decrypt(sk, new BigUint64Array(5 * N), 2), 'LENGTH_MISMATCH');
  expectCode(() => core.decode(new BigUint64Array(N + 1), SCALE), 'LENGTH_MISMATCH');
  expectCode(() => core.encode(new Float64Array(N / 2 + 1), SCALE, 1), 'LENGTH_MISMATCH');
  expectCode(() => core.multiply(plain, plain, 3), 'LENGTH_MISMATCH');
  // levels
  expectCode(() => core.encode(Float64Array.of(1), SCALE, 0), 'INVALID_ARGUMENT');
  expectCode(() => core.encode(Float64Array.of(1), SCALE, 4), 'INVALID_ARGUMENT');
  expectCode(() => core.encryptPublic(pk, plain, 1, 4, bytes(per)), 'INVALID_ARGUMENT');
  expectCode(() => core.rescale(core.encode(Float64Array.of(1), SCALE, 1), 1), 'INVALID_ARGUMENT');
  expectCode(() => core.randomnessBytes('uniform', 5), 'INVALID_ARGUMENT');
  // randomness
  expectCode(() => core.encryptPublic(pk, plain, 1, 3, bytes(per - 1)), 'RANDOMNESS_EXHAUSTED');
  expectCode(() => core.generateSecretKey(bytes(100)), 'RANDOMNESS_EXHAUSTED');
  expectCode(() => core.encryptSymmetric(sk, plain, 3, new Uint8Array(core.randomnessBytes('uniform', 3)).fill(0xff), bytes(8 * N)), 'RANDOMNESS_EXHAUSTED');
  expectCode(() => ckksSampleNoise(bytes(15), 2), 'RANDOMNESS_EXHAUSTED');
  // values and scales
  expectCode(() => core.encode(Float64Array.of(1e30), SCALE, 3), 'SCALE_OUT_OF_BOUNDS');
  expectCode(() => core.encode(Float64Array.of(1), 0, 3), 'SCALE_OUT_OF_BOUNDS');
  expectCode(() => core.encode(Float64Array.of(1), 2 ** 200, 3), 'SCALE_OUT_OF_BOUNDS');
  expectCode(() => core.encode(Float64Array.of(Number.NaN), SCALE, 3), 'VALUE_OUT_OF_RANGE');
  expectCode(() => core.encodeEncryptPublic(pk, Float64Array.of(1e30), 1, 1, SCALE, 3, bytes(per)), 'SCALE_OUT_OF_BOUNDS');
  const bad = plain.slice();
  bad[3] = MODULI[0]!;
  expectCode(() => core.encryptPublic(pk, bad, 1, 3, bytes(per)), 'VALUE_OUT_OF_RANGE');
  // types
  expectCode(() => core.encode([1, 2] as unknown as Float64Array, SCALE, 3), 'INVALID_ARGUMENT');
  expectCode(() => core.encryptPublic(pk, plain, 1, 3, new Uint16Array(per) as unknown as Uint8Array), 'INVALID_ARGUMENT');
  expectCode(() => new CkksCore(N, [MODULI[0]!]), 'INVALID_ARGUMENT');
  expectCode(() => new CkksCore(N, [MODULI[0]!, MODULI[0]!]), 'INVALID_ARGUMENT');
  expectCode(() => new CkksCore(1000, MODULI), 'NOT_POWER_OF_TWO');
  // async errors reject with a typed error
  await assert.rejects(core.encryptPublicAsync(pk, plain, 1, 3, bytes(per - 1)), (e: unknown) => e instanceof KernelError && e.code === 'RANDOMNESS_EXHAUSTED');
  await assert.rejects(
    core.encodeEncryptPublicAsync(pk, Float64Array.of(1e30), 1, 1, SCALE, 3, bytes(per)),
    (e: unknown) => e instanceof KernelError && e.code === 'SCALE_OUT_OF_BOUNDS',
  );
  // dispose
  const other = new CkksCore(1024, generateNttPrimes(40, 1024, 2));
  other.dispose();
  other.dispose();
  expectCode(() => other.encode(Float64Array.of(1), SCALE, 1), 'INVALID_ARGUMENT');
});

test('ckks: key switching — relinearize, rotate, conjugate, hoisted rotations and the fused product, at every level', () => {
  const { core, sk } = keys();
  const k = core.dataPrimeCount;
  const keygen = (elt: number): BigUint64Array =>
    core.generateKswitchKey(sk, elt, bytes(k * core.randomnessBytes('uniform', k + 1)), bytes(k * core.randomnessBytes('noise')));
  assert.equal(core.kswitchKeyWords, k * 2 * (k + 1) * N);
  // SEAL's elements: 3^steps mod 2n left, 3^(n/2 - steps) right, 2n - 1 conjugation
  assert.equal(core.galoisElement(1), 3);
  assert.equal(core.galoisElement(2), 9);
  assert.equal(core.galoisElement(0), 2 * N - 1);
  assert.equal((core.galoisElement(-1) * 3) % (2 * N), 1, '3^(n/2 - 1) is the inverse of 3 in the slot group');
  const relin = keygen(0);
  const steps = [1, 5, -2];
  const galois = steps.map((s) => keygen(core.galoisElement(s)));
  const conj = keygen(core.galoisElement(0));
  const a = randomValues(N / 2);
  const b = randomValues(N / 2);
  const rot = (v: Float64Array, s: number) => Float64Array.from(v, (_, i) => v[(((i + s) % v.length) + v.length) % v.length]!);
  for (let L = 1; L <= k; L++) {
    const ca = encryptOne(L, a);
    const cb = encryptOne(L, b);
    const sq = core.relinearize(relin, core.multiply(ca, cb, L), L);
    assert.equal(sq.length, 2 * L * N);
    // a product's scale 2^80 needs more than q_0's 60 bits: level 1 is relinearized, not decoded
    if (L >= 2)
      assert.ok(
        maxError(
          decryptDecode(sq, L, SCALE * SCALE),
          a.map((x, i) => x * b[i]!),
        ) <= 1e-6,
        `relinearize at level ${L}`,
      );
    const one = steps.map((s, r) => core.applyGalois([galois[r]!], [core.galoisElement(s)], ca, L)[0]!);
    const many = core.applyGalois(
      galois,
      steps.map((s) => core.galoisElement(s)),
      ca,
      L,
    );
    steps.forEach((s, r) => {
      assert.ok(maxError(decryptDecode(one[r]!, L), rot(a, s)) <= 2e-5, `rotate ${s} at level ${L}`);
      assert.ok(maxError(decryptDecode(many[r]!, L), rot(a, s)) <= 2e-5, `hoisted rotate ${s} at level ${L}`);
    });
    // CKKS slots hold real values here, so conjugation leaves them as they are
    assert.ok(maxError(decryptDecode(core.applyGalois([conj], [2 * N - 1], ca, L)[0]!, L), a) <= 2e-5, `conjugate at level ${L}`);
    if (L >= 2) {
      const fused = core.multiplyRelinRescale(relin, ca, cb, L);
      const composed = core.rescale(core.relinearize(relin, core.multiply(ca, cb, L), L), L);
      assert.deepEqual(fused, composed, `fused product at level ${L} equals the three calls`);
      // a reused result buffer gets the same words
      const out = new BigUint64Array(fused.length).fill(7n);
      assert.equal(core.multiplyRelinRescale(relin, ca, cb, L, { out }), out);
      assert.deepEqual(out, fused);
    }
  }
});

test('ckks: key switching refuses bad keys, elements, shapes and buffers with typed errors', () => {
  const { core, sk } = keys();
  const k = core.dataPrimeCount;
  const uniform = bytes(k * core.randomnessBytes('uniform', k + 1));
  const noise = bytes(k * core.randomnessBytes('noise'));
  const key = core.generateKswitchKey(sk, 3, uniform, noise);
  const ct = encryptOne(k, randomValues(8));
  expectCode(() => core.galoisElement(N / 2), 'INVALID_ARGUMENT');
  expectCode(() => core.galoisElement(-N / 2), 'INVALID_ARGUMENT');
  expectCode(() => core.generateKswitchKey(sk, 4, uniform, noise), 'INVALID_ARGUMENT'); // even element
  expectCode(() => core.generateKswitchKey(sk, 2 * N + 1, uniform, noise), 'INVALID_ARGUMENT');
  expectCode(() => core.generateKswitchKey(sk, 3, uniform.subarray(1), noise), 'RANDOMNESS_EXHAUSTED');
  expectCode(() => core.generateKswitchKey(sk, 3, uniform, noise.subarray(8)), 'RANDOMNESS_EXHAUSTED');
  expectCode(() => core.applyGalois([key], [3], ct, k + 1), 'INVALID_ARGUMENT');
  expectCode(() => core.applyGalois([key], [4], ct, k), 'INVALID_ARGUMENT');
  expectCode(() => core.applyGalois([key.subarray(8)], [3], ct, k), 'LENGTH_MISMATCH');
  expectCode(() => core.applyGalois([key], [3, 5], ct, k), 'INVALID_ARGUMENT');
  expectCode(() => core.applyGalois([key], [3], ct.subarray(8), k), 'LENGTH_MISMATCH');
  expectCode(() => core.relinearize(key, ct, k), 'LENGTH_MISMATCH'); // size 2 is not a product
  const same = new BigUint64Array(ct.length);
  expectCode(() => core.applyGalois([key, key], [3, 3], ct, k, { outs: [same, same] }), 'INVALID_ARGUMENT');
  expectCode(() => core.applyGalois([key], [3], ct, k, { outs: [ct] }), 'INVALID_ARGUMENT');
  expectCode(() => core.multiplyRelinRescale(key, ct, ct, k, { out: new BigUint64Array(3) }), 'INVALID_ARGUMENT');
  const bad = Uint8Array.from(new Uint8Array(ct.buffer, ct.byteOffset, ct.byteLength));
  bad.fill(0xff, 0, 64);
  expectCode(() => core.applyGalois([key], [3], new BigUint64Array(bad.buffer), k), 'VALUE_OUT_OF_RANGE');
  const badKey = key.slice();
  badKey[0] = 0xffffffffffffffffn;
  expectCode(() => core.checkKswitchKey(badKey), 'VALUE_OUT_OF_RANGE');
  core.checkKswitchKey(key);
});

test('ckks: multiplyPlainAccumulate equals multiplyPlain then add, term by term; every evaluation writes all of a given out buffer', () => {
  const { core } = keys();
  for (const L of [3, 2]) {
    const cts = [0, 1, 2].map(() => encryptOne(L, randomValues(N / 2)));
    const plains = [0, 1, 2, 3, 4].map(() => core.encode(randomValues(N / 2), SCALE, L));
    const terms = plains.map((_, t) => cts[t % cts.length]!);
    let expected = core.multiplyPlain(terms[0]!, plains[0]!, L);
    for (let t = 1; t < terms.length; t++) expected = core.add(expected, core.multiplyPlain(terms[t]!, plains[t]!, L), L);
    assert.deepEqual(core.multiplyPlainAccumulate(terms, plains, L), expected, `level ${L}`);
    // out buffers holding other words come back holding exactly the result
    const dirty = (words: number): BigUint64Array => new BigUint64Array(words).fill(0x5a5a5a5an);
    const into = core.multiplyPlainAccumulate(terms, plains, L, { out: dirty(expected.length) });
    assert.deepEqual(into, expected);
    const [a, b, p] = [cts[0]!, cts[1]!, plains[0]!];
    assert.deepEqual(core.add(a, b, L, { out: dirty(a.length) }), core.add(a, b, L));
    assert.deepEqual(core.sub(a, b, L, { out: dirty(a.length) }), core.sub(a, b, L));
    assert.deepEqual(core.negate(a, L, { out: dirty(a.length) }), core.negate(a, L));
    assert.deepEqual(core.addPlain(a, p, L, { out: dirty(a.length) }), core.addPlain(a, p, L));
    assert.deepEqual(core.multiplyPlain(a, p, L, { out: dirty(a.length) }), core.multiplyPlain(a, p, L));
    assert.deepEqual(core.multiply(a, b, L, { out: dirty((3 * a.length) / 2) }), core.multiply(a, b, L));
    assert.deepEqual(core.rescale(a, L, { out: dirty((a.length * (L - 1)) / L) }), core.rescale(a, L));
    assert.deepEqual(core.modSwitch(a, L, { out: dirty((a.length * (L - 1)) / L) }), core.modSwitch(a, L));
  }
});

test("ckks: multiplyPlainAccumulateGroups equals multiplyPlainAccumulate over each group's terms, nulls left out, an odd group alone, given outs overwritten", () => {
  const { core } = keys();
  for (const L of [3, 1]) {
    const cts = [0, 1, 2, 3, 4].map(() => encryptOne(L, randomValues(N / 2)));
    const plain = (): BigUint64Array => core.encode(randomValues(N / 2), SCALE, L);
    // five groups (two pairs and one alone): full, sparse, a single term, every other, the last only
    const rows: (BigUint64Array | null)[][] = [
      cts.map(() => plain()),
      cts.map((_, t) => (t % 2 === 0 ? plain() : null)),
      cts.map((_, t) => (t === 2 ? plain() : null)),
      cts.map((_, t) => (t % 2 === 1 ? plain() : null)),
      cts.map((_, t) => (t === 4 ? plain() : null)),
    ];
    const expected = rows.map((row) => {
      const terms = cts.filter((_, t) => row[t] !== null);
      return core.multiplyPlainAccumulate(
        terms,
        row.filter((p): p is BigUint64Array => p !== null),
        L,
      );
    });
    for (const groups of [1, 2, 5]) {
      assert.deepEqual(core.multiplyPlainAccumulateGroups(cts, rows.slice(0, groups), L), expected.slice(0, groups), `level ${L}, ${groups} groups`);
    }
    const outs = rows.map(() => new BigUint64Array(2 * L * N).fill(0x5a5a5a5an));
    const into = core.multiplyPlainAccumulateGroups(cts, rows, L, { outs });
    assert.deepEqual(into, expected);
    assert.ok(
      into.every((o, g) => o === outs[g]),
      'the results are the given buffers',
    );
  }
});

test('ckks: multiplyPlainAccumulateGroups refuses bad shapes, empty groups and overlapping outputs with typed errors', () => {
  const { core } = keys();
  const L = core.dataPrimeCount;
  const ct = encryptOne(L, randomValues(8));
  const p = core.encode(randomValues(8), SCALE, L);
  expectCode(() => core.multiplyPlainAccumulateGroups([], [[]], L), 'LENGTH_MISMATCH');
  expectCode(() => core.multiplyPlainAccumulateGroups([ct], [], L), 'LENGTH_MISMATCH');
  expectCode(() => core.multiplyPlainAccumulateGroups([ct, ct], [[p]], L), 'LENGTH_MISMATCH');
  expectCode(
    () =>
      core.multiplyPlainAccumulateGroups(
        [ct, ct],
        [
          [p, p],
          [null, null],
        ],
        L,
      ),
    'INVALID_ARGUMENT',
  );
  expectCode(() => core.multiplyPlainAccumulateGroups([ct.subarray(8)], [[p]], L), 'LENGTH_MISMATCH');
  expectCode(() => core.multiplyPlainAccumulateGroups([ct], [[p], [p.subarray(8)]], L), 'LENGTH_MISMATCH');
  expectCode(() => core.multiplyPlainAccumulateGroups([ct], [[p]], L + 1), 'INVALID_ARGUMENT');
  expectCode(() => core.multiplyPlainAccumulateGroups([ct], [[p]], L, { outs: [ct] }), 'INVALID_ARGUMENT'); // over an operand
  const out = new BigUint64Array(ct.length);
  expectCode(() => core.multiplyPlainAccumulateGroups([ct], [[p], [p]], L, { outs: [out, out] }), 'INVALID_ARGUMENT');
  expectCode(() => core.multiplyPlainAccumulateGroups([ct], [[p], [p]], L, { outs: [out] }), 'INVALID_ARGUMENT');
  expectCode(() => core.multiplyPlainAccumulateGroups([ct], [[p]], L, { outs: [new BigUint64Array(5)] }), 'INVALID_ARGUMENT');
  const bad = p.slice();
  bad[0] = 0xffffffffffffffffn;
  expectCode(() => core.multiplyPlainAccumulateGroups([ct], [[p], [bad]], L), 'VALUE_OUT_OF_RANGE');
});

test('ckks: multiplyPlainAccumulate and out buffers refuse bad shapes with typed errors', () => {
  const { core } = keys();
  const L = core.dataPrimeCount;
  const ct = encryptOne(L, randomValues(8));
  const p = core.encode(randomValues(8), SCALE, L);
  expectCode(() => core.multiplyPlainAccumulate([], [], L), 'LENGTH_MISMATCH');
  expectCode(() => core.multiplyPlainAccumulate([ct, ct], [p], L), 'LENGTH_MISMATCH');
  expectCode(() => core.multiplyPlainAccumulate([ct.subarray(8)], [p], L), 'LENGTH_MISMATCH');
  expectCode(() => core.multiplyPlainAccumulate([ct], [p.subarray(8)], L), 'LENGTH_MISMATCH');
  expectCode(() => core.multiplyPlainAccumulate([ct], [p], L + 1), 'INVALID_ARGUMENT');
  expectCode(() => core.multiplyPlainAccumulate([ct], [p], L, { out: ct }), 'INVALID_ARGUMENT'); // the result over an operand
  expectCode(() => core.multiplyPlainAccumulate([ct], [p], L, { out: new BigUint64Array(5) }), 'INVALID_ARGUMENT');
  const bad = ct.slice();
  bad[0] = 0xffffffffffffffffn;
  expectCode(() => core.multiplyPlainAccumulate([bad], [p], L), 'VALUE_OUT_OF_RANGE');
  expectCode(() => core.add(ct, ct, L, { out: new BigUint64Array(ct.length - 1) }), 'INVALID_ARGUMENT');
  // out may be exactly an operand of an element-wise call (in place), but not overlap one partly
  const wide = new BigUint64Array(ct.length + 8);
  const inWide = wide.subarray(0, ct.length);
  inWide.set(ct);
  expectCode(() => core.add(inWide, ct, L, { out: wide.subarray(8, 8 + ct.length) }), 'INVALID_ARGUMENT');
  const inPlace = ct.slice();
  assert.deepEqual(core.add(inPlace, ct, L, { out: inPlace }), core.add(ct, ct, L));
});
