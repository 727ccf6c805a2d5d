/**
 * The SLO overview against a real Prometheus scraping a stand-in of the two apps: two loopback
 * HTTP servers exposing the `@hlp/telemetry` registries of the proxy and the inference service,
 * fed for a few seconds with every catalogue metric. This checks the dashboards' contract with
 * the catalogue on its own (every panel has data when the apps emit what the catalogue lists);
 * apps/lab/test/prometheus-scrape.test.ts runs the same check against the real apps.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { cpus } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { BREAKER_STATES, CACHE_LEVELS, CATALOGUE, PEERS, STAGES, createRegistry, metricKeysFor, type AppName, type MetricKey } from '@hlp/telemetry';
import { describeOutcomes, findExecutable, runDashboardQueries, sloOverview, startPrometheus, type PrometheusServer } from '../src/index.js';

/** Plausible values per label name (every label of the catalogue). */
const LABEL_VALUES: Record<string, readonly string[]> = {
  route: ['/v1/embeddings', '/v1/fhe/encrypt'],
  method: ['POST'],
  status: ['200', '200', '200', '400'],
  code: ['BAD_JSON', 'TOO_MANY_TOKENS'],
  backend: ['native'],
  layout: ['token-major'],
  stage: STAGES,
  peer: PEERS,
  operation: ['evaluate', 'keys'],
  queue: ['batcher', 'encrypt'],
  level: CACHE_LEVELS,
  reason: ['startup', 'miss'],
  upstream: ['inference'],
  workload: ['affine'],
  gpu: ['0'],
};

interface Instrument {
  inc?: (labels: Record<string, string>, v?: number) => void;
  set?: (labels: Record<string, string>, v: number) => void;
  observe?: (labels: Record<string, string>, v: number) => void;
}

function feed(app: AppName, metrics: Record<string, unknown>, tick: number): void {
  for (const key of metricKeysFor(app) as MetricKey[]) {
    const spec = CATALOGUE[key];
    const labels: Record<string, string> = {};
    for (const l of spec.labels) {
      const values = LABEL_VALUES[l] ?? ['x'];
      labels[l] = values[tick % values.length]!;
    }
    const m = metrics[key] as Instrument;
    const buckets = 'buckets' in spec ? spec.buckets : [1];
    switch (spec.type) {
      case 'counter':
        m.inc!(labels, 1 + (tick % 3));
        break;
      case 'gauge':
        m.set!(labels, key === 'circuitBreakerState' ? BREAKER_STATES.closed : key.endsWith('Efficiency') || key === 'gpuUtilization' ? 0.85 : 10 + (tick % 5));
        break;
      case 'histogram':
        m.observe!(labels, buckets[(tick * 7) % buckets.length]! * 0.9);
        break;
    }
  }
}

async function serve(app: AppName): Promise<{ server: Server; port: number; feed: (tick: number) => void }> {
  const reg = createRegistry(app);
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    void reg.metricsText().then((text) => res.writeHead(200, { 'content-type': reg.contentType }).end(text));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { server, port, feed: (tick) => feed(app, reg.metrics, tick) };
}

describe('SLO overview on a real Prometheus (stand-in apps)', () => {
  let prom: PrometheusServer | undefined;
  const servers: Server[] = [];
  let start = 0;

  before(async () => {
    assert.ok(findExecutable('prometheus'), 'prometheus is missing: run scripts/setup-system.sh (Debian package prometheus)');
    const proxy = await serve('proxy');
    const inference = await serve('inference');
    servers.push(proxy.server, inference.server);
    prom = await startPrometheus({
      scrape: [
        { job: 'hlp-proxy', targets: [`127.0.0.1:${proxy.port}`] },
        { job: 'hlp-inference', targets: [`127.0.0.1:${inference.port}`] },
      ],
    });
    start = Date.now() / 1000;
    await prom.waitForTargets(2);
    // a short "load": every metric moves for a few seconds of 1 s scrapes
    for (let tick = 0; tick < 40; tick++) {
      proxy.feed(tick);
      inference.feed(tick);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 2200));
  });

  after(async () => {
    await prom?.stop();
    for (const s of servers) await new Promise((r) => s.close(r));
  });

  it('every panel query of the SLO overview returns data', async (t) => {
    const end = Date.now() / 1000;
    const outcomes = await runDashboardQueries(
      prom!,
      sloOverview(),
      { instance: '.*', cores: String(cpus().length), __rate_interval: '10s' },
      { start, end, step: 1 },
    );
    for (const line of describeOutcomes(outcomes).split('\n')) t.diagnostic(line);
    const empty = outcomes.filter((o) => o.series === 0);
    assert.deepEqual(
      empty.map((o) => `${o.query.panel} [${o.query.refId}]: ${o.expr}`),
      [],
      'panels without data',
    );
    const throughput = outcomes.find((o) => o.query.panel.startsWith('Throughput') && o.query.refId === 'A')!;
    assert.ok(throughput.finiteValues > 0, 'throughput has values');
  });
});
