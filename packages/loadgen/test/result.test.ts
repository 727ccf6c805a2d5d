import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunResult, parseRun } from '@hlp/results';
import {
  LOAD_METRICS,
  SAMPLES_CAP,
  buildLoadResult,
  embeddingsBodies,
  loadMetrics,
  parseTarget,
  runLoad,
  scenarioPrompts,
  startSamplers,
  startStubServer,
  type LoadRun,
  type Measurement,
} from '@hlp/loadgen';

// Registered in this order, under one describe; grouped so that each function stays short.
describe('result document', () => {
  realRunTests();
  latencySampleTests();
  cpuPerRequestTests();
});

/** A run against the stub server, end to end, as an hlp.run/1 document. */
function realRunTests(): void {
  it('a real run validates as hlp.run/1 with the stable names, labels and series', async () => {
    const server = await startStubServer({ delayMs: 1 });
    try {
      const samplers = startSamplers({
        processes: [{ name: 'proxy', pid: process.pid }],
        metrics: [{ name: 'proxy', metricsUrl: `${server.url}/metrics` }],
        gpu: false,
      });
      const startedAt = new Date();
      const run = await runLoad({
        target: parseTarget(server.url),
        bodies: embeddingsBodies(scenarioPrompts('short', { count: 2 })),
        protocol: 'http1',
        mode: { kind: 'open', rate: 100 },
        warmupMs: 300,
        durationMs: 2000,
      });
      const sampled = await samplers.stop();
      const doc = await buildLoadResult({ run, samplers: sampled, scenario: 'short', startedAt, finishedAt: new Date(), config: { target: server.url } });
      const valid = parseRun(JSON.parse(JSON.stringify(doc)));
      assert.equal(valid.suite, 'load');
      assert.equal(valid.scenario, 'short');
      assert.equal(valid.config['offeredRate'], 100);
      assert.equal(valid.config['mode'], 'open');
      const names = valid.metrics.map((m) => `${m.name} ${JSON.stringify(m.labels)}`);
      for (const expected of [
        'http.latency {"route":"/v1/embeddings","protocol":"http1"}',
        'http.latency_uncorrected {"route":"/v1/embeddings","protocol":"http1"}',
        'http.throughput {"route":"/v1/embeddings","protocol":"http1"}',
        'http.success_ratio {"route":"/v1/embeddings","protocol":"http1"}',
        'process.cpu {"process":"proxy"}',
        'process.rss {"process":"proxy"}',
        'process.eventloop_lag_p99 {"process":"proxy"}',
      ])
        assert.ok(names.includes(expected), `${expected} missing from ${names.join(', ')}`);
      const latency = valid.metrics.find((m) => m.name === 'http.latency')!;
      assert.equal(latency.unit, 'ms');
      assert.equal(latency.better, 'lower');
      assert.equal(latency.summary.n, 200);
      assert.equal(latency.samples.length, 200);
      const tput = valid.metrics.find((m) => m.name === 'http.throughput')!;
      assert.equal(tput.better, 'higher');
      assert.equal(tput['value'], 100);
      assert.ok(tput.series && tput.series.length >= 2 && tput.series.every((p) => typeof p['sent'] === 'number'));
      assert.equal(valid.metrics.find((m) => m.name === 'http.success_ratio')!['value'], 1);
      const cpu = valid.metrics.find((m) => m.name === 'process.cpu')!;
      assert.ok(
        cpu.series!.every((p) => p.t >= 0 && p.t <= 2000),
        'sampler series re-based on the measured window',
      );
      assert.ok(cpu.samples.every((x) => x >= 0 && x <= 1.05));
      assert.deepEqual((valid.config['samplers'] as { gpu: unknown }).gpu, { status: 'not-applicable', reason: 'disabled' });
    } finally {
      await server.close();
    }
  });
}

