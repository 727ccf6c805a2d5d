import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveConfig } from '../src/config.js';
import { GateError } from '../src/errors.js';
import { compareMetrics } from '../src/compare.js';
import { lognormal, metric } from './helpers.js';

const config = resolveConfig();

function one(base: number[], cur: number[], opts: { better?: 'lower' | 'higher'; unit?: string; curUnit?: string } = {}) {
  const b = metric({ name: 'op', labels: { n: 8192 }, samples: base, better: opts.better, unit: opts.unit });
  const c = metric({ name: 'op', labels: { n: 8192 }, samples: cur, better: opts.better, unit: opts.curUnit ?? opts.unit });
  const r = compareMetrics([b], [c], { config });
  return r;
}

describe('compareMetrics: verdicts on synthetic samples', () => {
  it('a clear 20 % slowdown is a regression', () => {
    const r = one(lognormal(1000, 100, 0.05, 1), lognormal(1000, 120, 0.05, 2));
    assert.equal(r.comparisons[0]!.verdict, 'regression');
    assert.ok(Math.abs(r.comparisons[0]!.ratio! - 1.2) < 0.02);
  });
  it('a 3 % slowdown is not a regression, however many samples', () => {
    for (const n of [50, 1000, 20000]) {
      const r = one(lognormal(n, 100, 0.05, n), lognormal(n, 103, 0.05, n + 1));
      assert.notEqual(r.comparisons[0]!.verdict, 'regression', `n = ${n}`);
    }
    const r = one(lognormal(2000, 100, 0.05, 1), lognormal(2000, 103, 0.05, 2));
    assert.equal(r.comparisons[0]!.verdict, 'unchanged');
  });
  it('huge noise is inconclusive, never a silent pass', () => {
    const r = one(lognormal(15, 100, 0.8, 1), lognormal(15, 115, 0.8, 2));
    assert.equal(r.comparisons[0]!.verdict, 'inconclusive');
    assert.match(r.comparisons[0]!.reason, /too noisy to tell/);
  });
  it('too few raw samples: inconclusive, no noise model', () => {
    const r = one([100, 101], [150, 151]);
    assert.equal(r.comparisons[0]!.verdict, 'inconclusive');
    assert.equal(r.comparisons[0]!.ci, null);
    assert.match(r.comparisons[0]!.reason, /no noise model/);
  });
  it('an improvement past 5 % is reported', () => {
    const r = one(lognormal(1000, 100, 0.05, 1), lognormal(1000, 85, 0.05, 2));
    assert.equal(r.comparisons[0]!.verdict, 'improvement');
  });
});

describe('compareMetrics: direction and unit', () => {
  it('higher is better: 20 % less throughput is a regression, 20 % more an improvement', () => {
    const base = lognormal(500, 1000, 0.05, 1);
    assert.equal(one(base, lognormal(500, 800, 0.05, 2), { better: 'higher', unit: 'ops/s' }).comparisons[0]!.verdict, 'regression');
    assert.equal(one(base, lognormal(500, 1200, 0.05, 3), { better: 'higher', unit: 'ops/s' }).comparisons[0]!.verdict, 'improvement');
  });
  it('converts the baseline into the run unit (µs → ns)', () => {
    const r = one(lognormal(500, 10, 0.05, 1), lognormal(500, 10000, 0.05, 2), { unit: 'µs', curUnit: 'ns' });
    assert.equal(r.comparisons[0]!.verdict, 'unchanged');
    assert.ok(Math.abs(r.comparisons[0]!.baselineMedian / 10000 - 1) < 0.02);
  });
  it('units that do not convert, or a changed direction, are incomparable', () => {
    const r = one(lognormal(50, 10, 0.05, 1), lognormal(50, 10, 0.05, 2), { unit: 'bytes', curUnit: 'ns' });
    assert.equal(r.comparisons.length, 0);
    assert.equal(r.unmatched[0]!.status, 'incomparable');
    assert.match(r.unmatched[0]!.reason, /units differ/);
    const b = metric({ name: 'x', samples: lognormal(50, 10, 0.05, 1) });
    const c = metric({ name: 'x', samples: lognormal(50, 10, 0.05, 2), better: 'higher' });
    assert.match(compareMetrics([b], [c], { config }).unmatched[0]!.reason, /direction changed/);
  });
});

