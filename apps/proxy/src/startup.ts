/**
 * Start-up runs in the background after the port is open: read the service's parameters and
 * workloads (`GET /v1/info`, retried with backoff until it answers), create the CKKS backend,
 * load or generate the keys, upload the public and evaluation keys (`POST /v1/keys`) unless the
 * service already knows them (`GET /v1/keys/:id`: its L2/L3 cache survives a restart of either
 * side). Until then `/v1/*` answers 503 NOT_READY with Retry-After.
 */
import { NativeBackend, parseParams, setBatchWorkerNice, type CkksBackend } from '@hlp/ckks';
import { SeededEmbeddings } from '@hlp/model';
import { FRAME_CONTENT_TYPE, KeyUploadResponse, ProtocolError, ServiceInfo, encodeFrames, peerErrorCode } from '@hlp/protocol';
import type { AppMetrics } from '@hlp/telemetry';
import { createBackend } from './backend.js';
import type { CiphertextBudget } from './ciphertext-budget.js';
import { DEFAULT_WORKER_NICE, encryptionOf, maxPromptTokensOf, seedStreamOf, type ProxyConfig } from './config.js';
import { CachedEmbeddings } from './embedding-cache.js';
import { EmbeddingThread } from './embedding-thread.js';
import { provisionKeys, uploadSet, type KeyNeeds, type UploadSet } from './keys.js';
import type { LogFn } from './log.js';
import { Pipeline } from './pipeline.js';
import type { PromptBlockCache } from './prompt-cache.js';
import type { ProxyState, ReadyState, UpstreamHealth } from './state.js';
import type { UpstreamClient } from './upstream.js';

export interface StartupDeps {
  readonly config: ProxyConfig;
  readonly log: LogFn;
  readonly metrics: AppMetrics<'proxy'>;
  readonly upstream: UpstreamClient;
  readonly state: ProxyState;
  readonly health: UpstreamHealth;
  readonly ciphertextBudget: CiphertextBudget;
  readonly promptCache: PromptBlockCache | undefined;
  readonly maxRequestTokens: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

export class ProxyStartup {
  /** The key upload under way after the service answered UNKNOWN_KEY: concurrent batches share it. */
  #reuploading: Promise<string> | undefined;

  constructor(private readonly deps: StartupDeps) {}

  /** Runs start-up to its end: resolves with the state set, or early when the proxy closes; rejects on a fatal failure. */
  async run(): Promise<void> {
    const info = await this.fetchServiceInfo();
    if (!info || this.deps.state.closing) return;
    const { config, log } = this.deps;
    const b = await createBackend(config.backend ?? 'native', parseParams(info.params), { symmetricPrng: seedStreamOf(config, info) });
    if (b.fallback) log('warn', `using the seal backend: ${b.fallback}`);
    const backend = b.backend;
    try {
      const set = await this.provision(backend, info);
      if (!(await this.uploadUnlessKnown(set, info))) return;
      if (backend.name === 'native') setBatchWorkerNice(config.workerNice ?? DEFAULT_WORKER_NICE);
      this.deps.state.ready = this.readyState(backend, info, set);
      this.deps.health.markHealthy();
    } catch (e) {
      backend.dispose();
      throw e;
    }
  }

  /** The service's parameters and workloads, retried with backoff until it answers (undefined: the proxy closed first). */
  private async fetchServiceInfo(): Promise<ServiceInfo | undefined> {
    let delay = 100;
    while (!this.deps.state.closing) {
      try {
        const r = await this.upstreamJson('/v1/info', 'info', undefined, true);
        if (r.status !== 200) {
          const msg = (r.json as { error?: { message?: string } }).error?.message ?? '';
          throw new ProtocolError('UPSTREAM_ERROR', `/v1/info answered ${r.status}: ${msg}`);
        }
        return ServiceInfo.parse(r.json);
      } catch (e) {
        if (e instanceof ProtocolError && e.code === 'UPSTREAM_ERROR' && /answered 401/.test(e.message)) throw e;
        this.deps.log('warn', 'inference service not reachable yet; retrying', {
          upstream: this.deps.config.upstream,
          error: (e as Error).message,
          retryInMs: delay,
        });
        await sleep(delay);
        delay = Math.min(delay * 2, 2000);
      }
    }
    return undefined;
  }

  /** Loads or generates the keys every served workload needs; answers the set to upload. */
  private async provision(backend: CkksBackend, info: ServiceInfo): Promise<UploadSet> {
    const needs: KeyNeeds = {
      relin: info.workloads.some((w) => w.needsRelin),
      galoisSteps: [...new Set(info.workloads.flatMap((w) => w.rotationSteps))],
    };
    const t = performance.now();
    const loaded = await provisionKeys(backend, needs, this.deps.config.keyFile);
    this.deps.log('info', loaded.fromFile ? 'keys loaded' : 'keys generated', {
      ms: Math.round(performance.now() - t),
      keyFile: this.deps.config.keyFile ?? null,
      galoisSteps: loaded.galoisSteps.length,
      backend: backend.name,
    });
    return uploadSet(backend, needs, loaded.galoisSteps);
  }

