import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { quantileSorted } from '@hlp/results';
import { GateError } from '../src/errors.js';
import { hashSeed, mulberry32 } from '../src/prng.js';
import { bootstrapRatio, bootstrapRatioRuns, median, resampleMedian, thinSorted } from '../src/stats.js';
import { lognormal } from './helpers.js';

describe('prng', () => {
  it('mulberry32 is reproducible and uniform-ish in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 10000 }, () => a());
    assert.deepEqual(
      xs.slice(0, 5),
      Array.from({ length: 5 }, () => b()),
    );
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
  });
  it('hashSeed differs per text and per seed', () => {
    assert.notEqual(hashSeed('ntt.forward{n=8192}'), hashSeed('ntt.forward{n=4096}'));
    assert.notEqual(hashSeed('x', 1), hashSeed('x', 2));
    assert.equal(hashSeed('x', 1), hashSeed('x', 1));
  });
});

describe('resampleMedian', () => {
  it('equals the median of the same explicit resample (counting, no sort)', () => {
    const sorted = Float64Array.from(lognormal(101, 10, 0.5, 1)).sort();
    for (const m of [sorted, sorted.subarray(0, 100)]) {
      const rngA = mulberry32(7);
      const rngB = mulberry32(7);
      const counts = new Uint32Array(m.length);
      for (let t = 0; t < 50; t++) {
        const fast = resampleMedian(m, counts, rngA);
        const draw = Array.from({ length: m.length }, () => m[(rngB() * m.length) | 0]!).sort((x, y) => x - y);
        assert.equal(fast, quantileSorted(draw, 0.5));
      }
    }
  });
});

describe('thinSorted', () => {
  it('keeps short samples and thins long ones to quantiles, in order, deterministically', () => {
    const s = Float64Array.from(lognormal(5000, 100, 0.2, 3)).sort();
    assert.equal(thinSorted(s.subarray(0, 50), 1000).length, 50);
    const t = thinSorted(s, 1000);
    assert.equal(t.length, 1000);
    for (let i = 1; i < t.length; i++) assert.ok(t[i]! >= t[i - 1]!);
    assert.ok(Math.abs(quantileSorted(t, 0.5) / quantileSorted(s, 0.5) - 1) < 0.002);
    assert.deepEqual(thinSorted(s, 1000), t);
  });
});

describe('bootstrapRatio', () => {
  it('is reproducible for a seed and brackets the point estimate', () => {
    const b = lognormal(500, 100, 0.1, 1);
    const c = lognormal(500, 110, 0.1, 2);
    const r1 = bootstrapRatio(b, c, { seed: 5 });
    const r2 = bootstrapRatio(b, c, { seed: 5 });
    assert.deepEqual(r1, r2);
    assert.ok(r1.lower <= r1.ratio && r1.ratio <= r1.upper);
    assert.ok(Math.abs(r1.ratio - median(c) / median(b)) < 1e-12);
    assert.equal(r1.betweenRunSd, null);
  });

  it('covers the true ratio of medians at about the nominal 95 % (lognormal samples)', () => {
    let covered = 0;
    const trials = 200;
    for (let t = 0; t < trials; t++) {
      const r = bootstrapRatio(lognormal(150, 100, 0.3, 1000 + t), lognormal(150, 120, 0.3, 5000 + t), { seed: t, resamples: 1000 });
      if (r.lower <= 1.2 && 1.2 <= r.upper) covered++;
    }
    const rate = covered / trials;
    assert.ok(rate >= 0.9 && rate <= 0.99, `coverage ${rate}`);
  });

  it('thousands of samples per side stay fast (thinned to maxPerSide)', () => {
    const b = lognormal(20000, 100, 0.05, 1);
    const c = lognormal(20000, 103, 0.05, 2);
    const t0 = performance.now();
    const r = bootstrapRatio(b, c, { seed: 1 });
    assert.ok(performance.now() - t0 < 10_000);
    assert.ok(r.lower > 1.0 && r.upper < 1.06, `${r.lower} ${r.upper}`);
  });

  it('rejects empty, non-finite and non-positive input with INVALID_INPUT', () => {
    assert.throws(
      () => bootstrapRatio([], [1]),
      (e: unknown) => e instanceof GateError && e.code === 'INVALID_INPUT',
    );
    assert.throws(
      () => bootstrapRatio([1, Number.NaN], [1]),
      (e: unknown) => e instanceof GateError && e.code === 'INVALID_INPUT',
    );
    assert.throws(
      () => bootstrapRatio([0, 0, 0], [1, 1, 1]),
      (e: unknown) => e instanceof GateError && /positive/.test(e.message),
    );
  });

  it('a normalising pair divides the ratio (times) and widens the interval', () => {
    const b = lognormal(400, 100, 0.05, 1);
    const c = lognormal(400, 200, 0.05, 2);
    const calB = lognormal(400, 50, 0.05, 3);
    const calC = lognormal(400, 100, 0.05, 4);
    const plain = bootstrapRatio(b, c, { seed: 1 });
    const norm = bootstrapRatio(b, c, { seed: 1 }, { baseline: calB, current: calC, exponent: 1 });
    assert.ok(Math.abs(plain.ratio - 2) < 0.05);
    assert.ok(Math.abs(norm.ratio - 1) < 0.05, `normalised ${norm.ratio}`);
    assert.ok(Math.abs((norm.factor ?? 0) - 2) < 0.05);
    assert.ok(norm.upper / norm.lower > plain.upper / plain.lower);
    const rate = bootstrapRatio(b, b, { seed: 1 }, { baseline: calB, current: calC, exponent: -1 });
    assert.ok(Math.abs(rate.ratio - 2) < 0.05, 'a rate on a 2× slower machine is expected to halve: ratio·factor');
  });
});

describe('bootstrapRatioRuns (run-to-run noise)', () => {
  it('folds the spread of per-run medians into the interval', () => {
    const offsets = [0.94, 1.0, 1.07];
    const baseRuns = offsets.map((o, i) => lognormal(400, 100 * o, 0.03, 10 + i));
    const cur = [lognormal(400, 100, 0.03, 99)];
    const within = bootstrapRatio(baseRuns.flat(), cur[0]!, { seed: 1 });
    const runs = bootstrapRatioRuns(baseRuns, cur, { seed: 1 });
    assert.equal(runs.runsBaseline, 3);
    assert.equal(runs.runsCurrent, 1);
    assert.ok(runs.betweenRunSd !== null && runs.betweenRunSd > 0.04 && runs.betweenRunSd < 0.1, `sd ${runs.betweenRunSd}`);
    assert.ok(runs.upper - runs.lower > 3 * (within.upper - within.lower), `runs ${runs.lower}..${runs.upper}, within ${within.lower}..${within.upper}`);
    // θ is the geometric mean of the run medians
    const geo = Math.exp(baseRuns.map((r) => Math.log(median(r))).reduce((a, b) => a + b, 0) / 3);
    assert.ok(Math.abs(runs.baselineMedian / geo - 1) < 1e-12);
  });
});
