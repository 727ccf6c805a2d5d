import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseRun, summarize } from '@hlp/results';
import {
  DriverReport,
  HistogramError,
  buildLoadResult,
  decodeHistogram,
  driverReport,
  embeddingsBodies,
  embeddingsHeaders,
  encodeHistogram,
  histogramOf,
  mergeHistograms,
  mergeReports,
  parseTarget,
  runLoad,
  runOpenLoop,
  scenarioPrompts,
  startStubServer,
  summaryOfHistogram,
  type Answer,
  type Measurement,
  type StubServer,
  type Transport,
} from '@hlp/loadgen';

/** Deterministic latencies (ms) with a long tail: a seeded LCG, no Math.random. */
function latencies(n: number, seed: number): number[] {
  let x = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const u = x / 2 ** 32;
    out.push(0.05 + 40 * u + (u > 0.99 ? 3000 * u : 0));
  }
  return out;
}

function sameHistogram(a: ReturnType<typeof histogramOf>, b: ReturnType<typeof histogramOf>): void {
  assert.equal(encodeHistogram(a), encodeHistogram(b));
  assert.equal(a.totalCount, b.totalCount);
  assert.equal(a.maxValue, b.maxValue);
  assert.equal(a.minNonZeroValue, b.minNonZeroValue);
  assert.equal(a.mean, b.mean);
  for (const p of [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100]) assert.equal(a.getValueAtPercentile(p), b.getValueAtPercentile(p), `p${p}`);
}

describe('HdrHistogram merge', () => {
  it('the merge of encoded parts equals the histogram of all values, bucket for bucket', () => {
    const all = latencies(50_000, 7);
    // Uneven parts, as drivers finish different counts.
    const cuts = [0, 1, 12_345, 30_000, 49_999, 50_000];
    const parts = cuts.slice(1).map((end, k) => decodeHistogram(encodeHistogram(histogramOf(all.slice(cuts[k], end)))));
    sameHistogram(mergeHistograms(parts), decodeHistogram(encodeHistogram(histogramOf(all))));
    // Order does not matter either.
    sameHistogram(mergeHistograms([...parts].reverse()), mergeHistograms(parts));
  });

  it('a histogram summary is within 0.1 % of the exact order statistics', () => {
    const all = latencies(20_000, 11);
    const exact = summarize(all);
    const approx = summaryOfHistogram(histogramOf(all))!;
    assert.equal(approx.n, exact.n);
    for (const k of ['min', 'median', 'p90', 'p95', 'p99', 'max', 'mean'] as const) {
      // Nearest rank vs interpolation differ by less than one gap between neighbours, which this dense sample keeps small.
      assert.ok(Math.abs(approx[k] - exact[k]) <= 0.001 * exact[k] + 0.002, `${k}: ${approx[k]} vs ${exact[k]}`);
    }
    for (const i of [0, 1] as const) assert.ok(Math.abs(approx.ci95[i] - exact.ci95[i]) <= 0.001 * exact.ci95[i] + 0.002, `ci95[${i}]`);
    assert.equal(summaryOfHistogram(histogramOf([])), null);
  });

  it('refuses garbage and histograms of another layout', () => {
    assert.throws(
      () => decodeHistogram('not base64 at all'),
      (e: unknown) => e instanceof HistogramError && e.code === 'HDR_DECODE',
    );
  });
});

function fakeMeasurement(values: readonly number[], status: Record<string, number>, errors: Record<string, number>): Measurement {
  const non2xx = Object.values(status).reduce((a, b) => a + b, 0);
  const err = Object.values(errors).reduce((a, b) => a + b, 0);
  return {
    countBy: 'schedule',
    windowStart: 0,
    windowMs: 2000,
    ok: values.length,
    non2xx,
    errors: err,
    sent: values.length + non2xx + err,
    statusCodes: status,
    errorKinds: errors,
    statusDetails: Object.fromEntries(Object.keys(status).map((k) => [k, [`body ${k}`]])),
    latencies: values,
    uncorrected: values.map((v) => v / 2),
    hdr: null,
    seconds: [
      { t: 0, sent: 3, ok: 2, non2xx: 1, errors: 0, latencies: values.slice(0, 2) },
      { t: 1000, sent: values.length - 2, ok: values.length - 2, non2xx: 0, errors: 0, latencies: values.slice(2) },
    ],
    unfinished: 0,
    aborted: false,
  };
}