describe('compareMetrics: matching', () => {
  it('matches by name and labels (label order and number-vs-text do not matter); reports missing and new', () => {
    const s = lognormal(100, 100, 0.05, 1);
    const base = [
      metric({ name: 'ntt.forward', labels: { variant: 'avx2', n: 8192, bits: 50 }, samples: s }),
      metric({ name: 'ntt.forward', labels: { variant: 'scalar', n: 8192, bits: 50 }, samples: s }),
      metric({ name: 'ntt.inverse', labels: { variant: 'avx2', n: 8192, bits: 50 }, samples: s }),
    ];
    const cur = [
      metric({ name: 'ntt.forward', labels: { bits: 50, n: '8192', variant: 'avx2' }, samples: s }),
      metric({ name: 'ntt.forward', labels: { variant: 'avx512', n: 8192, bits: 50 }, samples: s }),
      metric({ name: 'calibration.js_ntt', labels: {}, samples: s }),
    ];
    const r = compareMetrics(base, cur, { config });
    assert.equal(r.comparisons.length, 1);
    assert.equal(r.comparisons[0]!.labels['variant'], 'avx2');
    assert.deepEqual(r.unmatched.map((u) => `${u.status} ${u.name} ${String(u.labels['variant'])}`).sort(), [
      'missing ntt.forward scalar',
      'missing ntt.inverse avx2',
      'new ntt.forward avx512',
    ]);
  });
});

describe('thresholds per metric', () => {
  it('rules overlay the defaults in order, by name glob and label subset', () => {
    const cfg = resolveConfig({
      thresholds: {
        default: { regress: 0.1 },
        metrics: [
          { name: 'ntt.*', regress: 0.3 },
          { name: 'ntt.forward', labels: { variant: 'scalar' }, regress: 0.02, improve: 0.02 },
        ],
      },
    });
    const slow = lognormal(1000, 120, 0.03, 2);
    const base = lognormal(1000, 100, 0.03, 1);
    const r = compareMetrics(
      [
        metric({ name: 'ntt.forward', labels: { variant: 'avx2' }, samples: base }),
        metric({ name: 'ntt.forward', labels: { variant: 'scalar' }, samples: base }),
        metric({ name: 'eltwise.mul_mod', labels: {}, samples: base }),
      ],
      [
        metric({ name: 'ntt.forward', labels: { variant: 'avx2' }, samples: slow }),
        metric({ name: 'ntt.forward', labels: { variant: 'scalar' }, samples: lognormal(1000, 104, 0.03, 3) }),
        metric({ name: 'eltwise.mul_mod', labels: {}, samples: slow }),
      ],
      { config: cfg },
    );
    const by = (v: string | undefined) => r.comparisons.find((c) => (v ? c.labels['variant'] === v : c.name === 'eltwise.mul_mod'))!;
    assert.equal(by('avx2').verdict, 'unchanged', '20 % under a 30 % threshold');
    assert.deepEqual(by('avx2').thresholds, { regress: 0.3, improve: 0.05 });
    assert.equal(by('scalar').verdict, 'regression', '4 % over a 2 % threshold');
    assert.equal(by(undefined).verdict, 'regression');
  });
  it('a configuration with a misspelt field is rejected, naming it', () => {
    assert.throws(
      () => resolveConfig({ thresholds: { default: { regres: 0.2 } } }),
      (e: unknown) => e instanceof GateError && e.code === 'INVALID_CONFIG' && /thresholds\.default/.test(e.message) && /regres/.test(e.message),
    );
    assert.throws(
      () => resolveConfig({ thresholds: { metrics: [{ name: 'x', regress: -1 }] } }),
      (e: unknown) => e instanceof GateError && /thresholds\.metrics\.0\.regress/.test(e.message),
    );
  });
  it('ignored metrics are not compared', () => {
    const s = lognormal(100, 100, 0.05, 1);
    const r = compareMetrics([metric({ name: 'alloc.churn', samples: s })], [metric({ name: 'alloc.churn', samples: s.map((x) => x * 2) })], {
      config: resolveConfig({ ignore: ['alloc.*'] }),
    });
    assert.equal(r.comparisons.length + r.unmatched.length, 0);
  });
});
