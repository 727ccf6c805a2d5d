import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunResult } from '@hlp/results';
import { LOAD_METRICS, RSS_GROWTH_MIN_WINDOW_MS, RSS_SETTLE_MS, RSS_SPAN_MS, loadMetrics, rssGrowth, type LoadRun, type Measurement } from '@hlp/loadgen';

const MiB = 1024 * 1024;

/** RSS sampled every 250 ms (the sampler's rate) over `windowMs`, from `rssAt(t)`. */
function sampled(windowMs: number, rssAt: (t: number) => number): { t: number; rss: number }[] {
  const out: { t: number; rss: number }[] = [];
  for (let t = 0; t <= windowMs; t += 250) out.push({ t, rss: rssAt(t) });
  return out;
}

describe('rssGrowth', () => {
  it('leaves the settling minutes out and compares the sixth minute with the last, by medians', () => {
    const windowMs = 30 * 60_000;
    // Warm-up doubles RSS in the first five minutes, then it creeps 1 MiB a minute from 400 MiB.
    const rssAt = (t: number): number => (t < RSS_SETTLE_MS ? 200 * MiB + (t / RSS_SETTLE_MS) * 200 * MiB : 400 * MiB + ((t - RSS_SETTLE_MS) / 60_000) * MiB);
    const g = rssGrowth(sampled(windowMs, rssAt), windowMs)!;
    // Medians sit in the middle of each minute: 400.5 MiB (minute 6), 424.5 MiB (minute 30).
    assert.ok(Math.abs(g.fromBytes - 400.5 * MiB) < 0.01 * MiB, `from ${g.fromBytes / MiB}`);
    assert.ok(Math.abs(g.toBytes - 424.5 * MiB) < 0.01 * MiB, `to ${g.toBytes / MiB}`);
    assert.ok(Math.abs(g.value - 24 / 400.5) < 1e-4);
    assert.equal(g.settleMs, RSS_SETTLE_MS);
    assert.equal(g.spans.length, 25);
    assert.equal(g.spans[0]!.value, 0);
    assert.ok(g.spans.every((s, i) => i === 0 || s.value > g.spans[i - 1]!.value));
  });

  it('is not moved by one spike in an end minute, and says a shrink as negative', () => {
    const windowMs = RSS_GROWTH_MIN_WINDOW_MS;
    const points = sampled(windowMs, (t) => (t >= windowMs - RSS_SPAN_MS ? 300 * MiB : 320 * MiB));
    points[points.length - 10]!.rss = 5000 * MiB;
    const g = rssGrowth(points, windowMs)!;
    assert.equal(g.toBytes, 300 * MiB);
    assert.equal(g.value, 300 / 320 - 1);
  });

  it('says nothing for a window shorter than the settling time and two minutes, or an end without samples', () => {
    assert.equal(
      rssGrowth(
        sampled(RSS_GROWTH_MIN_WINDOW_MS - 1, () => MiB),
        RSS_GROWTH_MIN_WINDOW_MS - 1,
      ),
      null,
    );
    const gap = sampled(RSS_GROWTH_MIN_WINDOW_MS, () => MiB).filter((p) => p.t < RSS_SETTLE_MS || p.t >= RSS_SETTLE_MS + RSS_SPAN_MS);
    assert.equal(rssGrowth(gap, RSS_GROWTH_MIN_WINDOW_MS), null);
  });
});

describe('process.rss_growth in the run document', () => {
  const run = (windowMs: number): LoadRun => {
    const measurement: Measurement = {
      countBy: 'schedule',
      windowStart: 0,
      windowMs,
      ok: 10,
      non2xx: 0,
      errors: 0,
      sent: 10,
      statusCodes: {},
      statusDetails: {},
      errorKinds: {},
      latencies: [5],
      uncorrected: null,
      hdr: null,
      seconds: [],
      unfinished: 0,
      aborted: false,
    };
    return {
      driver: 'open-loop-http1',
      protocol: 'http1',
      mode: 'open',
      rate: 1,
      connections: 1,
      streams: 1,
      warmupMs: 0,
      durationMs: windowMs,
      timeoutMs: 1000,
      measurement,
    };
  };
  const samplers = (windowMs: number) => ({
    processes: [
      {
        name: 'proxy',
        pid: 7,
        pids: [7],
        error: null,
        points: sampled(windowMs, (t) => (t < RSS_SETTLE_MS + RSS_SPAN_MS ? 100 * MiB : 110 * MiB)).map((p) => ({ t: p.t, cpu: 0, cpuMs: 0, rss: p.rss })),
      },
    ],
    eventLoop: [],
    gpu: { status: 'not-applicable' as const, reason: 'test' },
    t0: 0,
  });

  it('is written per process for a soak-long window, with its ends and per-minute series', () => {
    const windowMs = 10 * 60_000;
    const metrics = RunResult.shape.metrics.parse(loadMetrics(run(windowMs), samplers(windowMs)));
    const growth = metrics.find((m) => m.name === LOAD_METRICS.processRssGrowth.name)!;
    assert.deepEqual(growth.labels, { process: 'proxy' });
    assert.equal(growth.unit, 'ratio');
    assert.ok(Math.abs((growth['value'] as number) - 0.1) < 1e-12);
    assert.equal(growth['fromBytes'], 100 * MiB);
    assert.equal(growth['toBytes'], 110 * MiB);
    // minutes 7 to 10 against minute 6
    assert.equal(growth.samples.length, 4);
    assert.equal(growth.series?.length, 5);
  });

  it('is left out of a short run', () => {
    const windowMs = 60_000;
    const metrics = loadMetrics(run(windowMs), samplers(windowMs));
    assert.equal(
      metrics.find((m) => m.name === LOAD_METRICS.processRssGrowth.name),
      undefined,
    );
  });
});
