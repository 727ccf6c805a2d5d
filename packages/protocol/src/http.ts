/**
 * HTTP plumbing shared by the proxy and the inference service.
 *
 * Cleartext: one TCP port speaks HTTP/1.1 and cleartext HTTP/2 (h2c with prior knowledge):
 * Node's `http2.createServer({ allowHTTP1 })` negotiates only through TLS ALPN, so the listener
 * reads the first bytes of each connection and hands the socket to an `http.Server` or an
 * `http2.Http2Server`: a connection that starts with the 24-byte HTTP/2 client preface
 * (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`) is HTTP/2, anything else HTTP/1.1. The bytes read are put
 * back (`socket.unshift`); both servers take them from the socket's buffer. h2c upgrade from
 * HTTP/1.1 (`Upgrade: h2c`) is not supported (clients use prior knowledge, as gRPC and h2load do).
 *
 * TLS (a certificate and key given): `http2.createSecureServer({ allowHTTP1: true })`, ALPN
 * offers `h2` and `http/1.1` on the same port.
 *
 * Either way both protocols dispatch to the same handler through Node's compatibility API
 * (`Http2ServerRequest`/`Http2ServerResponse` mirror `IncomingMessage`/`ServerResponse`).
 * Transport settings: TCP_NODELAY on every socket, HTTP/2 max concurrent streams 1000 per
 * session, keep-alive 60 s (HTTP/1.1 idle timeout; an HTTP/2 session idle that long is closed
 * with GOAWAY). JSON responses may be compressed (gzip or brotli, negotiated from
 * Accept-Encoding, bodies under 1 KiB never).
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import type * as tls from 'node:tls';
import * as zlib from 'node:zlib';
import type { Readable } from 'node:stream';
import { errorBody, isErrorCode, ProtocolError, type ErrorCode } from './errors.js';
import { encodeFramesParts, FRAME_CONTENT_TYPE, type FramePayload } from './framing.js';
import { TlsH1HeaderGuard, guardH1Request, guardH2Request, guardH2Session, guardUndecided, h1ServerOptions, resolveLimits, type ConnectionLimits } from './http-guards.js';

export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** A request of either protocol. */
export type Req = IncomingMessage | http2.Http2ServerRequest;

/** What both ServerResponse and Http2ServerResponse offer (the part the apps use). */
export interface Res {
  statusCode: number;
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  writeHead(statusCode: number, headers?: OutgoingHttpHeaders): unknown;
  write(chunk: Uint8Array | string): boolean;
  end(chunk?: Uint8Array | string): unknown;
  once(event: 'finish' | 'close', listener: () => void): unknown;
  once(event: 'drain', listener: () => void): unknown;
}

export type Handler = (req: Req, res: Res) => void | Promise<void>;

