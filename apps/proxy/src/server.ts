/**
 * The proxy: OpenAI-compatible API over HTTP/1.1 and HTTP/2 on one port (h2c on loopback, or
 * TLS with ALPN when a certificate is given; see @hlp/protocol's createDualServer), one pooled
 * HTTP/2 client to the inference service behind a circuit breaker.
 *
 * Routes:
 *   POST /v1/embeddings    OpenAI embeddings; the vectors are the decrypted workload outputs, mean-pooled per input
 *   GET  /v1/models        the workloads the inference service serves, as models `hlp-<workload>`
 *   GET  /v1/models/:id
 *   POST /v1/fhe/encrypt   same JSON request as embeddings; answers the ciphertexts (frames, application/octet-stream)
 *   GET  /healthz          liveness
 *   GET  /readyz           200 once the keys are uploaded and the inference service answers, 503 otherwise
 *   GET  /metrics          Prometheus text (names from @hlp/telemetry; a cluster's workers aggregated)
 *
 * With client tokens configured, every /v1 route needs `Authorization: Bearer <token>`: none or a
 * malformed header is 401 UNAUTHORIZED, a well-formed unknown token 403 INVALID_API_KEY.
 *
 * Start-up runs in the background after the port is open: read the service's parameters and
 * workloads (`GET /v1/info`, retried with backoff until it answers), create the CKKS backend,
 * load or generate the keys, upload the public and evaluation keys (`POST /v1/keys`) unless the
 * service already knows them (`GET /v1/keys/:id`: its L2/L3 cache survives a restart of either
 * side). Until then `/v1/*` answers 503 NOT_READY with Retry-After.
 *
 * Embeddings requests are batched (batcher.ts); `/v1/fhe/encrypt` never is (a client gets only
 * its own ciphertexts). Backpressure: at most `maxInFlight` requests are admitted (429
 * QUEUE_FULL with Retry-After beyond), at most `upstreamConcurrency` upstream calls are on the
 * wire; the service's own 429 passes through. close() drains: no new connections, open batches
 * flushed, in-flight requests answered, then the upstream session closes.
 */
import { randomUUID } from 'node:crypto';
import { parseParams, setBatchWorkerNice, type CkksBackend } from '@hlp/ckks';
import { SeededEmbeddings, type PackingLayout } from '@hlp/model';
import {
  BearerTokens,
  EmbeddingsRequest,
  FRAME_CONTENT_TYPE,
  KeyUploadResponse,
  MAX_CHARS_PER_TOKEN,
  MAX_PROMPT_TOKENS,
  ProtocolError,
  ServiceInfo,
  compressionFor,
  createDualServer,
  decodePathSegment,
  describeZodError,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_REQUEST_TOKENS,
  encodeFrames,
  formatServerTiming,
  headerValue,
  parseBearer,
  parseJson,
  pathOf,
  peerErrorCode,
  readBody,
  requireMediaType,
  sendBody,
  sendError,
  sendFrames,
  sendJson,
  JsonScanner,
  MAX_INPUTS,
  MAX_JSON_DEPTH,
  type ConnectionLimits,
  type JsonScan,
  type DualServer,
  type Req,
  type Res,
  type TlsOptions,
} from '@hlp/protocol';
import { BREAKER_STATES, createRegistry, type AppRegistry } from '@hlp/telemetry';
import { createBackend, type BackendChoice } from './backend.js';
import { CachedEmbeddings } from './embedding-cache.js';
import { Batcher } from './batcher.js';
import { CircuitBreaker } from './breaker.js';
import { provisionKeys, uploadSet, type KeyNeeds, type UploadSet } from './keys.js';
import { silent, type LogFn } from './log.js';
import { Pipeline, type EmbeddingsResult, type Prepared } from './pipeline.js';
import { PromptBlockCache } from './prompt-cache.js';
import { Upstream } from './upstream.js';
import { gpuCollectors, type GpuSources } from './gpu-metrics.js';
import { CiphertextBudget } from './ciphertext-budget.js';
import { loopTurn } from './event-loop-slices.js';