describe('driver reports', () => {
  it('merge into one measurement: counts add, histograms add exactly, the raw tail interleaves', () => {
    const a = latencies(1000, 1);
    const b = latencies(800, 2);
    const ra = DriverReport.parse(JSON.parse(JSON.stringify(driverReport(0, fakeMeasurement(a, { '429': 3 }, { timeout: 1 }), 100))));
    const rb = DriverReport.parse(JSON.parse(JSON.stringify(driverReport(1, fakeMeasurement(b, { '429': 2, '500': 1 }, {}), 100))));
    const m = mergeReports([ra, rb], { windowStart: 5, windowMs: 2000, keepSamples: 150 });
    assert.equal(m.ok, 1800);
    assert.deepEqual(m.statusCodes, { '429': 5, '500': 1 });
    assert.deepEqual(m.errorKinds, { timeout: 1 });
    assert.deepEqual(m.statusDetails['429'], ['body 429']);
    assert.equal(m.merged?.drivers, 2);
    assert.equal(m.merged?.latency?.n, 1800);
    // What the parent sees of all values: their histogram after the trip through the encoding.
    assert.deepEqual(m.merged?.latency, summaryOfHistogram(decodeHistogram(encodeHistogram(histogramOf([...a, ...b])))));
    assert.equal(m.hdr?.count, 1800);
    assert.equal(m.latencies.length, 150);
    assert.deepEqual(m.latencies.slice(-4), [a[998], b[798], a[999], b[799]]);
    assert.deepEqual(
      m.seconds.map((s) => [s.sent, s.ok, s.non2xx]),
      [
        [6, 4, 2],
        [1796, 1796, 0],
      ],
    );
    assert.equal(m.merged?.seconds[1]?.n, 1796);
  });
});

/** Answers at once and records which request went out when. */
class RecordingTransport implements Transport {
  readonly connections = 4;
  readonly streamsPerConnection = 1;
  readonly sent: { i: number; at: number }[] = [];
  async open(): Promise<void> {}
  send(i: number): Promise<Answer> {
    this.sent.push({ i, at: performance.now() });
    return Promise.resolve({ status: 200 });
  }
  async close(): Promise<void> {}
}

describe('shares of one schedule', () => {
  it('k of N sends requests k, k + N, …: together exactly the one-driver schedule', async () => {
    const rate = 400;
    const t0 = performance.now() + 50;
    const transports = [0, 1, 2].map(() => new RecordingTransport());
    await Promise.all(
      transports.map((t, k) =>
        runOpenLoop(t, { rate, warmupMs: 0, durationMs: 500, drainMs: 1000, maxRequests: 1e6, maxQueue: 100, share: { t0, first: k, stride: 3 } }),
      ),
    );
    const all = transports.flatMap((t) => t.sent.map((s) => s.i)).sort((x, y) => x - y);
    assert.deepEqual(
      all,
      Array.from({ length: 200 }, (_, i) => i),
    );
    transports.forEach((t, k) => assert.ok(t.sent.every((s) => s.i % 3 === k)));
    // Nothing leaves before its due time on the shared schedule.
    for (const t of transports) for (const s of t.sent) assert.ok(s.at >= t0 + (s.i * 1000) / rate - 1, `request ${s.i} early`);
  });
});

