/**
 * The proxy's one pooled HTTP/2 client to the inference service (cleartext h2c with prior
 * knowledge, or HTTPS with ALPN h2 for an https:// upstream).
 *
 * One `ClientHttp2Session` is shared by every call and kept open; when it fails, closes or
 * receives GOAWAY it is dropped and the next call connects again. A call that fails before any
 * response arrives because the connection broke is retried once on a fresh session (every call
 * here is idempotent). Bodies are written as the frame parts (no base64, no concatenation).
 *
 * At most `maxConcurrent` calls are on the wire at once (default 32; never more than the
 * service's SETTINGS_MAX_CONCURRENT_STREAMS): the service evaluates one batch at a time anyway,
 * and hundreds of multi-megabyte uploads interleaved on one connection only delay each other
 * (with a peer limit below the number of streams opened, Node's client can even stall on
 * connection-level flow control). The rest wait here, in order.
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
import type { CircuitBreaker } from './breaker.js';

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
  /** Calls on the wire at once (default 32); more wait their turn. */
  readonly maxConcurrent?: number;
  /** Fails calls fast while the service is down; sees every call's outcome. */
  readonly breaker?: CircuitBreaker;
}

export interface CallOptions {
  readonly method?: 'GET' | 'POST';
  readonly body?: readonly Uint8Array[];
  readonly contentType?: string;
  readonly timeoutMs?: number;
  /** Neither checked against nor counted by the circuit breaker (start-up, health probes). */
  readonly bypassBreaker?: boolean;
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

export class Upstream {
  private session: http2.ClientHttp2Session | undefined;
  private closed = false;
  readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly windowBytes: number;
  /** Sessions opened so far (1 while the first one lives). */
  connects = 0;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly maxConcurrent: number;

  constructor(
    readonly url: string,
    private readonly options: UpstreamOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 600_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 1024 ** 3;
    this.windowBytes = options.windowBytes ?? 16 * 1024 * 1024;
    this.maxConcurrent = options.maxConcurrent ?? 32;
  }

  /** Calls waiting for a free slot. */
  get queued(): number {
    return this.waiting.length;
  }

  private limit(): number {
    const peer = this.session?.remoteSettings?.maxConcurrentStreams;
    return Math.max(1, Math.min(this.maxConcurrent, peer ? Math.max(1, peer - 1) : this.maxConcurrent));
  }

  private async acquire(): Promise<void> {
    if (this.active < this.limit()) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  private getSession(): http2.ClientHttp2Session {
    const cur = this.session;
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
      if (this.session === s) this.session = undefined;
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
    this.session = s;
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
    await this.acquire();
    try {
      const r = await this.callOnce(path, options);
      if (r.status >= 500) breaker?.failure();
      else breaker?.success();
      return r;
    } catch (e) {
      if (!(e instanceof ProtocolError) || e.code === 'UPSTREAM_DOWN' || e.code === 'TIMEOUT' || e.code === 'UPSTREAM_ERROR') breaker?.failure();
      throw e;
    } finally {
      this.release();
    }
  }

  private async callOnce(path: string, options: CallOptions): Promise<UpstreamResponse> {
    try {
      return await this.attempt(path, options);
    } catch (e) {
      if (!(e instanceof ConnectionFailure)) throw e;
      this.session?.destroy();
      this.session = undefined;
      try {
        return await this.attempt(path, options);
      } catch (e2) {
        if (e2 instanceof ConnectionFailure) {
          throw new ProtocolError('UPSTREAM_DOWN', `inference service at ${this.url} unreachable: ${e2.message}`, null, { cause: e2, retryAfterSeconds: 1 });
        }
        throw e2;
      }
    }
  }

  private attempt(path: string, options: CallOptions): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      if (this.closed) {
        reject(new ProtocolError('UPSTREAM_DOWN', 'upstream client closed'));
        return;
      }
      let session: http2.ClientHttp2Session;
      try {
        session = this.getSession();
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
      let size = 0;
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request(headers, { endStream: !options.body });
      } catch (e) {
        reject(new ConnectionFailure((e as Error).message, { cause: e }));
        return;
      }
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
      });
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size > this.maxResponseBytes) {
          stream.close(http2.constants.NGHTTP2_CANCEL);
          fail(new ProtocolError('UPSTREAM_ERROR', `upstream response exceeds ${this.maxResponseBytes} bytes`));
          return;
        }
        chunks.push(c);
      });
      stream.on('end', () => {
        if (settled) return;
        settled = true;
        const tEnd = performance.now();
        const headersAt = tHeaders || tEnd;
        resolve({
          status,
          headers: responseHeaders,
          body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size),
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

  /** Stop: no new calls; the session closes once its streams are done (destroyed after 1 s). */
  close(): void {
    this.closed = true;
    this.options.breaker?.stop();
    for (const w of this.waiting.splice(0)) {
      this.active++;
      w();
    }
    const s = this.session;
    this.session = undefined;
    if (!s) return;
    s.close();
    setTimeout(() => s.destroy(), 1000).unref();
  }
}
