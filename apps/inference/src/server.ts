/**
 * The inference service over HTTP/1.1 and h2c on one port (or HTTPS with ALPN): the service
 * (service.ts), the request handler built on it (app.ts, routes/), the dual-protocol server of
 * @hlp/service-runtime, and the drain that frees the backends once in-flight work is done.
 */
import type { PresetDegree } from '@hlp/ckks';
import type { WorkloadName } from '@hlp/model';
import {
  createDualServer,
  silent,
  type ConnectionLimits,
  type DualServer,
  type DualServerOptions,
  type ListenAddress,
  type LogFn,
  type TlsOptions,
} from '@hlp/service-runtime';
import { createRegistry, type AppMetrics, type AppRegistry } from '@hlp/telemetry';
import { createInferenceApp, type RecordedRequest } from './app.js';
import type { BackendChoice } from './backend.js';
import { InferenceService } from './service.js';

export type { RecordedRequest } from './app.js';

export interface InferenceConfig {
  readonly host?: string;
  readonly port?: number;
  /** Service-to-service bearer token; without one, requests are not authenticated (a warning is logged). */
  readonly token?: string;
  readonly backend?: BackendChoice;
  readonly workloadSeed?: number;
  readonly workloads?: readonly WorkloadName[];
  readonly outputs?: number;
  readonly n?: PresetDegree;
  readonly maxBodyBytes?: number;
  readonly maxCiphertexts?: number;
  readonly maxQueue?: number;
  /** L1: bytes of key sets held in this process (default 2 GiB). */
  readonly keyCacheBytes?: number;
  /** L2: Redis shared by every instance (redis://127.0.0.1:6379). */
  readonly redisUrl?: string;
  /** L2 entry lifetime without use, seconds (default 7 days; 0: none). */
  readonly redisKeyTtlSeconds?: number;
  /** L3: directory of key set files (atomic writes, checksummed). */
  readonly keyCacheDir?: string;
  /** L3 bound in bytes (default 8 GiB). */
  readonly keyCacheDiskBytes?: number;
  /** Serve HTTPS (ALPN h2 + http/1.1) with this PEM certificate and key. */
  readonly tls?: TlsOptions;
  /** HTTP/2 max concurrent streams per connection (default 1000). */
  readonly maxConcurrentStreams?: number;
  /** Keep-alive idle timeout, ms (default 60 000). */
  readonly keepAliveTimeoutMs?: number;
  /** Header, body and first-bytes timeouts and the connection cap (defaults: @hlp/service-runtime's DEFAULT_LIMITS). */
  readonly connectionLimits?: Partial<ConnectionLimits>;
  /** How long close() lets in-flight requests finish before cutting them (default 30 s). */
  readonly drainTimeoutMs?: number;
  /** Where GET /metrics text comes from (default this process's registry; a cluster worker asks the primary). */
  readonly metricsSource?: () => Promise<{ text: string; contentType: string }>;
  /** Encode the workloads' plaintexts before listening (slower start, no first-request cost). */
  readonly warm?: boolean;
  readonly log?: LogFn;
  /** Test hook: every request as received (method, path, headers, whole body). */
  readonly onRequest?: (request: RecordedRequest) => void;
  /** Collect prom-client's default process metrics (default true). */
  readonly defaultMetrics?: boolean;
}

export interface InferenceServer {
  readonly url: string;
  readonly port: number;
  readonly service: InferenceService;
  readonly metrics: AppRegistry<'inference'>;
  close(): Promise<void>;
}