describe('N driver processes against the stub server', () => {
  let server: StubServer;
  const bodies = embeddingsBodies(scenarioPrompts('short', { count: 4 }));
  before(async () => {
    server = await startStubServer({ delayMs: 2 });
  });
  after(() => server.close());

  for (const protocol of ['http1', 'h2'] as const) {
    it(`${protocol}: 3 drivers send rate × (warm-up + window) requests and count rate × window`, { timeout: 60_000 }, async () => {
      const before = server.counts['/v1/embeddings'] ?? 0;
      const ticks: number[] = [];
      const driverPids: number[][] = [];
      const r = await runLoad({
        target: parseTarget(server.url),
        bodies,
        headers: embeddingsHeaders(),
        protocol,
        mode: { kind: 'open', rate: 300 },
        warmupMs: 500,
        durationMs: 1500,
        drivers: 3,
        onTick: (t) => ticks.push(t.sent),
        onDriverProcesses: (pids) => driverPids.push([...pids]),
      });
      const m = r.measurement;
      assert.equal(r.drivers, 3);
      assert.equal(m.ok + m.non2xx + m.errors, 450, 'exactly rate × duration requests counted');
      assert.equal(m.ok, 450, JSON.stringify({ errors: m.errorKinds, status: m.statusCodes }));
      assert.equal((server.counts['/v1/embeddings'] ?? 0) - before, 600, 'warm-up requests were sent but not counted');
      assert.equal(m.merged?.latency?.n, 450);
      assert.equal(m.latencies.length, 450);
      assert.ok(m.merged.latency.median >= 1.5, `median ${m.merged.latency.median} ms includes the 2 ms delay`);
      assert.ok(ticks.length >= 1 && ticks.at(-1)! > 0, 'live ticks summed over the drivers');
      assert.equal(driverPids.length, 1, 'told once');
      assert.equal(new Set(driverPids[0]).size, 3, 'three driver processes');
      assert.ok(driverPids[0]!.every((pid) => Number.isInteger(pid) && pid > 0 && pid !== process.pid));
      const doc = parseRun(await buildLoadResult({ run: r, scenario: 'short', startedAt: new Date(), finishedAt: new Date() }));
      const latency = doc.metrics.find((x) => x.name === 'http.latency')!;
      assert.equal(latency.summary.n, 450);
      assert.equal(latency['drivers'], 3);
      assert.equal(doc.config['drivers'], 3);
      assert.match(String(doc.config['workload']), /3 drivers$/);
      assert.equal(doc.metrics.find((x) => x.name === 'http.throughput')?.['value'], 300);
      assert.ok(doc.metrics.some((x) => x.name === 'http.latency_uncorrected'));
    });
  }

  it('reports far larger than a pipe buffer arrive whole (each driver exits only once its report is written)', { timeout: 60_000 }, async () => {
    const r = await runLoad({
      target: parseTarget(server.url),
      bodies,
      headers: embeddingsHeaders(),
      protocol: 'http1',
      mode: { kind: 'open', rate: 3000 },
      warmupMs: 0,
      durationMs: 4000,
      drivers: 2,
    });
    const m = r.measurement;
    assert.equal(m.ok + m.non2xx + m.errors, 12_000);
    // About 2 × 6000 raw samples of ~18 characters per driver: over 200 KiB each.
    assert.equal(m.latencies.length, m.ok);
    assert.equal(m.merged?.latency?.n, m.ok);
  });

  it('refuses drivers for a closed loop and out-of-range counts', async () => {
    const base = { target: parseTarget(server.url), bodies, headers: embeddingsHeaders(), protocol: 'http1' as const, warmupMs: 0, durationMs: 100 };
    await assert.rejects(runLoad({ ...base, mode: { kind: 'closed', connections: 2 }, drivers: 2 }), /open-loop schedule/);
    await assert.rejects(runLoad({ ...base, mode: { kind: 'open', rate: 10 }, drivers: 0 }), /drivers must be an integer/);
    await assert.rejects(runLoad({ ...base, mode: { kind: 'open', rate: 10 }, drivers: 65 }), /drivers must be an integer/);
  });
});
