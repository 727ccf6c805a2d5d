/**
 * The proxy's one pooled HTTP/2 client to the inference service (cleartext h2c with prior
 * knowledge, or HTTPS with ALPN h2 for an https:// upstream).
 *
 * A small pool of kept-open `ClientHttp2Session`s (`maxConcurrent`, default 8): a call with a
 * body (key upload, evaluation) takes a connection of its own for its duration, so at most that
 * many are on the wire and the rest wait here in order; bodiless calls (health, info, key
 * lookups) share one more connection and never wait behind an upload. One call per connection
 * because a Node HTTP/2 session stops reading its socket while a write is pending: with
 * multi-megabyte uploads and downloads interleaved on one connection in both directions, both
 * peers could block writing with neither reading (seen here at 100 req/s with 30 concurrent
 * batch uploads on one session). A session that fails, closes or receives GOAWAY is dropped
 * and the next call on that connection connects again. A call that fails before any
 * response arrives because the connection broke is retried once on a fresh session (every call
 * here is idempotent). Bodies are written as the frame parts (no base64, no concatenation).
 *
 * The service evaluates one batch at a time anyway: a few connections keep its queue fed while
 * the next uploads are on the wire.
 *
 * A CircuitBreaker (breaker.ts), when given, sees every call's outcome and fails calls fast
 * while the service is down.
 *
 * Timings per call: `uploadMs` until the request body is handed to the session (HTTP/2 flow
 * control makes this track the bytes actually sent), `waitMs` from then until the response
 * headers (the service's queueing, deserialization, evaluation and serialization), `downloadMs`
 * from the headers to the end of the body.
 */
import * as http2 from 'node:http2';
import { ProtocolError, bearer } from '@hlp/protocol';
import { BodyPool } from '@hlp/ckks';
import type { CircuitBreaker } from './breaker.js';
import { Holds } from './holds.js';

/**
 * Response bodies kept for reuse, in bytes: two of the largest answers (1024 frames at one
 * prime, ~128 MiB each), or the few dozen bodies of short-prompt batches in flight at once.
 */
const BODY_POOL_BYTES = 256 * 1024 * 1024;

export interface UpstreamTimings {
  readonly uploadMs: number;
  readonly waitMs: number;
  readonly downloadMs: number;
  readonly totalMs: number;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: http2.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly timings: UpstreamTimings;
}

export interface UpstreamOptions {
  readonly token?: string;
  /** Deadline of one call (default 10 min: a 1024-token projection takes minutes on seal). */
  readonly timeoutMs?: number;
  /** Largest response body accepted (default 1 GiB). */
  readonly maxResponseBytes?: number;
  /** HTTP/2 window, bytes (default 16 MiB). */
  readonly windowBytes?: number;
  /** Called whenever a new session is opened (tests, logs). */
  readonly onConnect?: () => void;
  /** CA certificate(s) to trust for an https:// upstream (PEM). */
  readonly ca?: string | Buffer;
  /** Connections for calls with a body, one call each at a time (default 8); more calls wait their turn. */
  readonly maxConcurrent?: number;
  /** Fails calls fast while the service is down; sees every call's outcome. */
  readonly breaker?: CircuitBreaker;
  /**
   * Announced response bodies in SharedArrayBuffer memory: the upstream thread hands them to
   * the event loop without a copy, and shared memory is not counted as the receiving isolate's
   * external memory (whose growth paces its garbage collections).
   */
  readonly sharedBodies?: boolean;
}

/** What the proxy needs of an upstream client: the client itself (Upstream), or one on a thread of its own (UpstreamThread). */
export interface UpstreamClient {
  readonly url: string;
  readonly timeoutMs: number;
  call(path: string, options?: CallOptions): Promise<UpstreamResponse>;
  releaseBody(body: Buffer): void;
  close(): void;
}