  /**
   * Uploads unless the service has the set already; retries while it is unreachable; a refusal
   * is fatal. Answers false when the proxy closed first.
   */
  private async uploadUnlessKnown(set: UploadSet, info: ServiceInfo): Promise<boolean> {
    for (let d = 100; ; d = Math.min(d * 2, 2000)) {
      if (this.deps.state.closing) return false;
      try {
        if (await this.serviceKnows(set, true)) this.deps.log('info', 'the inference service holds the keys already', { keyId: set.keyId });
        else await this.upload(set, info, 'startup');
        return true;
      } catch (e) {
        if (e instanceof ProtocolError && e.code === 'UPSTREAM_DOWN') {
          this.deps.log('warn', 'key upload failed; retrying', { error: e.message });
          await sleep(d);
          continue;
        }
        throw e;
      }
    }
  }

  private readyState(backend: CkksBackend, info: ServiceInfo, set: UploadSet): ReadyState {
    const { config, promptCache } = this.deps;
    const seed = config.embeddingSeed === undefined ? {} : { seed: config.embeddingSeed };
    const embeddings = new CachedEmbeddings(new SeededEmbeddings(seed));
    // The prompt cache needs whole tokens per ciphertext (blocked).
    const layout = config.layout ?? (promptCache ? 'blocked' : 'dense');
    // Only the fused native dense path embeds a whole batch at once (the others encrypt on the event loop anyway).
    const embedThread =
      backend instanceof NativeBackend && layout === 'dense' && (config.embedThread ?? true)
        ? new EmbeddingThread({ ...seed, nice: config.workerNice ?? DEFAULT_WORKER_NICE })
        : undefined;
    const st: ReadyState = {
      backend,
      ...(embedThread ? { embedThread } : {}),
      info,
      upload: set,
      created: Math.floor(Date.now() / 1000),
      pipeline: new Pipeline({
        backend,
        info,
        upstream: this.deps.upstream,
        embeddings,
        ...(embedThread ? { embedThread } : {}),
        metrics: this.deps.metrics,
        layout,
        encryption: encryptionOf(config, backend instanceof NativeBackend ? backend.batchDevice : 'cpu'),
        dataLevel: config.dataLevel ?? 'min',
        encryptThreads: config.encryptThreads ?? 2,
        maxPromptTokens: maxPromptTokensOf(config),
        maxRequestTokens: this.deps.maxRequestTokens,
        ciphertextBudget: this.deps.ciphertextBudget,
        ...(promptCache ? { promptCache } : {}),
        ...(config.embeddingSeed === undefined ? {} : { embeddingSeed: config.embeddingSeed }),
        keyId: () => st.upload.keyId,
        reupload: () => {
          this.#reuploading ??= this.upload(st.upload, info, 'miss')
            .then(() => st.upload.keyId)
            .finally(() => (this.#reuploading = undefined));
          return this.#reuploading;
        },
      }),
    };
    return st;
  }

  private async upstreamJson(path: string, operation: string, body?: Buffer, bypassBreaker = false): Promise<{ status: number; json: unknown }> {
    const { upstream, metrics: m } = this.deps;
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
  private async serviceKnows(set: UploadSet, bypassBreaker: boolean): Promise<boolean> {
    const r = await this.upstreamJson(`/v1/keys/${set.keyId}`, 'keys', undefined, bypassBreaker);
    return r.status === 200;
  }

  private async upload(set: UploadSet, info: ServiceInfo, reason: 'startup' | 'miss'): Promise<void> {
    const body = encodeFrames({ params: info.params, keys: set.kinds, galoisSteps: [...set.galoisSteps] }, set.frames);
    const t = performance.now();
    const r = await this.upstreamJson('/v1/keys', 'keys', body, reason === 'startup');
    if (r.status !== 200 && r.status !== 201) {
      const msg = (r.json as { error?: { message?: string } }).error?.message ?? `status ${r.status}`;
      throw new ProtocolError('UPSTREAM_ERROR', `key upload refused (${peerErrorCode(r.json) ?? r.status}): ${msg}`);
    }
    const resp = KeyUploadResponse.parse(r.json);
    if (resp.keyId !== set.keyId) throw new ProtocolError('UPSTREAM_ERROR', `the service computed key id ${resp.keyId}, the proxy ${set.keyId}`);
    this.deps.metrics.keyUploads.inc({ reason });
    this.deps.log('info', 'keys uploaded', { keyId: set.keyId, kinds: set.kinds, bytes: set.bytes, ms: Math.round(performance.now() - t), reason });
  }
}
