/** Reading a request of either protocol: headers, path, media type and a bounded body. */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { constants as http2Constants, type ServerHttp2Stream } from 'node:http2';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { ProtocolError } from '@hlp/protocol';
import type { Req } from './http-types.js';

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
 * Memory a body of announced length is read into (a pool of earlier bodies' buffers), instead of
 * its pieces being joined into fresh memory at the end. `give` takes back what `take` lent.
 */
export interface BodyMemory {
  /** A buffer of at least `bytes`. */
  take(bytes: number): Buffer;
  /** Hands back a buffer `take` lent (or a view of it). */
  give(body: Uint8Array): void;
}

/**
 * Read the whole body, at most `limit` bytes. A larger declared Content-Length fails before
 * reading; a larger streamed body fails as soon as it passes the limit. Either way the rest of
 * the body is never read (`refuseRest`: the answer still reaches the client, and an HTTP/1.1
 * connection closes after it). `inspect` sees each piece as it arrives (a `JsonScanner`, say): what it throws ends
 * the read the same way, so a body is refused on its first bad bytes, in small steps of the
 * event loop.
 *
 * With `memory`, a body whose length is declared is copied into a buffer `memory` lends, as its
 * pieces arrive; the caller hands the body back (`memory.give`) once nothing reads it. A body
 * refused part-way has its buffer handed back here. Without a declared length, or past it, the
 * pieces are joined as without `memory`. @throws ProtocolError PAYLOAD_TOO_LARGE, or what `inspect` throws
 */
export async function readBody(req: Req, limit: number, inspect?: ((chunk: Buffer) => void) | null, memory?: BodyMemory): Promise<Buffer> {
  const declared = headerValue(req.headers, 'content-length');
  const tooLarge = (n: number | string): ProtocolError =>
    new ProtocolError('PAYLOAD_TOO_LARGE', `request body of ${n} bytes exceeds the limit of ${limit} bytes`, null);
  const announced = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : undefined;
  if (announced !== undefined && announced > limit) {
    refuseRest(req);
    throw tooLarge(declared!);
  }
  // Without lent memory the pieces are joined once the body is whole and inspected: a buffer of
  // the announced length allocated up front was, for every body refused on its first pieces,
  // megabytes of ArrayBuffer memory thrown away, and V8 answers such memory with full
  // collections that pause the process. Lent memory goes back to its pool instead.
  let whole = memory && announced !== undefined && announced > 0 ? memory.take(announced) : undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    // Leaving the loop early must not destroy the request: the answer has yet to reach the client
    // (refuseRest).
    for await (const chunk of (req as Readable).iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        refuseRest(req);
        throw tooLarge(`more than ${limit}`);
      }
      try {
        inspect?.(chunk);
      } catch (e) {
        refuseRest(req);
        throw e;
      }
      if (whole && size <= announced!) chunk.copy(whole, size - chunk.length);
      else {
        if (whole) {
          // Longer than announced (HTTP/1.1 does not check): the pieces are joined after all.
          chunks.push(Buffer.from(whole.subarray(0, size - chunk.length)));
          memory!.give(whole);
          whole = undefined;
        }
        chunks.push(chunk);
      }
    }
  } catch (e) {
    if (whole) memory!.give(whole);
    if (e instanceof ProtocolError) throw e;
    // The client closed the connection or reset the stream mid-body: nobody will read the answer.
    throw new ProtocolError('INVALID_REQUEST', `request body incomplete: ${(e as Error).message}`, null, { cause: e });
  }
  if (whole) return whole.subarray(0, size);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/**
 * How long a connection whose request body was refused stays open after the answer, its rest
 * never read (HTTP/1.1): long enough for the client to read the answer, short enough that such
 * connections do not pile up.
 */
export const REFUSED_BODY_LINGER_MS = 2_000;

/** HTTP/1.1 requests whose body was refused before it all arrived (their connection closes after the answer). */
const refused = new WeakSet<Req>();

/**
 * The headers an answer to `req` needs because its body was refused before it all arrived:
 * `Connection: close` on HTTP/1.1 (the unread rest cannot be told from a next request).
 */
export function refusalHeaders(req: Req | undefined): OutgoingHttpHeaders {
  return req !== undefined && refused.has(req) ? { connection: 'close' } : {};
}

/**
 * Stops reading a refused body. Reading it to its end so that the answer reaches the client
 * cost a megabyte of socket buffers per refused body, and V8 answers ArrayBuffer memory with full
 * collections: a flood of refused 4 MiB bodies held the event loop in 6–28 ms pauses. Instead:
 * - HTTP/1.1: the answer says `Connection: close` (`refusalHeaders`); Node ends such an exchange
 *   with `destroySoon()`, a FIN and then a close() on the unread rest, which resets the connection,
 *   and a client still sending may lose the answer (RFC 9112 §9.6). So this connection lingers:
 *   the FIN after the answer, the paused socket's receive window holding the client, the
 *   socket dropped REFUSED_BODY_LINGER_MS later.
 * - HTTP/2: the rest is still read and dropped (up to 64 MiB; see `drainStream`).
 */
function refuseRest(req: Req): void {
  // the whole body is here: nothing to refuse, the connection serves on
  if (req.complete) return;
  req.on('error', () => undefined);
  if ('stream' in req) {
    // HTTP/2: RST_STREAM(NO_ERROR) after the answer (RFC 9113 §8.1) was tried, and Node sent it
    // before the answer's frames when the answer was written right after the refusal: the client
    // got no answer at all. The rest is read and dropped, so the stream ends after the answer.
    drainStream(req, req.stream);
    return;
  }
  refused.add(req);
  req.pause();
  const socket = req.socket;
  socket.destroySoon = function lingeringClose(this: Socket): void {
    this.end();
    setTimeout(() => this.destroy(), REFUSED_BODY_LINGER_MS).unref();
  };
}

/**
 * Reads the rest of a body and drops it: up to 64 MiB more, then the stream is closed with
 * RST_STREAM(NO_ERROR) once the answer has gone out, which RFC 9113 §8.1 tells clients not to
 * discard the answer for (a reset with CANCEL, what destroying the request sends, lets them).
 */
function drainStream(req: Req, stream: ServerHttp2Stream): void {
  let rest = 0;
  const cap = 64 * 1024 * 1024;
  const onData = (c: Buffer): void => {
    rest += c.length;
    if (rest <= cap) return;
    req.off('data', onData);
    req.pause();
    const close = (): void => {
      if (!stream.closed) stream.close(http2Constants.NGHTTP2_NO_ERROR);
    };
    if (stream.writableFinished) close();
    else stream.once('finish', close);
  };
  req.on('data', onData);
  req.resume();
}
