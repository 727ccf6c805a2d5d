/**
 * The result document of a load run (`hlp.run/1`, suite `load`): the stable metrics of
 * DESIGN §8 (`http.latency`, `http.throughput`, `http.success_ratio`, `process.cpu`,
 * `process.rss`) and the lab's own (metric-names.ts), with per-second series.
 */
import { SCHEMA_VERSION, fingerprint, gitInfo, makeMetric, type Metric, type RunResult, type SeriesPoint, type Summary } from '@hlp/results';
import type { CrossCheckResult } from './crosscheck.js';
import type { LoadRun } from './load.js';
import { bucketQuantile, type Measurement } from './measurement.js';
import { EMBEDDINGS_ROUTE, LOAD_METRICS, type LoadMetricKey } from './metric-names.js';
import { rssGrowth } from './rss-growth.js';
import type { SamplerResults } from './samplers/index.js';

/** Raw latency samples kept in the document (the summary covers every one). */
export const SAMPLES_CAP = 20_000;

export interface LoadResultInput {
  readonly run: LoadRun;
  readonly samplers?: SamplerResults | null;
  /** Scenario name (the document's `scenario`), e.g. short. */
  readonly scenario: string;
  readonly route?: string;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  /** Extra configuration to record (target, embedded, scenario tokens, model, seed, …). */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Suite name (default `load`). */
  readonly suite?: string;
}

function metric(
  key: LoadMetricKey,
  labels: Record<string, string | number | boolean>,
  samples: readonly number[],
  extra: Partial<{ series: SeriesPoint[]; keep: number }> & Record<string, unknown> = {},
): Metric {
  const spec = LOAD_METRICS[key];
  const { series, keep, ...fields } = extra;
  return {
    ...makeMetric({
      name: spec.name,
      unit: spec.unit,
      better: spec.better,
      labels,
      samples,
      ...(keep === undefined ? {} : { keep }),
      ...(series ? { series } : {}),
    }),
    ...fields,
  };
}

/**
 * CPU ms per 2xx: each full second's CPU (the points that end inside it) over its 2xx, and the
 * whole window's. A point covers the interval before it, so the sampler's period is the error
 * per second; the window's value is exact up to one period at each end.
 */
function cpuPerRequest(
  points: readonly { t: number; cpuMs: number }[],
  seconds: readonly { t: number; ok: number }[],
  ok: number,
): { samples: number[]; value: number; cpuMs: number } | null {
  if (ok === 0 || points.length === 0) return null;
  const cpuMs = points.reduce((n, x) => n + x.cpuMs, 0);
  const samples: number[] = [];
  for (const b of seconds) {
    if (b.ok === 0) continue;
    const used = points.filter((x) => x.t > b.t && x.t <= b.t + 1000).reduce((n, x) => n + x.cpuMs, 0);
    samples.push(used / b.ok);
  }
  const value = cpuMs / ok;
  return { samples: samples.length > 0 ? samples : [value], value, cpuMs };
}

/** What the document says about a summary taken from merged driver histograms. */
export const MERGED_SUMMARY_NOTE =
  "summary from the driver processes' HdrHistograms merged exactly (µs buckets, 3 significant digits: each statistic within 0.1 % of the exact one, percentiles by nearest rank); samples are the last ones each driver kept, interleaved";

/**
 * Latency metrics of a multi-driver run: the summary over every request comes from the merged
 * histograms; `samples` holds only the raw tail the drivers sent back (summary.n counts all).
 */
