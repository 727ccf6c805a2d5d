/**
 * The upstream client (upstream.ts) on a thread of its own.
 *
 * Under a flood of large batches the event loop spent its late iterations on the upstream's
 * bytes rather than on its own work: the kernel's copy of each upload into loopback TCP (31 % of
 * the loop's samples, inside HTTP/2's SendPendingData), a JavaScript callback per 64 KiB read of
 * each answer, and the garbage collections those reads paced (every ArrayBuffer the HTTP/2 layer
 * reads into counts as the isolate's external memory: a major collection per ~64 MiB read,
 * 6–37 ms each on a busy host). `/healthz` then answered in up to 70 ms. Here the event loop
 * posts each call and gets its answer back; the thread does the writing and the reading.
 *
 * Neither direction copies a body of ciphertexts: an upload whose parts view a SharedArrayBuffer
 * (the dense path's upload buffers) is shared with the thread, and announced answers are read
 * into SharedArrayBuffer memory the thread pools and the event loop views. Shared memory is not
 * counted as either isolate's external memory. Other bodies (keys, JSON) are copied, each part's
 * own bytes only.
 *
 * The circuit breaker stays here: it sees each call's outcome as with Upstream itself. A thread
 * that dies fails the calls it held with UPSTREAM_ERROR (their upload bodies are free again at
 * once); the next call starts a new one.
 */
import type { IncomingHttpHeaders } from 'node:http2';
import type { Worker } from 'node:worker_threads';
import { startHelperThread } from './helper-thread.js';
import { ProtocolError, type ErrorCode } from '@hlp/protocol';
import type { CircuitBreaker } from './breaker.js';
import { countedBy, type CallOptions, type UpstreamClient, type UpstreamOptions, type UpstreamResponse, type UpstreamTimings } from './upstream.js';

/** @internal What the thread is started with: Upstream's options less those that cannot cross threads. */
export type UpstreamThreadData = Omit<UpstreamOptions, 'breaker' | 'onConnect' | 'sharedBodies'> & { readonly url: string; readonly nice?: number };

export interface UpstreamThreadOptions extends Omit<UpstreamOptions, 'onConnect' | 'sharedBodies'> {
  /** The thread's niceness on Linux, like the embedding thread's (default 0: the process's). */
  readonly nice?: number;
  /** @internal The thread's module (tests start one that fails); default upstream-thread-main.js. */
  readonly module?: URL;
}

/** @internal The event loop's messages to the thread. */
export type ToUpstreamThread =
  | {
      readonly type: 'call';
      readonly id: number;
      readonly path: string;
      readonly method?: 'GET' | 'POST';
      readonly body?: readonly Uint8Array[];
      readonly contentType?: string;
      readonly timeoutMs?: number;
      /** Whether the event loop waits for bodyFree (its body's memory is to be reused). */
      readonly tellBodyFree: boolean;
    }
  /** An answer's pooled body is read: back into the thread's pool. */
  | { readonly type: 'release'; readonly bodyId: number }
  /** An answer's pooled body was dropped unreleased: forget it, leave it to the collector. */
  | { readonly type: 'forget'; readonly bodyId: number }
  | { readonly type: 'close' };

/** @internal The thread's messages to the event loop. */
export type FromUpstreamThread =
  | {
      readonly type: 'answer';
      readonly id: number;
      readonly status: number;
      readonly headers: IncomingHttpHeaders;
      readonly body: Uint8Array;
      /** Set when the body is pooled memory: releaseBody hands it back by this id. */
      readonly bodyId?: number;
      readonly timings: UpstreamTimings;
    }
  | {
      readonly type: 'error';
      readonly id: number;
      readonly error: { readonly code?: ErrorCode; readonly message: string; readonly retryAfterSeconds?: number };
    }
  | { readonly type: 'bodyFree'; readonly id: number };

interface PendingCall {
  readonly resolve: (r: UpstreamResponse) => void;
  readonly reject: (e: Error) => void;
}

/**
 * A body part as it should cross to the other thread: shared memory as it is (shared, not
 * copied); otherwise only the part's own bytes, since a view of a larger buffer would copy all
 * of that buffer.
 */
export function crossable(part: Uint8Array): Uint8Array {
  if (part.buffer instanceof SharedArrayBuffer) return part;
  if (part.byteOffset === 0 && part.byteLength === part.buffer.byteLength) return part;
  return new Uint8Array(part);
}

