/**
 * The inference service over HTTP/1.1 and h2c on one port.
 *
 * Routes (all `/v1/*` need `Authorization: Bearer <service token>` when a token is configured):
 *   GET  /healthz         liveness, no auth
 *   GET  /metrics         Prometheus text (names from @hlp/telemetry), no auth
 *   GET  /v1/info         ServiceInfo: parameters, workloads, rotation steps, limits
 *   POST /v1/keys         frames (application/octet-stream): public/relin/galois SEAL keys → KeyUploadResponse
 *   GET  /v1/keys/:id     200 when the key set is registered, 404 UNKNOWN_KEY otherwise
 *   POST /v1/evaluate     frames: EvaluateRequestHeader + ciphertexts → EvaluateResponseHeader + ciphertexts
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { PresetDegree } from '@hlp/ckks';
import type { WorkloadName } from '@hlp/model';
import {
  EvaluateRequestHeader,
  FRAME_CONTENT_TYPE,
  KeyUploadHeader,
  ProtocolError,
  checkBearer,
  decodeFrames,
  describeZodError,
  formatServerTiming,
  type ErrorCode,
} from '@hlp/protocol';
import {
  compressionFor,
  createDualServer,
  headerValue,
  pathOf,
  readBody,
  requireMediaType,
  sendBody,
  sendError,
  sendFrames,
  sendJson,
  type ConnectionLimits,
  type DualServer,
  type Req,
  type Res,
  type LogFn,
  type TlsOptions,
} from '@hlp/service-runtime';
import { createRegistry, type AppRegistry } from '@hlp/telemetry';
import type { z } from 'zod';
import type { BackendChoice } from './backend.js';
import { InferenceService } from './service.js';

/** The `op` label of hlp_workload_operations_total for each field of OpCounts. */
const OP_LABELS = {
  rotations: 'rotation',
  plaintextMultiplications: 'plaintext_multiplication',
  ciphertextMultiplications: 'ciphertext_multiplication',
  relinearizations: 'relinearization',
  rescales: 'rescale',
  additions: 'addition',
} as const;

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

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

const ROUTES = ['/healthz', '/metrics', '/v1/info', '/v1/keys', '/v1/keys/:id', '/v1/evaluate'] as const;

function routeOf(path: string): string {
  if (path.startsWith('/v1/keys/')) return '/v1/keys/:id';
  return (ROUTES as readonly string[]).includes(path) ? path : 'unmatched';
}

function parseHeader<S extends z.ZodType>(schema: S, header: unknown): z.infer<S> {
  const r = schema.safeParse(header);
  if (!r.success) {
    const d = describeZodError(r.error);
    throw new ProtocolError('INVALID_REQUEST', `frame header: ${d.message}`, d.param ? `header.${d.param}` : 'header');
  }
  return r.data as z.infer<S>;
}

