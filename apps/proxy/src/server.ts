/**
 * The proxy: OpenAI-compatible API over HTTP/1.1 and HTTP/2 on one port (h2c on loopback, or
 * TLS with ALPN when a certificate is given; see @hlp/service-runtime's createDualServer), one pooled
 * HTTP/2 client to the inference service behind a circuit breaker.
 *
 * The app (app.ts) holds the shared state and the request handler, routes/ has one module per
 * route, errors.ts the error answers, startup.ts the background start-up (keys up before
 * `/v1/*` answers). This module only serves the app: listen, then close(), which drains: no new
 * connections, open batches flushed, in-flight requests answered, then the upstream session closes.
 */
import { createDualServer, type DualServer } from '@hlp/service-runtime';
import type { AppRegistry } from '@hlp/telemetry';
import { createProxyApp, type ProxyApp } from './app.js';
import type { CircuitBreaker } from './breaker.js';
import type { ProxyConfig } from './config.js';
import type { UpstreamClient } from './upstream.js';

export { DEFAULT_MAX_INFLIGHT_CIPHERTEXTS, DEFAULT_WORKER_NICE, type ProxyConfig } from './config.js';

export interface ProxyServer {
  readonly url: string;
  readonly port: number;
  /** Resolves once the keys are uploaded; rejects when start-up failed for good (e.g. a bad key file). */
  readonly ready: Promise<void>;
  readonly metrics: AppRegistry<'proxy'>;
  readonly upstream: UpstreamClient;
  readonly breaker: CircuitBreaker;
  /** The uploaded key set's id (undefined before). */
  keyId(): string | undefined;
  /** The backend in use (undefined before start-up finished). */
  backendName(): string | undefined;
  /** Requests being handled now. */
  inFlight(): number;
  /** Drain (no new connections, in-flight requests answered) and stop. */
  close(): Promise<void>;
}

export async function startProxy(config: ProxyConfig): Promise<ProxyServer> {
  const app = createProxyApp(config);
  const server: DualServer = createDualServer(app.handle, {
    ...(config.tls ? { tls: config.tls } : {}),
    ...(config.maxConcurrentStreams === undefined ? {} : { maxConcurrentStreams: config.maxConcurrentStreams }),
    ...(config.keepAliveTimeoutMs === undefined ? {} : { keepAliveTimeoutMs: config.keepAliveTimeoutMs }),
    ...(config.connectionLimits ? { limits: config.connectionLimits } : {}),
  });
  let addr;
  try {
    addr = await server.listen(config.port ?? 8080, config.host ?? '127.0.0.1');
  } catch (e) {
    await abandonStartup(app);
    throw e;
  }
  app.log('info', 'proxy listening', { url: addr.url, upstream: config.upstream, tls: server.tls, clientAuth: app.auth.enabled });
  let closed: Promise<void> | undefined;
  return {
    url: addr.url,
    port: addr.port,
    ready: app.ready,
    metrics: app.telemetry,
    upstream: app.upstream,
    breaker: app.breaker,
    keyId: () => app.state.ready?.upload.keyId,
    backendName: () => app.state.ready?.backend.name,
    inFlight: () => server.inFlight(),
    close(): Promise<void> {
      closed ??= drainAndStop(app, server);
      return closed;
    },
  };
}

/** The port could not be opened: stop start-up and free what it made. */
async function abandonStartup(app: ProxyApp): Promise<void> {
  app.state.closing = true;
  app.upstream.close();
  await app.ready.catch(() => undefined);
  app.state.ready?.backend.dispose();
  await app.state.ready?.embedThread?.close();
}

async function drainAndStop(app: ProxyApp, server: DualServer): Promise<void> {
  app.state.closing = true;
  const drained = server.close(app.config.drainTimeoutMs ?? 30_000);
  // Nothing waits for a batch window any more.
  app.batcher.flush();
  await drained;
  app.upstream.close();
  await app.ready.catch(() => undefined);
  app.state.ready?.backend.dispose();
  await app.state.ready?.embedThread?.close();
  app.telemetry.registry.clear();
}
