/**
 * One entry point for a load run. Which driver does what:
 *
 * | protocol | loop   | driver                                  | latency measured from            |
 * |----------|--------|-----------------------------------------|----------------------------------|
 * | HTTP/1.1 | closed | autocannon (`connections`)               | actual send                      |
 * | HTTP/1.1 | open   | lab open loop on node:http keep-alive    | intended send time (i / rate)    |
 * | HTTP/2   | closed | lab closed loop on node:http2 sessions   | actual send                      |
 * | HTTP/2   | open   | lab open loop on node:http2 sessions     | intended send time (i / rate)    |
 *
 * autocannon has no per-request intended send time (its `overallRate` is a per-second burst
 * limit on a closed loop), so every open loop runs on the lab's own fixed-schedule engine;
 * autocannon speaks only HTTP/1.1, so HTTP/2 is the lab's own too.
 */
import { runAutocannon } from './autocannon-driver.js';
import { runClosedLoop, runOpenLoop } from './engine.js';
import type { Measurement, Tick } from './measurement.js';
import type { Target } from './target.js';
import { runMultiOpenLoop } from './multi/run.js';
import { SAMPLES_CAP } from './result.js';
import { Http1Transport, Http2Transport, type RequestSpec } from './transport.js';

export type Protocol = 'http1' | 'h2';
export type DriverName = 'autocannon' | 'open-loop-http1' | 'closed-loop-h2' | 'open-loop-h2';

export type LoadMode =
  | { readonly kind: 'closed'; readonly connections: number; readonly streams?: number }
  | {
      readonly kind: 'open';
      readonly rate: number;
      readonly connections?: number;
      readonly streams?: number;
      /** The warm-up's rate rises linearly from 0 to `rate` instead of starting at it (see openLoopDue). */
      readonly warmupRamp?: boolean;
    };

/** Defaults of the connection pool. Open loop: enough slots that the pool rarely binds at the SLO (100 RPS × ~2 s). */
export const DEFAULTS = {
  closedConnections: 10,
  h2Streams: 1,
  openConnectionsHttp1: 256,
  openConnectionsH2: 8,
  openStreamsH2: 32,
  timeoutMs: 30_000,
  warmupMs: 5_000,
  durationMs: 30_000,
  maxRequests: 5_000_000,
} as const;

/** Hard bounds: every loop ends. */
export const LIMITS = {
  maxDurationMs: 3_600_000,
  maxWarmupMs: 600_000,
  maxRate: 100_000,
  maxConnections: 10_000,
  maxStreams: 1_000,
  maxDrivers: 64,
} as const;

export interface LoadOptions {
  readonly target: Target;
  readonly protocol: Protocol;
  readonly mode: LoadMode;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly bodies: readonly Buffer[];
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly timeoutMs?: number;
  readonly maxRequests?: number;
  /**
   * Open loop only: driver processes sharing the schedule (default 1, this process). Each gets
   * ceil(connections / drivers) of the connections.
   */
  readonly drivers?: number;
  /** With drivers > 1: told their pids once they are ready, before the schedule starts. */
  readonly onDriverProcesses?: (pids: readonly number[]) => void;
  readonly signal?: AbortSignal;
  readonly onTick?: (tick: Tick) => void;
}

export interface LoadRun {
  readonly driver: DriverName;
  readonly protocol: Protocol;
  readonly mode: 'open' | 'closed';
  /** Offered rate (open loop), requests per second. */
  readonly rate: number | null;
  /** Connections of all drivers together. */
  readonly connections: number;
  /** Driver processes that shared an open loop; absent or 1: the loop ran in this process. */
  readonly drivers?: number;
  /** Streams per connection (HTTP/2); 1 for HTTP/1.1. */
  readonly streams: number;
  readonly warmupMs: number;
  /** Open loop: whether the warm-up ramped the rate up from 0. */
  readonly warmupRamp?: boolean;
  readonly durationMs: number;
  readonly timeoutMs: number;
  readonly measurement: Measurement;
}

export class LoadOptionsError extends Error {
  override readonly name = 'LoadOptionsError';
}

function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new LoadOptionsError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
}

