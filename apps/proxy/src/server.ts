/**
 * The proxy: OpenAI-compatible API over HTTP/1.1 and h2c on one port (see @hlp/protocol's
 * createDualServer), one pooled HTTP/2 client to the inference service.
 *
 * Routes:
 *   POST /v1/embeddings    OpenAI embeddings; the vectors are the decrypted workload outputs, mean-pooled per input
 *   GET  /v1/models        the workloads the inference service serves, as models `hlp-<workload>`
 *   GET  /v1/models/:id
 *   POST /v1/fhe/encrypt   same JSON request as embeddings; answers the ciphertexts (frames, application/octet-stream)
 *   GET  /healthz          liveness
 *   GET  /readyz           200 once the keys are uploaded and the inference service answers, 503 otherwise
 *   GET  /metrics          Prometheus text (names from @hlp/telemetry)
 *
 * Start-up runs in the background after the port is open: read the service's parameters and
 * workloads (`GET /v1/info`, retried with backoff until it answers), create the CKKS backend,
 * load or generate the keys, upload the public and evaluation keys (`POST /v1/keys`). Until then
 * `/v1/*` answers 503 NOT_READY with Retry-After.
 */
import { randomUUID } from 'node:crypto';
import { parseParams, type CkksBackend } from '@hlp/ckks';
import { SeededEmbeddings, type PackingLayout } from '@hlp/model';
import {
  EmbeddingsRequest,
  FRAME_CONTENT_TYPE,
  KeyUploadResponse,
  MAX_PROMPT_TOKENS,
  ProtocolError,
  ServiceInfo,
  createDualServer,
  describeZodError,
  encodeFrames,
  formatServerTiming,
  parseJson,
  pathOf,
  peerErrorCode,
  readBody,
  requireMediaType,
  sendError,
  sendFrames,
  sendJson,
  type DualServer,
  type Req,
  type Res,
} from '@hlp/protocol';
import { createRegistry, type AppRegistry } from '@hlp/telemetry';
import { createBackend, type BackendChoice } from './backend.js';
import { provisionKeys, uploadSet, type KeyNeeds, type UploadSet } from './keys.js';
import { silent, type LogFn } from './log.js';
import { Pipeline } from './pipeline.js';
import { Upstream } from './upstream.js';

export interface ProxyConfig {
  readonly host?: string;
  readonly port?: number;
  /** Base URL of the inference service, e.g. http://127.0.0.1:8081 (h2c). */
  readonly upstream: string;
  /** Service-to-service bearer token sent upstream. */
  readonly token?: string;
  /** CKKS backend for encode/encrypt/decrypt (default native, falling back to seal). */
  readonly backend?: BackendChoice;
  /** Load keys from this file, or generate them and write it (mode 0600). */
  readonly keyFile?: string;
  /** Seed of the GPT-2-shaped token and position embeddings (default @hlp/model's). */
  readonly embeddingSeed?: number;
  /** Packing layout for workloads that support it (default blocked). */
  readonly layout?: PackingLayout;
  /** Public-key encryption (default: fastest with the native backend) or secret-key encryption (seeded ciphertexts, half the upload bytes, costlier to expand). */
  readonly encryption?: 'symmetric' | 'public';
  /** Largest request body (default 4 MiB). */
  readonly maxBodyBytes?: number;
  /** Most tokens per input (default and maximum 1024). */
  readonly maxPromptTokens?: number;
  /** Most tokens per request, all inputs together (default 8192). */
  readonly maxRequestTokens?: number;
  /** Requests processed at once; beyond it 429 QUEUE_FULL (default 256). */
  readonly maxInFlight?: number;
  readonly upstreamTimeoutMs?: number;
  readonly log?: LogFn;
  readonly defaultMetrics?: boolean;
}

export interface ProxyServer {
  readonly url: string;
  readonly port: number;
  /** Resolves once the keys are uploaded; rejects when start-up failed for good (e.g. a bad key file). */
  readonly ready: Promise<void>;
  readonly metrics: AppRegistry<'proxy'>;
  readonly upstream: Upstream;
  /** The uploaded key set's id (undefined before). */
  keyId(): string | undefined;
  /** The backend in use (undefined before start-up finished). */
  backendName(): string | undefined;
  close(): Promise<void>;
}

const ROUTES = ['/healthz', '/readyz', '/metrics', '/v1/models', '/v1/models/:id', '/v1/embeddings', '/v1/fhe/encrypt'] as const;

function routeOf(path: string): string {
  if (path.startsWith('/v1/models/')) return '/v1/models/:id';
  return (ROUTES as readonly string[]).includes(path) ? path : 'unmatched';
}

