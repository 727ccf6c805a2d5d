/**
 * The SLO overview dashboard against the real system: the proxy and the inference service
 * started by the embedded-services starter of `hlp serve`, scraped by a real Prometheus
 * (Debian `prometheus`, loopback, free port, temporary data dir, 1 s scrapes) under a short load
 * (a few dozen requests, some of them bad), then every panel's query — variables substituted —
 * is run through Prometheus' HTTP API and must return data.
 *
 * The only panels allowed to be empty are those that read GPU metrics only, while neither app
 * exposes them (no GPU or no GPU sampler); KNOWN_GAPS lists catalogue metrics the apps do not
 * emit yet, reported on every run.
 */
import assert from 'node:assert/strict';
import { cpus } from 'node:os';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { CATALOGUE, type MetricKey } from '@hlp/telemetry';
import { describeOutcomes, findExecutable, runDashboardQueries, sloOverview, startPrometheus, type PrometheusServer, type QueryOutcome } from '@hlp/dashboards';
import { startServices, type ServeHandle } from '../src/services/pair.js';

/** Catalogue metrics the apps do not emit yet (their panels may be empty; the test says so). */
const KNOWN_GAPS: readonly MetricKey[] = ['circuitBreakerState'];
const GPU_METRICS = (Object.keys(CATALOGUE) as MetricKey[]).filter((k) => (CATALOGUE[k].labels as readonly string[]).includes('gpu'));

function quiet(): Writable {
  return new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });
}

function reads(o: QueryOutcome, keys: readonly MetricKey[]): boolean {
  return keys.some((k) => new RegExp(`\\b${CATALOGUE[k].name}(_bucket|_sum|_count)?\\b`).test(o.expr));
}

function readsOnly(o: QueryOutcome, keys: readonly MetricKey[]): boolean {
  const names = o.expr.match(/\bhlp_[a-z0-9_]+\b/g) ?? [];
  return names.length > 0 && names.every((n) => keys.some((k) => n.replace(/_(bucket|sum|count)$/, '') === CATALOGUE[k].name));
}

/** The whole load ends by this many ms: a request still unanswered then counts as status 0. */
const LOAD_BUDGET_MS = 10_000;

/** The response status, or 0 when no answer came before `signal` fired (reported, not thrown: the panels still get checked). */
async function post(url: string, body: string, signal: AbortSignal, contentType = 'application/json'): Promise<number> {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body, signal });
    await res.arrayBuffer();
    return res.status;
  } catch (error) {
    if (signal.aborted) return 0;
    throw error;
  }
}