function mergedLatencyMetrics(m: Measurement, labels: Record<string, string>): Metric[] {
  const merged = m.merged!;
  const out: Metric[] = [];
  const one = (key: LoadMetricKey, summary: Summary | null, tail: readonly number[] | null, extra: Record<string, unknown>): void => {
    if (!summary || !tail || tail.length === 0) return;
    const spec = LOAD_METRICS[key];
    out.push({
      name: spec.name,
      unit: spec.unit,
      better: spec.better,
      labels: { ...labels },
      summary,
      samples: tail.slice(Math.max(0, tail.length - SAMPLES_CAP)),
      summaryFrom: MERGED_SUMMARY_NOTE,
      drivers: merged.drivers,
      ...extra,
    });
  };
  const series = m.seconds.flatMap((b, k) => {
    const s = merged.seconds[k];
    return s ? [{ t: b.t, value: s.p95, p50: s.p50, p99: s.p99, n: s.n }] : [];
  });
  one('latency', merged.latency, m.latencies, { series, corrected: true, hdr: m.hdr });
  one('latencyUncorrected', merged.uncorrected, m.uncorrected, {});
  return out;
}

/** The load metrics of a run (without machine and git): usable on their own, e.g. in tests. */
export function loadMetrics(run: LoadRun, samplers: SamplerResults | null | undefined, route: string = EMBEDDINGS_ROUTE): Metric[] {
  const m = run.measurement;
  const labels = { route, protocol: run.protocol };
  const windowS = m.windowMs / 1000;
  const full = m.seconds.filter((b) => b.t + 1000 <= m.windowMs);
  const metrics: Metric[] = [];

  if (m.merged) metrics.push(...mergedLatencyMetrics(m, labels));
  else if (m.latencies.length > 0) {
    metrics.push(
      metric('latency', labels, m.latencies, {
        keep: SAMPLES_CAP,
        series: m.seconds
          .filter((b) => b.latencies.length > 0)
          .map((b) => ({ t: b.t, value: bucketQuantile(b, 0.95)!, p50: bucketQuantile(b, 0.5), p99: bucketQuantile(b, 0.99), n: b.latencies.length })),
        corrected: m.countBy === 'schedule',
        hdr: m.hdr,
      }),
    );
  }
  if (!m.merged && m.uncorrected && m.uncorrected.length > 0) metrics.push(metric('latencyUncorrected', labels, m.uncorrected, { keep: SAMPLES_CAP }));

  const perSecondOk = full.length > 0 ? full.map((b) => b.ok) : [m.ok / Math.max(windowS, 1e-9)];
  metrics.push(
    metric('throughput', labels, perSecondOk, {
      value: m.ok / windowS,
      series: m.seconds.map((b) => ({ t: b.t, value: b.ok, sent: b.sent, errors: b.errors, non2xx: b.non2xx })),
    }),
  );
  const counted = m.ok + m.non2xx + m.errors;
  const perSecondRatio = full.filter((b) => b.ok + b.non2xx + b.errors > 0).map((b) => b.ok / (b.ok + b.non2xx + b.errors));
  const overallRatio = counted > 0 ? m.ok / counted : 0;
  metrics.push(
    metric('successRatio', labels, perSecondRatio.length > 0 ? perSecondRatio : [overallRatio], {
      value: overallRatio,
      counted,
      ok: m.ok,
      non2xx: m.non2xx,
      errors: m.errors,
      statusCodes: m.statusCodes,
      statusDetails: m.statusDetails,
      errorKinds: m.errorKinds,
    }),
  );

  if (samplers) {
    // Sampler series are re-based on the measured window; only its samples are summarised.
    const shift = samplers.t0 - m.windowStart;
    const inWindow = (t: number): boolean => t >= 0 && t <= m.windowMs;
    for (const p of samplers.processes) {
      const pts = p.points.map((x) => ({ ...x, t: x.t + shift })).filter((x) => inWindow(x.t));
      if (pts.length === 0) continue;
      const pl = { process: p.name };
      metrics.push(
        metric(
          'processCpu',
          pl,
          pts.map((x) => x.cpu),
          { series: pts.map((x) => ({ t: x.t, value: x.cpu })), pid: p.pid },
        ),
      );
      const perRequest = cpuPerRequest(pts, full, m.ok);
      if (perRequest) metrics.push(metric('processCpuPerRequest', pl, perRequest.samples, { value: perRequest.value, cpuMs: perRequest.cpuMs, pid: p.pid }));
      metrics.push(
        metric(
          'processRss',
          pl,
          pts.map((x) => x.rss),
          { series: pts.map((x) => ({ t: x.t, value: x.rss })), pid: p.pid, peak: Math.max(...pts.map((x) => x.rss)) },
        ),
      );
      const growth = rssGrowth(pts, m.windowMs);
      if (growth) {
        const { value, fromBytes, toBytes, settleMs, spans } = growth;
        metrics.push(
          metric('processRssGrowth', pl, spans.length > 1 ? spans.slice(1).map((x) => x.value) : [value], {
            value,
            fromBytes,
            toBytes,
            settleMs,
            series: spans.map((x) => ({ t: x.t, value: x.value })),
            pid: p.pid,
          }),
        );
      }
    }
    for (const s of samplers.eventLoop) {
      const pts = s.points.map((x) => ({ t: x.t + shift, value: x.value })).filter((x) => inWindow(x.t));
      if (pts.length === 0) continue;
      metrics.push(
        metric(
          'eventLoopLag',
          { process: s.name },
          pts.map((x) => x.value),
          { series: pts },
        ),
      );
    }
    if (samplers.gpu.status !== 'not-applicable') {
      const byGpu = new Map<number, { t: number; u: number; mem: number }[]>();
      for (const x of samplers.gpu.points) {
        const t = x.t + shift;
        if (!inWindow(t)) continue;
        const list = byGpu.get(x.gpu) ?? [];
        list.push({ t, u: x.utilization, mem: x.memoryUsedBytes });
        byGpu.set(x.gpu, list);
      }
      for (const [gpu, pts] of byGpu) {
        metrics.push(
          metric(
            'gpuUtilization',
            { gpu },
            pts.map((x) => x.u),
            { series: pts.map((x) => ({ t: x.t, value: x.u })) },
          ),
        );
        metrics.push(
          metric(
            'gpuMemoryUsed',
            { gpu },
            pts.map((x) => x.mem),
            { series: pts.map((x) => ({ t: x.t, value: x.mem })) },
          ),
        );
      }
    }
  }
  return metrics;
}

