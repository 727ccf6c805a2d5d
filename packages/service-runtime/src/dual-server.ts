/**
 * The server both services listen with.
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
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import type * as tls from 'node:tls';
import { ProtocolError } from '@hlp/protocol';
import {
  TlsH1HeaderGuard,
  guardH1Request,
  guardH2Request,
  guardH2Session,
  guardUndecided,
  h1ServerOptions,
  resolveLimits,
  type ConnectionLimits,
} from './connection-guards.js';
import type { Handler, Req, Res } from './http-types.js';
import { malformedUrl } from './requests.js';
import { sendError } from './responses.js';

export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

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
  /** Header and body timeouts and the connection cap (connection-guards.ts; defaults 10 s, 30 s, 1024). */
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

/** What the listeners, the dispatch and the drain share about the open connections and requests. */
interface ConnectionState {
  closing: boolean;
  inFlight: number;
  /** In-flight requests per HTTP/1.1 socket (TLS mode: to know which sockets are idle). */
  readonly h1Busy: Map<net.Socket, number>;
  /** HTTP/1.1 responses not finished yet (told to close their connection when draining starts). */
  readonly h1Open: Set<http.ServerResponse>;
  readonly sessions: Set<http2.ServerHttp2Session>;
  readonly sockets: Set<net.Socket>;
  /** Connections whose first bytes have not arrived yet (no server owns them; cleartext only). */
  readonly undecided: Set<net.Socket>;
  readonly tlsH1: TlsH1HeaderGuard | undefined;
}

/** The resolved transport settings. */
interface TransportSettings {
  readonly windowBytes: number;
  readonly keepAliveMs: number;
  readonly noDelay: boolean;
  readonly limits: ConnectionLimits;
  readonly h2: { readonly maxSessionMemory: number; readonly settings: http2.Settings };
}

/** What a listener hands the shared machinery: where to dispatch requests, sessions and sockets. */
interface ListenerHooks {
  readonly dispatch: (req: Req, res: Res) => void;
  readonly onSession: (session: http2.ServerHttp2Session) => void;
  readonly track: (socket: net.Socket) => void;
  readonly onSocketError: ((error: Error) => void) | undefined;
}

interface Listeners {
  readonly server: net.Server;
  readonly h1: http.Server | undefined;
  readonly h2: http2.Http2Server | http2.Http2SecureServer;
}

/** Counts the request in flight, guards it, and runs the handler so that no throw escapes. */
function dispatcher(state: ConnectionState, handler: Handler, limits: ConnectionLimits): (req: Req, res: Res) => void {
  return (req, res) => {
    state.inFlight++;
    const sock = isH2Req(req) ? undefined : req.socket;
    if (sock) state.tlsH1?.request(sock);
    if (isH2Req(req)) guardH2Request(req, res, limits);
    else guardH1Request(req, res as unknown as http.ServerResponse, limits);
    if (sock) {
      state.h1Busy.set(sock, (state.h1Busy.get(sock) ?? 0) + 1);
      state.h1Open.add(res as unknown as http.ServerResponse);
    }
    let done = false;
    res.once('close', () => {
      if (done) return;
      done = true;
      state.inFlight--;
      if (sock) {
        state.h1Open.delete(res as unknown as http.ServerResponse);
        const n = (state.h1Busy.get(sock) ?? 1) - 1;
        if (n <= 0) {
          state.h1Busy.delete(sock);
          state.tlsH1?.idle(sock);
        } else state.h1Busy.set(sock, n);
      }
    });
    // While draining, an HTTP/1.1 connection is closed after its response (no new request
    // may race the shutdown on it); HTTP/2 sessions got GOAWAY instead.
    if (state.closing && sock) (res as unknown as http.ServerResponse).setHeader('connection', 'close');
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
}

function sessionTracker(state: ConnectionState, settings: TransportSettings): (session: http2.ServerHttp2Session) => void {
  return (session) => {
    state.sessions.add(session);
    session.once('close', () => state.sessions.delete(session));
    guardH2Session(session, settings.limits);
    session.on('error', () => undefined);
    // Keep-alive for HTTP/2: a session idle this long is closed gracefully (GOAWAY).
    if (settings.keepAliveMs > 0) session.setTimeout(settings.keepAliveMs, () => session.close());
    // Connection-level window (the SETTINGS only set the per-stream one).
    session.once('connect', () => {
      try {
        session.setLocalWindowSize(settings.windowBytes);
      } catch {
        /* session already gone */
      }
    });
    if (state.closing) session.close();
  };
}

function socketTracker(state: ConnectionState, noDelay: boolean): (socket: net.Socket) => void {
  return (socket) => {
    state.sockets.add(socket);
    socket.once('close', () => {
      state.sockets.delete(socket);
      state.h1Busy.delete(socket);
    });
    if (noDelay) socket.setNoDelay(true);
  };
}

/** HTTPS: one secure HTTP/2 server with ALPN h2 and http/1.1. */
function listenTls(tlsOptions: TlsOptions, state: ConnectionState, settings: TransportSettings, hooks: ListenerHooks): Listeners {
  const secure = http2.createSecureServer(
    { ...settings.h2, cert: tlsOptions.cert, key: tlsOptions.key, allowHTTP1: true, handshakeTimeout: settings.limits.headerTimeoutMs },
    (req, res) => hooks.dispatch(req, res as unknown as Res),
  );
  // A TLS handshake must complete within the header timeout (handshakeTimeout above).
  // HTTP/1.1 connections inside the secure server use the http.Server fields of `this`.
  (secure as unknown as { keepAliveTimeout: number }).keepAliveTimeout = settings.keepAliveMs;
  secure.on('connection', (socket: net.Socket) => {
    if (state.closing) {
      socket.destroy();
      return;
    }
    hooks.track(socket);
    socket.on('error', (e) => hooks.onSocketError?.(e));
  });
  secure.on('secureConnection', (socket: tls.TLSSocket) => {
    if (settings.noDelay) socket.setNoDelay(true);
    if (socket.alpnProtocol !== 'h2') state.tlsH1?.connected(socket);
    socket.on('error', () => undefined);
  });
  secure.on('tlsClientError', (e: Error) => hooks.onSocketError?.(e));
  secure.on('session', hooks.onSession);
  secure.on('sessionError', () => undefined);
  return { server: secure, h1: undefined, h2: secure };
}

/** Cleartext: a net.Server that hands each connection, by its first bytes, to an HTTP/1.1 or an h2c server. */
function listenCleartext(state: ConnectionState, settings: TransportSettings, hooks: ListenerHooks): Listeners {
  const { limits } = settings;
  const plainH1 = http.createServer({ keepAliveTimeout: settings.keepAliveMs, ...h1ServerOptions(limits) }, (req, res) => hooks.dispatch(req, res));
  // plainH1 never listens itself (the net.Server below does); its 'listening' event is what
  // starts Node's connection tracking, which closeIdleConnections() and the timeouts need.
  plainH1.emit('listening');
  const plainH2 = http2.createServer(settings.h2, (req, res) => hooks.dispatch(req, res as unknown as Res));
  plainH2.on('session', hooks.onSession);
  plainH2.on('sessionError', () => undefined);
  const server = net.createServer((socket) => {
    if (state.closing) {
      socket.destroy();
      return;
    }
    hooks.track(socket);
    state.undecided.add(socket);
    socket.once('close', () => state.undecided.delete(socket));
    guardUndecided(socket, limits, () => !state.undecided.has(socket));
    socket.on('error', (e) => hooks.onSocketError?.(e));
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
      state.undecided.delete(socket);
      if (head.length > 0) socket.unshift(head);
      (h2Prefix ? plainH2 : plainH1).emit('connection', socket);
    };
    socket.once('readable', onReadable);
  });
  return { server, h1: plainH1, h2: plainH2 };
}