/** The latency samples' cap and summary, and a run without a single success. */
function latencySampleTests(): void {
  it('caps raw latency samples but summarises all of them', () => {
    const latencies = Array.from({ length: 25_000 }, (_, i) => 1 + (i % 1000));
    const measurement: Measurement = {
      countBy: 'completion',
      windowStart: 0,
      windowMs: 10_000,
      ok: latencies.length,
      non2xx: 0,
      errors: 0,
      sent: latencies.length,
      statusCodes: {},
      statusDetails: {},
      errorKinds: {},
      latencies,
      uncorrected: null,
      hdr: null,
      seconds: [],
      unfinished: 0,
      aborted: false,
    };
    const run: LoadRun = {
      driver: 'autocannon',
      protocol: 'http1',
      mode: 'closed',
      rate: null,
      connections: 1,
      streams: 1,
      warmupMs: 0,
      durationMs: 10_000,
      timeoutMs: 1000,
      measurement,
    };
    const [latency] = loadMetrics(run, null);
    assert.equal(latency!.name, LOAD_METRICS.latency.name);
    assert.equal(latency!.samples.length, SAMPLES_CAP);
    assert.equal(latency!.summary.n, 25_000);
    RunResult.shape.metrics.parse(loadMetrics(run, null));
  });

  it('a run where nothing succeeded still makes a valid document', () => {
    const measurement: Measurement = {
      countBy: 'schedule',
      windowStart: 0,
      windowMs: 1000,
      ok: 0,
      non2xx: 0,
      errors: 5,
      sent: 5,
      statusCodes: {},
      statusDetails: {},
      errorKinds: { ECONNREFUSED: 5 },
      latencies: [],
      uncorrected: [],
      hdr: null,
      seconds: [{ t: 0, sent: 5, ok: 0, non2xx: 0, errors: 5, latencies: [] }],
      unfinished: 0,
      aborted: false,
    };
    const run: LoadRun = {
      driver: 'open-loop-http1',
      protocol: 'http1',
      mode: 'open',
      rate: 5,
      connections: 1,
      streams: 1,
      warmupMs: 0,
      durationMs: 1000,
      timeoutMs: 1000,
      measurement,
    };
    const metrics = RunResult.shape.metrics.parse(loadMetrics(run, null));
    assert.deepEqual(
      metrics.map((m) => m.name),
      ['http.throughput', 'http.success_ratio'],
    );
    assert.equal(metrics[1]!['value'], 0);
  });
}

/** CPU per 2xx: per second and over the whole window; none without a success. */
function cpuPerRequestTests(): void {
  it("CPU per 2xx: each second's CPU over its 2xx, and the whole window's; none where nothing succeeded", () => {
    const seconds = [
      { t: 0, sent: 10, ok: 10, non2xx: 0, errors: 0, latencies: [] },
      { t: 1000, sent: 20, ok: 20, non2xx: 0, errors: 0, latencies: [] },
      { t: 2000, sent: 5, ok: 0, non2xx: 0, errors: 5, latencies: [] },
    ];
    const measurement: Measurement = {
      countBy: 'schedule',
      windowStart: 100,
      windowMs: 3000,
      ok: 30,
      non2xx: 0,
      errors: 5,
      sent: 35,
      statusCodes: {},
      statusDetails: {},
      errorKinds: { ETIMEDOUT: 5 },
      latencies: [5],
      uncorrected: null,
      hdr: null,
      seconds,
      unfinished: 0,
      aborted: false,
    };
    const run: LoadRun = {
      driver: 'open-loop-http1',
      protocol: 'http1',
      mode: 'open',
      rate: 10,
      connections: 1,
      streams: 1,
      warmupMs: 0,
      durationMs: 3000,
      timeoutMs: 1000,
      measurement,
    };
    // Sampler times start 100 ms before the window: the point at t=50 falls before it and is dropped.
    const point = (t: number, cpuMs: number) => ({ t: t + 100, cpu: cpuMs / 500 / 2, cpuMs, rss: 1 });
    const processes = [
      {
        name: 'proxy',
        pid: 7,
        pids: [7],
        error: null,
        points: [point(-50, 999), point(500, 40), point(1000, 60), point(1500, 100), point(2000, 100), point(2500, 30)],
      },
    ];
    const samplers = { processes, eventLoop: [], gpu: { status: 'not-applicable' as const, reason: 'test' }, t0: 0 };
    const metrics = RunResult.shape.metrics.parse(loadMetrics(run, samplers));
    const perRequest = metrics.find((m) => m.name === LOAD_METRICS.processCpuPerRequest.name)!;
    assert.equal(perRequest.unit, 'ms');
    assert.deepEqual(perRequest.labels, { process: 'proxy' });
    // second 0: (40 + 60) / 10; second 1: (100 + 100) / 20; second 2 answered nothing (skipped)
    assert.deepEqual(perRequest.samples, [10, 10]);
    assert.equal(perRequest['value'], (40 + 60 + 100 + 100 + 30) / 30);
    const none = loadMetrics({ ...run, measurement: { ...measurement, ok: 0, seconds: [] } }, samplers);
    assert.equal(
      none.find((m) => m.name === LOAD_METRICS.processCpuPerRequest.name),
      undefined,
    );
  });
}
