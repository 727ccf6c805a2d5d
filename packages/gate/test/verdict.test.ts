import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_THRESHOLDS } from '../src/config.js';
import { band, decide } from '../src/verdict.js';

const T = DEFAULT_THRESHOLDS;

describe('decide (lower is better)', () => {
  it('regression only when the whole interval is past 1 + regress', () => {
    assert.equal(decide(1.15, 1.25, 'lower', T).verdict, 'regression');
    assert.equal(decide(1.09, 1.25, 'lower', T).verdict, 'inconclusive');
    assert.match(decide(1.09, 1.25, 'lower', T).reason, /straddles the regression threshold ×1\.100/);
  });
  it('improvement past 1 − improve; unchanged inside the band', () => {
    assert.equal(decide(0.8, 0.9, 'lower', T).verdict, 'improvement');
    assert.equal(decide(0.97, 1.05, 'lower', T).verdict, 'unchanged');
    assert.equal(decide(1.02, 1.04, 'lower', T).verdict, 'unchanged', 'a significant 3 % slowdown is below the threshold');
    assert.equal(decide(0.93, 0.97, 'lower', T).verdict, 'inconclusive');
  });
  it('a huge interval straddles both thresholds', () => {
    const d = decide(0.5, 2, 'lower', T);
    assert.equal(d.verdict, 'inconclusive');
    assert.match(d.reason, /regression threshold .* and the improvement threshold/);
  });
});

describe('decide (higher is better)', () => {
  it('mirrors the band: 10 % less throughput is a regression, 5 % more an improvement', () => {
    assert.deepEqual(band('higher', T), { low: 0.9, high: 1.05 });
    assert.equal(decide(0.75, 0.85, 'higher', T).verdict, 'regression');
    assert.equal(decide(1.1, 1.2, 'higher', T).verdict, 'improvement');
    assert.equal(decide(0.95, 1.02, 'higher', T).verdict, 'unchanged');
    assert.equal(decide(1.15, 1.25, 'higher', T).verdict, 'improvement', 'a rise in throughput is never a regression');
  });
});
