import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeMetric, type Metric } from '@hlp/results';
import { scalingChecks, speedupVsScalar } from '../src/index.js';
import { formatNs } from '../src/format.js';
import { parseBitsList, parseNList, parseVariantList } from '../src/options.js';

function ntt(variant: string, n: number, median: number, name = 'ntt.forward'): Metric {
  return makeMetric({ name, unit: 'ns', better: 'lower', labels: { variant, n, bits: 50 }, samples: [median] });
}

describe('report', () => {
  it('speed-up vs scalar at the same (n, bits)', () => {
    const all = [ntt('scalar', 8192, 50_000), ntt('avx512', 8192, 10_000), ntt('avx512', 4096, 1), ntt('scalar', 8192, 1, 'ntt.inverse')];
    assert.equal(speedupVsScalar(all[1]!, all), 5);
    assert.equal(speedupVsScalar(all[0]!, all), 1);
    assert.equal(speedupVsScalar(all[2]!, all), null); // no scalar at n = 4096
  });

  it('N·log N scaling from n = 8192 for the best variant', () => {
    const base = 13_000;
    const all = [
      ntt('scalar', 8192, 50_000),
      ntt('avx512', 8192, base),
      ntt('avx512', 16384, (base * 2 * 14) / 13), // exactly as predicted
      ntt('avx512', 32768, ((base * 4 * 15) / 13) * 1.1), // 10 % slower than predicted
      ntt('scalar', 32768, 1),
    ];
    const checks = scalingChecks(all);
    assert.equal(checks.length, 2);
    assert.deepEqual(
      checks.map((c) => [c.variant, c.n, Number(c.ratio.toFixed(6))]),
      [
        ['avx512', 16384, 1],
        ['avx512', 32768, 1.1],
      ],
    );
    assert.equal(scalingChecks([ntt('avx512', 16384, 1)]).length, 0);
  });

  it('formats nanoseconds', () => {
    assert.equal(formatNs(950), '950 ns');
    assert.equal(formatNs(12_345), '12.3 µs');
    assert.equal(formatNs(4_560_000), '4.56 ms');
    assert.equal(formatNs(1.5), '1.50 ns');
  });
});

describe('option parsers', () => {
  it('accept valid lists and append on repetition', () => {
    assert.deepEqual(parseNList('1024, 4096', undefined), [1024, 4096]);
    assert.deepEqual(parseNList('8192', [1024]), [1024, 8192]);
    assert.deepEqual(parseBitsList('50,60', undefined), [50, 60]);
    assert.deepEqual(parseVariantList('scalar,avx512', undefined), ['scalar', 'avx512']);
  });
  it('reject bad values with the offending item', () => {
    assert.throws(() => parseNList('1000', undefined), /'1000': n must be a power of two/);
    assert.throws(() => parseNList('262144', undefined), /n must be at most 131072/);
    assert.throws(() => parseBitsList('19', undefined), /'19': bits must be between 20 and 60/);
    assert.throws(() => parseVariantList('avx512,sse', undefined), /'sse': unknown variant/);
    assert.throws(() => parseNList('', undefined), /expected a positive integer/);
  });
});
