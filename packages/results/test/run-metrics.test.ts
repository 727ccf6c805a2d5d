import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RUN_METRICS, RUN_METRIC_NAMES, isMetric, isRunMetricName, makeRunMetric, runMetricSpec, type RunMetricSpec } from '../src/index.js';

const NAME = /^[a-z][a-z0-9]*(\.[a-z][a-z0-9_]*)+$/;
const LABEL = /^[a-z][a-z0-9_]*$/;

describe('run-document metric catalogue', () => {
  it('names are dotted lower case, labels are valid label names, descriptions are there', () => {
    for (const name of RUN_METRIC_NAMES) {
      const spec: RunMetricSpec = RUN_METRICS[name];
      assert.match(name, NAME);
      for (const l of spec.labels) assert.match(l, LABEL, `${name} label ${l}`);
      assert.equal(new Set(spec.labels).size, spec.labels.length, `${name} repeats a label`);
      assert.ok(spec.description.length > 10, name);
      assert.ok(spec.shownIn.length > 0, name);
    }
  });

  it('holds the stable names of DESIGN §8 that the SLO targets read', () => {
    for (const name of [
      'http.latency',
      'http.throughput',
      'http.success_ratio',
      'process.cpu',
      'process.rss',
      'ckks.prompt_encrypt',
      'ckks.gpu_pool_efficiency',
    ]) {
      assert.ok(isRunMetricName(name), name);
    }
    assert.ok(!isRunMetricName('http.latency_p95'));
    assert.ok(!isRunMetricName('toString'), 'inherited properties are not names');
  });

  it('makeRunMetric takes unit and direction from the catalogue', () => {
    const m = makeRunMetric('http.throughput', { labels: { route: '/v1/embeddings' }, samples: [100, 120, 110] });
    assert.equal(m.name, 'http.throughput');
    assert.equal(m.unit, 'req/s');
    assert.equal(m.better, 'higher');
    assert.equal(m.summary.median, 110);
    assert.deepEqual(runMetricSpec('process.rss'), { ...RUN_METRICS['process.rss'], name: 'process.rss' });
  });

  it('isMetric matches the name and every given label', () => {
    const metrics = [
      makeRunMetric('process.cpu', { labels: { process: 'inference' }, samples: [0.9] }),
      makeRunMetric('process.cpu', { labels: { process: 'proxy' }, samples: [0.3] }),
    ];
    assert.equal(metrics.find(isMetric('process.cpu', { process: 'proxy' }))?.summary.median, 0.3);
    assert.equal(metrics.find(isMetric('process.cpu'))?.labels['process'], 'inference');
    assert.equal(metrics.find(isMetric('process.rss')), undefined);
  });
});
