/**
 * HTTP/1.1 closed loop with autocannon: `connections` keep-alive connections, each sending its
 * next request as soon as the previous one is answered. One autocannon instance runs warm-up and
 * measurement back to back (no reconnect in between); the collector counts responses that
 * complete inside the measured window, as wrk does.
 *
 * Not used for the open loop: autocannon's `overallRate` is a per-connection limit of N
 * requests per wall-clock second (sent as a burst, then paused), and its "coordinated omission
 * correction" assumes a 1 ms interval (`Math.ceil(1 / rate)`). It does not expose the
 * intended send time of a request, so the open loop is the lab's own (engine.ts).
 */
import autocannon from 'autocannon';
import { Collector, type Measurement, type Tick } from './measurement.js';
import type { Target } from './target.js';
import type { RequestSpec } from './transport.js';

export interface AutocannonOptions {
  readonly connections: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly maxRequests: number;
  readonly signal?: AbortSignal | undefined;
  readonly onTick?: ((tick: Tick) => void) | undefined;
}

export function runAutocannon(target: Target, spec: RequestSpec, options: AutocannonOptions): Promise<Measurement> {
  const { signal } = options;
  const requests: autocannon.Request[] = (spec.bodies.length > 0 ? spec.bodies : [undefined]).map((body) => ({
    method: spec.method,
    path: target.path,
    headers: { ...spec.headers },
    ...(body ? { body } : {}),
  }));
  return new Promise<Measurement>((resolve, reject) => {
    const t0 = performance.now();
    const collector = new Collector({
      t0,
      warmupMs: options.warmupMs,
      durationMs: options.durationMs,
      countBy: 'completion',
      uncorrected: false,
      onTick: options.onTick,
    });
    let sent = 0;
    let settled = false;
    let instance: autocannon.Instance | undefined = undefined;
    instance = autocannon({
      url: target.origin,
      connections: options.connections,
      duration: (options.warmupMs + options.durationMs) / 1000,
      timeout: Math.max(1, Math.ceil(spec.timeoutMs / 1000)),
      pipelining: 1,
      requests,
      skipAggregateResult: true,
      setupClient: (client) => {
        client.on('request', () => {
          collector.sent(performance.now());
          // autocannon's `amount` would override the duration: bound the count here instead.
          if (++sent === options.maxRequests) setImmediate(() => instance?.stop());
        });
      },
    });
    const onAbort = (): void => instance?.stop();
    signal?.addEventListener('abort', onAbort, { once: true });
    collector.start();
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      const done = performance.now();
      const start = done - responseTime;
      collector.record({ intended: start, sent: start, done, status: statusCode });
    });
    instance.on('reqError', (error) => {
      const done = performance.now();
      collector.record({
        intended: done,
        sent: done,
        done,
        error: /timed out/.test(error.message) ? 'timeout' : ((error as NodeJS.ErrnoException).code ?? error.message),
      });
    });
    instance.on('error', (error) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      collector.finish(true);
      reject(error);
    });
    instance.on('done', () => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      collector.unfinished(collector.inFlight);
      resolve(collector.finish(signal?.aborted === true));
    });
  });
}
