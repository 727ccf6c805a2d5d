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
