/**
 * A stand-in for the proxy with a deterministic cost, for tests and the wrk/h2load cross-check:
 * HTTP/1.1 and h2c on one loopback port (@hlp/service-runtime's dual server), answering
 * `POST /v1/embeddings` with a fixed OpenAI-shaped JSON after `delayMs`, optionally stalling
 * every answer once for `stall.durationMs` (to show coordinated omission), plus `GET /healthz`
 * and `GET /metrics` (its own event-loop delay under prom-client's name).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createDualServer, pathOf, readBody, sendJson } from '@hlp/service-runtime';
import { EVENTLOOP_P99_METRIC } from './samplers/eventloop.js';
import { isLoopbackHost } from './target.js';

export interface StubServerOptions {
  /** Time before each answer, ms (default 0: answer at once). */
  readonly delayMs?: number;
  /**
   * Spread of that time, ms: each answer waits delayMs ± jitterMs (uniform), so the mean cost
   * stays delayMs while connections do not fall into lock-step (default 0).
   */
  readonly jitterMs?: number;
  /**
   * Once: `afterMs` after the first request, hold every answer until `durationMs` later
   * (answers due in that span, and those of requests arriving in it, go out at its end).
   */
  readonly stall?: { readonly afterMs: number; readonly durationMs: number };
  /** Loopback address to listen on (default 127.0.0.1). */
  readonly host?: string;
  readonly port?: number;
}

export interface StubServer {
  readonly url: string;
  readonly port: number;
  /** Requests received so far, by path. */
  readonly counts: Readonly<Record<string, number>>;
  /** Requests received so far, by HTTP version (`1.1`, `2.0`). */
  readonly versions: Readonly<Record<string, number>>;
  close(): Promise<void>;
}

/** The fixed answer: one 4-wide embedding, OpenAI's shape. */
export const STUB_RESPONSE = {
  object: 'list',
  data: [{ object: 'embedding', index: 0, embedding: [0.25, -0.5, 0.125, 1] }],
  model: 'hlp-stub',
  usage: { prompt_tokens: 0, total_tokens: 0 },
} as const;

export async function startStubServer(options: StubServerOptions = {}): Promise<StubServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host)) throw new Error(`the stub server listens on loopback only, not ${host}`);
  const delayMs = options.delayMs ?? 0;
  const jitterMs = Math.min(options.jitterMs ?? 0, delayMs);
  const counts: Record<string, number> = {};
  const versions: Record<string, number> = {};
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  let firstAt: number | null = null;
  const stallWindow = (): [number, number] | null =>
    options.stall && firstAt !== null ? [firstAt + options.stall.afterMs, firstAt + options.stall.afterMs + options.stall.durationMs] : null;
  const pending = new Set<NodeJS.Timeout>();

  const server = createDualServer(async (req, res) => {
    const path = pathOf(req);
    counts[path] = (counts[path] ?? 0) + 1;
    versions[req.httpVersion] = (versions[req.httpVersion] ?? 0) + 1;
    if (req.method === 'GET' && path === '/healthz') return sendJson(res, 200, { status: 'ok', service: 'hlp-stub' });
    if (req.method === 'GET' && path === '/metrics') {
      const p99 = lag.percentile(99) / 1e9;
      lag.reset();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(
        `# HELP ${EVENTLOOP_P99_METRIC} The 99th percentile of the recorded event loop delays.\n# TYPE ${EVENTLOOP_P99_METRIC} gauge\n${EVENTLOOP_P99_METRIC} ${p99}\n`,
      );
      return;
    }
    if (path !== '/v1/embeddings')
      return sendJson(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error', code: 'NOT_FOUND' } });
    if (req.method !== 'POST') return sendJson(res, 405, { error: { message: 'POST only', type: 'invalid_request_error', code: 'METHOD_NOT_ALLOWED' } });
    await readBody(req, 1 << 20);
    const now = performance.now();
    firstAt ??= now;
    let readyAt = now + delayMs + (jitterMs > 0 ? (Math.random() * 2 - 1) * jitterMs : 0);
    const stall = stallWindow();
    if (stall && readyAt >= stall[0] && readyAt < stall[1]) readyAt = stall[1];
    const answer = (): void => void sendJson(res, 200, STUB_RESPONSE);
    if (readyAt <= now) return answer();
    const timer = setTimeout(() => {
      pending.delete(timer);
      answer();
    }, readyAt - now);
    pending.add(timer);
  });
  const address = await server.listen(options.port ?? 0, host);
  return {
    url: address.url,
    port: address.port,
    counts,
    versions,
    async close(): Promise<void> {
      for (const t of pending) clearTimeout(t);
      pending.clear();
      lag.disable();
      await server.close(500);
    },
  };
}
