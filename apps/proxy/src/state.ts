/**
 * The proxy's mutable state, shared by start-up, the routes and shutdown: whether start-up has
 * finished (and what it made), whether the proxy is draining, how many requests are admitted,
 * and the last look at the inference service's health.
 */
import type { CkksBackend } from '@hlp/ckks';
import { ProtocolError, type ServiceInfo } from '@hlp/protocol';
import type { CircuitBreaker } from './breaker.js';
import type { EmbeddingThread } from './embedding-thread.js';
import type { UploadSet } from './keys.js';
import type { Pipeline } from './pipeline.js';
import type { UpstreamClient } from './upstream.js';

/** What start-up made: the backend, keys and pipeline every request uses. */
export interface ReadyState {
  readonly backend: CkksBackend;
  readonly pipeline: Pipeline;
  /** The dense path's embedding rows, off the event loop (closed with the backend). */
  readonly embedThread?: EmbeddingThread;
  readonly info: ServiceInfo;
  upload: UploadSet;
  /** Seconds since the epoch start-up finished at (the models' `created`). */
  readonly created: number;
}

export class ProxyState {
  /** Set once start-up has finished. */
  ready: ReadyState | undefined;
  /** Set once close() began: readiness says so, start-up stops retrying. */
  closing = false;
  /** Requests admitted to the embeddings and encrypt routes (reading, batching, in the pipeline). */
  admitted = 0;

  /** @throws ProtocolError NOT_READY until start-up has finished */
  requireReady(): ReadyState {
    if (!this.ready) throw new ProtocolError('NOT_READY', 'the proxy is starting: keys not uploaded yet', null, { retryAfterSeconds: 1 });
    return this.ready;
  }
}

export interface HealthCheck {
  readonly ok: boolean;
  readonly error?: string;
}

/** The inference service's health as readiness reports it, asked at most once a second. */
export class UpstreamHealth {
  #last: HealthCheck & { readonly at: number } = { at: 0, ok: false };

  constructor(
    private readonly upstream: UpstreamClient,
    private readonly breaker: CircuitBreaker,
  ) {}

  /** Start-up has just talked to the service: no need to ask again at once. */
  markHealthy(): void {
    this.#last = { at: performance.now(), ok: true };
  }

  async check(): Promise<HealthCheck> {
    if (this.breaker.state !== 'closed') return { ok: false, error: `circuit breaker ${this.breaker.state}` };
    // Cache a success for 1 s, a failure for 250 ms.
    if (performance.now() - this.#last.at < (this.#last.ok ? 1000 : 250)) return this.#last;
    try {
      const r = await this.upstream.call('/healthz', { timeoutMs: 2000, bypassBreaker: true });
      this.#last = { at: performance.now(), ok: r.status === 200, ...(r.status === 200 ? {} : { error: `status ${r.status}` }) };
    } catch (e) {
      this.#last = { at: performance.now(), ok: false, error: (e as Error).message };
    }
    return this.#last;
  }
}
