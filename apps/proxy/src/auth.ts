/**
 * Client API keys: with tokens configured, every /v1 route needs `Authorization: Bearer <token>`:
 * none or a malformed header is 401 UNAUTHORIZED, a well-formed unknown token 403 INVALID_API_KEY.
 */
import { BearerTokens, ProtocolError, parseBearer } from '@hlp/protocol';
import { headerValue, type Req } from '@hlp/service-runtime';

export class ClientAuth {
  readonly #tokens: BearerTokens | undefined;

  constructor(clientTokens: readonly string[] | undefined) {
    this.#tokens = clientTokens && clientTokens.length > 0 ? new BearerTokens(clientTokens) : undefined;
  }

  /** Whether any token is required (an open proxy needs none). */
  get enabled(): boolean {
    return this.#tokens !== undefined;
  }

  /** @throws ProtocolError UNAUTHORIZED or INVALID_API_KEY */
  authorize(req: Req): void {
    if (!this.#tokens) return;
    const cred = parseBearer(headerValue(req.headers, 'authorization'));
    if (cred.kind === 'missing') {
      throw new ProtocolError('UNAUTHORIZED', "You didn't provide an API key. Send it as an Authorization header: 'Authorization: Bearer YOUR_KEY'.", null);
    }
    if (cred.kind === 'malformed') {
      throw new ProtocolError('UNAUTHORIZED', "The Authorization header is malformed; it must be 'Bearer YOUR_KEY'.", null);
    }
    if (!this.#tokens.has(cred.token)) {
      const shown = cred.token.length > 8 ? `${cred.token.slice(0, 3)}…${cred.token.slice(-4)}` : '…';
      throw new ProtocolError('INVALID_API_KEY', `Incorrect API key provided: ${shown}.`, null);
    }
  }

  /** Whether a caller may see details (key id, backend, pid, upstream errors): open proxies show them to all. */
  showsDetails(req: Req): boolean {
    if (!this.#tokens) return true;
    const cred = parseBearer(headerValue(req.headers, 'authorization'));
    return cred.kind === 'token' && this.#tokens.has(cred.token);
  }
}
