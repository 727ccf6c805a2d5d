import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RANK_MIN_PAIRS, decidePaired, signedRankCdf, signedRankInterval, signedRankRank } from '../src/index.js';

const T = { regress: 0.1, improve: 0.05 };

describe('signed-rank distribution', () => {
  it('is the subset-sum count over 2^n', () => {
    // n = 3: sums of subsets of {1, 2, 3}: 0, 1, 2, 3, 3, 4, 5, 6
    assert.deepEqual(
      [...signedRankCdf(3)].map((p) => Math.round(p * 8)),
      [1, 2, 3, 5, 6, 7, 8],
    );
    const cdf = signedRankCdf(20);
    assert.equal(cdf.length, 211);
    assert.ok(Math.abs(cdf[210]! - 1) < 1e-12);
    // symmetric around n(n+1)/4
    assert.ok(Math.abs(cdf[104]! - (1 - cdf[105]!)) < 1e-12);
    assert.throws(() => signedRankCdf(0), RangeError);
  });

  it('gives the tabulated two-sided 5 % critical values (the interval rank is one more)', () => {
    // T ≤ critical value rejects at α = 0.05 two-sided: n = 6 → 0, n = 10 → 8, n = 20 → 52, n = 30 → 137
    assert.equal(signedRankRank(6, 0.95), 1);
    assert.equal(signedRankRank(10, 0.95), 9);
    assert.equal(signedRankRank(20, 0.95), 53);
    assert.equal(signedRankRank(30, 0.95), 138);
    assert.equal(signedRankRank(5, 0.95), null, 'five pairs cannot reach 95 %');
  });
});

describe('signedRankInterval', () => {
  it('brackets the Hodges–Lehmann estimate and shifts with the data', () => {
    const xs = [0.02, -0.01, 0.03, 0.0, 0.01, 0.015, -0.005, 0.025, 0.01, 0.005];
    const r = signedRankInterval(xs, 0.95)!;
    assert.ok(r.lower <= r.estimate && r.estimate <= r.upper);
    const shifted = signedRankInterval(
      xs.map((x) => x + 0.2),
      0.95,
    )!;
    assert.ok(Math.abs(shifted.estimate - r.estimate - 0.2) < 1e-12);
    assert.ok(Math.abs(shifted.lower - r.lower - 0.2) < 1e-12);
    assert.equal(signedRankInterval([0.1, 0.2, 0.3], 0.95), null);
  });

  it('one disturbed pair among 24 barely moves it, where it widens a t interval', () => {
    const quiet = Array.from({ length: 24 }, (_, i) => 0.18 + 0.02 * Math.sin(i * 1.7)); // a ×1.2 slowdown, 2 % spread
    const disturbed = [...quiet];
    disturbed[0] = Math.log(0.6); // a speed step inside one pair
    const d = decidePaired(disturbed, 'lower', T, 0.95);
    assert.equal(d.stats.method, 'signed-rank');
    assert.equal(d.verdict, 'regression', d.reason);
    assert.ok(d.ci![0] > 1.15, String(d.ci));
    const fewer = decidePaired(disturbed.slice(0, RANK_MIN_PAIRS - 1), 'lower', T, 0.95);
    assert.equal(fewer.stats.method, 't');
    assert.notEqual(fewer.verdict, 'regression', 'the same outlier among 11 pairs leaves a t interval undecided');
  });

  it('A/A pairs with a small spread are unchanged, and a 5 % slowdown is not a regression', () => {
    const aa = Array.from({ length: 24 }, (_, i) => 0.03 * Math.sin(i * 2.3));
    assert.equal(decidePaired(aa, 'lower', T, 0.95).verdict, 'unchanged');
    const five = aa.map((x) => x + Math.log(1.05));
    assert.notEqual(decidePaired(five, 'lower', T, 0.95).verdict, 'regression');
  });
});
