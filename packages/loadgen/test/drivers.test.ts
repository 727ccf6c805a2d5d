import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { quantileSorted } from '@hlp/results';
import {
  embeddingsBodies,
  openLoopDue,
  openLoopRequests,
  embeddingsHeaders,
  parseTarget,
  runLoad,
  scenarioPrompts,
  startStubServer,
  type LoadOptions,
  type StubServer,
  type Tick,
} from '@hlp/loadgen';

const bodies = embeddingsBodies(scenarioPrompts('short', { count: 4 }));
const headers = embeddingsHeaders();

function p(values: readonly number[], q: number): number {
  return quantileSorted(Float64Array.from(values).sort(), q);
}

function opts(server: StubServer, rest: Omit<LoadOptions, 'target' | 'bodies' | 'headers'>): LoadOptions {
  return { target: parseTarget(server.url), bodies, headers, ...rest };
}

describe('closed loop', () => {
  let server: StubServer;
  before(async () => {
    server = await startStubServer({ delayMs: 10 });
  });
  after(() => server.close());

  it('autocannon (HTTP/1.1): counts completions in the window, latencies include the server delay, one line a second', async () => {
    const ticks: Tick[] = [];
    const before = server.versions['1.1'] ?? 0;
    const r = await runLoad(
      opts(server, { protocol: 'http1', mode: { kind: 'closed', connections: 4 }, warmupMs: 300, durationMs: 2000, onTick: (t) => ticks.push(t) }),
    );
    const m = r.measurement;
    assert.equal(r.driver, 'autocannon');
    assert.equal(m.countBy, 'completion');
    assert.equal(m.errors, 0);
    assert.equal(m.non2xx, 0);
    // 4 connections × (10 ms + overhead) → ~300 req/s at most; a loaded 2-core machine does less.
    assert.ok(m.ok > 50 && m.ok <= 4 * (2000 / 10) + 4, `ok ${m.ok}`);
    assert.equal(m.latencies.length, m.ok);
    // Node's timers may fire up to a loop iteration early (cached loop time): allow 2 ms.
    assert.ok(Math.min(...m.latencies) >= 8, `min latency ${Math.min(...m.latencies)}`);
    assert.ok(m.hdr && m.hdr.count === m.ok && m.hdr.p50 >= 9);
    assert.ok(m.seconds.length >= 2 && m.seconds[0]!.ok > 0 && m.seconds[1]!.ok > 0);
    assert.equal(m.uncorrected, null);
    assert.ok(ticks.length >= 1 && ticks.at(-1)!.ok > 0 && ticks.at(-1)!.p50 !== null);
    assert.ok((server.versions['1.1'] ?? 0) - before >= m.ok, 'the requests went out as HTTP/1.1');
  });

  it('HTTP/2 driver: connections × streams users over h2c, HdrHistogram latencies', async () => {
    const before = server.versions['2.0'] ?? 0;
    const r = await runLoad(opts(server, { protocol: 'h2', mode: { kind: 'closed', connections: 2, streams: 4 }, warmupMs: 300, durationMs: 1500 }));
    const m = r.measurement;
    assert.equal(r.driver, 'closed-loop-h2');
    assert.equal(r.streams, 4);
    assert.equal(m.errors, 0);
    assert.ok(m.ok > 50, `ok ${m.ok}`);
    assert.ok(m.ok <= 8 * (1500 / 10) + 8, `8 users cannot exceed 8 / 10 ms: ${m.ok}`);
    assert.ok(m.hdr && m.hdr.count === m.ok && m.hdr.p50 >= 9 && m.hdr.p99 >= m.hdr.p50);
    assert.ok((server.versions['2.0'] ?? 0) - before >= m.ok, 'the requests went out as HTTP/2');
  });

  it('stops at maxRequests', async () => {
    const r = await runLoad(
      opts(server, { protocol: 'h2', mode: { kind: 'closed', connections: 1, streams: 2 }, warmupMs: 0, durationMs: 5000, maxRequests: 20 }),
    );
    assert.ok(r.measurement.sent <= 20);
    assert.ok(r.measurement.ok <= 20);
  });

  it('stops early on abort', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const t = performance.now();
    const r = await runLoad(opts(server, { protocol: 'http1', mode: { kind: 'closed', connections: 2 }, warmupMs: 0, durationMs: 30_000, signal: ac.signal }));
    assert.ok(performance.now() - t < 5000);
    assert.equal(r.measurement.aborted, true);
  });
});

