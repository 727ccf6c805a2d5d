/**
 * `hlp load --verify --drivers N`: the multi-process open loop against tools nobody here wrote,
 * on the fixed-cost stub (50 ms ± 25 ms per answer, next to no CPU), within 5 %.
 *
 * The reference for an open loop would be wrk2's `wrk -R`; Debian ships wrk 4, which has no
 * rate option. So:
 * - HTTP/1.1: wrk in closed loop with C = rate × mean delay connections. On the stub a closed
 *   loop of C connections completes C / mean delay per second, i.e. the offered rate; wrk
 *   measures what the stub really delivers at that concurrency.
 * - HTTP/2: h2load's own rate-limited mode (`--rps` per client), the nearest thing to `wrk -R`
 *   on the machine: C clients × r req/s each.
 * Both tools count responses completed in their measured time, so the driver's figure is the
 * same: 2xx completed in the whole seconds of its window (warm-up excluded), not the requests
 * scheduled there. A driver that cannot keep up completes fewer and fails the check.
 */
import { runLoad, type Protocol } from './load.js';
import { embeddingsBodies, embeddingsHeaders, scenarioPrompts } from './scenarios.js';
import { findOnPath } from './samplers/gpu.js';
import {
  DEFAULT_CROSSCHECK,
  runH2load,
  runWrk,
  startChildStub,
  type Comparison,
  type CrossCheckOptions,
  type CrossCheckResult,
  type ToolRun,
} from './crosscheck.js';
import type { Target } from './target.js';

export const DRIVERS_TOLERANCE = 0.05;
export const DEFAULT_DRIVERS_CROSSCHECK = { rate: 1000, h2Clients: 8, h2Streams: 32 } as const;

/** The one-driver cross-check's options that mean the same here, plus the drivers and the rate. */
export interface DriversCrossCheckOptions extends Pick<
  CrossCheckOptions,
  'durationS' | 'warmupS' | 'stubDelayMs' | 'protocols' | 'attempts' | 'headers' | 'body' | 'signal' | 'progress'
> {
  readonly drivers: number;
  /** Offered rate, req/s (HTTP/2: rounded to a whole rate per h2load client). */
  readonly rate?: number;
}

interface Plan {
  readonly protocol: Protocol;
  readonly rate: number;
  /** wrk connections, or h2load clients. */
  readonly connections: number;
  readonly streams: number;
  readonly rpsPerClient?: number;
}

function plans(rate: number, delayMs: number, protocols: readonly Protocol[]): Plan[] {
  return protocols.map((protocol) => {
    if (protocol === 'http1') return { protocol, rate, connections: Math.max(1, Math.round((rate * delayMs) / 1000)), streams: 1 };
    const clients = DEFAULT_DRIVERS_CROSSCHECK.h2Clients;
    const perClient = Math.max(1, Math.round(rate / clients));
    return { protocol, rate: perClient * clients, connections: clients, streams: DEFAULT_DRIVERS_CROSSCHECK.h2Streams, rpsPerClient: perClient };
  });
}

export async function crossCheckDrivers(options: DriversCrossCheckOptions): Promise<CrossCheckResult> {
  const durationS = options.durationS ?? DEFAULT_CROSSCHECK.durationS;
  const warmupS = options.warmupS ?? DEFAULT_CROSSCHECK.warmupS;
  const delayMs = options.stubDelayMs ?? DEFAULT_CROSSCHECK.stubDelayMs;
  const rate = options.rate ?? DEFAULT_DRIVERS_CROSSCHECK.rate;
  const headers = options.headers ?? embeddingsHeaders();
  const body = options.body ?? embeddingsBodies(scenarioPrompts('short', { count: 1 }))[0]!;
  const say = options.progress ?? (() => undefined);
  const attempts = Math.max(1, options.attempts ?? 2);
  const stub = await startChildStub(delayMs, delayMs / 2);
  const comparisons: Comparison[] = [];
  const steps = plans(rate, delayMs, options.protocols ?? ['http1', 'h2']);
  try {
    for (const plan of steps) {
      if (options.signal?.aborted) break;
      comparisons.push(await compare(plan, stub.target, { ...options, durationS, warmupS, headers, body, attempts }, say));
    }
  } finally {
    await stub.stop();
  }
  return {
    target: stub.target.url,
    stub: { delayMs, jitterMs: delayMs / 2, pid: stub.pid },
    connections: steps[0]?.connections ?? 0,
    streams: DEFAULT_DRIVERS_CROSSCHECK.h2Streams,
    durationS,
    warmupS,
    comparisons,
    pass: comparisons.every((c) => c.pass !== false),
    drivers: options.drivers,
    rate,
  };
}