/** PEM certificate chain and private key (contents, not paths). */
export interface TlsOptions {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

export interface DualServerOptions {
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS per connection (default 1000). */
  readonly maxConcurrentStreams?: number;
  /** HTTP/2 flow-control window per stream and per connection, bytes (default 16 MiB). */
  readonly windowBytes?: number;
  /** nghttp2 session memory cap in MB (default 512: key uploads are large). */
  readonly maxSessionMemoryMb?: number;
  /** Keep-alive: HTTP/1.1 idle timeout, and how long an idle HTTP/2 session stays open (default 60 s). */
  readonly keepAliveTimeoutMs?: number;
  /** TCP_NODELAY on accepted sockets (default true: responses are small and latency-bound). */
  readonly noDelay?: boolean;
  /** Serve HTTPS (ALPN h2 and http/1.1 on one port) with this certificate and key. */
  readonly tls?: TlsOptions;
  /** Called on a connection whose first bytes never arrive or that fails before dispatch. */
  readonly onSocketError?: (error: Error) => void;
  /** Header and body timeouts and the connection cap (http-guards.ts; defaults 10 s, 30 s, 1024). */
  readonly limits?: Partial<ConnectionLimits>;
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  /** `http://host:port` or `https://host:port` (IPv6 hosts in brackets). */
  readonly url: string;
}

export interface DualServer {
  /** The listening server (a net.Server; with TLS the Http2SecureServer itself). */
  readonly server: net.Server;
  /** The HTTP/1.1 server (cleartext only; with TLS, HTTP/1.1 runs inside `h2`). */
  readonly h1: http.Server | undefined;
  readonly h2: http2.Http2Server | http2.Http2SecureServer;
  readonly tls: boolean;
  /** True once close() began: no new connections, HTTP/1.1 responses carry `Connection: close`. */
  readonly closing: boolean;
  /** Requests being handled now. */
  inFlight(): number;
  listen(port: number, host: string): Promise<ListenAddress>;
  /**
   * Drain: stop accepting connections (new ones are refused), close idle keep-alive connections
   * and HTTP/2 sessions (GOAWAY: streams already open finish), let in-flight requests finish
   * (up to graceMs, default 5 s), then destroy what is left.
   */
  close(graceMs?: number): Promise<void>;
}

/** Largest HTTP/2 window: 2^31 − 1. */
const MAX_WINDOW = 2 ** 31 - 1;

function isH2Req(req: Req): req is http2.Http2ServerRequest {
  return req.httpVersionMajor === 2;
}

export function createDualServer(handler: Handler, options: DualServerOptions = {}): DualServer {
  const windowBytes = Math.min(options.windowBytes ?? 16 * 1024 * 1024, MAX_WINDOW);
  const keepAliveMs = options.keepAliveTimeoutMs ?? 60_000;
  const noDelay = options.noDelay ?? true;
  const limits = resolveLimits(options.limits);
  let closing = false;
  let inFlight = 0;
  /** In-flight requests per HTTP/1.1 socket (TLS mode: to know which sockets are idle). */
  const h1Busy = new Map<net.Socket, number>();
  /** HTTP/1.1 responses not finished yet (told to close their connection when draining starts). */
  const h1Open = new Set<http.ServerResponse>();
  const tlsH1 = options.tls ? new TlsH1HeaderGuard(limits, keepAliveMs) : undefined;
  const dispatch = (req: Req, res: Res): void => {
    inFlight++;
    const sock = isH2Req(req) ? undefined : (req as IncomingMessage).socket;
    if (sock) tlsH1?.request(sock);
    if (isH2Req(req)) guardH2Request(req, res, limits);
    else guardH1Request(req as IncomingMessage, res as unknown as http.ServerResponse, limits);
    if (sock) {
      h1Busy.set(sock, (h1Busy.get(sock) ?? 0) + 1);
      h1Open.add(res as unknown as http.ServerResponse);
    }
    let done = false;
    res.once('close', () => {
      if (done) return;
      done = true;
      inFlight--;
      if (sock) {
        h1Open.delete(res as unknown as http.ServerResponse);
        const n = (h1Busy.get(sock) ?? 1) - 1;
        if (n <= 0) {
          h1Busy.delete(sock);
          tlsH1?.idle(sock);
        } else h1Busy.set(sock, n);
      }
    });
    // While draining, an HTTP/1.1 connection is closed after its response (no new request
    // may race the shutdown on it); HTTP/2 sessions got GOAWAY instead.
    if (closing && sock) (res as unknown as http.ServerResponse).setHeader('connection', 'close');
    const bad = malformedUrl(req.url);
    if (bad) {
      req.resume();
      sendError(res, bad);
      return;
    }
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((e: unknown) => {
        // A handler bug must never take the process down.
        if (!res.headersSent) sendError(res, new ProtocolError('INTERNAL', e instanceof Error ? e.message : String(e)));
        else if (!res.writableEnded) res.end();
      });
  };
  const h2Settings = {
    maxSessionMemory: options.maxSessionMemoryMb ?? 512,
    settings: {
      maxConcurrentStreams: options.maxConcurrentStreams ?? 1000,
      initialWindowSize: windowBytes,
    },
  };
  const sessions = new Set<http2.ServerHttp2Session>();
  const onSession = (session: http2.ServerHttp2Session): void => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    guardH2Session(session, limits);
    session.on('error', () => undefined);
    // Keep-alive for HTTP/2: a session idle this long is closed gracefully (GOAWAY).
    if (keepAliveMs > 0) session.setTimeout(keepAliveMs, () => session.close());
    // Connection-level window (the SETTINGS above only set the per-stream one).
    session.once('connect', () => {
      try {
        session.setLocalWindowSize(windowBytes);
      } catch {
        /* session already gone */
      }
    });
    if (closing) session.close();
  };
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      h1Busy.delete(socket);
    });
    if (noDelay) socket.setNoDelay(true);
  };

  let server: net.Server;
  let h1: http.Server | undefined;
  let h2: http2.Http2Server | http2.Http2SecureServer;
  /** Connections whose first bytes have not arrived yet (no server owns them; cleartext only). */
  const undecided = new Set<net.Socket>();

  if (options.tls) {
    const secure = http2.createSecureServer(
      { ...h2Settings, cert: options.tls.cert, key: options.tls.key, allowHTTP1: true, handshakeTimeout: limits.headerTimeoutMs },
      (req, res) => dispatch(req, res as unknown as Res),
    );
    // A TLS handshake must complete within the header timeout (handshakeTimeout above).
    // HTTP/1.1 connections inside the secure server use the http.Server fields of `this`.
    (secure as unknown as { keepAliveTimeout: number }).keepAliveTimeout = keepAliveMs;
    secure.on('connection', (socket: net.Socket) => {
      if (closing) {
        socket.destroy();
        return;
      }
      track(socket);
      socket.on('error', (e) => options.onSocketError?.(e));
    });
    secure.on('secureConnection', (socket: tls.TLSSocket) => {
      if (noDelay) socket.setNoDelay(true);
      if (socket.alpnProtocol !== 'h2') tlsH1?.connected(socket);
      socket.on('error', () => undefined);
    });
    secure.on('tlsClientError', (e) => options.onSocketError?.(e));
    secure.on('session', onSession);
    secure.on('sessionError', () => undefined);
    server = secure;
    h2 = secure;
  } else {
    const plainH1 = http.createServer({ keepAliveTimeout: keepAliveMs, ...h1ServerOptions(limits) }, (req, res) => dispatch(req, res));
    // plainH1 never listens itself (the net.Server below does); its 'listening' event is what
    // starts Node's connection tracking, which closeIdleConnections() and the timeouts need.
    plainH1.emit('listening');
    const plainH2 = http2.createServer(h2Settings, (req, res) => dispatch(req, res as unknown as Res));
    plainH2.on('session', onSession);
    plainH2.on('sessionError', () => undefined);
    server = net.createServer((socket) => {
      if (closing) {
        socket.destroy();
        return;
      }
      track(socket);
      undecided.add(socket);
      socket.once('close', () => undecided.delete(socket));
      guardUndecided(socket, limits, () => !undecided.has(socket));
      socket.on('error', (e) => options.onSocketError?.(e));
      let head: Buffer = Buffer.alloc(0);
      const onReadable = (): void => {
        let chunk: Buffer | null;
        while ((chunk = socket.read() as Buffer | null) !== null) head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
        const n = Math.min(head.length, H2_PREFACE.length);
        const h2Prefix = head.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
        if (h2Prefix && head.length < H2_PREFACE.length) {
          if (socket.readableEnded || socket.destroyed) return;
          socket.once('readable', onReadable); // the preface is not complete yet
          return;
        }
        undecided.delete(socket);
        if (head.length > 0) socket.unshift(head);
        (h2Prefix ? plainH2 : plainH1).emit('connection', socket);
      };
      socket.once('readable', onReadable);
    });
    h1 = plainH1;
    h2 = plainH2;
  }
  // Connections past the cap are closed on arrival by net.Server itself.
  server.maxConnections = limits.maxConnections;

  /** Close HTTP/1.1 connections with nothing in flight (TLS mode; cleartext uses h1's own tracking). */
  const closeIdleTls = (): void => {
    for (const s of sockets) {
      const alpn = (s as tls.TLSSocket).alpnProtocol;
      if (alpn === 'h2') continue;
      if (!h1Busy.has(s)) s.destroySoon();
    }
  };

  return {
    server,
    h1,
    h2,
    tls: options.tls !== undefined,
    get closing() {
      return closing;
    },
    inFlight: () => inFlight,
    listen(port: number, host: string): Promise<ListenAddress> {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const a = server.address() as net.AddressInfo;
          const h = a.family === 'IPv6' || a.address.includes(':') ? `[${a.address}]` : a.address;
          resolve({ host: a.address, port: a.port, url: `${options.tls ? 'https' : 'http'}://${h}:${a.port}` });
        });
      });
    },
    async close(graceMs = 5_000): Promise<void> {
      closing = true;
      for (const r of h1Open) if (!r.headersSent) r.setHeader('connection', 'close');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of undecided) s.destroy();
      for (const s of sessions) s.close();
      const closeIdle = (): void => {
        if (h1) h1.closeIdleConnections();
        else closeIdleTls();
      };
      closeIdle();
      const deadline = setTimeout(() => {
        for (const s of sessions) s.destroy();
        h1?.closeAllConnections();
        for (const s of sockets) s.destroy();
      }, graceMs);
      deadline.unref();
      // Connections that are idle close now; busy ones close after their response.
      const idle = setInterval(closeIdle, 50);
      idle.unref();
      await closed;
      clearTimeout(deadline);
      clearInterval(idle);
    },
  };
}