describe('open loop', () => {
  let server: StubServer;
  before(async () => {
    server = await startStubServer({ delayMs: 2 });
  });
  after(() => server.close());

  for (const protocol of ['http1', 'h2'] as const) {
    it(`${protocol}: sends on the fixed schedule and counts what was scheduled in the window (warm-up excluded)`, async () => {
      const before = server.counts['/v1/embeddings'] ?? 0;
      const r = await runLoad(opts(server, { protocol, mode: { kind: 'open', rate: 200 }, warmupMs: 500, durationMs: 1000 }));
      const m = r.measurement;
      assert.equal(r.driver, protocol === 'http1' ? 'open-loop-http1' : 'open-loop-h2');
      assert.equal(m.countBy, 'schedule');
      assert.equal(m.ok + m.non2xx + m.errors, 200, 'exactly rate × duration requests counted');
      assert.equal(m.ok, 200);
      assert.equal((server.counts['/v1/embeddings'] ?? 0) - before, 300, 'warm-up requests were sent but not counted');
      assert.equal(m.latencies.length, 200);
      assert.equal(m.uncorrected?.length, 200);
    });
  }

  it('a ramped warm-up sends 3/4 of its requests, rising from 0 to the rate and then holding it, and the window is unchanged', async () => {
    const before = server.counts['/v1/embeddings'] ?? 0;
    const r = await runLoad(opts(server, { protocol: 'http1', mode: { kind: 'open', rate: 200, warmupRamp: true }, warmupMs: 500, durationMs: 1000 }));
    const m = r.measurement;
    assert.equal(r.warmupRamp, true);
    assert.equal(m.ok + m.non2xx + m.errors, 200, 'exactly rate × duration requests counted');
    assert.equal((server.counts['/v1/embeddings'] ?? 0) - before, 275, 'the warm-up sent rate × warm-up × 3/4');
  });

  it('the ramped schedule: continuous, rising through the first half of the warm-up, then at the rate through its second half and the window', () => {
    const rate = 200;
    const warmupMs = 500;
    const due = (i: number): number => openLoopDue(i, rate, warmupMs, true);
    assert.equal(due(0), 0);
    for (let i = 1; i < 300; i++) assert.ok(due(i) > due(i - 1), `due(${i}) after due(${i - 1})`);
    // the gaps shrink through the ramp, then stay at 1000 / rate
    assert.ok(due(2) - due(1) > due(20) - due(19));
    assert.ok(Math.abs(due(25) - warmupMs / 2) < 1e-9, 'the ramp (rate × warm-up / 4 requests) ends half-way through the warm-up');
    for (let i = 26; i < 300; i++) assert.ok(Math.abs(due(i) - due(i - 1) - 5) < 1e-9, `gap before ${i}`);
    assert.ok(Math.abs(due(75) - warmupMs) < 1e-9, 'the 75th request (rate × warm-up × 3/4) is due as the window opens');
    assert.equal(openLoopRequests(rate, warmupMs, 1000, true), 275);
    assert.equal(openLoopRequests(rate, warmupMs, 1000, false), 300);
    assert.equal(openLoopDue(7, rate, warmupMs, false), 35);
  });

  for (const protocol of ['http1', 'h2'] as const) {
    it(`${protocol}: latencies are corrected for coordinated omission (a 1 s stall shows in p99; from the actual send it would not)`, async () => {
      const stalling = await startStubServer({ delayMs: 2, stall: { afterMs: 1000, durationMs: 1000 } });
      try {
        // One connection (one stream): requests due during the stall wait in the generator.
        const r = await runLoad({
          target: parseTarget(stalling.url),
          bodies,
          headers,
          protocol,
          mode: { kind: 'open', rate: 100, connections: 1, streams: 1 },
          warmupMs: 0,
          durationMs: 3000,
        });
        const m = r.measurement;
        assert.equal(m.ok, 300);
        const corrected = p(m.latencies, 0.99);
        const uncorrected = p(m.uncorrected!, 0.99);
        assert.ok(corrected >= 900, `corrected p99 ${corrected.toFixed(1)} ms should include the 1 s stall`);
        assert.ok(Math.max(...m.latencies) >= 950);
        assert.ok(uncorrected < 300, `uncorrected p99 ${uncorrected.toFixed(1)} ms hides the stall`);
        // About a second's worth of requests were due during the stall: their corrected latencies are long.
        assert.ok(m.latencies.filter((x) => x >= 200).length >= 50, 'the requests scheduled during the stall all waited');
      } finally {
        await stalling.close();
      }
    });
  }

  for (const protocol of ['http1', 'h2'] as const) {
    it(`${protocol}: counts non-2xx answers by status and keeps the start of their bodies`, async () => {
      const target = parseTarget(`${server.url}/v1/nope`);
      const r = await runLoad({ target, bodies, headers, protocol, mode: { kind: 'open', rate: 40 }, warmupMs: 0, durationMs: 500 });
      assert.equal(r.measurement.ok, 0);
      assert.deepEqual(r.measurement.statusCodes, { '404': 20 });
      assert.match(r.measurement.statusDetails['404']?.[0] ?? '', /no route POST \/v1\/nope/);
      assert.equal(r.measurement.statusDetails['404']?.length, 1, 'identical bodies are kept once');
    });
  }

  it('counts refused connections as errors without crashing', async () => {
    const gone = await startStubServer();
    const target = parseTarget(gone.url);
    await gone.close();
    const r = await runLoad({ target, bodies, headers, protocol: 'http1', mode: { kind: 'open', rate: 50 }, warmupMs: 0, durationMs: 500 });
    assert.equal(r.measurement.ok, 0);
    assert.equal(r.measurement.errors, 25);
    assert.deepEqual(Object.keys(r.measurement.errorKinds), ['ECONNREFUSED']);
  });

  it('times requests out and counts them as errors', async () => {
    const slow = await startStubServer({ delayMs: 2000 });
    try {
      const r = await runLoad({
        target: parseTarget(slow.url),
        bodies,
        headers,
        protocol: 'http1',
        mode: { kind: 'open', rate: 20 },
        warmupMs: 0,
        durationMs: 500,
        timeoutMs: 200,
      });
      assert.equal(r.measurement.ok, 0);
      assert.equal(r.measurement.errors, 10);
      assert.deepEqual(r.measurement.errorKinds, { timeout: 10 });
    } finally {
      await slow.close();
    }
  });

  it('rejects impossible options', async () => {
    const target = parseTarget(server.url);
    await assert.rejects(runLoad({ target, bodies, headers, protocol: 'http1', mode: { kind: 'open', rate: 0 }, warmupMs: 0, durationMs: 100 }), /rate/);
    await assert.rejects(
      runLoad({ target, bodies, headers, protocol: 'http1', mode: { kind: 'closed', connections: 0 }, warmupMs: 0, durationMs: 100 }),
      /connections/,
    );
    await assert.rejects(
      runLoad({ target, bodies, headers, protocol: 'http1', mode: { kind: 'closed', connections: 1, streams: 4 }, warmupMs: 0, durationMs: 100 }),
      /HTTP\/2 only/,
    );
    await assert.rejects(
      runLoad({ target, bodies, headers, protocol: 'h2', mode: { kind: 'closed', connections: 1 }, warmupMs: 0, durationMs: 0 }),
      /duration/,
    );
  });
});