export class UpstreamThread implements UpstreamClient {
  readonly timeoutMs: number;
  #worker: Worker | undefined;
  #closed = false;
  #nextId = 0;
  /** Threads started so far (a second one means the first died). */
  #started = 0;
  readonly #pending = new Map<number, PendingCall>();
  /** Calls whose caller waits to reuse its body's memory. */
  readonly #bodyFree = new Map<number, () => void>();
  /** Pooled answers' memory: the thread that lent it and the id it goes back by. */
  readonly #lent = new WeakMap<ArrayBufferLike, { readonly worker: Worker; readonly bodyId: number }>();
  /** Answers dropped without releaseBody: their ids are forgotten by the thread. */
  readonly #dropped = new FinalizationRegistry<{ readonly worker: Worker; readonly bodyId: number }>(({ worker, bodyId }) => {
    if (worker === this.#worker) worker.postMessage({ type: 'forget', bodyId } satisfies ToUpstreamThread);
  });

  constructor(
    readonly url: string,
    private readonly options: UpstreamThreadOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 600_000;
    // Started now: the first call should not wait for the thread to load.
    this.worker();
  }

  get threadsStarted(): number {
    return this.#started;
  }

  /** Calls on the thread not yet answered. */
  get inFlight(): number {
    return this.#pending.size;
  }

  async call(path: string, options: CallOptions = {}): Promise<UpstreamResponse> {
    if (this.#closed) throw new ProtocolError('UPSTREAM_DOWN', 'upstream client closed');
    const breaker: CircuitBreaker | undefined = options.bypassBreaker ? undefined : this.options.breaker;
    breaker?.check();
    return countedBy(breaker, this.send(path, options));
  }

  releaseBody(body: Buffer): void {
    const loan = this.#lent.get(body.buffer);
    if (!loan) return;
    this.#lent.delete(body.buffer);
    this.#dropped.unregister(body.buffer);
    if (loan.worker === this.#worker) loan.worker.postMessage({ type: 'release', bodyId: loan.bodyId } satisfies ToUpstreamThread);
  }

  /** No new calls; the thread's sessions close once their streams are done, and then the thread ends. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.options.breaker?.stop();
    this.#worker?.postMessage({ type: 'close' } satisfies ToUpstreamThread);
  }

  private send(path: string, options: CallOptions): Promise<UpstreamResponse> {
    const worker = this.worker();
    const id = this.#nextId++;
    const message: ToUpstreamThread = {
      type: 'call',
      id,
      path,
      ...(options.method ? { method: options.method } : {}),
      ...(options.body ? { body: options.body.map(crossable) } : {}),
      ...(options.contentType ? { contentType: options.contentType } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      tellBodyFree: options.onBodyFree !== undefined,
    };
    return new Promise<UpstreamResponse>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (options.onBodyFree) this.#bodyFree.set(id, options.onBodyFree);
      worker.ref();
      try {
        worker.postMessage(message);
      } catch (e) {
        this.#pending.delete(id);
        this.freeBody(id);
        reject(new ProtocolError('UPSTREAM_ERROR', `the upstream thread refused the call: ${(e as Error).message}`, null, { cause: e }));
      }
    });
  }

  private worker(): Worker {
    if (this.#worker) return this.#worker;
    const { module, breaker: _breaker, ...rest } = this.options;
    const data: UpstreamThreadData = { ...rest, url: this.url };
    const w = startHelperThread<FromUpstreamThread>('upstream', module ?? new URL('./upstream-thread-main.js', import.meta.url), data, {
      message: (m, worker) => this.receive(m, worker),
      lost: (worker, why) => this.lost(worker, why),
    });
    this.#started++;
    this.#worker = w;
    return w;
  }

  private receive(m: FromUpstreamThread, w: Worker): void {
    if (m.type === 'bodyFree') return this.freeBody(m.id);
    const p = this.#pending.get(m.id);
    if (!p) return;
    this.#pending.delete(m.id);
    if (this.#pending.size === 0) w.unref();
    if (m.type === 'error') {
      const { code, message, retryAfterSeconds } = m.error;
      p.reject(new ProtocolError(code ?? 'UPSTREAM_ERROR', message, null, retryAfterSeconds === undefined ? undefined : { retryAfterSeconds }));
      return;
    }
    const body = Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength);
    if (m.bodyId !== undefined) {
      const loan = { worker: w, bodyId: m.bodyId };
      this.#lent.set(body.buffer, loan);
      this.#dropped.register(body.buffer, loan, body.buffer);
    }
    p.resolve({ status: m.status, headers: m.headers, body, timings: m.timings });
  }

  private freeBody(id: number): void {
    const free = this.#bodyFree.get(id);
    this.#bodyFree.delete(id);
    free?.();
  }

  private lost(w: Worker, why: string): void {
    if (this.#worker !== w) return;
    this.#worker = undefined;
    const e = new ProtocolError('UPSTREAM_ERROR', why);
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
    // Nothing reads the calls' bodies any more.
    for (const id of [...this.#bodyFree.keys()]) this.freeBody(id);
  }
}