// -- compression -------------------------------------------------------------------------------

export type ContentCoding = 'br' | 'gzip' | 'identity';

/**
 * The content coding to answer with, from an Accept-Encoding header (RFC 9110 §12.5.3: q-values,
 * `*`, `identity`): the acceptable one of br and gzip with the highest q, br on a tie (smaller
 * for the same CPU at the quality used here); identity when neither is acceptable.
 */
export function negotiateEncoding(acceptEncoding: string | string[] | undefined): ContentCoding {
  const header = Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : acceptEncoding;
  if (!header) return 'identity';
  const q = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p);
      if (m && m[1] !== undefined) weight = Number(m[1]);
    }
    if (Number.isFinite(weight)) q.set(name.trim(), Math.min(1, Math.max(0, weight)));
  }
  const star = q.get('*');
  const weightOf = (c: string): number => q.get(c) ?? (c === 'x-gzip' ? -1 : (star ?? 0));
  const br = weightOf('br');
  const gzip = Math.max(weightOf('gzip'), q.get('x-gzip') ?? 0);
  if (br <= 0 && gzip <= 0) return 'identity';
  return br >= gzip ? 'br' : 'gzip';
}

export interface CompressionOptions {
  /** The request's Accept-Encoding header. */
  readonly acceptEncoding?: string | string[] | undefined;
  /** Bodies smaller than this are sent as they are (default 1024 bytes). */
  readonly minBytes?: number;
}

