import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  APPS,
  CATALOGUE,
  DEFAULT_METRICS,
  STAGES,
  glossary,
  glossaryMarkdown,
  metricKeysFor,
  matcherText,
  metricName,
  promql,
  promqlBuilder,
  type MetricKey,
  type MetricSpec,
} from '../src/index.js';

const specs: [MetricKey, MetricSpec][] = (Object.keys(CATALOGUE) as MetricKey[]).map((k) => [k, CATALOGUE[k]]);
const NAME = /^hlp_[a-z][a-z0-9]*(_[a-z0-9]+)*$/;
const LABEL = /^[a-z][a-z0-9_]*$/;

describe('metric catalogue', () => {
  it('has every metric the brief asks for', () => {
    for (const key of [
      'httpRequestDuration',
      'httpRequestsInFlight',
      'errors',
      'encryptionDuration',
      'decryptionDuration',
      'stageDuration',
      'ciphertextsSent',
      'ciphertextsReceived',
      'bytesSent',
      'bytesReceived',
      'upstreamDuration',
      'queueDepth',
      'batchSize',
      'keyCacheHits',
      'keyCacheMisses',
      'circuitBreakerState',
      'workloadEvaluationDuration',
      'gpuUtilization',
      'gpuMemoryUsed',
      'gpuMemoryTotal',
      'gpuPoolEfficiency',
    ]) {
      assert.ok(key in CATALOGUE, key);
    }
    assert.deepEqual(CATALOGUE.stageDuration.labels, ['stage']);
    for (const s of ['tokenize', 'embed', 'encode', 'encrypt', 'serialize', 'upload', 'evaluate', 'download', 'decrypt', 'decode']) {
      assert.ok((STAGES as readonly string[]).includes(s), s);
    }
  });

  it('names are unique, prefixed, snake_case, and never collide with histogram series', () => {
    const names = new Set<string>();
    const series = new Set<string>();
    for (const [key, s] of specs) {
      assert.match(s.name, NAME, key);
      assert.ok(!names.has(s.name), `duplicate ${s.name}`);
      names.add(s.name);
      const own = s.type === 'histogram' ? ['_bucket', '_sum', '_count'].map((x) => s.name + x) : [s.name];
      for (const n of own) {
        assert.ok(!series.has(n), `series ${n} is produced twice`);
        series.add(n);
      }
    }
    for (const d of DEFAULT_METRICS) assert.ok(!names.has(d.name));
  });

  it('names carry their unit suffix; counters and only counters end in _total', () => {
    for (const [key, s] of specs) {
      const base = s.type === 'counter' ? s.name.replace(/_total$/, '') : s.name;
      if (s.type === 'counter') assert.ok(s.name.endsWith('_total'), `${key}: counter ${s.name} must end in _total`);
      else assert.ok(!s.name.endsWith('_total'), `${key}: ${s.type} ${s.name} must not end in _total`);
      if (s.unit === 'seconds' || s.unit === 'bytes' || s.unit === 'ratio') {
        assert.ok(base.endsWith(`_${s.unit}`), `${key}: ${s.name} must end in _${s.unit}`);
      }
      for (const u of ['seconds', 'bytes', 'ratio']) {
        if (base.endsWith(`_${u}`)) assert.equal(s.unit, u, `${key}: ${s.name} says ${u} but unit is ${s.unit}`);
      }
      assert.ok(!/_(ms|milliseconds|kb|mb|percent)(_|$)/.test(s.name), `${key}: use base units`);
    }
  });

  it('labels are valid and distinct; histograms have increasing buckets, others none', () => {
    for (const [key, s] of specs) {
      assert.equal(new Set(s.labels).size, s.labels.length, key);
      for (const l of s.labels) {
        assert.match(l, LABEL, `${key}: label ${l}`);
        assert.notEqual(l, 'le');
        assert.notEqual(l, 'quantile');
      }
      if (s.type === 'histogram') {
        assert.ok(s.buckets !== undefined && s.buckets.length > 0, `${key}: histogram needs buckets`);
        for (let i = 1; i < s.buckets.length; i++) assert.ok((s.buckets[i] as number) > (s.buckets[i - 1] as number), key);
      } else {
        assert.equal(s.buckets, undefined, `${key}: only histograms have buckets`);
      }
    }
  });

  it('every metric has help text, a dashboard panel and at least one app', () => {
    for (const [key, s] of specs) {
      assert.ok(s.help.length > 10 && !s.help.includes('\n') && !s.help.includes('\\'), key);
      assert.match(s.panel, /^[^›]+ › .+$/, key);
      assert.ok(s.apps.length > 0 && s.apps.every((a) => (APPS as readonly string[]).includes(a)), key);
    }
  });

  it('the encryption SLO edge (2 s) is a bucket boundary', () => {
    assert.ok((CATALOGUE.encryptionDuration.buckets as readonly number[]).includes(2));
    assert.ok((CATALOGUE.httpRequestDuration.buckets as readonly number[]).includes(2));
  });
});

