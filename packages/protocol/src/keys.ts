/**
 * Key addressing and the service-to-service bearer token.
 *
 * Each key is addressed by the SHA-256 of its SEAL bytes; a key set (public + relinearization +
 * Galois keys) by the SHA-256 of the text `hlp.keyset/1\n` followed by one `kind=<hash>\n` line
 * per key, kinds in alphabetical order. The proxy computes the id before uploading, the service
 * recomputes it from the bytes it received, so both name the same set without trusting the other.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The id of a key set from the hashes of its keys (kind → SHA-256 hex). */
export function keySetId(hashes: Readonly<Record<string, string>>): string {
  const lines = Object.keys(hashes)
    .sort()
    .map((k) => `${k}=${hashes[k]}\n`)
    .join('');
  return createHash('sha256').update(`hlp.keyset/1\n${lines}`).digest('hex');
}

/** `Bearer <token>` for the Authorization header. */
export function bearer(token: string): string {
  return `Bearer ${token}`;
}

/**
 * True when the Authorization header carries exactly `Bearer <expected>` (constant time in the
 * token's content: both sides are hashed before comparing).
 */
export function checkBearer(header: string | string[] | undefined, expected: string): boolean {
  if (typeof header !== 'string') return false;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  if (!m || m[1] === undefined) return false;
  const a = createHash('sha256').update(m[1]).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** What an Authorization header holds: nothing, something that is not `Bearer <token>`, or a token. */
export type BearerCredential = { readonly kind: 'missing' } | { readonly kind: 'malformed' } | { readonly kind: 'token'; readonly token: string };

/** Parse `Authorization: Bearer <token>` (RFC 6750 token68 characters; scheme case-insensitive). */
export function parseBearer(header: string | string[] | undefined): BearerCredential {
  if (header === undefined || (typeof header === 'string' && header.trim() === '')) return { kind: 'missing' };
  if (typeof header !== 'string') return { kind: 'malformed' };
  const m = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i.exec(header);
  return m && m[1] !== undefined ? { kind: 'token', token: m[1] } : { kind: 'malformed' };
}

/**
 * A set of accepted bearer tokens (the proxy's client API keys). Only SHA-256 digests are kept,
 * and a lookup hashes the presented token first, so the time it takes says nothing about how
 * much of a real token an attacker guessed.
 */
export class BearerTokens {
  private readonly digests = new Set<string>();

  constructor(tokens: Iterable<string>) {
    for (const t of tokens) {
      if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(t)) throw new Error('a client token may only hold the characters A-Z a-z 0-9 - . _ ~ + / (and trailing =)');
      this.digests.add(sha256Hex(Buffer.from(t, 'utf8')));
    }
  }

  get size(): number {
    return this.digests.size;
  }

  has(token: string): boolean {
    return this.digests.has(sha256Hex(Buffer.from(token, 'utf8')));
  }
}

/**
 * Tokens from a list (`a,b,c`, also newline-separated) or a file's text: one per line, blank
 * lines and lines starting with `#` ignored, surrounding spaces trimmed.
 */
export function parseTokenList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}
