/**
 * The proxy as an app: its shared parts built from the configuration (telemetry, the upstream
 * client behind its circuit breaker, the batcher, the state start-up fills in) and the request
 * handler that routes each request to its module under routes/. startProxy (server.ts) serves
 * the handler and owns the server's lifecycle.
 *
 * Backpressure: at most `maxInFlight` requests are admitted (429 QUEUE_FULL with Retry-After
 * beyond), at most `upstreamConcurrency` upstream calls are on the wire; the service's own 429
 * passes through.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_REQUEST_TOKENS } from '@hlp/protocol';
import { compressionFor, pathOf, type Req, type Res } from '@hlp/service-runtime';
import { BREAKER_STATES, createRegistry, type AppMetrics, type AppRegistry } from '@hlp/telemetry';
import { ClientAuth } from './auth.js';
import { Batcher } from './batcher.js';
import { CircuitBreaker } from './breaker.js';
import { CiphertextBudget } from './ciphertext-budget.js';
import { DEFAULT_MAX_INFLIGHT_CIPHERTEXTS, DEFAULT_WORKER_NICE, maxPromptTokensOf, type ProxyConfig } from './config.js';
import { answerError, noRoute, queueFull, requireMethod } from './errors.js';
import { gpuCollectors } from './gpu-metrics.js';
import { silent, type LogFn } from './log.js';
import type { EmbeddingsResult, Prepared } from './pipeline.js';
import { PromptBlockCache } from './prompt-cache.js';
import { EmbeddingsBodyReader } from './request-body.js';
import { handlerFor, routeOf, type RouteContext } from './routes/index.js';
import { ProxyStartup } from './startup.js';
import { ProxyState, UpstreamHealth } from './state.js';
import { Upstream, type UpstreamClient } from './upstream.js';
import { UpstreamThread } from './upstream-thread.js';

export interface ProxyApp {
  readonly config: ProxyConfig;
  readonly log: LogFn;
  readonly telemetry: AppRegistry<'proxy'>;
  readonly metrics: AppMetrics<'proxy'>;
  readonly breaker: CircuitBreaker;
  readonly upstream: UpstreamClient;
  readonly state: ProxyState;
  readonly health: UpstreamHealth;
  readonly auth: ClientAuth;
  readonly bodyReader: EmbeddingsBodyReader;
  readonly batcher: Batcher<Prepared, EmbeddingsResult>;
  /** Requests admitted at once to the pipeline routes. */
  readonly maxInFlight: number;
  /** Settles when start-up has finished: resolves once the keys are uploaded, rejects when it failed for good. */
  readonly ready: Promise<void>;
  /** Answers one request (any route, errors included); never rejects for a failed request. */
  readonly handle: (req: Req, res: Res) => Promise<void>;
}

/** Builds the app and starts start-up in the background; nothing listens yet. */
export function createProxyApp(config: ProxyConfig): ProxyApp {
  const log = config.log ?? silent;
  const telemetry = createRegistry('proxy', { defaultMetrics: config.defaultMetrics ?? true, collect: gpuCollectors(config.gpuSources) });
  const metrics = telemetry.metrics;
  const { breaker, upstream } = upstreamClient(config, metrics, log);
  const state = new ProxyState();
  const health = new UpstreamHealth(upstream, breaker);
  const maxRequestTokens = config.maxRequestTokens ?? DEFAULT_MAX_REQUEST_TOKENS;
  const promptCache = config.promptCacheBytes && config.promptCacheBytes > 0 ? new PromptBlockCache(config.promptCacheBytes) : undefined;
  if (promptCache)
    log('warn', 'the encrypted-prompt cache is on: equal prompt blocks give equal ciphertexts on the upstream link (an observer learns which prompts repeat)');
  const ciphertextBudget = new CiphertextBudget(config.maxInFlightCiphertexts ?? DEFAULT_MAX_INFLIGHT_CIPHERTEXTS);
  const startup = new ProxyStartup({ config, log, metrics, upstream, state, health, ciphertextBudget, promptCache, maxRequestTokens });
  const ready = startup.run();
  ready.catch((e: unknown) => log('error', `start-up failed: ${(e as Error).message}`));

  const batcher = new Batcher<Prepared, EmbeddingsResult>({
    windowMs: config.batchWindowMs ?? 50,
    maxRequests: config.maxBatchRequests ?? 32,
    maxTokens: config.maxBatchTokens ?? 8192,
    capacityFor: (_key, p) => state.requireReady().pipeline.batchCapacity(p),
    onDepth: (d) => metrics.queueDepth.set({ queue: 'batcher' }, d),
    run: async (_key, items, waited) => {
      const st = state.requireReady();
      metrics.batchSize.observe(items.length);
      for (const w of waited) metrics.batchWaitDuration.observe(w / 1000);
      return st.pipeline.runBatch(items, waited, randomUUID());
    },
  });

  const app: ProxyApp = {
    config,
    log,
    telemetry,
    metrics,
    breaker,
    upstream,
    state,
    health,
    auth: new ClientAuth(config.clientTokens),
    bodyReader: new EmbeddingsBodyReader(config.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, maxRequestTokens, maxPromptTokensOf(config), metrics),
    batcher,
    maxInFlight: config.maxInFlight ?? 256,
    ready,
    handle: (req, res) => handleRequest(app, req, res),
  };
  return app;
}

