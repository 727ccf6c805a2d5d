/**
 * Limits on what a connection may hold without sending: the header, body and first-bytes
 * timeouts and the connection cap of the dual-protocol server (dual-server.ts).
 *
 * Without them a client holds a socket forever by sending nothing, half a request line, headers
 * a byte every few seconds, half of the HTTP/2 preface, or a body that stops: a probe left 120
 * such sockets open for minutes, and nothing bounded how many pile up. Each limit closes one of
 * those at the earliest moment a well-behaved client could not be hurt by it.
 */
import type * as http from 'node:http';
import type * as http2 from 'node:http2';
import type * as net from 'node:net';
import { ERROR_CODES, errorBody } from '@hlp/protocol';

export interface ConnectionLimits {
  /**
   * A connection must have sent its first request's headers within this time of connecting, and
   * each further HTTP/1.1 request's within this time of its first byte (default 10 s).
   */
  readonly headerTimeoutMs: number;
  /** A request's body must have arrived completely within this time of its headers (default 30 s). */
  readonly bodyTimeoutMs: number;
  /** Open connections at most; more are closed on arrival (default 1024). */
  readonly maxConnections: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = { headerTimeoutMs: 10_000, bodyTimeoutMs: 30_000, maxConnections: 1024 };

/** The limits a command line set (undefined: left to the defaults); undefined when it set none. */
export function limitsGiven(given: { readonly [K in keyof ConnectionLimits]: number | undefined }): Partial<ConnectionLimits> | undefined {
  const set = Object.entries(given).filter(([, v]) => v !== undefined);
  return set.length > 0 ? Object.fromEntries(set) : undefined;
}

/** Fills in defaults and checks the values (a non-positive or non-integer one is a programming error). */
export function resolveLimits(partial: Partial<ConnectionLimits> = {}): ConnectionLimits {
  const out = { ...DEFAULT_LIMITS, ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) };
  for (const [k, v] of Object.entries(out))
    if (!Number.isInteger(v) || v <= 0) throw new RangeError(`connection limit ${k} must be a positive integer, got ${String(v)}`);
  return out;
}

/**
 * HTTP/1.1: Node's own headers timeout (answered with 408), checked every second rather than
 * Node's default 30 s so that it fires within about a second of its limit. Node's request timeout
 * counts from the first byte of the request, so it is only the backstop (headers and body
 * together); the body's own limit, from the end of the headers, is guardH1Request.
 */
export function h1ServerOptions(limits: ConnectionLimits): http.ServerOptions {
  return {
    headersTimeout: limits.headerTimeoutMs,
    requestTimeout: limits.headerTimeoutMs + limits.bodyTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, limits.headerTimeoutMs),
  };
}

/** A cleartext connection that has not shown which protocol it speaks (no first bytes, half a preface) in time is closed. */
export function guardUndecided(socket: net.Socket, limits: ConnectionLimits, decided: () => boolean): void {
  const timer = setTimeout(() => {
    if (!decided()) socket.destroy();
  }, limits.headerTimeoutMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/** An HTTP/2 session that has opened no stream within the header timeout is closed (it may have sent a preface and nothing else). */
export function guardH2Session(session: http2.ServerHttp2Session, limits: ConnectionLimits): void {
  const timer = setTimeout(() => session.destroy(), limits.headerTimeoutMs);
  timer.unref();
  session.once('stream', () => clearTimeout(timer));
  session.once('close', () => clearTimeout(timer));
}

/**
 * An HTTP/2 request whose body has not arrived within the body timeout: its stream is reset
 * (NGHTTP2_CANCEL). The timer stops when the body has been read to its end (every handler reads
 * a body before it computes, so a long computation is not cut short) or the response is done.
 */
export function guardH2Request(req: http2.Http2ServerRequest, res: { once(event: 'close', listener: () => void): unknown }, limits: ConnectionLimits): void {
  const stream = req.stream;
  const timer = setTimeout(() => {
    if (!stream.destroyed) stream.close(NGHTTP2_CANCEL);
  }, limits.bodyTimeoutMs);
  timer.unref();
  const stop = (): void => clearTimeout(timer);
  req.once('end', stop);
  res.once('close', stop);
  stream.once('close', stop);
}

/**
 * HTTP/1.1 inside the TLS server (ALPN http/1.1, or no ALPN): Node's headers timeout is a field
 * of http.Server that the HTTP/2 secure server does not enforce for the HTTP/1.1 connections it
 * takes, so a socket that completed the handshake and then sent nothing, or half its headers,
 * stayed open. Each such socket must show a request (complete headers) within the header
 * timeout of the handshake, and the next one within the keep-alive time plus the header timeout
 * of its previous response.
 */
export class TlsH1HeaderGuard {
  readonly #timers = new Map<net.Socket, NodeJS.Timeout>();
  constructor(
    private readonly limits: ConnectionLimits,
    private readonly keepAliveMs: number,
  ) {}

  /** A new TLS socket speaking HTTP/1.1: its first request's headers are due. */
  connected(socket: net.Socket): void {
    this.#arm(socket, this.limits.headerTimeoutMs);
    socket.once('close', () => this.#disarm(socket));
  }

  /** A request's headers arrived on the socket. */
  request(socket: net.Socket): void {
    this.#disarm(socket);
  }

  /** The socket's last response is done: the next request is due within keep-alive + header timeout. */
  idle(socket: net.Socket): void {
    if (!socket.destroyed) this.#arm(socket, this.keepAliveMs + this.limits.headerTimeoutMs);
  }

  #arm(socket: net.Socket, ms: number): void {
    this.#disarm(socket);
    const timer = setTimeout(() => socket.destroy(), ms);
    timer.unref();
    this.#timers.set(socket, timer);
  }

  #disarm(socket: net.Socket): void {
    const timer = this.#timers.get(socket);
    if (timer) clearTimeout(timer);
    this.#timers.delete(socket);
  }
}

/**
 * An HTTP/1.1 request whose body has not arrived within the body timeout of its headers: answered
 * 408 when nothing was answered yet, and its connection closed (what is left of the body could
 * not be told from a next request).
 */
export function guardH1Request(req: http.IncomingMessage, res: http.ServerResponse, limits: ConnectionLimits): void {
  if (req.complete) return;
  const timer = setTimeout(() => {
    if (req.complete) return;
    if (!res.headersSent) {
      res.writeHead(ERROR_CODES.REQUEST_TIMEOUT.status, { connection: 'close', 'content-type': 'application/json' });
      res.end(JSON.stringify(errorBody('REQUEST_TIMEOUT', `the request body did not arrive within ${limits.bodyTimeoutMs} ms of its headers`)));
    }
    req.socket.destroySoon();
    setTimeout(() => req.socket.destroy(), 1_000).unref();
  }, limits.bodyTimeoutMs);
  timer.unref();
  // Not stopped by the response: a request answered early (401, 413) whose body then stalls still
  // holds the connection, which Node keeps open to read the rest of that body.
  // The socket outlives the request on a keep-alive connection: its listener must go with the
  // request, or every request on it leaves one behind, holding the request until the socket closes.
  const socket = req.socket;
  const stop = (): void => {
    clearTimeout(timer);
    req.off('end', stop);
    socket.off('close', stop);
  };
  req.once('end', stop);
  socket.once('close', stop);
}

const NGHTTP2_CANCEL = 0x8;