/** Niceness of the native batch crypto's pool threads by default (see ProxyConfig.workerNice). */
export const DEFAULT_WORKER_NICE = 10;
/** Ciphertexts in flight at most by default: two calls of the service's default limit (1024); at level 1, n = 8192, about 0.5 GB for each copy of them. */
export const DEFAULT_MAX_INFLIGHT_CIPHERTEXTS = 2048;
/** Bodies past this size wait for their turn on the event loop before they are decoded and parsed. */
const LARGE_BODY_BYTES = 64 * 1024;
/** Text a body may hold beyond its inputs' character limit (model, user, fields the schema ignores). */
const BODY_TEXT_SLACK = 64 * 1024;
/** Values a body may hold beyond its inputs' token ids or strings (the other fields, fields the schema ignores). */
const BODY_VALUE_SLACK = 1024;

export interface ProxyConfig {
  readonly host?: string;
  readonly port?: number;
  /** Base URL of the inference service: http://… (h2c) or https://… (TLS, ALPN h2). */
  readonly upstream: string;
  /** Service-to-service bearer token sent upstream. */
  readonly token?: string;
  /** CA certificate(s) (PEM) to trust for an https:// upstream. */
  readonly upstreamCa?: string | Buffer;
  /** CKKS backend for encode/encrypt/decrypt (default native, falling back to seal). */
  readonly backend?: BackendChoice;
  /** Load keys from this file, or generate them and write it (mode 0600). */
  readonly keyFile?: string;
  /** Seed of the GPT-2-shaped token and position embeddings (default @hlp/model's). */
  readonly embeddingSeed?: number;
  /**
   * Packing layout for workloads that support it (default dense: affine packs tokens back to
   * back, 5⅓ per ciphertext instead of blocked's 4; projection and mlp run blocked regardless).
   */
  readonly layout?: PackingLayout;
  /** Public-key encryption (default: fastest with the native backend) or secret-key encryption (seeded ciphertexts, half the upload bytes, costlier to expand). */
  readonly encryption?: 'symmetric' | 'public';
  /** `min` (default): ciphertexts at the workload's depth; `max`: at the top level. */
  readonly dataLevel?: 'min' | 'max';
  /** Fused native encryption chunks at once on the libuv pool (default 2; 0: on the event loop). */
  readonly encryptThreads?: number;
  /**
   * Niceness of the libuv pool threads running the native backend's batch crypto (default
   * DEFAULT_WORKER_NICE; 0: as the event loop). The loop answers every client, health checks
   * included; a flood of large batches must not take its core.
   */
  readonly workerNice?: number;
  /** Largest request body (default 4 MiB). */
  readonly maxBodyBytes?: number;
  /** Most tokens per input (default and maximum 1024). */
  readonly maxPromptTokens?: number;
  /** Most tokens per request, all inputs together (default 8192). */
  readonly maxRequestTokens?: number;
  /** Requests admitted at once (reading, batching, in the pipeline); beyond it 429 QUEUE_FULL (default 256). */
  readonly maxInFlight?: number;
  readonly upstreamTimeoutMs?: number;
  /** Upstream connections for uploads, one call each at a time (default 8). */
  readonly upstreamConcurrency?: number;
  /** Batch window in ms (default 50; 0 turns batching off). */
  readonly batchWindowMs?: number;
  /** Requests per batch at most (default 32). */
  readonly maxBatchRequests?: number;
  /** Ciphertexts in flight at most, all batches together: the bound on memory (default 2048, about two service calls' worth). */
  readonly maxInFlightCiphertexts?: number;
  /** Tokens per batch at most (default 8192). */
  readonly maxBatchTokens?: number;
  /** Bytes of the encrypted-prompt-block cache (default 0: off; see prompt-cache.ts for the leak). */
  readonly promptCacheBytes?: number;
  /** Client API keys; when non-empty every /v1 route needs one as a bearer token. */
  readonly clientTokens?: readonly string[];
  /** Consecutive upstream failures that open the circuit breaker (default 5). */
  readonly breakerFailures?: number;
  /** How long the breaker stays open before probing the service again, ms (default 5000). */
  readonly breakerCooldownMs?: number;
  /** Serve HTTPS (ALPN h2 + http/1.1 on the one port) with this PEM certificate and key. */
  readonly tls?: TlsOptions;
  /** HTTP/2 max concurrent streams per client connection (default 1000). */
  readonly maxConcurrentStreams?: number;
  /** Keep-alive idle timeout, ms (default 60 000). */
  readonly keepAliveTimeoutMs?: number;
  /** Header, body and first-bytes timeouts and the connection cap (defaults: @hlp/protocol's DEFAULT_LIMITS). */
  readonly connectionLimits?: Partial<ConnectionLimits>;
  /** Compress JSON responses of at least this many bytes when the client accepts gzip/br (default 1024; 0 = off). */
  readonly compressMinBytes?: number;
  /** How long close() lets in-flight requests finish (default 30 s). */
  readonly drainTimeoutMs?: number;
  /** Where GET /metrics text comes from (default this process's registry; a cluster worker asks the primary). */
  readonly metricsSource?: () => Promise<{ text: string; contentType: string }>;
  readonly log?: LogFn;
  readonly defaultMetrics?: boolean;
  /** Where the GPU gauges come from (default the device pool and nvidia-smi); tests stand in. */
  readonly gpuSources?: GpuSources;
}