function listenOn(server: net.Server, secure: boolean, port: number, host: string): Promise<ListenAddress> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address() as net.AddressInfo;
      const h = a.family === 'IPv6' || a.address.includes(':') ? `[${a.address}]` : a.address;
      resolve({ host: a.address, port: a.port, url: `${secure ? 'https' : 'http'}://${h}:${a.port}` });
    });
  });
}

/** Close HTTP/1.1 connections with nothing in flight (TLS mode; cleartext uses h1's own tracking). */
function closeIdleTls(state: ConnectionState): void {
  for (const s of state.sockets) {
    const alpn = (s as tls.TLSSocket).alpnProtocol;
    if (alpn === 'h2') continue;
    if (!state.h1Busy.has(s)) s.destroySoon();
  }
}

/** See DualServer.close. */
async function drain(state: ConnectionState, { server, h1 }: Listeners, graceMs: number): Promise<void> {
  state.closing = true;
  for (const r of state.h1Open) if (!r.headersSent) r.setHeader('connection', 'close');
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const s of state.undecided) s.destroy();
  for (const s of state.sessions) s.close();
  const closeIdle = (): void => {
    if (h1) h1.closeIdleConnections();
    else closeIdleTls(state);
  };
  closeIdle();
  const deadline = setTimeout(() => {
    for (const s of state.sessions) s.destroy();
    h1?.closeAllConnections();
    for (const s of state.sockets) s.destroy();
  }, graceMs);
  deadline.unref();
  // Connections that are idle close now; busy ones close after their response.
  const idle = setInterval(closeIdle, 50);
  idle.unref();
  await closed;
  clearTimeout(deadline);
  clearInterval(idle);
}

export function createDualServer(handler: Handler, options: DualServerOptions = {}): DualServer {
  const windowBytes = Math.min(options.windowBytes ?? 16 * 1024 * 1024, MAX_WINDOW);
  const keepAliveMs = options.keepAliveTimeoutMs ?? 60_000;
  const limits = resolveLimits(options.limits);
  const settings: TransportSettings = {
    windowBytes,
    keepAliveMs,
    noDelay: options.noDelay ?? true,
    limits,
    h2: {
      maxSessionMemory: options.maxSessionMemoryMb ?? 512,
      settings: { maxConcurrentStreams: options.maxConcurrentStreams ?? 1000, initialWindowSize: windowBytes },
    },
  };
  const state: ConnectionState = {
    closing: false,
    inFlight: 0,
    h1Busy: new Map(),
    h1Open: new Set(),
    sessions: new Set(),
    sockets: new Set(),
    undecided: new Set(),
    tlsH1: options.tls ? new TlsH1HeaderGuard(limits, keepAliveMs) : undefined,
  };
  const hooks: ListenerHooks = {
    dispatch: dispatcher(state, handler, limits),
    onSession: sessionTracker(state, settings),
    track: socketTracker(state, settings.noDelay),
    onSocketError: options.onSocketError,
  };
  const listeners = options.tls ? listenTls(options.tls, state, settings, hooks) : listenCleartext(state, settings, hooks);
  // Connections past the cap are closed on arrival by net.Server itself.
  listeners.server.maxConnections = limits.maxConnections;
  return {
    ...listeners,
    tls: options.tls !== undefined,
    get closing() {
      return state.closing;
    },
    inFlight: () => state.inFlight,
    listen: (port: number, host: string) => listenOn(listeners.server, options.tls !== undefined, port, host),
    close: (graceMs = 5_000) => drain(state, listeners, graceMs),
  };
}
