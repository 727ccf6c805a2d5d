import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeMetric } from '@hlp/results';
import { comparePairedRounds, decidePaired, resolveConfig, roundOrder, studentCdf, studentQuantile, type PairedRound } from '../src/index.js';

const T = { regress: 0.1, improve: 0.05 };

/** Deterministic pseudo-noise in [-1, 1]. */
function noise(i: number): number {
  const x = Math.sin(i * 12.9898 + 78.233) * 43758.5453;
  return 2 * (x - Math.floor(x)) - 1;
}

describe('Student t', () => {
  it('matches tabulated quantiles', () => {
    assert.ok(Math.abs(studentQuantile(0.975, 3) - 3.1824) < 1e-3);
    assert.ok(Math.abs(studentQuantile(0.975, 9) - 2.2622) < 1e-3);
    assert.ok(Math.abs(studentQuantile(0.975, 1000) - 1.9623) < 1e-3);
    assert.ok(Math.abs(studentCdf(0, 5) - 0.5) < 1e-12);
    assert.ok(Math.abs(studentQuantile(0.025, 4) + studentQuantile(0.975, 4)) < 1e-9);
  });
  it('refuses impossible arguments', () => {
    assert.throws(() => studentQuantile(1, 3), RangeError);
    assert.throws(() => studentQuantile(0.5, 0), RangeError);
  });
});

describe('decidePaired', () => {
  const pairs = (n: number, ratio: number, spread: number): number[] => Array.from({ length: n }, (_, i) => Math.log(ratio) + spread * noise(i));
  it('A/A with 2 % pair noise is unchanged, with its power quoted', () => {
    const d = decidePaired(pairs(6, 1, 0.02), 'lower', T, 0.95);
    assert.equal(d.verdict, 'unchanged');
    assert.ok(d.stats.mde !== null && d.stats.mde > 0.1 && d.stats.mde < 0.15, `mde ${d.stats.mde}`);
  });
  it('a 20 % slowdown is a regression; a 5 % one never is', () => {
    assert.equal(decidePaired(pairs(4, 1.2, 0.02), 'lower', T, 0.95).verdict, 'regression');
    for (const spread of [0.005, 0.02, 0.05, 0.2]) assert.notEqual(decidePaired(pairs(6, 1.05, spread), 'lower', T, 0.95).verdict, 'regression');
  });
  it('higher is better: 20 % less throughput is the regression', () => {
    assert.equal(decidePaired(pairs(5, 0.8, 0.01), 'higher', T, 0.95).verdict, 'regression');
    assert.equal(decidePaired(pairs(5, 1.2, 0.01), 'higher', T, 0.95).verdict, 'improvement');
  });
  it('a noisy series is inconclusive and says how many pairs would decide it', () => {
    const d = decidePaired(pairs(4, 1.0, 0.1), 'lower', T, 0.95);
    assert.equal(d.verdict, 'inconclusive');
    assert.ok(d.stats.pairsNeeded !== null && d.stats.pairsNeeded > 4, `needed ${d.stats.pairsNeeded}`);
    assert.equal(decidePaired([0.5], 'lower', T, 0.95).verdict, 'inconclusive');
    assert.throws(() => decidePaired([Number.NaN, 0], 'lower', T, 0.95), RangeError);
  });
  it('drift between rounds cancels in the pairs', () => {
    // The machine slows by up to ×1.5 from round to round; B is 20 % slower than A in each round.
    const drift = [1, 1.5, 1.1, 1.4, 1.2, 1.3];
    const rounds: PairedRound[] = drift.map((f, i) => ({
      baseline: [makeMetric({ name: 'ntt.forward', unit: 'ns', better: 'lower', labels: {}, samples: [100 * f, 101 * f, 99 * f, 100 * f, 100 * f] })],
      current: [
        makeMetric({
          name: 'ntt.forward',
          unit: 'ns',
          better: 'lower',
          labels: {},
          samples: [120 * f * (1 + 0.01 * noise(i)), 121 * f, 119 * f, 120 * f, 120 * f],
        }),
      ],
    }));
    const { comparisons } = comparePairedRounds(rounds, resolveConfig());
    assert.equal(comparisons.length, 1);
    assert.equal(comparisons[0]!.verdict, 'regression');
    assert.equal(comparisons[0]!.paired?.pairs, 6);
  });
  it('alternates the order of the sides', () => {
    assert.deepEqual(
      [roundOrder(1), roundOrder(2), roundOrder(3)],
      [
        ['baseline', 'current'],
        ['current', 'baseline'],
        ['baseline', 'current'],
      ],
    );
  });
});
