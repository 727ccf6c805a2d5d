import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CounterRng, GPT2, SeededEmbeddings, isModelError, mix32 } from '../src/index.js';

function stats(values: Float64Array): { mean: number; std: number; maxAbs: number } {
  let s = 0;
  let s2 = 0;
  let maxAbs = 0;
  for (const v of values) {
    s += v;
    s2 += v * v;
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const mean = s / values.length;
  return { mean, std: Math.sqrt(s2 / values.length - mean * mean), maxAbs };
}

describe('CounterRng', () => {
  it('mix32 is a fixed function of its input', () => {
    assert.equal(mix32(0), 0);
    assert.notEqual(mix32(1), mix32(2));
    assert.ok(mix32(0xffffffff) >= 0 && mix32(0xffffffff) < 2 ** 32);
  });

  it('rows are pure functions of (seed, table, row): order does not matter', () => {
    const a = new CounterRng(42);
    const b = new CounterRng(42);
    const x = new Float64Array(17);
    const y = new Float64Array(17);
    b.normalRow(0, 999, new Float64Array(5), 1); // unrelated call first
    a.normalRow(0, 3, x, 1);
    b.normalRow(0, 3, y, 1);
    assert.deepEqual(x, y);
    b.normalRow(1, 3, y, 1);
    assert.notDeepEqual(x, y);
    new CounterRng(43).normalRow(0, 3, y, 1);
    assert.notDeepEqual(x, y);
  });

  it('uniform values fill [lo, hi) evenly', () => {
    const rng = new CounterRng(7);
    const u = new Float64Array(100_000);
    rng.uniformRow(5, 0, u, -1, 1);
    const s = stats(u);
    assert.ok(Math.abs(s.mean) < 0.01, `mean ${s.mean}`);
    assert.ok(Math.abs(s.std - 1 / Math.sqrt(3)) < 0.01, `std ${s.std}`);
    assert.ok(u.every((v) => v >= -1 && v < 1));
  });

  it('rejects seeds that are not non-negative safe integers', () => {
    for (const bad of [-1, 1.5, 2 ** 53, Number.NaN]) {
      assert.throws(
        () => new CounterRng(bad),
        (e: unknown) => isModelError(e, 'INVALID_ARGUMENT'),
      );
    }
  });
});

describe('SeededEmbeddings', () => {
  const e = new SeededEmbeddings({ seed: 1 });

  it('has GPT-2 shapes by default', () => {
    assert.equal(e.vocabSize, GPT2.vocabSize);
    assert.equal(e.width, 768);
    assert.equal(e.context, 1024);
    assert.equal(e.kind, 'seeded');
  });

  it('has GPT-2-like scales (wte σ ≈ 0.14, wpe σ ≈ 0.01), mean ≈ 0, values in [-1, 1]', () => {
    const wte = new Float64Array(200 * 768);
    for (let i = 0; i < 200; i++) e.tokenEmbedding(i * 251, wte.subarray(i * 768, (i + 1) * 768));
    const t = stats(wte);
    assert.ok(Math.abs(t.std - 0.14) < 0.003, `wte std ${t.std}`);
    assert.ok(Math.abs(t.mean) < 0.002, `wte mean ${t.mean}`);
    assert.ok(t.maxAbs <= 1);
    const wpe = new Float64Array(200 * 768);
    for (let i = 0; i < 200; i++) e.positionEmbedding(i * 5, wpe.subarray(i * 768, (i + 1) * 768));
    const p = stats(wpe);
    assert.ok(Math.abs(p.std - 0.01) < 0.0003, `wpe std ${p.std}`);
  });

  it('clips to [-clip, clip]', () => {
    const wide = new SeededEmbeddings({ seed: 1, tokenStd: 5 });
    const row = wide.tokenEmbedding(10);
    assert.ok(row.every((v) => v >= -1 && v <= 1));
    assert.ok(row.some((v) => v === 1 || v === -1));
  });

  it('is deterministic across instances and differs across seeds', () => {
    assert.deepEqual(new SeededEmbeddings({ seed: 1 }).tokenEmbedding(50256), e.tokenEmbedding(50256));
    assert.notDeepEqual(new SeededEmbeddings({ seed: 2 }).tokenEmbedding(50256), e.tokenEmbedding(50256));
    const uncached = new SeededEmbeddings({ seed: 1, cachePositions: false });
    assert.deepEqual(uncached.embed([1, 2, 3]), e.embed([1, 2, 3]));
  });

  it('embed = wte[id] + wpe[pos], token-major', () => {
    const ids = [15496, 995, 262];
    const x = e.embed(ids);
    assert.equal(x.length, 3 * 768);
    for (let t = 0; t < 3; t++) {
      const w = e.tokenEmbedding(ids[t] as number);
      const p = e.positionEmbedding(t);
      for (let d = 0; d < 768; d += 97) assert.equal(x[t * 768 + d], (w[d] as number) + (p[d] as number));
    }
    const shifted = e.embed([995], { startPosition: 1 });
    assert.deepEqual(shifted, x.subarray(768, 1536));
  });

  it('embeds a full 1024-token prompt and rejects longer ones', () => {
    const ids = Array.from({ length: 1024 }, (_, i) => i);
    assert.equal(e.embed(ids).length, 1024 * 768);
    assert.throws(
      () => e.embed([...ids, 0]),
      (err: unknown) => isModelError(err, 'TOO_MANY_TOKENS') && err.details.max === 1024,
    );
    assert.throws(
      () => e.embed([1], { startPosition: 1024 }),
      (err: unknown) => isModelError(err, 'TOO_MANY_TOKENS'),
    );
  });

  it('rejects bad ids, positions and buffers', () => {
    assert.throws(
      () => e.embed([1, 50257]),
      (err: unknown) => isModelError(err, 'INVALID_TOKEN_ID'),
    );
    assert.throws(
      () => e.tokenEmbedding(-1),
      (err: unknown) => isModelError(err, 'INVALID_TOKEN_ID'),
    );
    assert.throws(
      () => e.positionEmbedding(1024),
      (err: unknown) => isModelError(err, 'INVALID_POSITION'),
    );
    assert.throws(
      () => e.tokenEmbedding(1, new Float64Array(10)),
      (err: unknown) => isModelError(err, 'INVALID_ARGUMENT'),
    );
    assert.throws(
      () => new SeededEmbeddings({ width: 0 }),
      (err: unknown) => isModelError(err, 'INVALID_ARGUMENT'),
    );
  });
});
