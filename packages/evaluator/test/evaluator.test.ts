import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openBackend, presetParams, type CiphertextHandle, type CkksBackend } from '@hlp/ckks';
import { AffineWorkload, ProjectionWorkload, planPacking } from '@hlp/model';
import { AffineRunner, CountingEvaluator, MaskStore, PlaintextCache, ProjectionRunner, addInto, hasFusedAffine, zeroCounts } from '../src/index.js';

const WIDTH = 768;
const OUTPUTS = 64;

function encryptAtLevel(backend: CkksBackend, input: Float64Array, level: number): CiphertextHandle {
  const slots = new Float64Array(backend.slotCount);
  slots.set(input);
  const plain = backend.encode(slots);
  let x = backend.encrypt(plain);
  plain.dispose();
  while (x.level > level) {
    const next = backend.modSwitchToNext(x);
    x.dispose();
    x = next;
  }
  return x;
}

function decryptFirst(backend: CkksBackend, ct: CiphertextHandle, count: number): Float64Array {
  const plain = backend.decrypt(ct);
  const values = backend.decode(plain);
  plain.dispose();
  return values.slice(0, count);
}

function maxDistance(a: Float64Array, b: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)));
  return worst;
}

describe('@hlp/evaluator', () => {
  let backend: CkksBackend;
  const input = Float64Array.from({ length: WIDTH }, (_, i) => Math.sin(0.37 * i + 0.1));

  before(async () => {
    // The service's parameter set; the projection's BSGS steps need Galois keys.
    backend = (await openBackend('native', presetParams(8192))).backend;
    const projection = new ProjectionWorkload({ seed: 7, width: WIDTH, outputs: OUTPUTS });
    backend.generateKeys({ relin: true, galoisSteps: projection.describe({ layout: 'blocked', tokens: 1, slotCount: backend.slotCount }).rotationSteps });
  });
  after(() => backend.dispose());

  it('zeroCounts starts every operation at zero; addInto counts only real additions, adds in place where it can, and consumes its inputs', () => {
    assert.deepEqual(Object.values(zeroCounts()), [0, 0, 0, 0, 0, 0]);
    const ev = new CountingEvaluator(backend);
    const x = encryptAtLevel(backend, input, backend.params.maxLevel);
    const y = encryptAtLevel(backend, input, backend.params.maxLevel);
    const first = addInto(ev, null, x);
    assert.equal(first, x, 'the first term is the sum');
    assert.equal(ev.counts.additions, 0);
    const sum = addInto(ev, first, y);
    assert.equal(ev.counts.additions, 1);
    assert.equal(sum, x, 'added into the accumulator in place');
    assert.ok(y.disposed && !x.disposed);
    const plain = backend.decrypt(sum);
    const got = backend.decode(plain);
    plain.dispose();
    for (let i = 0; i < WIDTH; i += 37) assert.ok(Math.abs(got[i]! - 2 * input[i]!) < 1e-4, `slot ${i}`);
    // A seeded accumulator cannot be added to in place: a new sum, the accumulator disposed.
    const slots = new Float64Array(backend.slotCount);
    slots.set(input);
    const seededPlain = backend.encode(slots);
    const seeded = backend.encryptSymmetric(seededPlain);
    seededPlain.dispose();
    const other = addInto(ev, seeded, sum);
    assert.notEqual(other, seeded);
    assert.ok(seeded.disposed && sum.disposed);
    assert.equal(ev.counts.additions, 2);
    other.dispose();
  });

  it('multiplyPlainAccumulateGroups counts a plaintext product per term and an addition between terms of each group', () => {
    const ev = new CountingEvaluator(backend);
    const x = encryptAtLevel(backend, input, 1);
    const y = encryptAtLevel(backend, input, 1);
    const p = backend.encode(new Float64Array(backend.slotCount).fill(0.5), { level: 1 });
    const sums = ev.multiplyPlainAccumulateGroups(
      [x, y],
      [
        [p, p],
        [null, p],
        [p, null],
      ],
    );
    assert.equal(sums.length, 3);
    assert.equal(ev.counts.plaintextMultiplications, 4);
    assert.equal(ev.counts.additions, 1);
    const got = decryptFirst(backend, sums[0]!, 4);
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(got[i]! - (input[i] as number)) < 1e-6, 'x/2 + y/2 = the input');
    for (const h of [...sums, x, y, p]) h.dispose();
  });

  it('affine: one product against the plaintext reference, with the counts describe() states', () => {
    const workload = new AffineWorkload({ seed: 7 });
    const runner = new AffineRunner(backend, workload);
    const plan = planPacking('blocked', 1, backend.slotCount, WIDTH);
    const x = encryptAtLevel(backend, input, backend.params.maxLevel);
    const ev = new CountingEvaluator(backend);
    const [out] = runner.run(ev, [x], plan);
    const got = decryptFirst(backend, out!, WIDTH);
    assert.ok(maxDistance(got, workload.reference(input, 1)) <= workload.errorBound(1e-6));
    const cost = workload.describe({ layout: 'blocked', tokens: 1, slotCount: backend.slotCount });
    assert.equal(ev.counts.plaintextMultiplications, cost.plaintextMultiplications);
    assert.equal(ev.counts.rescales, cost.rescales);
    assert.equal(ev.counts.additions, cost.additions);
    out!.dispose();
    x.dispose();
    runner.dispose();
  });

  it('affine: the native backend’s fused call gives the words of the three calls, counted alike', () => {
    // The same backend with its fused call hidden: the evaluator composes multiply_plain, rescale and add_plain.
    const composed: CkksBackend = new Proxy(backend, {
      get(target, key) {
        if (key === 'multiplyPlainRescale') return undefined;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    assert.ok(hasFusedAffine(backend));
    assert.ok(!hasFusedAffine(composed));
    const workload = new AffineWorkload({ seed: 11 });
    const plan = planPacking('dense', 8, backend.slotCount, WIDTH);
    const outputs: Float64Array[] = [];
    const counts: unknown[] = [];
    const xs: CiphertextHandle[] = [encryptAtLevel(backend, input, 1), encryptAtLevel(backend, input, backend.params.maxLevel)];
    for (const b of [backend, composed]) {
      const runner = new AffineRunner(b, workload);
      const ev = new CountingEvaluator(b);
      const outs = runner.run(ev, xs, plan);
      assert.deepEqual(
        outs.map((o) => o.level),
        xs.map((x) => x.level - 1),
      );
      for (const o of outs) outputs.push(decryptFirst(backend, o, WIDTH));
      counts.push({ ...ev.counts });
      for (const h of outs) h.dispose();
      runner.dispose();
    }
    for (const x of xs) x.dispose();
    assert.deepEqual(outputs.slice(0, 2), outputs.slice(2), 'fused and composed decrypt to the same values, bit for bit');
    assert.deepEqual(counts[0], counts[1]);
    assert.deepEqual(counts[0], { ...zeroCounts(), plaintextMultiplications: 2, rescales: 2, additions: 2 });
  });

  it('projection: the BSGS product against the plaintext reference, with the counts describe() states', () => {
    const workload = new ProjectionWorkload({ seed: 7, width: WIDTH, outputs: OUTPUTS });
    const masks = new MaskStore(backend);
    const runner = new ProjectionRunner(backend, workload, masks);
    const plan = planPacking('blocked', 1, backend.slotCount, WIDTH);
    const x = encryptAtLevel(backend, input, 1);
    const ev = new CountingEvaluator(backend);
    const [out] = runner.run(ev, [x], plan);
    const got = decryptFirst(backend, out!, OUTPUTS);
    assert.ok(maxDistance(got, workload.reference(input, 1)) <= workload.errorBound(1e-6));
    const cost = workload.describe({ layout: 'blocked', tokens: 1, slotCount: backend.slotCount });
    assert.equal(ev.counts.rotations, cost.rotations);
    assert.equal(ev.counts.plaintextMultiplications, cost.plaintextMultiplications);
    out!.dispose();
    x.dispose();
    runner.dispose();
    masks.dispose();
  });

  it('PlaintextCache keeps the most recently used plaintexts and disposes the one it drops', () => {
    const cache = new PlaintextCache(2);
    const make = () => backend.encode(new Float64Array(backend.slotCount).fill(1));
    const a = cache.get('a', make);
    cache.get('b', make);
    assert.equal(cache.get('a', make), a, 'a hit returns the cached plaintext');
    cache.get('c', make);
    assert.equal(cache.size, 2);
    assert.equal(a.disposed, false, 'a was used last, so b went');
    cache.clear();
    assert.equal(a.disposed, true);
    assert.equal(cache.size, 0);
  });
});
