/**
 * Response compression: gzip or brotli, negotiated from Accept-Encoding, bodies under 1 KiB never
 * compressed, large ones compressed on the libuv pool.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import * as zlib from 'node:zlib';
import type { Req, Res } from './http-types.js';
import { refusalHeaders } from './requests.js';

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
    if (coding === 'br')
      zlib.brotliCompress(body, { ...BROTLI_OPTIONS, params: { ...BROTLI_OPTIONS.params, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length } }, done);
    else zlib.gzip(body, GZIP_OPTIONS, done);
  });
}

/**
 * Send a body, compressed when the client accepts gzip or brotli and it is at least `minBytes`
 * (with `Vary: Accept-Encoding` either way, since the answer depends on it). Small bodies are
 * compressed on the event loop (well under a millisecond), large ones on the libuv pool.
 */
export function sendBody(
  res: Res,
  status: number,
  body: Buffer,
  contentType: string,
  headers: OutgoingHttpHeaders = {},
  compression?: CompressionOptions,
): void | Promise<void> {
  const write = (out: Buffer, coding: ContentCoding, vary: boolean): void => {
    const h: OutgoingHttpHeaders = { 'content-type': contentType, 'content-length': out.length, ...headers, ...refusalHeaders(res.req) };
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