/** What the samplers could and could not measure, for `config.samplers`. */
export function samplerNotes(samplers: SamplerResults | null | undefined): Record<string, unknown> {
  if (!samplers) return { processes: 'not sampled', eventLoop: 'not sampled', gpu: 'not sampled' };
  return {
    processes: samplers.processes.map((p) => ({
      name: p.name,
      pid: p.pid,
      ...(p.pids.length > 1 ? { pids: p.pids } : {}),
      samples: p.points.length,
      ...(p.error ? { error: p.error } : {}),
    })),
    eventLoop: samplers.eventLoop.map((s) => ({ name: s.name, url: s.url, samples: s.points.length, ...(s.error ? { error: s.error } : {}) })),
    gpu:
      samplers.gpu.status === 'not-applicable'
        ? { status: 'not-applicable', reason: samplers.gpu.reason }
        : { status: samplers.gpu.status, samples: samplers.gpu.points.length, error: samplers.gpu.error },
  };
}

/**
 * What a load run measured, as one comparable string: runs of different workloads (another
 * scenario, offered rate, loop, protocol or proxy setting) are never gated against each other.
 */
export function workloadKey(
  run: Pick<LoadRun, 'protocol' | 'mode' | 'rate' | 'connections' | 'streams' | 'drivers'>,
  config: Readonly<Record<string, unknown>>,
): string {
  const scenario = typeof config['scenario'] === 'string' ? config['scenario'] : 'custom';
  const loop = run.mode === 'open' ? `open ${run.rate ?? '?'}/s` : `closed ${run.connections}c×${run.streams}`;
  const proxy = config['proxy'];
  const batching = typeof proxy === 'object' && proxy !== null && (proxy as Record<string, unknown>)['batching'] === false ? ' no-batching' : '';
  // Several driver processes share the machine with the services differently than one: never
  // gated against a one-driver baseline.
  const drivers = (run.drivers ?? 1) > 1 ? ` ${run.drivers} drivers` : '';
  return `${scenario} ${loop} ${run.protocol}${batching}${drivers}`;
}

