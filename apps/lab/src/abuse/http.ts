/**
 * The abuse suite's HTTP/1.1 client: one request with its target sent byte for byte, the
 * answer's status and stable error code read back, on keep-alive connections.
 */
import { Agent, request } from 'node:http';
import type { Answer } from './cases.js';

export interface Sent extends Answer {
  readonly ms: number;
  /** A transport failure instead of an answer (reset, timeout): the server dropped the request. */
  readonly error: string | null;
}

const MAX_READ = 64 * 1024;

export function createAgent(sockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets: sockets });
}

/** Sends one request; never throws (a transport failure is reported in `error`). */
export function send(
  base: URL,
  agent: Agent,
  method: string,
  path: string,
  headers: Readonly<Record<string, string>>,
  body: Buffer | null,
  timeoutMs: number,
): Promise<Sent> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (s: Omit<Sent, 'ms'>): void => {
      if (settled) return;
      settled = true;
      resolve({ ...s, ms: performance.now() - t0 });
    };
    let req;
    try {
      req = request({
        host: base.hostname,
        port: base.port,
        method,
        path,
        agent,
        headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        timeout: timeoutMs,
      });
    } catch (e) {
      // Node refuses to send some targets at all (control characters): not the server's doing
      done({ status: 0, code: null, error: `not sent: ${(e as Error).message}` });
      return;
    }
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => done({ status: 0, code: null, error: e.message }));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let read = 0;
      res.on('data', (d: Buffer) => {
        if (read < MAX_READ) chunks.push(d);
        read += d.length;
      });
      res.on('error', (e) => done({ status: res.statusCode ?? 0, code: null, error: e.message }));
      res.on('end', () => done({ status: res.statusCode ?? 0, code: errorCodeOf(Buffer.concat(chunks)), error: null }));
    });
    req.end(body ?? undefined);
  });
}

/** The `error.code` of an OpenAI-shaped error body, else null. */
export function errorCodeOf(body: Buffer): string | null {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return null;
    const error = (parsed as { error?: unknown }).error;
    if (typeof error !== 'object' || error === null) return null;
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : null;
  } catch {
    return null;
  }
}