describe('glossary', () => {
  it('lists every catalogue metric and the prom-client defaults we rely on', () => {
    const rows = glossary();
    assert.equal(rows.length, specs.length + DEFAULT_METRICS.length);
    const names = rows.map((r) => r.name);
    for (const n of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'hlp_encryption_duration_seconds']) {
      assert.ok(names.includes(n), n);
    }
    for (const r of rows) assert.ok(r.name && r.type && r.unit && r.help && r.panel);
  });

  it('filters by app', () => {
    const proxy = glossary('proxy').map((r) => r.name);
    const inference = glossary('inference').map((r) => r.name);
    assert.ok(proxy.includes('hlp_encryption_duration_seconds') && !inference.includes('hlp_encryption_duration_seconds'));
    assert.ok(inference.includes('hlp_key_cache_hits_total') && !proxy.includes('hlp_key_cache_hits_total'));
    assert.ok(proxy.includes('process_resident_memory_bytes') && inference.includes('process_resident_memory_bytes'));
    assert.equal(metricKeysFor('proxy').length + DEFAULT_METRICS.length, proxy.length);
  });

  it('renders Markdown', () => {
    const md = glossaryMarkdown();
    assert.match(md, /^\| metric \| type \| unit \| labels \| panel \| help \|/);
    assert.match(md, /\| `hlp_stage_duration_seconds` \| histogram \| seconds \| stage \|/);
  });
});

describe('PromQL helpers', () => {
  it('build queries from catalogue keys', () => {
    assert.equal(
      promql.quantile('httpRequestDuration', 0.95, ['route']),
      'histogram_quantile(0.95, sum by (le, route) (rate(hlp_http_request_duration_seconds_bucket[5m])))',
    );
    assert.equal(promql.rate('errors', ['code'], {}, '1m'), 'sum by (code) (rate(hlp_errors_total[1m]))');
    assert.equal(promql.rate('bytesSent'), 'sum (rate(hlp_sent_bytes_total[5m]))');
    assert.equal(metricName('queueDepth'), 'hlp_queue_depth');
  });

  it('carries the bound matchers and window unless a call overrides them', () => {
    const live = promqlBuilder({ matchers: { instance: '=~$instance' }, window: '$__rate_interval' });
    assert.equal(live.rate('errors', ['code']), 'sum by (code) (rate(hlp_errors_total{instance=~"$instance"}[$__rate_interval]))');
    assert.equal(live.rate('errors', [], {}, '1m'), 'sum (rate(hlp_errors_total[1m]))');
    assert.equal(live.gauge('queueDepth', ['instance'], undefined, 'max'), 'max by (instance) (hlp_queue_depth{instance=~"$instance"})');
    assert.equal(matcherText({ route: '/v1/"x"', status: '=~2..', app: '!=proxy' }), '{route="/v1/\\"x\\"", status=~"2..", app!="proxy"}');
  });
});
