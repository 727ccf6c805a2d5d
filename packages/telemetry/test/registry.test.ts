import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  BREAKER_STATES,
  CATALOGUE,
  DEFAULT_METRICS,
  TelemetryError,
  createRegistry,
  metricKeysFor,
  type AppName,
  type AppRegistry,
  type MetricKey,
} from '../src/index.js';

/** The value of the sample `name{labels}` (labels compared as a set), or undefined. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) found[pair[1] as string] = pair[2] as string;
    const want = Object.entries(labels);
    if (want.length === Object.keys(found).length && want.every(([k, v]) => found[k] === v)) return Number(m[3]);
  }
  return undefined;
}

function helpAndType(text: string, name: string, help: string, type: string): void {
  assert.ok(text.includes(`# HELP ${name} ${help}\n`), `HELP of ${name}`);
  assert.ok(text.includes(`# TYPE ${name} ${type}\n`), `TYPE of ${name}`);
}

describe('createRegistry', () => {
  for (const app of ['proxy', 'inference'] as const) {
    it(`${app}: every metric of the app renders with its HELP and TYPE, and no other app's`, async () => {
      const { registry, metricsText, contentType } = createRegistry(app, { defaultMetrics: false });
      const text = await metricsText();
      const mine = new Set<string>(metricKeysFor(app));
      for (const key of Object.keys(CATALOGUE) as MetricKey[]) {
        const s = CATALOGUE[key];
        if (mine.has(key)) helpAndType(text, s.name, s.help, s.type);
        else assert.ok(!text.includes(`# TYPE ${s.name} `), `${s.name} must not be in ${app}`);
      }
      assert.equal(registry.getMetricsAsArray().length, mine.size);
      assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    });
  }

  it('adds prom-client default metrics (process CPU and RSS) unless asked not to', async () => {
    const { metricsText } = createRegistry('proxy');
    const text = await metricsText();
    for (const d of DEFAULT_METRICS) {
      if (d.name === 'process_resident_memory_bytes' && process.platform !== 'linux') continue;
      assert.ok(text.includes(`# TYPE ${d.name} ${d.type}\n`), `default metric ${d.name}`);
    }
    const bare = await createRegistry('proxy', { defaultMetrics: false }).metricsText();
    assert.ok(!bare.includes('process_cpu_seconds_total'));
  });

  it('typed accessors record values with their labels', async () => {
    const { metrics, metricsText } = createRegistry('proxy', { defaultMetrics: false, defaultLabels: { instance: 'p1' } });
    metrics.httpRequestDuration.observe({ route: '/v1/embeddings', method: 'POST', status: 200 }, 0.042);
    metrics.stageDuration.observe({ stage: 'encrypt' }, 0.5);
    metrics.errors.inc({ code: 'TOO_MANY_TOKENS' });
    metrics.httpRequestsInFlight.inc();
    metrics.circuitBreakerState.set({ upstream: 'inference' }, BREAKER_STATES.open);
    metrics.bytesSent.inc({ peer: 'upstream' }, 1234);
    metrics.batchSize.observe(7);
    const text = await metricsText();
    const at = { instance: 'p1' };
    assert.equal(sample(text, 'hlp_http_request_duration_seconds_bucket', { ...at, le: '0.05', route: '/v1/embeddings', method: 'POST', status: '200' }), 1);
    assert.equal(sample(text, 'hlp_http_request_duration_seconds_bucket', { ...at, le: '0.025', route: '/v1/embeddings', method: 'POST', status: '200' }), 0);
    assert.equal(sample(text, 'hlp_stage_duration_seconds_sum', { ...at, stage: 'encrypt' }), 0.5);
    assert.equal(sample(text, 'hlp_errors_total', { ...at, code: 'TOO_MANY_TOKENS' }), 1);
    assert.equal(sample(text, 'hlp_http_requests_in_flight', at), 1);
    assert.equal(sample(text, 'hlp_circuit_breaker_state', { ...at, upstream: 'inference' }), 2);
    assert.equal(sample(text, 'hlp_sent_bytes_total', { ...at, peer: 'upstream' }), 1234);
    assert.equal(sample(text, 'hlp_batch_size_requests_count', at), 1);
  });

  it('prom-client rejects unknown labels at run time', () => {
    const { metrics } = createRegistry('inference', { defaultMetrics: false });
    assert.throws(() => metrics.keyCacheHits.inc({ tier: 'l1' } as never), /label/i);
    assert.throws(() => metrics.workloadEvaluationDuration.observe({ workload: 'mlp', nope: 'x' } as never, 1), /label/i);
    assert.doesNotThrow(() => metrics.keyCacheHits.inc({ level: 'l1' }));
  });

  it('registries are independent (two apps, or twice the same, in one process)', async () => {
    const a = createRegistry('proxy', { defaultMetrics: false });
    const b = createRegistry('proxy', { defaultMetrics: false });
    a.metrics.errors.inc({ code: 'X' });
    assert.equal(sample(await a.metricsText(), 'hlp_errors_total', { code: 'X' }), 1);
    assert.ok(!(await b.metricsText()).includes('code="X"'));
    createRegistry('inference');
    createRegistry('inference');
  });

  it('rejects an unknown app', () => {
    assert.throws(
      () => createRegistry('gateway' as AppName),
      (e: unknown) => e instanceof TelemetryError && e.code === 'UNKNOWN_APP',
    );
  });

  it('passes promtool check metrics when promtool is installed', async (t) => {
    const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    if (probe.error !== undefined) {
      t.skip('promtool not installed');
      return;
    }
    for (const app of ['proxy', 'inference'] as const) {
      const { metricsText } = createRegistry(app);
      const res = spawnSync('promtool', ['check', 'metrics'], { input: await metricsText(), encoding: 'utf8' });
      assert.ok(!(res.stdout + res.stderr).includes('error while linting'));
    }
    const { metrics, metricsText } = createRegistry('proxy');
    metrics.stageDuration.observe({ stage: 'embed' }, 0.01);
    const res = spawnSync('promtool', ['check', 'metrics'], { input: await metricsText(), encoding: 'utf8' });
    const report = res.stdout + res.stderr;
    assert.ok(!report.includes('error while linting'), report);
    // promtool lints prom-client's own gauges named *_total (nodejs_active_handles_total…); ours must be clean.
    const ours = report.split('\n').filter((line) => line.startsWith('hlp_'));
    assert.deepEqual(ours, []);
  });
});

/** Compile-time checks: this function is type-checked by `tsc`, never called. */
export function typeChecks(proxy: AppRegistry<'proxy'>, inference: AppRegistry<'inference'>): void {
  proxy.metrics.httpRequestDuration.observe({ route: '/', method: 'GET', status: 200 }, 1);
  // @ts-expect-error `path` is not a label of hlp_http_request_duration_seconds
  proxy.metrics.httpRequestDuration.observe({ path: '/' }, 1);
  // @ts-expect-error `tier` is not a label of hlp_key_cache_hits_total
  inference.metrics.keyCacheHits.inc({ tier: 'l1' });
  // @ts-expect-error the key caches live in the inference service, not in the proxy
  void proxy.metrics.keyCacheHits;
  // @ts-expect-error encryption happens in the proxy only
  void inference.metrics.encryptionDuration;
  // @ts-expect-error a gauge has no observe()
  proxy.metrics.queueDepth.observe({ queue: 'batch' }, 1); // eslint-disable-line @typescript-eslint/no-unsafe-call -- the call must not type-check
}