export function describeDriver(protocol: Protocol, mode: 'open' | 'closed'): DriverName {
  if (protocol === 'http1') return mode === 'closed' ? 'autocannon' : 'open-loop-http1';
  return mode === 'closed' ? 'closed-loop-h2' : 'open-loop-h2';
}

export async function runLoad(options: LoadOptions): Promise<LoadRun> {
  const { protocol, mode } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const maxRequests = options.maxRequests ?? DEFAULTS.maxRequests;
  checkInt('duration (ms)', options.durationMs, 1, LIMITS.maxDurationMs);
  checkInt('warm-up (ms)', options.warmupMs, 0, LIMITS.maxWarmupMs);
  checkInt('timeout (ms)', timeoutMs, 1, 600_000);
  checkInt('maxRequests', maxRequests, 1, 100_000_000);
  const streams = protocol === 'http1' ? 1 : (mode.streams ?? (mode.kind === 'open' ? DEFAULTS.openStreamsH2 : DEFAULTS.h2Streams));
  const connections =
    mode.connections ??
    (mode.kind === 'closed' ? DEFAULTS.closedConnections : protocol === 'http1' ? DEFAULTS.openConnectionsHttp1 : DEFAULTS.openConnectionsH2);
  checkInt('connections', connections, 1, LIMITS.maxConnections);
  checkInt('streams', streams, 1, LIMITS.maxStreams);
  if (protocol === 'http1' && mode.streams !== undefined && mode.streams !== 1) throw new LoadOptionsError('streams per connection apply to HTTP/2 only');
  if (mode.kind === 'open' && !(Number.isFinite(mode.rate) && mode.rate > 0 && mode.rate <= LIMITS.maxRate)) {
    throw new LoadOptionsError(`rate must be in (0, ${LIMITS.maxRate}] requests per second, got ${mode.rate}`);
  }
  const spec: RequestSpec = { method: options.method ?? 'POST', headers: options.headers ?? {}, bodies: options.bodies, timeoutMs };
  const common = {
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    maxRequests,
    signal: options.signal,
    onTick: options.onTick,
  };
  const drivers = options.drivers ?? 1;
  checkInt('drivers', drivers, 1, LIMITS.maxDrivers);
  if (drivers > 1 && mode.kind !== 'open') throw new LoadOptionsError('driver processes split an open-loop schedule: give a rate');
  const driver = describeDriver(protocol, mode.kind);
  let measurement: Measurement;
  let totalConnections = connections;
  if (mode.kind === 'closed') {
    measurement =
      protocol === 'http1'
        ? await runAutocannon(options.target, spec, { ...common, connections })
        : await runClosedLoop(new Http2Transport(options.target, spec, connections, streams), { ...common, drainMs: 0 });
  } else if (drivers > 1) {
    const perDriver = Math.ceil(connections / drivers);
    totalConnections = perDriver * drivers;
    measurement = await runMultiOpenLoop({
      ...common,
      target: options.target,
      protocol,
      spec,
      drivers,
      rate: mode.rate,
      warmupRamp: mode.warmupRamp === true,
      connections: perDriver,
      streams,
      keepSamples: SAMPLES_CAP,
      onDriverProcesses: options.onDriverProcesses,
    });
  } else {
    const transport =
      protocol === 'http1' ? new Http1Transport(options.target, spec, connections) : new Http2Transport(options.target, spec, connections, streams);
    measurement = await runOpenLoop(transport, {
      ...common,
      rate: mode.rate,
      warmupRamp: mode.warmupRamp === true,
      drainMs: timeoutMs,
      // Requests waiting for a slot: at most a timeout's worth of schedule (a bounded queue).
      maxQueue: Math.max(1, Math.ceil((mode.rate * timeoutMs) / 1000)),
    });
  }
  return {
    driver,
    protocol,
    mode: mode.kind,
    rate: mode.kind === 'open' ? mode.rate : null,
    connections: totalConnections,
    drivers,
    streams,
    warmupMs: options.warmupMs,
    ...(mode.kind === 'open' ? { warmupRamp: mode.warmupRamp === true } : {}),
    durationMs: options.durationMs,
    timeoutMs,
    measurement,
  };
}