/** Above this, compression runs on the libuv pool instead of the event loop. */
const SYNC_COMPRESS_LIMIT = 256 * 1024;
const BROTLI_OPTIONS: zlib.BrotliOptions = {
  params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4, [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT },
};
const GZIP_OPTIONS: zlib.ZlibOptions = { level: 6 };

function compressSync(coding: 'br' | 'gzip', body: Buffer): Buffer {
  return coding === 'br'
    ? zlib.brotliCompressSync(body, { ...BROTLI_OPTIONS, params: { ...BROTLI_OPTIONS.params, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } })
    : zlib.gzipSync(body, GZIP_OPTIONS);
}

function compressAsync(coding: 'br' | 'gzip', body: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (e: Error | null, out: Buffer): void => (e ? reject(e) : resolve(out));
    if (coding === 'br') zlib.brotliCompress(body, { ...BROTLI_OPTIONS, params: { ...BROTLI_OPTIONS.params, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } }, done);
    else zlib.gzip(body, GZIP_OPTIONS, done);
  });
}

/**
 * Send a body, compressed when the client accepts gzip or brotli and it is at least `minBytes`
 * (with `Vary: Accept-Encoding` either way, since the answer depends on it). Small bodies are
 * compressed on the event loop (well under a millisecond), large ones on the libuv pool.
 */
export function sendBody(res: Res, status: number, body: Buffer, contentType: string, headers: OutgoingHttpHeaders = {}, compression?: CompressionOptions): void | Promise<void> {
  const write = (out: Buffer, coding: ContentCoding, vary: boolean): void => {
    const h: OutgoingHttpHeaders = { 'content-type': contentType, 'content-length': out.length, ...headers };
    if (coding !== 'identity') h['content-encoding'] = coding;
    if (vary) h['vary'] = 'Accept-Encoding';
    res.writeHead(status, h);
    res.end(out);
  };
  if (!compression) return write(body, 'identity', false);
  const coding = negotiateEncoding(compression.acceptEncoding);
  if (coding === 'identity' || body.length < (compression.minBytes ?? 1024)) return write(body, 'identity', true);
  if (body.length <= SYNC_COMPRESS_LIMIT) return write(compressSync(coding, body), coding, true);
  return compressAsync(coding, body).then(
    (out) => write(out, coding, true),
    () => write(body, 'identity', true),
  );
}