export interface ProxyServer {
  readonly url: string;
  readonly port: number;
  /** Resolves once the keys are uploaded; rejects when start-up failed for good (e.g. a bad key file). */
  readonly ready: Promise<void>;
  readonly metrics: AppRegistry<'proxy'>;
  readonly upstream: Upstream;
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
  const telemetry = createRegistry('proxy', { defaultMetrics: config.defaultMetrics ?? true, collect: gpuCollectors(config.gpuSources) });
  const m = telemetry.metrics;
  const upstreamLabel = { upstream: 'inference' };
  m.circuitBreakerState.set(upstreamLabel, BREAKER_STATES.closed);
  // The breaker's probe (and readiness checks) bypass the breaker itself.
  let upstreamRef: Upstream | undefined;
  const breaker = new CircuitBreaker({
    ...(config.breakerFailures === undefined ? {} : { failureThreshold: config.breakerFailures }),
    ...(config.breakerCooldownMs === undefined ? {} : { cooldownMs: config.breakerCooldownMs }),
    probe: async () => {
      const r = await upstreamRef!.call('/healthz', { timeoutMs: 2000, bypassBreaker: true });
      return r.status === 200;
    },
    onStateChange: (state, previous) => {
      m.circuitBreakerState.set(upstreamLabel, BREAKER_STATES[state]);
      log(state === 'closed' ? 'info' : 'warn', `circuit breaker ${previous} → ${state}`, { upstream: config.upstream });
    },
  });
  const upstream = new Upstream(config.upstream, {
    breaker,
    ...(config.token ? { token: config.token } : {}),
    ...(config.upstreamTimeoutMs ? { timeoutMs: config.upstreamTimeoutMs } : {}),
    ...(config.upstreamCa ? { ca: config.upstreamCa } : {}),
    ...(config.upstreamConcurrency ? { maxConcurrent: config.upstreamConcurrency } : {}),
  });
  upstreamRef = upstream;
  const maxBody = config.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxRequestTokens = config.maxRequestTokens ?? DEFAULT_MAX_REQUEST_TOKENS;
  // A body with more text than its inputs could ever be allowed is refused on a scan of its
  // bytes, before decoding and parsing; the slack leaves room for the model, user and unknown fields.
  // So is a body with more values (separators) than its inputs' token ids or strings could be.
  const bodyLimits = {
    depth: MAX_JSON_DEPTH,
    textUnits: maxRequestTokens * MAX_CHARS_PER_TOKEN + BODY_TEXT_SLACK,
    separators: Math.max(maxRequestTokens, MAX_INPUTS) + BODY_VALUE_SLACK,
  } as const;
  const maxInFlight = config.maxInFlight ?? 256;
  const ciphertextBudget = new CiphertextBudget(config.maxInFlightCiphertexts ?? DEFAULT_MAX_INFLIGHT_CIPHERTEXTS);
  const compressMin = config.compressMinBytes ?? 1024;
  const clientTokens = config.clientTokens && config.clientTokens.length > 0 ? new BearerTokens(config.clientTokens) : undefined;
  const promptCache = config.promptCacheBytes && config.promptCacheBytes > 0 ? new PromptBlockCache(config.promptCacheBytes) : undefined;
  if (promptCache) log('warn', 'the encrypted-prompt cache is on: equal prompt blocks give equal ciphertexts on the upstream link (an observer learns which prompts repeat)');
  let state: ReadyState | undefined;
  let closing = false;
  let admitted = 0;

