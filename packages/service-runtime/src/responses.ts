/** Answering a request of either protocol: JSON, errors in the protocol's shape, and binary frames. */
import type { OutgoingHttpHeaders } from 'node:http';
import { ProtocolError, encodeFramesParts, FRAME_CONTENT_TYPE, type ErrorCode, type FramePayload } from '@hlp/protocol';
import { sendBody, type CompressionOptions } from './compression.js';
import type { Res } from './http-types.js';

/** Answer JSON; compressed (gzip/brotli) when `compression` is given and the client accepts it. */
export function sendJson(res: Res, status: number, value: unknown, headers: OutgoingHttpHeaders = {}, compression?: CompressionOptions): void | Promise<void> {
  return sendBody(res, status, Buffer.from(JSON.stringify(value), 'utf8'), 'application/json', headers, compression);
}

/** Answer any thrown value: a ProtocolError with its status and code, anything else as INTERNAL. Returns the code sent. */
export function sendError(res: Res, error: unknown, headers: OutgoingHttpHeaders = {}): ErrorCode {
  const pe = error instanceof ProtocolError ? error : new ProtocolError('INTERNAL', error instanceof Error ? error.message : String(error));
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return pe.code;
  }
  const extra: OutgoingHttpHeaders = { ...headers };
  if (pe.retryAfterSeconds !== undefined) extra['retry-after'] = String(Math.max(0, Math.ceil(pe.retryAfterSeconds)));
  // Without compression the answer is written synchronously: there is no promise to wait for.
  void sendJson(res, pe.status, pe.toBody(), extra);
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
