import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeMetric, type RunResult } from '@hlp/results';
import { LabError } from '../src/errors.js';
import { checkRssGrowthOptions, judgeRssGrowth, renderRssGrowth, rssGrowths } from '../src/load/soak.js';

const MiB = 1024 * 1024;

function growthMetric(process: string, value: number, fromBytes: number): RunResult['metrics'][number] {
  return {
    ...makeMetric({ name: 'process.rss_growth', unit: 'ratio', better: 'lower', labels: { process }, samples: [value] }),
    value,
    fromBytes,
    toBytes: fromBytes * (1 + value),
  };
}

function codeOf(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    assert.ok(e instanceof LabError, String(e));
    return `${e.code}: ${e.message}`;
  }
}

describe('a soak: RSS growth in the load summary and its bound', () => {
  const result = {
    metrics: [
      makeMetric({ name: 'process.rss', unit: 'bytes', better: 'lower', labels: { process: 'proxy' }, samples: [1] }),
      growthMetric('proxy', 0.012, 400 * MiB),
      growthMetric('inference', 0.25, 300 * MiB),
      growthMetric('loadgen', 3, 100 * MiB),
    ],
  } as unknown as RunResult;

  it('reads one growth per process from the document and says each in one line', () => {
    const growths = rssGrowths(result);
    assert.deepEqual(
      growths.map((g) => g.process),
      ['proxy', 'inference', 'loadgen'],
    );
    assert.equal(
      renderRssGrowth(growths),
      'RSS growth after the first 5 min (median of the sixth minute → of the last): proxy +1.2 % (400 MiB → 405 MiB), inference +25.0 % (300 MiB → 375 MiB), loadgen +300.0 % (100 MiB → 400 MiB)',
    );
    assert.equal(renderRssGrowth([]), null);
  });

  it('fails naming the services past the bound; the load generator is not judged', () => {
    const growths = rssGrowths(result);
    assert.equal(
      codeOf(() => judgeRssGrowth(growths, 0.1)),
      'GATE: RSS grew past the bound of +10.0 %: inference +25.0 %',
    );
    assert.equal(
      codeOf(() => judgeRssGrowth(growths, 0.25)),
      null,
    );
    assert.match(codeOf(() => judgeRssGrowth(growths.slice(2), 0.1)) ?? '', /^INFRA: --max-rss-growth: no service process was sampled/);
  });

  it('refuses a bound it could not judge: a ladder, or a window under seven minutes', () => {
    assert.equal(
      codeOf(() => checkRssGrowthOptions({ durationMs: 60_000 })),
      null,
    );
    assert.match(codeOf(() => checkRssGrowthOptions({ maxRssGrowth: 0.1, durationMs: 419_000 })) ?? '', /^USAGE: --max-rss-growth needs --duration 420/);
    assert.match(codeOf(() => checkRssGrowthOptions({ maxRssGrowth: 0.1, rates: [10], durationMs: 600_000 })) ?? '', /^USAGE: .*not --rates/);
    assert.equal(
      codeOf(() => checkRssGrowthOptions({ maxRssGrowth: 0.1, durationMs: 420_000 })),
      null,
    );
  });
});