  // -- upstream helpers ------------------------------------------------------------------------

  async function upstreamJson(path: string, operation: string, body?: Buffer, bypassBreaker = false): Promise<{ status: number; json: unknown }> {
    const r = await upstream.call(path, { ...(body ? { body: [body], contentType: FRAME_CONTENT_TYPE } : {}), bypassBreaker });
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

  /** True when the service already holds the key set (any of its cache levels). */
  async function serviceKnows(set: UploadSet, bypassBreaker: boolean): Promise<boolean> {
    const r = await upstreamJson(`/v1/keys/${set.keyId}`, 'keys', undefined, bypassBreaker);
    return r.status === 200;
  }

  async function upload(set: UploadSet, info: ServiceInfo, reason: 'startup' | 'miss'): Promise<void> {
    const body = encodeFrames({ params: info.params, keys: set.kinds, galoisSteps: [...set.galoisSteps] }, set.frames);
    const t = performance.now();
    const r = await upstreamJson('/v1/keys', 'keys', body, reason === 'startup');
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
        const r = await upstreamJson('/v1/info', 'info', undefined, true);
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
      // Upload unless the service has the set already; retry while it is unreachable; a refusal is fatal.
      for (let d = 100; ; d = Math.min(d * 2, 2000)) {
        if (closing) return;
        try {
          if (await serviceKnows(set, true)) log('info', 'the inference service holds the keys already', { keyId: set.keyId });
          else await upload(set, info, 'startup');
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
      if (backend.name === 'native') setBatchWorkerNice(config.workerNice ?? DEFAULT_WORKER_NICE);
      const embeddings = new CachedEmbeddings(new SeededEmbeddings(config.embeddingSeed === undefined ? {} : { seed: config.embeddingSeed }));
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
          // The prompt cache needs whole tokens per ciphertext (blocked).
          layout: config.layout ?? (promptCache ? 'blocked' : 'dense'),
          encryption: config.encryption ?? 'public',
          dataLevel: config.dataLevel ?? 'min',
          encryptThreads: config.encryptThreads ?? 2,
          maxPromptTokens: Math.min(config.maxPromptTokens ?? MAX_PROMPT_TOKENS, MAX_PROMPT_TOKENS),
          maxRequestTokens,
          ciphertextBudget,
          ...(promptCache ? { promptCache } : {}),
          ...(config.embeddingSeed === undefined ? {} : { embeddingSeed: config.embeddingSeed }),
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

  // -- batching --------------------------------------------------------------------------------

  const batcher = new Batcher<Prepared, EmbeddingsResult>({
    windowMs: config.batchWindowMs ?? 50,
    maxRequests: config.maxBatchRequests ?? 32,
    maxTokens: config.maxBatchTokens ?? 8192,
    capacityFor: (_key, p) => requireReady().pipeline.batchCapacity(p),
    onDepth: (d) => m.queueDepth.set({ queue: 'batcher' }, d),
    run: async (_key, items, waited) => {
      const st = requireReady();
      m.batchSize.observe(items.length);
      for (const w of waited) m.batchWaitDuration.observe(w / 1000);
      return st.pipeline.runBatch(items, waited, randomUUID());
    },
  });

  // -- readiness -------------------------------------------------------------------------------

  async function upstreamHealthy(): Promise<{ ok: boolean; error?: string }> {
    if (breaker.state !== 'closed') return { ok: false, error: `circuit breaker ${breaker.state}` };
    // Cache a success for 1 s, a failure for 250 ms.
    if (performance.now() - health.at < (health.ok ? 1000 : 250)) return health;
    try {
      const r = await upstream.call('/healthz', { timeoutMs: 2000, bypassBreaker: true });
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

  function authorize(req: Req): void {
    if (!clientTokens) return;
    const cred = parseBearer(headerValue(req.headers, 'authorization'));
    if (cred.kind === 'missing') {
      throw new ProtocolError('UNAUTHORIZED', "You didn't provide an API key. Send it as an Authorization header: 'Authorization: Bearer YOUR_KEY'.", null);
    }
    if (cred.kind === 'malformed') {
      throw new ProtocolError('UNAUTHORIZED', "The Authorization header is malformed; it must be 'Bearer YOUR_KEY'.", null);
    }
    if (!clientTokens.has(cred.token)) {
      const shown = cred.token.length > 8 ? `${cred.token.slice(0, 3)}…${cred.token.slice(-4)}` : '…';
      throw new ProtocolError('INVALID_API_KEY', `Incorrect API key provided: ${shown}.`, null);
    }
  }

  /** Whether a caller may see details (key id, backend, pid, upstream errors): open proxies show them to all. */
  function showsDetails(req: Req): boolean {
    if (!clientTokens) return true;
    const cred = parseBearer(headerValue(req.headers, 'authorization'));
    return cred.kind === 'token' && clientTokens.has(cred.token);
  }

  /**
   * /readyz stays open for probes (status code and state only); the key id, backend, pid and
   * upstream error identify the deployment, so with client tokens only a valid one sees them.
   */
  async function readiness(req: Req, res: Res): Promise<void> {
    const details = showsDetails(req);
    const pid = details ? { pid: process.pid } : {};
    if (closing) return sendJson(res, 503, { status: 'draining', ...pid });
    const h = await upstreamHealthy();
    if (!state) return sendJson(res, 503, { status: 'starting', upstream: h.ok ? 'up' : 'down' });
    if (!h.ok) return sendJson(res, 503, { status: 'upstream down', upstream: 'down', breaker: breaker.state, ...(details ? { error: h.error ?? null } : {}) });
    const extra = details ? { keyId: state.upload.keyId, backend: state.backend.name, ...pid } : {};
    return sendJson(res, 200, { status: 'ready', upstream: 'up', breaker: breaker.state, ...extra });
  }

  async function jsonRequest(req: Req): Promise<EmbeddingsRequest> {
    requireMediaType(req, 'application/json');
    // The body is scanned piece by piece as it arrives and refused on the first piece that
    // passes a limit: a 4 MiB body scanned whole held the event loop for up to 60 ms, and its
    // decoding, parsing and validation (a million token ids) for far longer.
    const scanner = new JsonScanner(bodyLimits);
    let received = 0;
    const body = await readBody(req, maxBody, (chunk) => {
      received += chunk.length;
      if (!scanner.feed(chunk)) throw bodyOverLimits(scanner.scan, received);
    });
    m.bytesReceived.inc({ peer: 'client' }, body.length);
    // Decoding and parsing a megabyte takes 5–20 ms: large bodies take their turn with the
    // other slices of work, so that eight arriving together do not hold the loop for 150 ms.
    if (body.length > LARGE_BODY_BYTES) await loopTurn();
    const parsed = EmbeddingsRequest.safeParse(parseJson(body, scanner.scan));
    if (!parsed.success) {
      const d = describeZodError(parsed.error);
      throw new ProtocolError('INVALID_REQUEST', d.message, d.param);
    }
    return parsed.data;
  }

  function bodyOverLimits(scan: JsonScan, bytes: number): ProtocolError {
    const where = `in its first ${bytes} bytes`;
    if (scan.depth > MAX_JSON_DEPTH) return new ProtocolError('INVALID_JSON', `request body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`);
    if (scan.textUnits > bodyLimits.textUnits) {
      return new ProtocolError(
        'INPUT_TOO_LONG',
        `the request body holds ${scan.textUnits} characters of text ${where}, more than the ${maxRequestTokens * MAX_CHARS_PER_TOKEN} that ${maxRequestTokens} tokens (--max-request-tokens) allow`,
        'input',
      );
    }
    return new ProtocolError(
      'INPUT_TOO_LONG',
      `the request body holds ${scan.separators + 1} values ${where}, more than ${maxRequestTokens} token ids (--max-request-tokens) or ${MAX_INPUTS} inputs allow`,
      'input',
    );
  }

  function observeStages(stages: Record<string, number | undefined>): void {
    for (const [stage, ms] of Object.entries(stages)) {
      if (stage !== 'pool' && stage !== 'batch' && ms !== undefined) m.stageDuration.observe({ stage: stage as never }, ms / 1000);
    }
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
      // 499 (as nginx logs it): the client went away before the response was complete.
      const status = (res as { writableFinished?: boolean }).writableFinished === false ? '499' : String(res.statusCode);
      m.httpRequestDuration.observe({ route, method, status }, (performance.now() - started) / 1000);
    });
    const expect = (allowed: string): void => {
      if (method !== allowed) throw new ProtocolError('METHOD_NOT_ALLOWED', `${route} takes ${allowed}, not ${method}`);
    };
    const zip = compressMin > 0 ? compressionFor(req, compressMin) : undefined;
    let counted = false;
    try {
      switch (route) {
        case '/healthz':
          return sendJson(res, 200, { status: closing ? 'draining' : 'ok', service: 'hlp-proxy', pid: process.pid });
        case '/readyz':
          return await readiness(req, res);
        case '/metrics': {
          const { text, contentType } = config.metricsSource
            ? await config.metricsSource()
            : { text: await telemetry.metricsText(), contentType: telemetry.contentType };
          return sendBody(res, 200, Buffer.from(text, 'utf8'), contentType, {}, compressionFor(req));
        }
        case '/v1/models': {
          expect('GET');
          authorize(req);
          const st = requireReady();
          return sendJson(
            res,
            200,
            { object: 'list', data: st.info.workloads.map((w) => ({ id: w.model, object: 'model', created: st.created, owned_by: 'hlp' })) },
            {},
            zip,
          );
        }
        case '/v1/models/:id': {
          expect('GET');
          authorize(req);
          const st = requireReady();
          const id = decodePathSegment(path.slice('/v1/models/'.length));
          const w = st.pipeline.workloadFor(id);
          return sendJson(res, 200, { id: w.model, object: 'model', created: st.created, owned_by: 'hlp' }, {}, zip);
        }
        case '/v1/embeddings':
        case '/v1/fhe/encrypt': {
          expect('POST');
          authorize(req);
          if (admitted >= maxInFlight) {
            req.resume();
            throw new ProtocolError('QUEUE_FULL', `more than ${maxInFlight} requests in flight`, null, { retryAfterSeconds: 1 });
          }
          admitted++;
          counted = true;
          const body = await jsonRequest(req);
          const st = requireReady();
          const requestId = randomUUID();
          const prepared = st.pipeline.prepare(body);
          if (route === '/v1/fhe/encrypt') {
            breaker.check();
            const enc = await st.pipeline.encrypt(prepared);
            const p = enc.plan;
            const header = {
              object: 'hlp.ciphertexts',
              model: body.model,
              workload: enc.workload.name,
              keyId: st.upload.keyId,
              params: st.info.params,
              plan: { layout: p.layout, slotCount: p.slotCount, width: p.width, tokens: p.tokens, ciphertexts: p.ciphertexts },
              inputs: enc.inputs,
              seeded: config.encryption === 'symmetric',
              usage: { prompt_tokens: enc.tokens, total_tokens: enc.tokens },
            };
            const sent = sendFrames(res, 200, header, enc.frames, { 'server-timing': formatServerTiming(enc.stages as Record<string, number>), 'x-request-id': requestId });
            m.ciphertextsSent.inc({ peer: 'client' }, enc.frames.length);
            m.bytesSent.inc({ peer: 'client' }, sent);
            observeStages(enc.stages);
            return;
          }
          // Fail fast while the service is down rather than after the batch window.
          breaker.check();
          const key = st.pipeline.batchKey(prepared);
          const result = key === undefined ? (await st.pipeline.runBatch([prepared], [0], requestId))[0]! : await batcher.submit(key, prepared, prepared.tokens);
          observeStages(result.stages);
          const payload = Buffer.from(JSON.stringify(result.response), 'utf8');
          const out = sendBody(
            res,
            200,
            payload,
            'application/json',
            {
              'server-timing': formatServerTiming(result.stages as Record<string, number>),
              'x-request-id': requestId,
              'x-hlp-ciphertexts': String(result.ciphertexts),
              'x-hlp-batch-size': String(result.batchSize),
              'x-hlp-ops': JSON.stringify(result.ops),
              'x-hlp-upstream-timing': formatServerTiming({
                queue: result.serverTimings.queueMs,
                deserialize: result.serverTimings.deserializeMs,
                evaluate: result.serverTimings.evaluateMs,
                serialize: result.serverTimings.serializeMs,
              }),
            },
            zip,
          );
          if (out) await out;
          m.bytesSent.inc({ peer: 'client' }, payload.length);
          return;
        }
        default:
          throw new ProtocolError('NOT_FOUND', `no route ${method} ${path}`);
      }
    } catch (e) {
      if (!(e instanceof ProtocolError)) log('error', 'request failed', { route, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
      const extra = e instanceof ProtocolError && e.code === 'UNAUTHORIZED' ? { 'www-authenticate': 'Bearer realm="hlp-proxy"' } : {};
      const code = sendError(res, e, extra);
      m.errors.inc({ code });
    } finally {
      if (counted) admitted--;
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
    addr = await server.listen(config.port ?? 8080, config.host ?? '127.0.0.1');
  } catch (e) {
    closing = true;
    upstream.close();
    await ready.catch(() => undefined);
    state?.backend.dispose();
    throw e;
  }
  log('info', 'proxy listening', { url: addr.url, upstream: config.upstream, tls: server.tls, clientAuth: clientTokens !== undefined });
  let closed: Promise<void> | undefined;
  return {
    url: addr.url,
    port: addr.port,
    ready,
    metrics: telemetry,
    upstream,
    breaker,
    keyId: () => state?.upload.keyId,
    backendName: () => state?.backend.name,
    inFlight: () => server.inFlight(),
    close(): Promise<void> {
      closed ??= (async () => {
        closing = true;
        const drained = server.close(config.drainTimeoutMs ?? 30_000);
        // Nothing waits for a batch window any more.
        batcher.flush();
        await drained;
        upstream.close();
        await ready.catch(() => undefined);
        state?.backend.dispose();
        telemetry.registry.clear();
      })();
      return closed;
    },
  };
}