/** The whole run document (machine fingerprint and git state included). */
export async function buildLoadResult(input: LoadResultInput): Promise<RunResult> {
  const { run } = input;
  const m = run.measurement;
  const [machine, git] = await Promise.all([fingerprint(), gitInfo()]);
  return {
    schema: SCHEMA_VERSION,
    suite: input.suite ?? 'load',
    scenario: input.scenario,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    machine,
    git,
    config: {
      ...input.config,
      workload: workloadKey(run, input.config ?? {}),
      driver: run.driver,
      protocol: run.protocol,
      mode: run.mode,
      offeredRate: run.rate,
      connections: run.connections,
      drivers: run.drivers ?? 1,
      streamsPerConnection: run.streams,
      warmupMs: run.warmupMs,
      ...(run.warmupRamp === undefined ? {} : { warmupRamp: run.warmupRamp }),
      durationMs: run.durationMs,
      timeoutMs: run.timeoutMs,
      countBy: m.countBy,
      latencyFrom: m.countBy === 'schedule' ? 'intended send time (coordinated-omission corrected)' : 'actual send time (closed loop)',
      ...(m.merged ? { latencySummary: MERGED_SUMMARY_NOTE } : {}),
      sent: m.sent,
      unfinished: m.unfinished,
      aborted: m.aborted,
      samplers: samplerNotes(input.samplers),
    },
    metrics: loadMetrics(run, input.samplers, input.route),
  };
}

/** The cross-check as a run document (suite `load-crosscheck`): each tool's rate and each ratio. */
export async function buildCrossCheckResult(check: CrossCheckResult, startedAt: Date, finishedAt: Date): Promise<RunResult> {
  const [machine, git] = await Promise.all([fingerprint(), gitInfo()]);
  const metrics: Metric[] = [];
  for (const c of check.comparisons) {
    for (const t of [c.driver, ...(c.reference ? [c.reference] : [])]) {
      metrics.push(
        metric('throughput', { route: new URL(check.target).pathname, protocol: c.protocol, tool: t.tool }, [t.rps], {
          value: t.rps,
          requests: t.requests,
          errors: t.errors,
          ...(t.command ? { command: t.command } : {}),
        }),
      );
    }
    if (c.ratio !== null && c.reference) {
      metrics.push(
        metric('crossCheckRatio', { driver: c.driver.tool, reference: c.reference.tool, protocol: c.protocol }, [c.ratio], {
          tolerance: c.tolerance,
          pass: c.pass,
        }),
      );
    }
  }
  return {
    schema: SCHEMA_VERSION,
    suite: 'load-crosscheck',
    scenario: 'crosscheck',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    machine,
    git,
    config: {
      target: check.target,
      stub: check.stub,
      connections: check.connections,
      streams: check.streams,
      durationS: check.durationS,
      warmupS: check.warmupS,
      comparisons: check.comparisons.map((c) => ({
        protocol: c.protocol,
        ratio: c.ratio,
        tolerance: c.tolerance,
        pass: c.pass,
        skipped: c.skipped ?? null,
        retried: c.retried ?? [],
      })),
      pass: check.pass,
      ...(check.drivers === undefined ? {} : { drivers: check.drivers, offeredRate: check.rate ?? null }),
    },
    metrics,
    verdicts: check.comparisons.map((c) => ({
      name: `${c.driver.tool} vs ${c.reference?.tool ?? (c.protocol === 'http1' ? 'wrk' : 'h2load')}`,
      status: c.pass === null ? 'skipped' : c.pass ? 'pass' : 'fail',
      detail: { ratio: c.ratio, tolerance: c.tolerance },
    })),
  };
}