interface ReadyState {
  readonly backend: CkksBackend;
  readonly pipeline: Pipeline;
  readonly info: ServiceInfo;
  upload: UploadSet;
  readonly created: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

export async function startProxy(config: ProxyConfig): Promise<ProxyServer> {
  const log = config.log ?? silent;
  const telemetry = createRegistry('proxy', { defaultMetrics: config.defaultMetrics ?? true });
  const m = telemetry.metrics;
  const upstream = new Upstream(config.upstream, {
    ...(config.token ? { token: config.token } : {}),
    ...(config.upstreamTimeoutMs ? { timeoutMs: config.upstreamTimeoutMs } : {}),
  });
  const maxBody = config.maxBodyBytes ?? 4 * 1024 * 1024;
  const maxInFlight = config.maxInFlight ?? 256;
  let state: ReadyState | undefined;
  let closing = false;
  let inFlight = 0;

  // -- upstream helpers ------------------------------------------------------------------------

  async function upstreamJson(path: string, operation: string, body?: Buffer): Promise<{ status: number; json: unknown }> {
    const r = await upstream.call(path, body ? { body: [body], contentType: FRAME_CONTENT_TYPE } : {});
    m.upstreamDuration.observe({ operation, status: String(r.status) }, r.timings.totalMs / 1000);
    if (body) m.bytesSent.inc({ peer: 'upstream' }, body.length);
    m.bytesReceived.inc({ peer: 'upstream' }, r.body.length);
    let json: unknown;
    try {
      json = JSON.parse(r.body.toString('utf8'));
    } catch {
      throw new ProtocolError('UPSTREAM_ERROR', `${path} answered ${r.status} with a body that is not JSON`);
    }
    return { status: r.status, json };
  }

  async function upload(set: UploadSet, info: ServiceInfo, reason: 'startup' | 'miss'): Promise<void> {
    const body = encodeFrames({ params: info.params, keys: set.kinds, galoisSteps: [...set.galoisSteps] }, set.frames);
    const t = performance.now();
    const r = await upstreamJson('/v1/keys', 'keys', body);
    if (r.status !== 200 && r.status !== 201) {
      const msg = (r.json as { error?: { message?: string } }).error?.message ?? `status ${r.status}`;
      throw new ProtocolError('UPSTREAM_ERROR', `key upload refused (${peerErrorCode(r.json) ?? r.status}): ${msg}`);
    }
    const resp = KeyUploadResponse.parse(r.json);
    if (resp.keyId !== set.keyId) throw new ProtocolError('UPSTREAM_ERROR', `the service computed key id ${resp.keyId}, the proxy ${set.keyId}`);
    m.keyUploads.inc({ reason });
    log('info', 'keys uploaded', { keyId: set.keyId, kinds: set.kinds, bytes: set.bytes, ms: Math.round(performance.now() - t), reason });
  }

  let reuploading: Promise<string> | undefined;
  let health: { at: number; ok: boolean; error?: string } = { at: 0, ok: false };

  async function init(): Promise<void> {
    let delay = 100;
    let info: ServiceInfo | undefined;
    while (!closing) {
      try {
        const r = await upstreamJson('/v1/info', 'info');
        if (r.status !== 200) {
          const msg = (r.json as { error?: { message?: string } }).error?.message ?? '';
          throw new ProtocolError('UPSTREAM_ERROR', `/v1/info answered ${r.status}: ${msg}`);
        }
        info = ServiceInfo.parse(r.json);
        break;
      } catch (e) {
        if (e instanceof ProtocolError && e.code === 'UPSTREAM_ERROR' && /answered 401/.test(e.message)) throw e;
        log('warn', 'inference service not reachable yet; retrying', { upstream: config.upstream, error: (e as Error).message, retryInMs: delay });
        await sleep(delay);
        delay = Math.min(delay * 2, 2000);
      }
    }
    if (!info || closing) return;
    const params = parseParams(info.params);
    const b = await createBackend(config.backend ?? 'native', params);
    if (b.fallback) log('warn', `using the seal backend: ${b.fallback}`);
    const backend = b.backend;
    try {
      const needs: KeyNeeds = {
        relin: info.workloads.some((w) => w.needsRelin),
        galoisSteps: [...new Set(info.workloads.flatMap((w) => w.rotationSteps))],
      };
      const t = performance.now();
      const loaded = await provisionKeys(backend, needs, config.keyFile);
      log('info', loaded.fromFile ? 'keys loaded' : 'keys generated', {
        ms: Math.round(performance.now() - t),
        keyFile: config.keyFile ?? null,
        galoisSteps: loaded.galoisSteps.length,
        backend: backend.name,
      });
      const set = uploadSet(backend, needs, loaded.galoisSteps);
      // Retry the upload while the service is unreachable; a refusal is fatal.
      for (let d = 100; ; d = Math.min(d * 2, 2000)) {
        if (closing) return;
        try {
          await upload(set, info, 'startup');
          break;
        } catch (e) {
          if (e instanceof ProtocolError && e.code === 'UPSTREAM_DOWN') {
            log('warn', 'key upload failed; retrying', { error: e.message });
            await sleep(d);
            continue;
          }
          throw e;
        }
      }
      const embeddings = new SeededEmbeddings(config.embeddingSeed === undefined ? {} : { seed: config.embeddingSeed });
      const st: ReadyState = {
        backend,
        info,
        upload: set,
        created: Math.floor(Date.now() / 1000),
        pipeline: new Pipeline({
          backend,
          info,
          upstream,
          embeddings,
          metrics: m,
          layout: config.layout ?? 'blocked',
          encryption: config.encryption ?? 'public',
          maxPromptTokens: Math.min(config.maxPromptTokens ?? MAX_PROMPT_TOKENS, MAX_PROMPT_TOKENS),
          maxRequestTokens: config.maxRequestTokens ?? 8192,
          keyId: () => st.upload.keyId,
          reupload: () => {
            reuploading ??= upload(st.upload, info, 'miss')
              .then(() => st.upload.keyId)
              .finally(() => (reuploading = undefined));
            return reuploading;
          },
        }),
      };
      state = st;
      health = { at: performance.now(), ok: true };
    } catch (e) {
      backend.dispose();
      throw e;
    }
  }

  const ready = init();
  ready.catch((e: unknown) => log('error', `start-up failed: ${(e as Error).message}`));

  // -- readiness -------------------------------------------------------------------------------

  async function upstreamHealthy(): Promise<{ ok: boolean; error?: string }> {
    // Cache a success for 1 s, a failure for 250 ms.
    if (performance.now() - health.at < (health.ok ? 1000 : 250)) return health;
    try {
      const r = await upstream.call('/healthz', { timeoutMs: 2000 });
      health = { at: performance.now(), ok: r.status === 200, ...(r.status === 200 ? {} : { error: `status ${r.status}` }) };
    } catch (e) {
      health = { at: performance.now(), ok: false, error: (e as Error).message };
    }
    return health;
  }

  function requireReady(): ReadyState {
    if (!state) throw new ProtocolError('NOT_READY', 'the proxy is starting: keys not uploaded yet', null, { retryAfterSeconds: 1 });
    return state;
  }

  async function jsonRequest(req: Req): Promise<EmbeddingsRequest> {
    requireMediaType(req, 'application/json');
    const body = await readBody(req, maxBody);
    m.bytesReceived.inc({ peer: 'client' }, body.length);
    const parsed = EmbeddingsRequest.safeParse(parseJson(body));
    if (!parsed.success) {
      const d = describeZodError(parsed.error);
      throw new ProtocolError('INVALID_REQUEST', d.message, d.param);
    }
    return parsed.data;
  }

  // -- routes ----------------------------------------------------------------------------------

  const handle = async (req: Req, res: Res): Promise<void> => {
    const path = pathOf(req);
    const method = req.method ?? 'GET';
    const route = routeOf(path);
    const started = performance.now();
    m.httpRequestsInFlight.inc();
    res.once('close', () => {
      m.httpRequestsInFlight.dec();
      m.httpRequestDuration.observe({ route, method, status: String(res.statusCode) }, (performance.now() - started) / 1000);
    });
    const expect = (allowed: string): void => {
      if (method !== allowed) throw new ProtocolError('METHOD_NOT_ALLOWED', `${route} takes ${allowed}, not ${method}`);
    };
    let counted = false;
    try {
      switch (route) {
        case '/healthz':
          return sendJson(res, 200, { status: 'ok', service: 'hlp-proxy' });
        case '/readyz': {
          const h = await upstreamHealthy();
          if (!state) return sendJson(res, 503, { status: 'starting', upstream: h.ok ? 'up' : 'down' });
          if (!h.ok) return sendJson(res, 503, { status: 'upstream down', upstream: 'down', error: h.error ?? null });
          return sendJson(res, 200, { status: 'ready', upstream: 'up', keyId: state.upload.keyId, backend: state.backend.name });
        }
        case '/metrics': {
          const text = await telemetry.metricsText();
          res.writeHead(200, { 'content-type': telemetry.contentType });
          res.end(text);
          return;
        }
        case '/v1/models': {
          expect('GET');
          const st = requireReady();
          return sendJson(res, 200, {
            object: 'list',
            data: st.info.workloads.map((w) => ({ id: w.model, object: 'model', created: st.created, owned_by: 'hlp' })),
          });
        }
        case '/v1/models/:id': {
          expect('GET');
          const st = requireReady();
          const id = decodeURIComponent(path.slice('/v1/models/'.length));
          const w = st.pipeline.workloadFor(id);
          return sendJson(res, 200, { id: w.model, object: 'model', created: st.created, owned_by: 'hlp' });
        }
        case '/v1/embeddings':
        case '/v1/fhe/encrypt': {
          expect('POST');
          if (inFlight >= maxInFlight) throw new ProtocolError('QUEUE_FULL', `more than ${maxInFlight} requests in flight`, null, { retryAfterSeconds: 1 });
          inFlight++;
          counted = true;
          const body = await jsonRequest(req);
          const st = requireReady();
          const requestId = randomUUID();
          if (route === '/v1/fhe/encrypt') {
            const enc = st.pipeline.encrypt(body.model, body.input);
            const p = enc.plan;
            const header = {
              object: 'hlp.ciphertexts',
              model: body.model,
              workload: enc.workload.name,
              keyId: st.upload.keyId,
              params: st.info.params,
              plan: { layout: p.layout, slotCount: p.slotCount, width: p.width, tokens: p.tokens, ciphertexts: p.ciphertexts },
              inputs: p.requests.map((r) => ({ index: r.index, tokenOffset: r.tokenOffset, tokens: r.tokens })),
              seeded: config.encryption === 'symmetric',
              usage: { prompt_tokens: enc.tokens, total_tokens: enc.tokens },
            };
            const sent = sendFrames(res, 200, header, enc.frames, { 'server-timing': formatServerTiming(enc.stages), 'x-request-id': requestId });
            m.ciphertextsSent.inc({ peer: 'client' }, enc.frames.length);
            m.bytesSent.inc({ peer: 'client' }, sent);
            for (const [stage, ms] of Object.entries(enc.stages)) if (stage !== 'pool') m.stageDuration.observe({ stage }, ms / 1000);
            return;
          }
          const result = await st.pipeline.embeddings(body, requestId);
          for (const [stage, ms] of Object.entries(result.stages)) if (stage !== 'pool') m.stageDuration.observe({ stage }, ms / 1000);
          const payload = Buffer.from(JSON.stringify(result.response), 'utf8');
          res.writeHead(200, {
            'content-type': 'application/json',
            'content-length': payload.length,
            'server-timing': formatServerTiming(result.stages),
            'x-request-id': requestId,
            'x-hlp-ciphertexts': String(result.ciphertexts),
            'x-hlp-ops': JSON.stringify(result.ops),
            'x-hlp-upstream-timing': formatServerTiming({
              queue: result.serverTimings.queueMs,
              deserialize: result.serverTimings.deserializeMs,
              evaluate: result.serverTimings.evaluateMs,
              serialize: result.serverTimings.serializeMs,
            }),
          });
          res.end(payload);
          m.bytesSent.inc({ peer: 'client' }, payload.length);
          return;
        }
        default:
          throw new ProtocolError('NOT_FOUND', `no route ${method} ${path}`);
      }
    } catch (e) {
      if (!(e instanceof ProtocolError)) log('error', 'request failed', { route, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      const code = sendError(res, e);
      m.errors.inc({ code });
    } finally {
      if (counted) inFlight--;
    }
  };

  const server: DualServer = createDualServer(handle);
  let addr;
  try {
    addr = await server.listen(config.port ?? 8080, config.host ?? '127.0.0.1');
  } catch (e) {
    closing = true;
    upstream.close();
    throw e;
  }
  log('info', 'proxy listening', { url: addr.url, upstream: config.upstream });
  let closed: Promise<void> | undefined;
  return {
    url: addr.url,
    port: addr.port,
    ready,
    metrics: telemetry,
    upstream,
    keyId: () => state?.upload.keyId,
    backendName: () => state?.backend.name,
    close(): Promise<void> {
      closed ??= (async () => {
        closing = true;
        await server.close();
        upstream.close();
        await ready.catch(() => undefined);
        state?.backend.dispose();
        telemetry.registry.clear();
      })();
      return closed;
    },
  };
}