export interface CallOptions {
  readonly method?: 'GET' | 'POST';
  readonly body?: readonly Uint8Array[];
  readonly contentType?: string;
  readonly timeoutMs?: number;
  /** Neither checked against nor counted by the circuit breaker (start-up, health probes). */
  readonly bypassBreaker?: boolean;
  /**
   * Called once nothing reads `body` any more: the call has settled and every attempt's stream
   * has closed. The caller may then reuse the body's memory.
   */
  readonly onBodyFree?: () => void;
}

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTCONN',
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_SESSION_ERROR',
  'ERR_HTTP2_STREAM_CANCEL',
  'ERR_HTTP2_INVALID_SESSION',
  'ERR_HTTP2_STREAM_ERROR',
  'ERR_HTTP2_ERROR',
]);

function errorCodeOf(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null) return undefined;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return errorCodeOf((e as { cause?: unknown }).cause);
}

class ConnectionFailure extends Error {}

/**
 * A call's outcome as the breaker counts it: a connection failure, a timeout or a 5xx answer
 * is a failure, anything else a success.
 */
export async function countedBy(breaker: CircuitBreaker | undefined, call: Promise<UpstreamResponse>): Promise<UpstreamResponse> {
  if (!breaker) return call;
  try {
    const r = await call;
    if (r.status >= 500) breaker.failure();
    else breaker.success();
    return r;
  } catch (e) {
    if (!(e instanceof ProtocolError) || e.code === 'UPSTREAM_DOWN' || e.code === 'TIMEOUT' || e.code === 'UPSTREAM_ERROR') breaker.failure();
    throw e;
  }
}

interface Slot {
  session: http2.ClientHttp2Session | undefined;
  /** Calls using it now. */
  streams: number;
}

export class Upstream implements UpstreamClient {
  private closed = false;
  readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly windowBytes: number;
  /** Sessions opened so far. */
  connects = 0;
  /** Connections for calls with a body (uploads of keys and ciphertexts), one call each at a time. */
  private readonly slots: Slot[];
  /** One more connection for bodiless calls (health, info, key lookups): never behind an upload. */
  private readonly control: Slot = { session: undefined, streams: 0 };
  private readonly waiting: ((slot: Slot) => void)[] = [];
  /** Response bodies, reused for later answers of up to their size (and at least half) once handed back by releaseBody. */
  private readonly bodies: BodyPool;

  constructor(
    readonly url: string,
    private readonly options: UpstreamOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 600_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 1024 ** 3;
    this.windowBytes = options.windowBytes ?? 16 * 1024 * 1024;
    const n = Math.max(1, options.maxConcurrent ?? 8);
    this.slots = Array.from({ length: n }, () => ({ session: undefined, streams: 0 }));
    this.bodies = new BodyPool(BODY_POOL_BYTES, { shared: options.sharedBodies ?? false });
  }

  /**
   * Hands a response body back for reuse once nothing reads it (nor any view of it, such as the
   * frames decoded from it). Bodies this client did not allocate for the pool are left alone.
   */
  releaseBody(body: Buffer): void {
    this.bodies.give(body);
  }

  /** Whether releaseBody would take `body` back into the pool. */
  isPooled(body: Buffer): boolean {
    return this.bodies.owns(body);
  }

  /** Calls waiting for a free connection. */
  get queued(): number {
    return this.waiting.length;
  }