type Resolved = DriversCrossCheckOptions & { durationS: number; warmupS: number; headers: Readonly<Record<string, string>>; body: Buffer; attempts: number };

/** The drivers' 2xx completed per second over the whole seconds of the window. */
async function labRun(plan: Plan, target: Target, o: Resolved): Promise<ToolRun> {
  const run = await runLoad({
    target,
    protocol: plan.protocol,
    mode: { kind: 'open', rate: plan.rate, ...(plan.protocol === 'h2' ? { connections: plan.connections, streams: plan.streams } : {}) },
    headers: o.headers,
    bodies: [o.body],
    warmupMs: o.warmupS * 1000,
    durationMs: o.durationS * 1000,
    timeoutMs: 10_000,
    drivers: o.drivers,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const m = run.measurement;
  const full = m.seconds.filter((b) => b.t + 1000 <= m.windowMs);
  const completed = full.reduce((n, b) => n + b.ok, 0);
  const seconds = full.length;
  return {
    tool: plan.protocol === 'http1' ? 'lab-drivers-http1' : 'lab-drivers-h2',
    rps: seconds > 0 ? completed / seconds : 0,
    requests: completed,
    errors: m.errors + m.non2xx,
    durationS: seconds,
  };
}

async function compare(plan: Plan, target: Target, o: Resolved, say: (line: string) => void): Promise<Comparison> {
  const toolName = plan.protocol === 'http1' ? 'wrk' : 'h2load';
  const bin = findOnPath(toolName);
  const retried: { driver: ToolRun; reference: ToolRun; ratio: number | null }[] = [];
  for (let attempt = 1; ; attempt++) {
    say(
      `${o.drivers} driver processes, open loop ${plan.rate} req/s ${plan.protocol === 'h2' ? 'HTTP/2' : 'HTTP/1.1'}, ${o.durationS} s${attempt > 1 ? ' (confirming rerun)' : ''} …`,
    );
    const driver = await labRun(plan, target, o);
    if (!bin)
      return {
        protocol: plan.protocol,
        driver,
        reference: null,
        ratio: null,
        tolerance: DRIVERS_TOLERANCE,
        pass: null,
        skipped: `${toolName} is not on PATH (scripts/setup-system.sh installs it)`,
      };
    say(
      plan.protocol === 'http1'
        ? `wrk: closed loop, ${plan.connections} connections (= ${plan.rate} req/s × ${DEFAULT_CROSSCHECK.stubDelayMs} ms mean delay), ${o.durationS} s …`
        : `h2load: ${plan.connections} clients × --rps ${plan.rpsPerClient}, ${plan.streams} streams each, ${o.durationS} s …`,
    );
    const window = { connections: plan.connections, durationS: o.durationS, warmupS: o.warmupS };
    const reference =
      plan.protocol === 'http1'
        ? await runWrk(bin, target, window, o.headers, o.body)
        : await runH2load(bin, target, { ...window, streams: plan.streams, rpsPerClient: plan.rpsPerClient! }, o.headers, o.body);
    const ratio = reference.rps > 0 ? driver.rps / reference.rps : null;
    const pass = ratio !== null && Math.abs(ratio - 1) <= DRIVERS_TOLERANCE;
    if (pass || attempt >= o.attempts || o.signal?.aborted) {
      return { protocol: plan.protocol, driver, reference, ratio, tolerance: DRIVERS_TOLERANCE, pass, ...(retried.length > 0 ? { retried } : {}) };
    }
    say(`${driver.tool} / ${toolName} = ${ratio === null ? 'n/a' : ratio.toFixed(3)}, outside ±${DRIVERS_TOLERANCE * 100} %: measuring both again`);
    retried.push({ driver, reference, ratio });
  }
}
