/**
 * Request transports for the lab's own drivers: HTTP/1.1 over a keep-alive agent (one request
 * per connection at a time) and HTTP/2 over h2c sessions (several streams per connection).
 * A transport only sends; scheduling, concurrency and accounting are the engines' (engine.ts).
 */
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { Target } from './target.js';

export interface RequestSpec {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Bodies to rotate through (request i sends bodies[i % length]); empty for none. */
  readonly bodies: readonly Buffer[];
  /** Per-request timeout from the actual send, ms. */
  readonly timeoutMs: number;
}

/** An HTTP answer: its status, and for a non-2xx status the start of its body (for the report). */
export interface Answer {
  readonly status: number;
  readonly detail?: string;
}

/** Bytes of a non-2xx body kept as `detail`. */
export const DETAIL_BYTES = 300;

/** Collects the first DETAIL_BYTES of a body when the status is not 2xx; drains the rest. */
function bodyTap(status: number): { data: (chunk: Buffer) => void; detail: () => string | undefined } {
  if (status >= 200 && status < 300) return { data: () => undefined, detail: () => undefined };
  const parts: Buffer[] = [];
  let size = 0;
  return {
    data: (chunk) => {
      if (size >= DETAIL_BYTES) return;
      parts.push(chunk.subarray(0, DETAIL_BYTES - size));
      size += Math.min(chunk.length, DETAIL_BYTES - size);
    },
    detail: () => Buffer.concat(parts).toString('utf8'),
  };
}

export interface Transport {
  /** Connections (HTTP/1.1) or sessions (HTTP/2). */
  readonly connections: number;
  /** Requests one connection carries at once (1 for HTTP/1.1). */
  readonly streamsPerConnection: number;
  /** Opens the connections (HTTP/2) before the clock starts. */
  open(): Promise<void>;
  /** Sends request `i` on connection slot `slot` (0 ≤ slot < connections); resolves to the answer. */
  send(i: number, slot: number): Promise<Answer>;
  close(): Promise<void>;
}

function errorKind(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : String(error);
}

export class RequestFailure extends Error {
  override readonly name = 'RequestFailure';
  constructor(
    readonly kind: string,
    options?: { cause?: unknown },
  ) {
    super(kind, options);
  }
}

export function failureKind(error: unknown): string {
  return error instanceof RequestFailure ? error.kind : errorKind(error);
}

/** HTTP/1.1 with a keep-alive agent of `connections` sockets. */
export class Http1Transport implements Transport {
  readonly streamsPerConnection = 1;
  readonly #agent: http.Agent;
  constructor(
    readonly target: Target,
    readonly spec: RequestSpec,
    readonly connections: number,
  ) {
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections, scheduling: 'fifo' });
  }

  async open(): Promise<void> {
    // Sockets open on first use, as a browser's or a client library's would.
  }

  send(i: number): Promise<Answer> {
    const { target, spec } = this;
    const body = spec.bodies.length > 0 ? spec.bodies[i % spec.bodies.length]! : undefined;
    return new Promise<Answer>((resolve, reject) => {
      const req = http.request(
        {
          agent: this.#agent,
          host: target.hostname,
          port: target.port,
          path: target.path,
          method: spec.method,
          headers: body ? { ...spec.headers, 'content-length': String(body.length) } : spec.headers,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const tap = bodyTap(status);
          res.on('error', (e) => reject(new RequestFailure(errorKind(e), { cause: e })));
          res.on('data', tap.data);
          res.on('end', () => resolve({ status, detail: tap.detail() }));
        },
      );
      req.setTimeout(spec.timeoutMs, () => req.destroy(new RequestFailure('timeout')));
      req.on('error', (e) => reject(e instanceof RequestFailure ? e : new RequestFailure(errorKind(e), { cause: e })));
      req.end(body);
    });
  }

  close(): Promise<void> {
    this.#agent.destroy();
    return Promise.resolve();
  }
}

/** HTTP/2 (h2c, prior knowledge) over `connections` sessions carrying up to `streams` streams each. */
export class Http2Transport implements Transport {
  readonly #sessions: (http2.ClientHttp2Session | null)[];
  /** A connect under way per slot, so that the requests of a lost session share one reconnect. */
  readonly #connecting: (Promise<http2.ClientHttp2Session> | null)[];
  #closed = false;
  constructor(
    readonly target: Target,
    readonly spec: RequestSpec,
    readonly connections: number,
    readonly streamsPerConnection: number,
  ) {
    this.#sessions = Array.from({ length: connections }, () => null);
    this.#connecting = Array.from({ length: connections }, () => null);
  }

  #connect(slot: number): Promise<http2.ClientHttp2Session> {
    const pending = this.#connecting[slot];
    if (pending) return pending;
    const p = new Promise<http2.ClientHttp2Session>((resolve, reject) => {
      const session = http2.connect(this.target.origin, { settings: { enablePush: false, initialWindowSize: 1 << 24 } });
      const onError = (e: unknown): void => reject(new RequestFailure(errorKind(e), { cause: e }));
      session.once('error', onError);
      session.once('connect', () => {
        session.off('error', onError);
        session.on('error', () => undefined); // streams report their own errors
        session.once('close', () => {
          if (this.#sessions[slot] === session) this.#sessions[slot] = null;
        });
        this.#sessions[slot] = session;
        resolve(session);
      });
    }).finally(() => {
      this.#connecting[slot] = null;
    });
    this.#connecting[slot] = p;
    return p;
  }

  /** Connects every slot without a live session (a second call only replaces lost ones). */
  async open(): Promise<void> {
    await Promise.all(this.#sessions.map((s, slot) => (s && !s.closed && !s.destroyed ? Promise.resolve(s) : this.#connect(slot))));
  }

  async #session(slot: number): Promise<http2.ClientHttp2Session> {
    const s = this.#sessions[slot];
    if (s && !s.closed && !s.destroyed) return s;
    if (this.#closed) throw new RequestFailure('closed');
    return this.#connect(slot);
  }

  async send(i: number, slot: number): Promise<Answer> {
    const session = await this.#session(slot);
    const { target, spec } = this;
    const body = spec.bodies.length > 0 ? spec.bodies[i % spec.bodies.length]! : undefined;
    return new Promise<Answer>((resolve, reject) => {
      let status = 0;
      let tap = bodyTap(200);
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request(
          { ':method': spec.method, ':path': target.path, ...spec.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
          { endStream: body === undefined },
        );
      } catch (e) {
        reject(new RequestFailure(errorKind(e), { cause: e }));
        return;
      }
      stream.setTimeout(spec.timeoutMs, () => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        reject(new RequestFailure('timeout'));
      });
      stream.on('response', (headers) => {
        status = Number(headers[':status'] ?? 0);
        tap = bodyTap(status);
      });
      stream.on('data', (chunk: Buffer) => tap.data(chunk));
      stream.on('error', (e) => reject(new RequestFailure(errorKind(e), { cause: e })));
      stream.on('close', () => {
        if (status > 0 && stream.rstCode === http2.constants.NGHTTP2_NO_ERROR) resolve({ status, detail: tap.detail() });
        else reject(new RequestFailure(status > 0 ? `stream reset ${stream.rstCode}` : 'no response'));
      });
      if (body) stream.end(body);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      this.#sessions.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (!s || s.destroyed) return resolve();
            s.close(() => resolve());
            setTimeout(() => {
              s.destroy();
              resolve();
            }, 1000).unref();
          }),
      ),
    );
  }
}