/** The upstream client and the circuit breaker guarding it; the breaker's probe (and readiness checks) bypass the breaker itself. */
function upstreamClient(config: ProxyConfig, metrics: AppMetrics<'proxy'>, log: LogFn): { breaker: CircuitBreaker; upstream: UpstreamClient } {
  const upstreamLabel = { upstream: 'inference' };
  metrics.circuitBreakerState.set(upstreamLabel, BREAKER_STATES.closed);
  const breaker = new CircuitBreaker({
    ...(config.breakerFailures === undefined ? {} : { failureThreshold: config.breakerFailures }),
    ...(config.breakerCooldownMs === undefined ? {} : { cooldownMs: config.breakerCooldownMs }),
    // The probe runs only after failures, long after `upstream` below exists.
    probe: async () => {
      const r = await upstream.call('/healthz', { timeoutMs: 2000, bypassBreaker: true });
      return r.status === 200;
    },
    onStateChange: (state, previous) => {
      metrics.circuitBreakerState.set(upstreamLabel, BREAKER_STATES[state]);
      log(state === 'closed' ? 'info' : 'warn', `circuit breaker ${previous} → ${state}`, { upstream: config.upstream });
    },
  });
  const options = {
    breaker,
    ...(config.token ? { token: config.token } : {}),
    ...(config.upstreamTimeoutMs ? { timeoutMs: config.upstreamTimeoutMs } : {}),
    ...(config.upstreamCa ? { ca: config.upstreamCa } : {}),
    ...(config.upstreamConcurrency ? { maxConcurrent: config.upstreamConcurrency } : {}),
  };
  const upstream: UpstreamClient =
    config.upstreamThread === true
      ? new UpstreamThread(config.upstream, { ...options, nice: config.workerNice ?? DEFAULT_WORKER_NICE })
      : new Upstream(config.upstream, options);
  return { breaker, upstream };
}

async function handleRequest(app: ProxyApp, req: Req, res: Res): Promise<void> {
  const path = pathOf(req);
  const method = req.method ?? 'GET';
  const route = routeOf(path);
  const { metrics, state } = app;
  const started = performance.now();
  metrics.httpRequestsInFlight.inc();
  res.once('close', () => {
    metrics.httpRequestsInFlight.dec();
    // 499 (as nginx logs it): the client went away before the response was complete.
    const status = (res as { writableFinished?: boolean }).writableFinished === false ? '499' : String(res.statusCode);
    metrics.httpRequestDuration.observe({ route, method, status }, (performance.now() - started) / 1000);
  });
  const compressMin = app.config.compressMinBytes ?? 1024;
  let admitted = false;
  const ctx: RouteContext = {
    req,
    res,
    path,
    method,
    route,
    zip: compressMin > 0 ? compressionFor(req, compressMin) : undefined,
    expect: (allowed) => requireMethod(route, method, allowed),
    admit: () => {
      if (state.admitted >= app.maxInFlight) {
        req.resume();
        throw queueFull(app.maxInFlight);
      }
      state.admitted++;
      admitted = true;
    },
  };
  try {
    const handler = handlerFor(route);
    if (!handler) throw noRoute(method, path);
    await handler(app, ctx);
  } catch (e) {
    answerError(res, e, route, app.log, metrics);
  } finally {
    if (admitted) state.admitted--;
  }
}