/** Compression options for answering `req` (its Accept-Encoding). */
export function compressionFor(req: Req, minBytes?: number): CompressionOptions {
  return { acceptEncoding: req.headers['accept-encoding'], ...(minBytes === undefined ? {} : { minBytes }) };
}

// -- request helpers ---------------------------------------------------------------------------

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The media type of Content-Type, lowercased, without parameters. */
export function mediaType(req: Req): string {
  return (headerValue(req.headers, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Throws UNSUPPORTED_MEDIA_TYPE unless the request's media type is `expected`. */
export function requireMediaType(req: Req, expected: string): void {
  const got = mediaType(req);
  if (got !== expected) {
    throw new ProtocolError('UNSUPPORTED_MEDIA_TYPE', `Content-Type must be ${expected}, got ${got === '' ? 'none' : got}`, 'content-type');
  }
}

/**
 * MALFORMED_URL when the request target's path is not valid percent-encoded UTF-8, else undefined.
 * Checked once for every request before any handler runs, so a route that decodes a path
 * segment never meets a URIError (which would be a 500).
 */
export function malformedUrl(url: string | undefined): ProtocolError | undefined {
  const path = pathOf({ url } as Req);
  if (!path.includes('%')) return undefined;
  try {
    decodeURIComponent(path);
    return undefined;
  } catch {
    return new ProtocolError('MALFORMED_URL', 'the request path has malformed percent-encoding', null);
  }
}

/** A decoded path segment. @throws ProtocolError MALFORMED_URL */
export function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ProtocolError('MALFORMED_URL', 'the request path has malformed percent-encoding', null);
  }
}

/** The request path without the query string. */
export function pathOf(req: Req): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * Read the whole body, at most `limit` bytes. A larger declared Content-Length fails before
 * reading; a larger streamed body fails as soon as it passes the limit. Either way the rest of
 * the body is drained (up to 64 MiB more, then the connection is dropped) so the 413 reaches
 * the client. `inspect` sees each piece as it arrives (a `JsonScanner`, say): what it throws ends
 * the read the same way, so a body is refused on its first bad bytes, in small steps of the
 * event loop. @throws ProtocolError PAYLOAD_TOO_LARGE, or what `inspect` throws
 */
export async function readBody(req: Req, limit: number, inspect?: (chunk: Buffer) => void): Promise<Buffer> {
  const declared = headerValue(req.headers, 'content-length');
  const tooLarge = (n: number | string): ProtocolError =>
    new ProtocolError('PAYLOAD_TOO_LARGE', `request body of ${n} bytes exceeds the limit of ${limit} bytes`, null);
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limit) {
    drain(req);
    throw tooLarge(declared);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  // A large body of announced length is copied into one buffer as it arrives (no concat at the end).
  const announced = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : -1;
  let whole: Buffer | undefined = announced > 64 * 1024 ? Buffer.allocUnsafe(announced) : undefined;
  try {
    // Leaving the loop early must not destroy the request: drain() reads the rest, so that the
    // answer reaches the client and an HTTP/1.1 connection can serve on.
    for await (const chunk of (req as Readable).iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        drain(req);
        throw tooLarge(`more than ${limit}`);
      }
      try {
        inspect?.(chunk);
      } catch (e) {
        drain(req);
        throw e;
      }
      if (whole && size <= whole.length) chunk.copy(whole, size - chunk.length);
      else {
        if (whole) {
          chunks.push(whole.subarray(0, size - chunk.length));
          whole = undefined;
        }
        chunks.push(chunk);
      }
    }
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    // The client closed the connection or reset the stream mid-body: nobody will read the answer.
    throw new ProtocolError('INVALID_REQUEST', `request body incomplete: ${(e as Error).message}`, null, { cause: e });
  }
  if (whole) return whole.subarray(0, size);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

function drain(req: Req): void {
  let rest = 0;
  const cap = 64 * 1024 * 1024;
  const onData = (c: Buffer): void => {
    rest += c.length;
    if (rest > cap) {
      req.off('data', onData);
      req.destroy();
    }
  };
  req.on('data', onData);
  req.on('error', () => undefined);
  req.resume();
}

/**
 * The deepest nesting of arrays and objects a JSON body may have. The request schemas need 3
 * (an object holding a list of token lists); a body of a million nested brackets parsed and then
 * validated held the event loop for over half a second, so depth is checked on the bytes first.
 */
export const MAX_JSON_DEPTH = 32;

/** What one pass over a JSON text's bytes finds, before any decoding or parsing. */
export interface JsonScan {
  /** The deepest nesting of arrays and objects (brackets inside strings not counted); the scan stops once it passes its limit. */
  readonly depth: number;
  /**
   * UTF-16 code units inside string literals once decoded (an escape counts as what it stands
   * for), which is what `string.length` of the parsed strings adds up to. Exact for valid UTF-8;
   * only counted while the scan runs (it stops early on depth).
   */
  readonly textUnits: number;
  /**
   * Separators outside strings (commas): every element of an array or member of an object past
   * the first adds one, so this bounds how many values parsing, and validating, would create.
   */
  readonly separators: number;
}

/** The limits a `JsonScanner` refuses a body at, as soon as its bytes pass them. */
export interface JsonScanLimits {
  readonly depth?: number;
  readonly textUnits?: number;
  readonly separators?: number;
}

/**
 * One pass over a JSON body's bytes, fed in pieces as they arrive: its nesting depth, how much
 * text its strings hold and how many values it separates. A body too deep, with more text or
 * more values than any admissible request holds, is refused on its bytes (about 2 ms a
 * megabyte, spread over its arrival) before it is decoded, parsed or validated, each of which
 * costs far more and runs in one piece on the event loop.
 */
export class JsonScanner {
  #depth = 0;
  #max = 0;
  #units = 0;
  #separators = 0;
  #inString = false;
  /** A backslash ended the last piece: the next byte says how long the escape is. */
  #escape = false;
  /** Bytes of a \uXXXX escape still to skip. */
  #skip = 0;
  #over = false;
  readonly #limits: Required<JsonScanLimits>;

  constructor(limits: JsonScanLimits = {}) {
    this.#limits = {
      depth: limits.depth ?? MAX_JSON_DEPTH,
      textUnits: limits.textUnits ?? Number.POSITIVE_INFINITY,
      separators: limits.separators ?? Number.POSITIVE_INFINITY,
    };
  }

  /** Scans the next bytes of the body. Returns false once a limit is passed (the rest need not be fed). */
  feed(bytes: Uint8Array): boolean {
    if (this.#over) return false;
    let depth = this.#depth;
    let max = this.#max;
    let units = this.#units;
    let separators = this.#separators;
    let inString = this.#inString;
    let escape = this.#escape;
    let skip = this.#skip;
    const depthLimit = this.#limits.depth;
    const n = bytes.length;
    for (let i = 0; i < n; i++) {
      const c = bytes[i]!;
      if (skip > 0) {
        skip--;
      } else if (inString) {
        if (escape) {
          // \uXXXX is one code unit (a surrogate pair is two escapes); \n, \" … are one
          escape = false;
          units++;
          if (c === 0x75) skip = 4;
        } else if (c === 0x22) inString = false;
        else if (c === 0x5c) escape = true;
        else if ((c & 0xc0) !== 0x80) units += c >= 0xf0 ? 2 : 1; // a sequence's lead byte; four bytes are a surrogate pair
      } else if (c === 0x22) inString = true;
      else if (c === 0x2c) separators++;
      else if (c === 0x5b || c === 0x7b) {
        if (++depth > max && (max = depth) > depthLimit) break;
      } else if (c === 0x5d || c === 0x7d) depth--;
    }
    this.#depth = depth;
    this.#max = max;
    this.#units = units;
    this.#separators = separators;
    this.#inString = inString;
    this.#escape = escape;
    this.#skip = skip;
    this.#over = max > depthLimit || units > this.#limits.textUnits || separators > this.#limits.separators;
    return !this.#over;
  }

  /** Whether a limit was passed. */
  get over(): boolean {
    return this.#over;
  }

  /** What the bytes fed so far hold (counts stop where the depth limit was passed). */
  get scan(): JsonScan {
    return { depth: this.#max, textUnits: this.#units, separators: this.#separators };
  }
}

/** One pass over a whole JSON body's bytes (see `JsonScanner`). */
export function scanJson(body: Uint8Array, depthLimit: number = MAX_JSON_DEPTH): JsonScan {
  const scanner = new JsonScanner({ depth: depthLimit });
  scanner.feed(body);
  return scanner.scan;
}

/** The nesting depth of a JSON text's arrays and objects (brackets inside strings not counted), stopping once past `limit`. */
export function jsonDepth(body: Uint8Array, limit: number = MAX_JSON_DEPTH): number {
  return scanJson(body, limit).depth;
}

/**
 * Parse a JSON body (pass the `scanJson` result when the caller has it already).
 * @throws ProtocolError INVALID_JSON
 */
export function parseJson(body: Buffer, scanned: JsonScan = scanJson(body)): unknown {
  if (scanned.depth > MAX_JSON_DEPTH) throw new ProtocolError('INVALID_JSON', `request body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new ProtocolError('INVALID_JSON', 'request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ProtocolError('INVALID_JSON', `request body is not valid JSON: ${(e as Error).message}`);
  }
}

// -- response helpers --------------------------------------------------------------------------

/** Answer JSON; compressed (gzip/brotli) when `compression` is given and the client accepts it. */
export function sendJson(res: Res, status: number, value: unknown, headers: OutgoingHttpHeaders = {}, compression?: CompressionOptions): void | Promise<void> {
  return sendBody(res, status, Buffer.from(JSON.stringify(value), 'utf8'), 'application/json', headers, compression);
}

/** Answer any thrown value: a ProtocolError with its status and code, anything else as INTERNAL. Returns the code sent. */
export function sendError(res: Res, error: unknown, headers: OutgoingHttpHeaders = {}): ErrorCode {
  const pe =
    error instanceof ProtocolError ? error : new ProtocolError('INTERNAL', error instanceof Error ? error.message : String(error));
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return pe.code;
  }
  const extra: OutgoingHttpHeaders = { ...headers };
  if (pe.retryAfterSeconds !== undefined) extra['retry-after'] = String(Math.max(0, Math.ceil(pe.retryAfterSeconds)));
  sendJson(res, pe.status, pe.toBody(), extra);
  return pe.code;
}

/** Write a framed binary body (header JSON + SEAL frames), without concatenating the frames. */
export function sendFrames(
  res: Res,
  status: number,
  header: Record<string, unknown>,
  frames: readonly FramePayload[],
  headers: OutgoingHttpHeaders = {},
): number {
  const parts = encodeFramesParts(header, frames);
  const length = parts.reduce((n, p) => n + p.length, 0);
  res.writeHead(status, { 'content-type': FRAME_CONTENT_TYPE, 'content-length': length, ...headers });
  for (const p of parts) res.write(p);
  res.end();
  return length;
}

/** Read an error body answered by a peer: its code when it is one of ours. */
export function peerErrorCode(body: unknown): ErrorCode | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const err = (body as { error?: unknown }).error;
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return isErrorCode(code) ? code : undefined;
}

export { errorBody };

// -- Server-Timing -----------------------------------------------------------------------------

/** `Server-Timing` header value from stage durations in milliseconds. */
export function formatServerTiming(timings: Readonly<Record<string, number>>): string {
  return Object.entries(timings)
    .map(([name, ms]) => `${name};dur=${Number(ms.toFixed(3))}`)
    .join(', ');
}

/** Stage durations (ms) from a `Server-Timing` header value. */
export function parseServerTiming(value: string | null | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (!value) return out;
  for (const part of value.split(',')) {
    const [name, ...params] = part.trim().split(';');
    if (!name) continue;
    for (const p of params) {
      const m = /^\s*dur=([0-9.eE+-]+)\s*$/.exec(p);
      if (m && m[1] !== undefined) out[name.trim()] = Number(m[1]);
    }
  }
  return out;
}
