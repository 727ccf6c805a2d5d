/**
 * The stable error codes of the proxy and the inference service, with the HTTP status and the
 * OpenAI error `type` each is answered with. Every error body has the OpenAI shape
 *
 *   { "error": { "message": string, "type": string, "param": string | null, "code": string } }
 *
 * `code` is one of ERROR_CODES (never changes meaning; new codes may be added). The same code is
 * the `code` label of the `hlp_errors_total` metric.
 */

export interface ErrorCodeSpec {
  readonly status: number;
  /** OpenAI's error `type`. */
  readonly type: 'invalid_request_error' | 'authentication_error' | 'permission_error' | 'not_found_error' | 'rate_limit_error' | 'server_error';
  readonly description: string;
}

export const ERROR_CODES = {
  /** The body is not valid JSON (or not UTF-8). */
  INVALID_JSON: { status: 400, type: 'invalid_request_error', description: 'request body is not valid JSON' },
  /** The JSON is valid but does not match the request schema. */
  INVALID_REQUEST: { status: 400, type: 'invalid_request_error', description: 'request does not match the schema' },
  /** Content-Type is not the one the route accepts (application/json or application/octet-stream). */
  UNSUPPORTED_MEDIA_TYPE: { status: 415, type: 'invalid_request_error', description: 'wrong Content-Type' },
  /** The body is larger than the route's limit. */
  PAYLOAD_TOO_LARGE: { status: 413, type: 'invalid_request_error', description: 'request body too large' },
  /** A prompt has more tokens than allowed (GPT-2 context: 1024). */
  TOO_MANY_TOKENS: { status: 400, type: 'invalid_request_error', description: 'prompt has too many tokens' },
  /** A prompt has more characters than its token limit could need (checked before tokenizing, so huge text costs nothing). */
  INPUT_TOO_LONG: { status: 400, type: 'invalid_request_error', description: 'prompt has too many characters for the token limit' },
  /** One request needs more ciphertexts than the inference service takes in one call (its `limits.maxCiphertexts`). */
  TOO_MANY_CIPHERTEXTS: { status: 413, type: 'invalid_request_error', description: 'request needs more ciphertexts than the service accepts' },
  /** The request target is not a valid URL path (bad percent-encoding, for one). */
  MALFORMED_URL: { status: 400, type: 'invalid_request_error', description: 'malformed request URL' },
  /** A token id is not in [0, 50257). */
  INVALID_TOKEN_ID: { status: 400, type: 'invalid_request_error', description: 'token id out of range' },
  /** The model (proxy) or workload (inference service) is not served. */
  UNKNOWN_MODEL: { status: 404, type: 'invalid_request_error', description: 'unknown model or workload' },
  /** A binary body is not a well-formed frame sequence (magic, lengths, header JSON, frame count). */
  BAD_FRAME: { status: 400, type: 'invalid_request_error', description: 'malformed binary frames' },
  /** A ciphertext frame is not a valid SEAL ciphertext (truncated, corrupted, wrong shape). */
  BAD_CIPHERTEXT: { status: 400, type: 'invalid_request_error', description: 'malformed ciphertext' },
  /** A key frame is not a valid SEAL key of the declared kind. */
  BAD_KEY: { status: 400, type: 'invalid_request_error', description: 'malformed key' },
  /** An upload contained a SEAL SecretKey (or declared one): the untrusted side never takes it. */
  SECRET_KEY_REJECTED: { status: 400, type: 'invalid_request_error', description: 'secret keys are never accepted' },
  /** Ciphertexts, keys or packing plan belong to other CKKS parameters (or a level too low for the workload). */
  PARAMETER_MISMATCH: { status: 400, type: 'invalid_request_error', description: 'CKKS parameters do not match' },
  /** The key set id is not known to the service (upload it first; the proxy does so on its own). */
  UNKNOWN_KEY: { status: 404, type: 'not_found_error', description: 'unknown key id' },
  /** Missing or malformed bearer token (or, service to service, a wrong one). */
  UNAUTHORIZED: { status: 401, type: 'authentication_error', description: 'missing or invalid bearer token' },
  /** A well-formed bearer token that is not one of the proxy's client tokens. */
  INVALID_API_KEY: { status: 403, type: 'permission_error', description: 'unknown API key' },
  /** No such route. */
  NOT_FOUND: { status: 404, type: 'not_found_error', description: 'no such route' },
  /** The route exists, the method does not. */
  METHOD_NOT_ALLOWED: { status: 405, type: 'invalid_request_error', description: 'method not allowed' },
  /** The request body did not arrive within the body timeout of its headers (the connection is closed). */
  REQUEST_TIMEOUT: { status: 408, type: 'invalid_request_error', description: 'request body not received in time' },
  /** A bounded queue is full: retry after the Retry-After header. */
  QUEUE_FULL: { status: 429, type: 'rate_limit_error', description: 'queue full' },
  /** Not ready yet (keys not uploaded, upstream not reached). */
  NOT_READY: { status: 503, type: 'server_error', description: 'service not ready' },
  /** The inference service cannot be reached. */
  UPSTREAM_DOWN: { status: 503, type: 'server_error', description: 'upstream unreachable' },
  /** The inference service answered with an error or an unusable response. */
  UPSTREAM_ERROR: { status: 502, type: 'server_error', description: 'upstream failed' },
  /** A call took longer than its deadline. */
  TIMEOUT: { status: 504, type: 'server_error', description: 'deadline exceeded' },
  /** A bug. */
  INTERNAL: { status: 500, type: 'server_error', description: 'internal error' },
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;
export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

/** The OpenAI error body. */
export interface ErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: ErrorCode;
  };
}

/** An error that is answered as `ERROR_CODES[code].status` with the OpenAI error body. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The request field at fault (OpenAI's `param`). */
    readonly param: string | null = null,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
  readonly retryAfterSeconds: number | undefined;

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  toBody(): ErrorBody {
    return errorBody(this.code, this.message, this.param);
  }
}

export function isProtocolError(e: unknown, code?: ErrorCode): e is ProtocolError {
  return e instanceof ProtocolError && (code === undefined || e.code === code);
}

export function errorBody(code: ErrorCode, message: string, param: string | null = null): ErrorBody {
  return { error: { message, type: ERROR_CODES[code].type, param, code } };
}

/** Read an error body answered by a peer: its code when it is one of ours. */
export function peerErrorCode(body: unknown): ErrorCode | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const err = (body as { error?: unknown }).error;
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return isErrorCode(code) ? code : undefined;
}
