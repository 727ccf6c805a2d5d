/**
 * How the proxy answers a failed request: OpenAI-shaped JSON with a stable code (sendError in
 * @hlp/protocol), a Bearer challenge with 401, every code counted; anything that is not a
 * ProtocolError is a bug or an unexpected failure, so it is logged with its stack.
 */
import { ProtocolError } from '@hlp/protocol';
import { sendError, type Res } from '@hlp/service-runtime';
import type { AppMetrics } from '@hlp/telemetry';
import type { LogFn } from './log.js';

/** RFC 6750: a 401 names the scheme the client should use. */
const UNAUTHORIZED_CHALLENGE = { 'www-authenticate': 'Bearer realm="hlp-proxy"' } as const;

/** @throws ProtocolError METHOD_NOT_ALLOWED unless `method` is `allowed` */
export function requireMethod(route: string, method: string, allowed: string): void {
  if (method !== allowed) throw new ProtocolError('METHOD_NOT_ALLOWED', `${route} takes ${allowed}, not ${method}`);
}

export function noRoute(method: string, path: string): ProtocolError {
  return new ProtocolError('NOT_FOUND', `no route ${method} ${path}`);
}

export function queueFull(maxInFlight: number): ProtocolError {
  return new ProtocolError('QUEUE_FULL', `more than ${maxInFlight} requests in flight`, null, { retryAfterSeconds: 1 });
}

/** Answers `error` on `res` (or ends it, when the headers went out already) and counts its code. */
export function answerError(res: Res, error: unknown, route: string, log: LogFn, metrics: AppMetrics<'proxy'>): void {
  if (!(error instanceof ProtocolError))
    log('error', 'request failed', { route, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  const extra = error instanceof ProtocolError && error.code === 'UNAUTHORIZED' ? UNAUTHORIZED_CHALLENGE : {};
  const code = sendError(res, error, extra);
  metrics.errors.inc({ code });
}
