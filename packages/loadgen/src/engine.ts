/**
 * The lab's own load loops over a Transport:
 *
 * - open loop: request i is due at t0 + i / rate, whatever happened before. A due request takes
 *   a free slot (a connection, or a stream of an HTTP/2 connection) or waits, first in first out,
 *   for one; its latency is measured from its due time, so waiting for a slot — coordinated
 *   omission — counts. The latency from the actual send is kept as `uncorrected` beside it.
 * - closed loop: `connections × streams` virtual users, each sending its next request as soon as
 *   the previous one is answered (used for HTTP/2; HTTP/1.1's closed loop is autocannon's).
 *
 * Both are bounded in time (warm-up + duration, then at most `timeoutMs` of drain) and count
 * (`maxRequests`).
 */
import { Collector, type Measurement, type Outcome, type Tick } from './measurement.js';
import { failureKind, type Transport } from './transport.js';

export interface EngineOptions {
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Longest wait for the last answers after the window (open loop), ms. */
  readonly drainMs: number;
  /** Upper bound on requests sent, warm-up included. */
  readonly maxRequests: number;
  readonly signal?: AbortSignal | undefined;
  readonly onTick?: ((tick: Tick) => void) | undefined;
}

export interface OpenLoopOptions extends EngineOptions {
  /** Offered rate, requests per second. */
  readonly rate: number;
  /** The warm-up's rate rises linearly from 0 to `rate` (see openLoopDue); default: `rate` from the start. */
  readonly warmupRamp?: boolean | undefined;
  /** Requests that may wait for a slot; past it a due request fails at once as `client-queue-full`. */
  readonly maxQueue: number;
  /**
   * One share of a schedule split across driver processes: start at `t0` (performance.now()
   * scale, agreed between the processes) and send only requests first, first + stride, …, so
   * that the shares together are exactly the one-driver schedule (default: all, from now).
   */
  readonly share?: { readonly t0: number; readonly first: number; readonly stride: number } | undefined;
}

