/**
 * How the inference routes fail: every failure is a ProtocolError answered in the protocol's
 * error shape and counted by code; anything else is a bug, logged with its stack and answered
 * as INTERNAL (the process survives).
 */
import { ProtocolError, describeZodError, type ErrorCode } from '@hlp/protocol';
import { sendError, type LogFn, type Res } from '@hlp/service-runtime';
import type { z } from 'zod';

/** A frame body's JSON header checked against its schema. @throws ProtocolError INVALID_REQUEST naming the field under `header` */
export function parseFrameHeader<S extends z.ZodType>(schema: S, header: unknown): z.infer<S> {
  const r = schema.safeParse(header);
  if (!r.success) {
    const d = describeZodError(r.error);
    throw new ProtocolError('INVALID_REQUEST', `frame header: ${d.message}`, d.param ? `header.${d.param}` : 'header');
  }
  return r.data;
}

export function routeNotFound(method: string, path: string): ProtocolError {
  return new ProtocolError('NOT_FOUND', `no route ${method} ${path}`);
}

export function methodNotAllowed(route: string, allowed: string, method: string): ProtocolError {
  return new ProtocolError('METHOD_NOT_ALLOWED', `${route} takes ${allowed}, not ${method}`);
}

export function missingServiceToken(): ProtocolError {
  return new ProtocolError('UNAUTHORIZED', 'missing or invalid service token (Authorization: Bearer …)', 'authorization');
}

export function unknownKeySet(id: string): ProtocolError {
  return new ProtocolError('UNKNOWN_KEY', `key set ${id} is not registered`, 'keyId');
}

/** Answers a route's failure; returns the code sent. */
export function answerFailure(res: Res, error: unknown, route: string, log: LogFn): ErrorCode {
  if (!(error instanceof ProtocolError))
    log('error', 'request failed', { route, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  return sendError(res, error);
}
