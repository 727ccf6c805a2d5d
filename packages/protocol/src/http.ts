/**
 * HTTP plumbing shared by the proxy and the inference service.
 *
 * One TCP port speaks HTTP/1.1 and cleartext HTTP/2 (h2c with prior knowledge): Node's
 * `http2.createServer({ allowHTTP1 })` negotiates only through TLS ALPN, so the listener reads
 * the first bytes of each connection and hands the socket to an `http.Server` or an
 * `http2.Http2Server`: a connection that starts with the 24-byte HTTP/2 client preface
 * (`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`) is HTTP/2, anything else HTTP/1.1. The bytes read are put
 * back (`socket.unshift`); both servers take them from the socket's buffer. Both dispatch to the
 * same handler through Node's compatibility API (`Http2ServerRequest`/`Http2ServerResponse`
 * mirror `IncomingMessage`/`ServerResponse`). h2c upgrade from HTTP/1.1 (`Upgrade: h2c`) is not
 * supported (clients use prior knowledge, as gRPC and h2load do).
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { errorBody, isErrorCode, ProtocolError, type ErrorCode } from './errors.js';
import { encodeFramesParts, FRAME_CONTENT_TYPE } from './framing.js';

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

export interface DualServerOptions {
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS per connection (default 128). */
  readonly maxConcurrentStreams?: number;
  /** HTTP/2 flow-control window per stream and per connection, bytes (default 16 MiB). */
  readonly windowBytes?: number;
  /** nghttp2 session memory cap in MB (default 512: key uploads are large). */
  readonly maxSessionMemoryMb?: number;
  /** HTTP/1.1 keep-alive idle timeout (default 65 s). */
  readonly keepAliveTimeoutMs?: number;
  /** Called on a connection whose first bytes never arrive or that fails before dispatch. */
  readonly onSocketError?: (error: Error) => void;
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  /** `http://host:port` (IPv6 hosts in brackets). */
  readonly url: string;
}

export interface DualServer {
  readonly server: net.Server;
  readonly h1: http.Server;
  readonly h2: http2.Http2Server;
  listen(port: number, host: string): Promise<ListenAddress>;
  /** Stop accepting, close idle connections, wait for in-flight requests (up to graceMs), then destroy the rest. */
  close(graceMs?: number): Promise<void>;
}

/** Largest HTTP/2 window: 2^31 − 1. */
const MAX_WINDOW = 2 ** 31 - 1;

export function createDualServer(handler: Handler, options: DualServerOptions = {}): DualServer {
  const windowBytes = Math.min(options.windowBytes ?? 16 * 1024 * 1024, MAX_WINDOW);
  const dispatch = (req: Req, res: Res): void => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((e: unknown) => {
        // A handler bug must never take the process down.
        if (!res.headersSent) sendError(res, new ProtocolError('INTERNAL', e instanceof Error ? e.message : String(e)));
        else if (!res.writableEnded) res.end();
      });
  };
  const h1 = http.createServer({ keepAliveTimeout: options.keepAliveTimeoutMs ?? 65_000 }, (req, res) => dispatch(req, res));
  // h1 never listens itself (the net.Server below does); its 'listening' event is what starts
  // Node's connection tracking, which closeIdleConnections() and the header/request timeouts need.
  h1.emit('listening');
  const h2 = http2.createServer(
    {
      maxSessionMemory: options.maxSessionMemoryMb ?? 512,
      settings: {
        maxConcurrentStreams: options.maxConcurrentStreams ?? 128,
        initialWindowSize: windowBytes,
      },
    },
    (req, res) => dispatch(req, res as unknown as Res),
  );
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    session.on('error', () => undefined);
    // Connection-level window (the SETTINGS above only set the per-stream one).
    session.once('connect', () => {
      try {
        session.setLocalWindowSize(windowBytes);
      } catch {
        /* session already gone */
      }
    });
  });
  h2.on('sessionError', () => undefined);

  const sockets = new Set<net.Socket>();
  /** Connections whose first bytes have not arrived yet (no server owns them). */
  const undecided = new Set<net.Socket>();
  let closing = false;
  const server = net.createServer((socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    undecided.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      undecided.delete(socket);
    });
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
      (h2Prefix ? h2 : h1).emit('connection', socket);
    };
    socket.once('readable', onReadable);
  });

  let address: ListenAddress | undefined;
  return {
    server,
    h1,
    h2,
    listen(port: number, host: string): Promise<ListenAddress> {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const a = server.address() as net.AddressInfo;
          const h = a.family === 'IPv6' || a.address.includes(':') ? `[${a.address}]` : a.address;
          address = { host: a.address, port: a.port, url: `http://${h}:${a.port}` };
          resolve(address);
        });
      });
    },
    async close(graceMs = 5_000): Promise<void> {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of undecided) s.destroy();
      h1.closeIdleConnections();
      for (const s of sessions) s.close();
      const deadline = setTimeout(() => {
        for (const s of sessions) s.destroy();
        h1.closeAllConnections();
        for (const s of sockets) s.destroy();
      }, graceMs);
      deadline.unref();
      // Sockets handed to h1 that are idle close now; busy ones close after their response.
      const idle = setInterval(() => h1.closeIdleConnections(), 50);
      idle.unref();
      await closed;
      clearTimeout(deadline);
      clearInterval(idle);
      void address;
    },
  };
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
 * the client. @throws ProtocolError PAYLOAD_TOO_LARGE
 */
export async function readBody(req: Req, limit: number): Promise<Buffer> {
  const declared = headerValue(req.headers, 'content-length');
  const tooLarge = (n: number | string): ProtocolError =>
    new ProtocolError('PAYLOAD_TOO_LARGE', `request body of ${n} bytes exceeds the limit of ${limit} bytes`, null);
  if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > limit) {
    drain(req);
    throw tooLarge(declared);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      drain(req);
      throw tooLarge(`more than ${limit}`);
    }
    chunks.push(chunk);
  }
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

/** Parse a JSON body. @throws ProtocolError INVALID_JSON */
export function parseJson(body: Buffer): unknown {
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

export function sendJson(res: Res, status: number, value: unknown, headers: OutgoingHttpHeaders = {}): void {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length, ...headers });
  res.end(body);
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
  frames: readonly Uint8Array[],
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