function sleepUntil(t: number, signal?: AbortSignal): Promise<void> {
  const ms = t - performance.now();
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * When request i of an open-loop schedule is due, ms after its start: every 1000 / rate ms,
 * or with `ramp` at a rate rising linearly from 0 to `rate` over the first half of the
 * warm-up, then at `rate` for its second half (the warm-up then holds 3/4 of rate · warmupMs
 * requests). Rising, services that start cold (compilers, caches, pools) are not met by a
 * full-rate queue they never work off; held at the rate before the window opens, whatever a
 * higher rate still has to grow (larger batches, buffers of their size) grows before it, not in
 * its first seconds (ramped over the whole warm-up, a ladder's 200 req/s step measured its first
 * two seconds at 1.6x the proxy's later CPU per request, P95 650-700 ms there against ~100 ms
 * after). The window itself is at `rate` either way.
 */
export function openLoopDue(i: number, rate: number, warmupMs: number, ramp: boolean): number {
  const perMs = rate / 1000;
  if (!ramp || warmupMs <= 0) return i / perMs;
  const rampMs = warmupMs / 2;
  const rampRequests = (perMs * rampMs) / 2;
  if (i < rampRequests) return Math.sqrt((2 * rampMs * i) / perMs);
  return rampMs + (i - rampRequests) / perMs;
}

/** Requests of the whole schedule (warm-up and window) before `maxRequests` applies. */
export function openLoopRequests(rate: number, warmupMs: number, durationMs: number, ramp: boolean): number {
  const warmup = ramp ? (warmupMs * 3) / 4 : warmupMs;
  return Math.floor(((warmup + durationMs) * rate) / 1000);
}

/** Open loop on a fixed schedule with coordinated-omission-corrected latencies. */
export async function runOpenLoop(transport: Transport, options: OpenLoopOptions): Promise<Measurement> {
  const { rate, signal } = options;
  const ramp = options.warmupRamp === true;
  const dueAt = (i: number): number => openLoopDue(i, rate, options.warmupMs, ramp);
  await transport.open();
  const share = options.share ?? { t0: performance.now(), first: 0, stride: 1 };
  const { t0, stride } = share;
  const collector = new Collector({
    t0,
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    countBy: 'schedule',
    uncorrected: true,
    onTick: options.onTick,
  });
  const total = Math.min(options.maxRequests, openLoopRequests(rate, options.warmupMs, options.durationMs, ramp));
  const slots = transport.connections * transport.streamsPerConnection;
  const busy = new Array<number>(transport.connections).fill(0);
  /** Due times of the requests waiting for a slot (FIFO) and of those in flight. */
  const queue: { i: number; due: number }[] = [];
  let queueHead = 0;
  const inFlight = new Map<number, number>();
  let stopped = false;
  let wake: (() => void) | null = null;

  const freeConnection = (): number => {
    let best = -1;
    for (let c = 0; c < busy.length; c++) if (busy[c]! < transport.streamsPerConnection && (best < 0 || busy[c]! < busy[best]!)) best = c;
    return best;
  };

  const dispatch = (i: number, due: number, slot: number): void => {
    inFlight.set(i, due);
    busy[slot]!++;
    const sent = performance.now();
    collector.sent(sent);
    transport.send(i, slot).then(
      (answer) => settle(i, { intended: due, sent, done: performance.now(), ...answer }, slot),
      (error: unknown) => settle(i, { intended: due, sent, done: performance.now(), error: failureKind(error) }, slot),
    );
  };

  const settle = (i: number, outcome: Outcome, slot: number): void => {
    if (stopped) return;
    collector.record(outcome);
    inFlight.delete(i);
    busy[slot]!--;
    if (queueHead < queue.length && !signal?.aborted) {
      const next = queue[queueHead++]!;
      if (queueHead >= 4096 && queueHead * 2 >= queue.length) {
        queue.splice(0, queueHead);
        queueHead = 0;
      }
      dispatch(next.i, next.due, slot);
    }
    wake?.();
  };

  collector.start();
  let i = share.first;
  while (i < total && !signal?.aborted) {
    const due = t0 + dueAt(i);
    if (due > performance.now()) await sleepUntil(due, signal);
    if (signal?.aborted) break;
    // Everything due by now goes out (a late timer does not move the schedule).
    const now = performance.now();
    for (; i < total && t0 + dueAt(i) <= now; i += stride) {
      const d = t0 + dueAt(i);
      const slot = inFlight.size < slots ? freeConnection() : -1;
      if (slot >= 0) dispatch(i, d, slot);
      else if (queue.length - queueHead < options.maxQueue) queue.push({ i, due: d });
      else {
        collector.sent(now);
        collector.record({ intended: d, sent: now, done: now, error: 'client-queue-full' });
      }
    }
  }
  // Drain: wait for the answers of what was sent or queued, at most drainMs past the window
  // (not at all once stopped: what never left is dropped, what is in flight is abandoned).
  collector.draining();
  if (signal?.aborted) queue.length = queueHead;
  const deadline = Math.max(performance.now(), collector.windowEnd) + options.drainMs;
  while ((inFlight.size > 0 || queueHead < queue.length) && performance.now() < deadline && !signal?.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(1, Math.min(250, deadline - performance.now())));
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      wake = done;
      signal?.addEventListener('abort', done, { once: true });
    });
    wake = null;
  }
  // Scheduled inside the window and never answered: errors of kind `unfinished`.
  const pending = [...queue.slice(queueHead).map((q) => q.due), ...inFlight.values()];
  collector.unfinished(pending.filter((d) => d >= collector.windowStart && d < collector.windowEnd).length);
  stopped = true;
  const measurement = collector.finish(signal?.aborted === true);
  await transport.close();
  return measurement;
}

export type ClosedLoopOptions = EngineOptions;

/** Closed loop: `connections × streamsPerConnection` users, each with one request outstanding. */
export async function runClosedLoop(transport: Transport, options: ClosedLoopOptions): Promise<Measurement> {
  const { signal } = options;
  await transport.open();
  const t0 = performance.now();
  const collector = new Collector({
    t0,
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    countBy: 'completion',
    uncorrected: false,
    onTick: options.onTick,
  });
  const end = collector.windowEnd;
  let next = 0;
  collector.start();
  const user = async (slot: number): Promise<void> => {
    while (!signal?.aborted && performance.now() < end && next < options.maxRequests) {
      const i = next++;
      const sent = performance.now();
      collector.sent(sent);
      try {
        const answer = await transport.send(i, slot);
        collector.record({ intended: sent, sent, done: performance.now(), ...answer });
      } catch (error) {
        collector.record({ intended: sent, sent, done: performance.now(), error: failureKind(error) });
      }
    }
  };
  const users = Array.from({ length: transport.connections * transport.streamsPerConnection }, (_, u) => user(u % transport.connections));
  // Stop at the end of the window: answers still outstanding then are not counted (as wrk and h2load do).
  let timer: NodeJS.Timeout | undefined;
  const windowOver = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, end - performance.now() + 1));
    signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  await Promise.race([Promise.all(users), windowOver]);
  clearTimeout(timer);
  collector.unfinished(collector.inFlight);
  const measurement = collector.finish(signal?.aborted === true);
  await transport.close();
  return measurement;
}