export async function startInference(config: InferenceConfig = {}): Promise<InferenceServer> {
  const log: LogFn = config.log ?? (() => undefined);
  const telemetry = createRegistry('inference', { defaultMetrics: config.defaultMetrics ?? true });
  const m = telemetry.metrics;
  const service = await InferenceService.create({
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
  if (config.warm) {
    const t = performance.now();
    service.prepare();
    log('info', 'plaintexts encoded', { ms: Math.round(performance.now() - t) });
  }
  const token = config.token;
  if (!token) log('warn', 'no service token configured: /v1 routes accept unauthenticated requests');

  const handle = async (req: Req, res: Res): Promise<void> => {
    const path = pathOf(req);
    const method = req.method ?? 'GET';
    const route = routeOf(path);
    const started = performance.now();
    m.httpRequestsInFlight.inc();
    let code: ErrorCode | undefined;
    res.once('close', () => {
      m.httpRequestsInFlight.dec();
      // 499 (as nginx logs it): the client went away before the response was complete.
      const status = (res as { writableFinished?: boolean }).writableFinished === false ? '499' : String(res.statusCode);
      m.httpRequestDuration.observe({ route, method, status }, (performance.now() - started) / 1000);
    });
    try {
      if (route === '/healthz') {
        config.onRequest?.({ method, path, headers: req.headers, body: Buffer.alloc(0) });
        return sendJson(res, 200, { status: 'ok', service: 'hlp-inference', pid: process.pid });
      }
      if (route === '/metrics') {
        const { text, contentType } = config.metricsSource
          ? await config.metricsSource()
          : { text: await telemetry.metricsText(), contentType: telemetry.contentType };
        return sendBody(res, 200, Buffer.from(text, 'utf8'), contentType, {}, compressionFor(req));
      }
      if (route === 'unmatched') throw new ProtocolError('NOT_FOUND', `no route ${method} ${path}`);
      if (token && !checkBearer(headerValue(req.headers, 'authorization'), token)) {
        req.resume();
        throw new ProtocolError('UNAUTHORIZED', 'missing or invalid service token (Authorization: Bearer …)', 'authorization');
      }
      const expect = (allowed: string): void => {
        if (method !== allowed) throw new ProtocolError('METHOD_NOT_ALLOWED', `${route} takes ${allowed}, not ${method}`);
      };
      switch (route) {
        case '/v1/info': {
          expect('GET');
          config.onRequest?.({ method, path, headers: req.headers, body: Buffer.alloc(0) });
          return sendJson(res, 200, service.info(), {}, compressionFor(req));
        }
        case '/v1/keys/:id': {
          expect('GET');
          config.onRequest?.({ method, path, headers: req.headers, body: Buffer.alloc(0) });
          const id = path.slice('/v1/keys/'.length);
          const set = /^[0-9a-f]{64}$/.test(id) ? await service.lookupKeys(id) : undefined;
          if (!set) throw new ProtocolError('UNKNOWN_KEY', `key set ${id} is not registered`, 'keyId');
          return sendJson(res, 200, { keyId: set.id, hashes: set.hashes, bytes: set.bytes });
        }
        case '/v1/keys': {
          expect('POST');
          requireMediaType(req, FRAME_CONTENT_TYPE);
          const body = await readBody(req, service.maxBodyBytes);
          m.bytesReceived.inc({ peer: 'proxy' }, body.length);
          config.onRequest?.({ method, path, headers: req.headers, body });
          const { header, frames } = decodeFrames(body, { maxFrames: 8 });
          const h = parseHeader(KeyUploadHeader, header);
          const r = await service.uploadKeys(h, frames);
          return sendJson(res, r.created ? 201 : 200, r);
        }
        case '/v1/evaluate': {
          expect('POST');
          requireMediaType(req, FRAME_CONTENT_TYPE);
          const body = await readBody(req, service.maxBodyBytes);
          m.bytesReceived.inc({ peer: 'proxy' }, body.length);
          config.onRequest?.({ method, path, headers: req.headers, body });
          const { header, frames } = decodeFrames(body, { maxFrames: service.maxCiphertexts });
          const h = parseHeader(EvaluateRequestHeader, header);
          const result = await service.evaluate(h, frames);
          m.ciphertextsReceived.inc({ peer: 'proxy' }, frames.length);
          const t = result.header.timings;
          m.stageDuration.observe({ stage: 'deserialize' }, t.deserializeMs / 1000);
          m.stageDuration.observe({ stage: 'evaluate' }, t.evaluateMs / 1000);
          m.workloadEvaluationDuration.observe({ workload: result.header.workload, layout: result.header.layout }, t.evaluateMs / 1000);
          for (const [op, count] of Object.entries(OP_LABELS)) {
            const done = result.header.ops[op as keyof typeof OP_LABELS];
            if (done > 0) m.workloadOperations.inc({ workload: result.header.workload, op: count }, done);
          }
          const sent = sendFrames(res, 200, result.header, result.frames, {
            'server-timing': formatServerTiming({ queue: t.queueMs, deserialize: t.deserializeMs, evaluate: t.evaluateMs, serialize: t.serializeMs }),
          });
          m.ciphertextsSent.inc({ peer: 'proxy' }, result.frames.length);
          m.bytesSent.inc({ peer: 'proxy' }, sent);
          return;
        }
      }
    } catch (e) {
      if (!(e instanceof ProtocolError)) log('error', 'request failed', { route, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      code = sendError(res, e);
      m.errors.inc({ code });
    }
  };

  const server: DualServer = createDualServer(handle, {
    ...(config.tls ? { tls: config.tls } : {}),
    ...(config.maxConcurrentStreams === undefined ? {} : { maxConcurrentStreams: config.maxConcurrentStreams }),
    ...(config.keepAliveTimeoutMs === undefined ? {} : { keepAliveTimeoutMs: config.keepAliveTimeoutMs }),
    ...(config.connectionLimits ? { limits: config.connectionLimits } : {}),
  });
  let addr;
  try {
    addr = await server.listen(config.port ?? 8081, config.host ?? '127.0.0.1');
  } catch (e) {
    service.dispose();
    await service.closeCaches();
    throw e;
  }
  log('info', 'inference service listening', { url: addr.url, params: service.info().params, workloads: [...service.runners.keys()] });
  let closed: Promise<void> | undefined;
  return {
    url: addr.url,
    port: addr.port,
    service,
    metrics: telemetry,
    close(): Promise<void> {
      closed ??= (async () => {
        await server.close(config.drainTimeoutMs ?? 30_000);
        // Wait for queued evaluations to finish before freeing the backends.
        while (service.queueDepth > 0) await new Promise((r) => setTimeout(r, 10));
        service.dispose();
        await service.closeCaches();
        telemetry.registry.clear();
      })();
      return closed;
    },
  };
}
