/**
 * Target URLs. The load generator only ever sends traffic to this machine: a target must be an
 * http:// URL on the loopback range (127.0.0.0/8, ::1 or `localhost`), checked before any socket
 * is opened.
 */
import { isIP } from 'node:net';
import { EMBEDDINGS_ROUTE } from './metric-names.js';

export class TargetError extends Error {
  override readonly name = 'TargetError';
}

/** True for 127.0.0.0/8, ::1 (and its IPv4-mapped form of 127/8) and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  return false;
}

export interface Target {
  /** `http://host:port` */
  readonly origin: string;
  /** Host name or address without IPv6 brackets (what net.connect takes). */
  readonly hostname: string;
  readonly port: number;
  /** Request path, e.g. `/v1/embeddings`. */
  readonly path: string;
  /** origin + path */
  readonly url: string;
}

/**
 * Parses and checks a target. A URL without a path (or with `/`) gets `defaultPath`
 * (`/v1/embeddings`). Throws TargetError for anything but a loopback http:// URL.
 */
export function parseTarget(text: string, defaultPath: string = EMBEDDINGS_ROUTE): Target {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TargetError(`not a URL: ${JSON.stringify(text)} (expected e.g. http://127.0.0.1:8080)`);
  }
  if (url.protocol !== 'http:') throw new TargetError(`only http:// targets (h2c for HTTP/2) are supported, got ${url.protocol}//`);
  if (url.username || url.password) throw new TargetError('credentials in the target URL are not supported (use --token)');
  if (!isLoopbackHost(url.hostname)) {
    throw new TargetError(`refusing to send load to ${url.hostname}: only loopback addresses (127.0.0.0/8, ::1, localhost) may be targeted`);
  }
  const port = url.port ? Number(url.port) : 80;
  const path = url.pathname === '/' || url.pathname === '' ? defaultPath : url.pathname;
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const origin = `http://${url.host}`;
  return { origin, hostname, port, path: `${path}${url.search}`, url: `${origin}${path}${url.search}` };
}
