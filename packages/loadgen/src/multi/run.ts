/**
 * The open loop split across N driver processes, for rates one event loop cannot drive. Driver
 * k sends requests k, k + N, k + 2N, … of the one-driver schedule (due at t0 + i / rate), so
 * the drivers are phase-shifted by 1 / rate and together send exactly the schedule one driver
 * would. They agree on t0 through the wall clock (performance.timeOrigin + performance.now(),
 * the same clock in every process of the machine) after all have opened their connections.
 * Each driver keeps its raw latencies; at the end it sends counts and HdrHistograms, which add
 * exactly (merge.ts).
 */
import { fileURLToPath } from 'node:url';
import { startChild, type ChildEvent, type ChildProcessHandle } from '@hlp/procs';
import type { Measurement, Tick } from '../measurement.js';
import type { Target } from '../target.js';
import type { RequestSpec } from '../transport.js';
import { mergeReports } from './merge.js';
import { DriverFailure, DriverReport, DriverTick, type DriverConfig } from './messages.js';

export class DriverError extends Error {
  override readonly name = 'DriverError';
  constructor(
    readonly code: 'DRIVER_START' | 'DRIVER_FAILED' | 'DRIVER_REPORT',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface MultiOpenLoopOptions {
  readonly target: Target;
  readonly protocol: 'http1' | 'h2';
  readonly spec: RequestSpec;
  readonly drivers: number;
  readonly rate: number;
  /** Per driver. */
  readonly connections: number;
  readonly streams: number;
  readonly warmupMs: number;
  /** The warm-up's rate rises linearly from 0 (see openLoopDue). */
  readonly warmupRamp: boolean;
  readonly durationMs: number;
  readonly maxRequests: number;
  /** Raw samples the document keeps in all. */
  readonly keepSamples: number;
  readonly signal?: AbortSignal | undefined;
  readonly onTick?: ((tick: Tick) => void) | undefined;
  /** Told the driver processes' pids once they are ready, before the schedule starts (to sample their CPU). */
  readonly onDriverProcesses?: ((pids: readonly number[]) => void) | undefined;
}

/** Margin between `start` going out and t0, so that every driver is waiting when t0 comes. */
const START_MARGIN_MS = 250;
const READY_TIMEOUT_MS = 30_000;

const DRIVER_MAIN = fileURLToPath(new URL('./driver-main.js', import.meta.url));

/** Sums the drivers' latest ticks once a second (live percentiles: the highest driver's). */
function tickMerger(drivers: number, t0: () => number, onTick: (tick: Tick) => void): { update: (k: number, t: DriverTick) => void; stop: () => void } {
  const latest: (DriverTick | null)[] = Array.from({ length: drivers }, () => null);
  const timer = setInterval(() => {
    const have = latest.filter((t): t is DriverTick => t !== null);
    if (have.length === 0) return;
    const sum = (f: (t: DriverTick) => number): number => have.reduce((n, t) => n + f(t), 0);
    const maxOf = (f: (t: DriverTick) => number | null): number | null =>
      have.reduce<number | null>((m, t) => (f(t) === null ? m : Math.max(m ?? 0, f(t)!)), null);
    onTick({
      elapsedS: Math.round((performance.now() - t0()) / 1000),
      phase: have.some((t) => t.phase === 'measure') ? 'measure' : have.some((t) => t.phase === 'warmup') ? 'warmup' : 'drain',
      sent: sum((t) => t.sent),
      ok: sum((t) => t.ok),
      errors: sum((t) => t.errors),
      non2xx: sum((t) => t.non2xx),
      inFlight: sum((t) => t.inFlight),
      p50: maxOf((t) => t.p50),
      p95: maxOf((t) => t.p95),
    });
  }, 1000);
  return { update: (k, t) => void (latest[k] = t), stop: () => clearInterval(timer) };
}

function configOf(o: MultiOpenLoopOptions, index: number): DriverConfig {
  return {
    type: 'configure',
    index,
    target: o.target.url,
    protocol: o.protocol,
    rate: o.rate,
    stride: o.drivers,
    connections: o.connections,
    streams: o.streams,
    method: o.spec.method,
    headers: { ...o.spec.headers },
    bodies: o.spec.bodies.map((b) => b.toString('base64')),
    warmupMs: o.warmupMs,
    warmupRamp: o.warmupRamp,
    durationMs: o.durationMs,
    timeoutMs: o.spec.timeoutMs,
    maxRequests: o.maxRequests,
    keepSamples: Math.ceil(o.keepSamples / o.drivers),
  };
}

async function reportOf(child: ChildProcessHandle, k: number, timeoutMs: number): Promise<DriverReport> {
  let event: ChildEvent;
  try {
    event = await child.waitFor('report', timeoutMs);
  } catch (error) {
    const failed = DriverFailure.safeParse(child.events.find((e) => e.event === 'failed'));
    throw new DriverError('DRIVER_FAILED', `driver ${k}: ${failed.success ? failed.data.message : error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const parsed = DriverReport.safeParse(event);
  if (!parsed.success) throw new DriverError('DRIVER_REPORT', `driver ${k} sent an invalid report: ${parsed.error.message}`);
  return parsed.data;
}

/** Runs the open loop on `drivers` processes and merges what they measured. */
export async function runMultiOpenLoop(o: MultiOpenLoopOptions): Promise<Measurement> {
  let t0 = performance.now() + READY_TIMEOUT_MS;
  const ticks = o.onTick ? tickMerger(o.drivers, () => t0, o.onTick) : null;
  const children = Array.from({ length: o.drivers }, (_, k) =>
    startChild(DRIVER_MAIN, [], {
      onEvent: (e) => {
        if (e.event !== 'tick') return;
        const t = DriverTick.safeParse(e);
        if (t.success) ticks?.update(k, t.data);
      },
      retain: (e) => e.event !== 'tick',
    }),
  );
  const stopAll = (): void => children.forEach((c) => c.send({ type: 'stop' }));
  o.signal?.addEventListener('abort', stopAll, { once: true });
  try {
    children.forEach((c, k) => c.send(configOf(o, k)));
    try {
      await Promise.all(children.map((c) => c.waitFor('ready', READY_TIMEOUT_MS)));
    } catch (error) {
      throw new DriverError('DRIVER_START', `a driver process did not start: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    o.onDriverProcesses?.(children.map((c) => c.pid));
    const t0Epoch = performance.timeOrigin + performance.now() + START_MARGIN_MS;
    t0 = t0Epoch - performance.timeOrigin;
    children.forEach((c) => c.send({ type: 'start', t0Epoch }));
    // Warm-up, window, the longest drain and slack for the reports.
    const budget = t0 - performance.now() + o.warmupMs + o.durationMs + o.spec.timeoutMs + 30_000;
    const reports = await Promise.all(children.map((c, k) => reportOf(c, k, budget)));
    return mergeReports(reports, { windowStart: t0 + o.warmupMs, windowMs: o.durationMs, keepSamples: o.keepSamples });
  } finally {
    o.signal?.removeEventListener('abort', stopAll);
    ticks?.stop();
    await Promise.all(children.map((c) => c.stop('SIGTERM', 3000)));
  }
}