/** The service with its key cache levels and queue wired to the metrics. */
function createService(config: InferenceConfig, m: AppMetrics<'inference'>, log: LogFn): Promise<InferenceService> {
  return InferenceService.create({
    ...(config.n === undefined ? {} : { n: config.n }),
    ...(config.backend === undefined ? {} : { backend: config.backend }),
    ...(config.workloadSeed === undefined ? {} : { workloadSeed: config.workloadSeed }),
    ...(config.workloads === undefined ? {} : { workloads: config.workloads }),
    ...(config.outputs === undefined ? {} : { outputs: config.outputs }),
    ...(config.maxCiphertexts === undefined ? {} : { maxCiphertexts: config.maxCiphertexts }),
    ...(config.maxQueue === undefined ? {} : { maxQueue: config.maxQueue }),
    ...(config.keyCacheBytes === undefined ? {} : { keyCacheBytes: config.keyCacheBytes }),
    ...(config.redisUrl === undefined ? {} : { redisUrl: config.redisUrl }),
    ...(config.redisKeyTtlSeconds === undefined ? {} : { redisKeyTtlSeconds: config.redisKeyTtlSeconds }),
    ...(config.keyCacheDir === undefined ? {} : { keyCacheDir: config.keyCacheDir }),
    ...(config.keyCacheDiskBytes === undefined ? {} : { keyCacheDiskBytes: config.keyCacheDiskBytes }),
    ...(config.maxBodyBytes === undefined ? {} : { maxBodyBytes: config.maxBodyBytes }),
    log,
    onQueueDepth: (d) => m.queueDepth.set({ queue: 'evaluation' }, d),
    onKeyCache: (e) => {
      if (e.kind === 'size') m.keyCacheSize.set({ level: e.level }, e.bytes);
      else if (e.kind === 'hit') m.keyCacheHits.inc({ level: e.level });
      else if (e.kind === 'miss') m.keyCacheMisses.inc({ level: e.level });
    },
  });
}

function transportOptions(config: InferenceConfig): DualServerOptions {
  return {
    ...(config.tls ? { tls: config.tls } : {}),
    ...(config.maxConcurrentStreams === undefined ? {} : { maxConcurrentStreams: config.maxConcurrentStreams }),
    ...(config.keepAliveTimeoutMs === undefined ? {} : { keepAliveTimeoutMs: config.keepAliveTimeoutMs }),
    ...(config.connectionLimits ? { limits: config.connectionLimits } : {}),
  };
}

/** Listens; a port that cannot be had frees the service before the error goes on. */
async function listenOrRelease(server: DualServer, service: InferenceService, config: InferenceConfig): Promise<ListenAddress> {
  try {
    return await server.listen(config.port ?? 8081, config.host ?? '127.0.0.1');
  } catch (e) {
    service.dispose();
    await service.closeCaches();
    throw e;
  }
}

/** Drain the server, wait for queued evaluations to finish, then free the backends and caches. */
async function shutDown(server: DualServer, service: InferenceService, telemetry: AppRegistry<'inference'>, drainTimeoutMs: number): Promise<void> {
  await server.close(drainTimeoutMs);
  while (service.queueDepth > 0) await new Promise((r) => setTimeout(r, 10));
  service.dispose();
  await service.closeCaches();
  telemetry.registry.clear();
}

export async function startInference(config: InferenceConfig = {}): Promise<InferenceServer> {
  const log: LogFn = config.log ?? silent;
  const telemetry = createRegistry('inference', { defaultMetrics: config.defaultMetrics ?? true });
  const service = await createService(config, telemetry.metrics, log);
  if (config.warm) {
    const t = performance.now();
    service.prepare();
    log('info', 'plaintexts encoded', { ms: Math.round(performance.now() - t) });
  }
  const token = config.token;
  if (!token) log('warn', 'no service token configured: /v1 routes accept unauthenticated requests');
  const handler = createInferenceApp({
    service,
    telemetry,
    token,
    log,
    ...(config.metricsSource ? { metricsSource: config.metricsSource } : {}),
    ...(config.onRequest ? { onRequest: config.onRequest } : {}),
  });
  const server = createDualServer(handler, transportOptions(config));
  const addr = await listenOrRelease(server, service, config);
  log('info', 'inference service listening', { url: addr.url, params: service.info().params, workloads: [...service.runners.keys()] });
  let closed: Promise<void> | undefined;
  return {
    url: addr.url,
    port: addr.port,
    service,
    metrics: telemetry,
    close(): Promise<void> {
      closed ??= shutDown(server, service, telemetry, config.drainTimeoutMs ?? 30_000);
      return closed;
    },
  };
}