describe('SLO overview on a real Prometheus scraping the real proxy and inference service', () => {
  let services: ServeHandle | undefined;
  let prom: PrometheusServer | undefined;
  let start = 0;
  const statuses = new Map<number, number>();
  const exposed = new Set<string>();
  let timings = '';

  before(async () => {
    assert.ok(findExecutable('prometheus'), 'prometheus is missing: run scripts/setup-system.sh (Debian package prometheus)');
    const io = { stdout: quiet() as unknown as NodeJS.WriteStream, stderr: quiet() as unknown as NodeJS.WriteStream };
    const t0 = Date.now();
    services = await startServices({ host: '127.0.0.1', port: 0, inferencePort: 0, backend: 'native', quiet: true, startTimeout: 120 }, io);
    const hostPort = (u: string): string => new URL(u).host;
    prom = await startPrometheus({
      scrape: [
        { job: 'hlp-proxy', targets: [hostPort(services.proxyUrl)] },
        { job: 'hlp-inference', targets: [hostPort(services.inferenceUrl)] },
      ],
    });
    start = Date.now() / 1000;
    await prom.waitForTargets(2);

    // a short load: a few dozen requests, 2 at a time, over both client routes, plus bad ones.
    // (At 4 at a time the proxy currently stalls now and then: /v1/embeddings requests wait in its
    // upstream queue forever; that is the proxy's bug for its own tests, not a dashboard matter.)
    // the cheap default workload (affine): projection and mlp take seconds per request on a small machine
    const models = ((await (await fetch(`${services.proxyUrl}/v1/models`)).json()) as { data: { id: string }[] }).data.map((m) => m.id);
    const model = models.find((m) => m.includes('affine')) ?? models[0];
    assert.ok(model, 'the proxy serves no model');
    const deadline = AbortSignal.timeout(LOAD_BUDGET_MS);
    const jobs: (() => Promise<number>)[] = [];
    for (let i = 0; i < 36; i++) {
      const route = i % 4 === 3 ? '/v1/fhe/encrypt' : '/v1/embeddings';
      const input = `request ${i}: the quick brown fox jumps over the lazy dog `.repeat(1 + (i % 5));
      jobs.push(() => post(`${services!.proxyUrl}${route}`, JSON.stringify({ model, input }), deadline));
    }
    // bad requests first, so that their counters have several scrapes before the queries
    jobs.unshift(
      () => post(`${services!.proxyUrl}/v1/embeddings`, '{not json', deadline),
      () => post(`${services!.proxyUrl}/v1/embeddings`, JSON.stringify({ model: 'no-such-model', input: 'x' }), deadline),
      () => post(`${services!.proxyUrl}/v1/embeddings`, 'input=x', deadline, 'application/x-www-form-urlencoded'),
    );
    const queue = [...jobs];
    await Promise.all(
      Array.from({ length: 2 }, async () => {
        for (let job = queue.shift(); job; job = queue.shift()) {
          const status = await job();
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    for (const url of [services.proxyUrl, services.inferenceUrl]) {
      const text = await (await fetch(`${url}/metrics`)).text();
      for (const line of text.split('\n')) if (line && !line.startsWith('#')) exposed.add(line.split(/[{ ]/)[0]!.replace(/_(bucket|sum|count)$/, ''));
    }
    await new Promise((r) => setTimeout(r, 3000)); // a few more scrapes after the load
    timings = `services up and Prometheus scraping in ${((start * 1000 - t0) / 1000).toFixed(1)} s, load and scrapes done ${(Date.now() / 1000 - start).toFixed(1)} s later`;
  });

  after(async () => {
    await prom?.stop();
    await services?.stop();
  });

  it('every panel of the SLO overview returns data', async (t) => {
    t.diagnostic(timings);
    t.diagnostic(`responses by status (0: no answer within the ${LOAD_BUDGET_MS / 1000} s load budget): ${JSON.stringify(Object.fromEntries(statuses))}`);
    if (statuses.has(0))
      t.diagnostic(
        `WARNING: ${statuses.get(0)} request(s) got no answer within ${LOAD_BUDGET_MS / 1000} s (the proxy stalled; its own tests should catch this)`,
      );
    assert.ok((statuses.get(200) ?? 0) >= 8, `too few 2xx for the panels to have data: ${JSON.stringify(Object.fromEntries(statuses))}`);
    const end = Date.now() / 1000;
    const outcomes = await runDashboardQueries(
      prom!,
      sloOverview(),
      { instance: '.*', cores: String(cpus().length), __rate_interval: '10s' },
      { start, end, step: 1 },
    );
    for (const line of describeOutcomes(outcomes).split('\n')) t.diagnostic(line);

    const gpuAbsent = GPU_METRICS.every((k) => !exposed.has(CATALOGUE[k].name));
    const gaps = KNOWN_GAPS.filter((k) => !exposed.has(CATALOGUE[k].name));
    for (const k of KNOWN_GAPS) {
      t.diagnostic(
        exposed.has(CATALOGUE[k].name)
          ? `KNOWN_GAPS: ${CATALOGUE[k].name} is emitted now; remove it from KNOWN_GAPS`
          : `known gap: the apps do not emit ${CATALOGUE[k].name} yet (panel "${CATALOGUE[k].panel}")`,
      );
    }
    if (gpuAbsent)
      t.diagnostic(`no GPU metrics exposed (no GPU or no GPU sampler): GPU panels may be empty (${GPU_METRICS.map((k) => CATALOGUE[k].name).join(', ')})`);
    const empty = outcomes.filter((o) => o.series === 0 && !(gpuAbsent && readsOnly(o, GPU_METRICS)) && !reads(o, gaps));
    assert.deepEqual(
      empty.map((o) => `${o.query.panel} [${o.query.refId}]: ${o.expr}`),
      [],
      'panels without data',
    );

    const value = (panel: string, refId = 'A'): QueryOutcome => outcomes.find((o) => o.query.panel === panel && o.query.refId === refId)!;
    assert.ok(value('Throughput, 2xx (target > 100 RPS)').finiteValues > 0, 'throughput has values');
    assert.ok(value('Encryption latency P95 (target < 2 s)').finiteValues > 0, 'encryption P95 has values');
    const codes = new Set(value('Errors by code').result.result.map((s) => s.metric['code']));
    assert.ok(codes.size >= 2, `errors by code: ${[...codes].join(', ')}`);
  });
});