  private acquire(): Promise<Slot> {
    // Prefer a connection that is open already.
    const free = this.slots.filter((s) => s.streams === 0);
    const slot = free.find((s) => s.session && !s.session.closed && !s.session.destroyed) ?? free[0];
    if (slot) {
      slot.streams++;
      return Promise.resolve(slot);
    }
    return new Promise<Slot>((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else slot.streams--;
  }

  private getSession(slot: Slot): http2.ClientHttp2Session {
    const cur = slot.session;
    if (cur && !cur.closed && !cur.destroyed) return cur;
    // http2.connect hands these options to net.connect / tls.connect: noDelay is TCP_NODELAY.
    const connectOptions = {
      maxSessionMemory: 512,
      settings: { initialWindowSize: this.windowBytes },
      noDelay: true,
      ...(this.options.ca ? { ca: this.options.ca } : {}),
    } as http2.SecureClientSessionOptions;
    const s = http2.connect(this.url, connectOptions);
    this.connects++;
    this.options.onConnect?.();
    const drop = (): void => {
      if (slot.session === s) slot.session = undefined;
    };
    s.on('error', drop);
    s.on('close', drop);
    s.on('goaway', drop);
    s.once('connect', () => {
      try {
        s.setLocalWindowSize(this.windowBytes);
      } catch {
        /* gone already */
      }
    });
    slot.session = s;
    return s;
  }

  /**
   * One call; retried once on a fresh session when the connection broke before a response.
   * With a breaker: refused at once while it is open; a connection failure, a timeout or a 5xx
   * answer counts as a failure, anything else as a success.
   */
  async call(path: string, options: CallOptions = {}): Promise<UpstreamResponse> {
    if (this.closed) throw new ProtocolError('UPSTREAM_DOWN', 'upstream client closed');
    const breaker = options.bypassBreaker ? undefined : this.options.breaker;
    breaker?.check();
    const bodyUse = new Holds(options.onBodyFree ?? (() => undefined));
    try {
      return await countedBy(breaker, this.callHeld(path, options, bodyUse));
    } finally {
      bodyUse.close();
    }
  }

  private async callHeld(path: string, options: CallOptions, bodyUse: Holds): Promise<UpstreamResponse> {
    const pooled = options.body !== undefined;
    const slot = pooled ? await this.acquire() : this.control;
    if (!pooled) slot.streams++;
    try {
      return await this.callOnce(slot, path, options, bodyUse);
    } finally {
      if (pooled) this.release(slot);
      else slot.streams--;
    }
  }

  private async callOnce(slot: Slot, path: string, options: CallOptions, bodyUse: Holds): Promise<UpstreamResponse> {
    try {
      return await this.attempt(slot, path, options, bodyUse);
    } catch (e) {
      if (!(e instanceof ConnectionFailure)) throw e;
      slot.session?.destroy();
      slot.session = undefined;
      try {
        return await this.attempt(slot, path, options, bodyUse);
      } catch (e2) {
        if (e2 instanceof ConnectionFailure) {
          throw new ProtocolError('UPSTREAM_DOWN', `inference service at ${this.url} unreachable: ${e2.message}`, null, { cause: e2, retryAfterSeconds: 1 });
        }
        throw e2;
      }
    }
  }

  private attempt(slot: Slot, path: string, options: CallOptions, bodyUse: Holds): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new ProtocolError('UPSTREAM_DOWN', 'upstream client closed'));
        return;
      }
      let session: http2.ClientHttp2Session;
      try {
        session = this.getSession(slot);
      } catch (e) {
        reject(new ConnectionFailure((e as Error).message, { cause: e }));
        return;
      }
      const headers: http2.OutgoingHttpHeaders = { ':method': options.method ?? (options.body ? 'POST' : 'GET'), ':path': path };
      if (this.options.token) headers['authorization'] = bearer(this.options.token);
      if (options.body) {
        headers['content-type'] = options.contentType ?? 'application/octet-stream';
        headers['content-length'] = options.body.reduce((n, p) => n + p.length, 0);
      }
      const t0 = performance.now();
      let tUploaded = t0;
      let tHeaders = 0;
      let status = 0;
      let responseHeaders: http2.IncomingHttpHeaders = {};
      let gotResponse = false;
      let settled = false;
      const chunks: Buffer[] = [];
      /** The whole body when its length was announced: chunks are copied in as they come (no concat at the end). */
      let whole: Buffer | undefined;
      let announced = 0;
      let size = 0;
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request(headers, { endStream: !options.body });
      } catch (e) {
        reject(new ConnectionFailure((e as Error).message, { cause: e }));
        return;
      }
      // The body's memory stays in use until this stream is closed, whatever the answer.
      stream.once('close', bodyUse.hold());
      const fail = (e: unknown): void => {
        if (settled) return;
        settled = true;
        if (e instanceof ProtocolError) return reject(e);
        const code = errorCodeOf(e);
        if (!gotResponse && (code === undefined || CONNECTION_ERRORS.has(code))) {
          return reject(new ConnectionFailure(e instanceof Error ? e.message : String(e), { cause: e }));
        }
        reject(new ProtocolError('UPSTREAM_ERROR', `upstream call ${path} failed: ${e instanceof Error ? e.message : String(e)}`, null, { cause: e }));
      };
      stream.setTimeout(options.timeoutMs ?? this.timeoutMs, () => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        fail(new ProtocolError('TIMEOUT', `upstream call ${path} took longer than ${options.timeoutMs ?? this.timeoutMs} ms`));
      });
      stream.on('response', (h) => {
        if (settled) return;
        gotResponse = true;
        tHeaders = performance.now();
        status = Number(h[':status']);
        responseHeaders = h;
        const declared = Number(h['content-length']);
        if (Number.isSafeInteger(declared) && declared > 64 * 1024 && declared <= this.maxResponseBytes) {
          announced = declared;
          whole = this.bodies.take(declared);
        }
      });
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size > this.maxResponseBytes) {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          fail(new ProtocolError('UPSTREAM_ERROR', `upstream response exceeds ${this.maxResponseBytes} bytes`));
          return;
        }
        if (whole && size <= announced) c.copy(whole, size - c.length);
        else {
          if (whole) {
            // Longer than announced: fall back to collecting chunks.
            chunks.push(whole.subarray(0, size - c.length));
            whole = undefined;
          }
          chunks.push(c);
        }
      });
      stream.on('end', () => {
        if (settled) return;
        // A stream that ends before any response headers is a connection that went away (the
        // service died, its session closed), never an answer with status 0.
        if (!gotResponse) return fail(Object.assign(new Error(`the connection closed before ${path} was answered`), { code: 'ECONNRESET' }));
        settled = true;
        const tEnd = performance.now();
        const headersAt = tHeaders || tEnd;
        resolve({
          status,
          headers: responseHeaders,
          body: whole ? whole.subarray(0, size) : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size),
          timings: {
            uploadMs: tUploaded - t0,
            waitMs: Math.max(0, headersAt - tUploaded),
            downloadMs: tEnd - headersAt,
            totalMs: tEnd - t0,
          },
        });
      });
      stream.on('error', fail);
      stream.on('close', () => {
        if (!settled) fail(Object.assign(new Error(`stream closed with code ${stream.rstCode ?? 'none'}`), { code: 'ERR_HTTP2_STREAM_CANCEL' }));
      });
      if (options.body) {
        const parts = options.body;
        const last = parts.length - 1;
        const writeFrom = (i: number): void => {
          for (; i < parts.length; i++) {
            if (i === last) {
              stream.end(parts[i], () => {
                tUploaded = performance.now();
              });
              return;
            }
            if (!stream.write(parts[i])) {
              stream.once('drain', () => writeFrom(i + 1));
              return;
            }
          }
          if (parts.length === 0) stream.end(() => (tUploaded = performance.now()));
        };
        writeFrom(0);
      }
    });
  }

  /** Stop: no new calls; sessions close once their streams are done (destroyed after 1 s). */
  close(): void {
    this.closed = true;
    this.options.breaker?.stop();
    for (const w of this.waiting.splice(0)) w({ session: undefined, streams: 1 });
    for (const slot of [...this.slots, this.control]) {
      const s = slot.session;
      slot.session = undefined;
      if (!s) continue;
      s.close();
      setTimeout(() => s.destroy(), 1000).unref();
    }
  }
}
