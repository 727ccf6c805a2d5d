import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResultsError, medianCiRanks, quantileSorted, summarize } from '../src/index.js';

function close(actual: number, expected: number, eps = 1e-9): void {
  assert.ok(Math.abs(actual - expected) <= eps, `${actual} ≉ ${expected}`);
}

describe('summarize', () => {
  it('computes order statistics with linear interpolation (1..10, shuffled)', () => {
    const s = summarize([7, 3, 10, 1, 5, 9, 2, 8, 6, 4]);
    assert.equal(s.n, 10);
    assert.equal(s.min, 1);
    assert.equal(s.max, 10);
    close(s.mean, 5.5);
    close(s.p50, 5.5); // h = 9·0.5 = 4.5 → 5 + 0.5·1
    close(s.median, 5.5);
    close(s.p90, 9.1); // h = 8.1
    close(s.p95, 9.55); // h = 8.55
    close(s.p99, 9.91); // h = 8.91
    // ranks ⌊5 − 0.98·√10⌋ = 1 and ⌈6 + 0.98·√10⌉ = 10
    assert.deepEqual(s.ci95, [1, 10]);
  });

  it('gives the textbook median CI ranks for n = 100 (40, 61)', () => {
    assert.deepEqual(medianCiRanks(100), [40, 61]);
    const values = Array.from({ length: 100 }, (_, i) => (i + 1) * 10).reverse();
    const s = summarize(values);
    assert.deepEqual(s.ci95, [400, 610]);
    close(s.median, 505);
    close(s.p95, 950.5); // h = 94.05 → 950 + 0.05·10
    close(s.mean, 505);
  });

  it('handles an unsorted small sample with duplicates', () => {
    const s = summarize([4, 1, 4, 2]);
    // sorted 1 2 4 4
    close(s.median, 3);
    close(s.p90, 4);
    close(s.mean, 2.75);
    assert.deepEqual(medianCiRanks(4), [1, 4]);
    assert.deepEqual(s.ci95, [1, 4]);
  });

  it('n = 1: every statistic is the sample, zero-width CI', () => {
    const s = summarize([42]);
    assert.deepEqual(s, { n: 1, min: 42, p50: 42, p90: 42, p95: 42, p99: 42, max: 42, mean: 42, median: 42, ci95: [42, 42] });
  });

  it('n = 0 throws EMPTY_SAMPLES; non-finite throws INVALID_SAMPLES', () => {
    assert.throws(
      () => summarize([]),
      (e: unknown) => e instanceof ResultsError && e.code === 'EMPTY_SAMPLES',
    );
    assert.throws(
      () => summarize([1, Number.NaN]),
      (e: unknown) => e instanceof ResultsError && e.code === 'INVALID_SAMPLES',
    );
    assert.throws(
      () => summarize([1, Infinity]),
      (e: unknown) => e instanceof ResultsError && e.code === 'INVALID_SAMPLES',
    );
  });

  it('does not modify its input', () => {
    const input = [3, 1, 2];
    summarize(input);
    assert.deepEqual(input, [3, 1, 2]);
  });

  it('quantileSorted interpolates and bounds', () => {
    close(quantileSorted([0, 10], 0.25), 2.5);
    close(quantileSorted([5], 0.99), 5);
    close(quantileSorted([1, 2, 3], 0), 1);
    close(quantileSorted([1, 2, 3], 1), 3);
  });
});
