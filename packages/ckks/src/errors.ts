/** Failures of @hlp/ckks, each with a stable `code` that callers may switch on. */
export type CkksErrorCode =
  /** User-supplied parameters failed validation; `issues` names the fields. */
  | 'INVALID_PARAMETERS'
  /** The parameters exceed the HomomorphicEncryption.org 128-bit bound and `insecure` was not set. */
  | 'INSECURE_PARAMETERS'
  /** Serialized bytes are truncated, corrupted or inconsistent; `field` names where. */
  | 'MALFORMED'
  /** Serialized bytes use a compression mode this build cannot read (zstd: Node 20 has no zstd). */
  | 'UNSUPPORTED_COMPRESSION'
  /** Serialized bytes come from a SEAL version whose layout is not supported. */
  | 'UNSUPPORTED_VERSION'
  /** An object (ciphertext, key) does not belong to this backend's parameters (parms_id, degree, moduli). */
  | 'PARAMETER_MISMATCH'
  /** Two operands are at different levels, or an operation needs a level that is not there. */
  | 'LEVEL_MISMATCH'
  /** Two operands have different scales (SEAL requires them to be equal for add/sub). */
  | 'SCALE_MISMATCH'
  /** The operation needs a key (secret, public, relinearization, Galois) that the backend does not hold. */
  | 'MISSING_KEY'
  /** A handle or backend was used after dispose(). */
  | 'DISPOSED'
  /** A handle created by another backend instance was passed in. */
  | 'FOREIGN_HANDLE'
  /** An argument is out of range (too many values, non-finite input, bad rotation step, ...). */
  | 'INVALID_ARGUMENT'
  /**
   * The requested compute device cannot run here (HLP_KERNEL=cuda or `device: 'cuda'` without
   * a usable GPU); the message says why.
   */
  | 'DEVICE_UNAVAILABLE'
  /** The underlying library (SEAL) reported an error; the message carries its text. */
  | 'BACKEND_ERROR';

export class CkksError extends Error {
  override readonly name = 'CkksError';
  constructor(
    readonly code: CkksErrorCode,
    message: string,
    /** For MALFORMED / INVALID_PARAMETERS: the field (or dotted path) at fault. */
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isCkksError(e: unknown, code?: CkksErrorCode): e is CkksError {
  return e instanceof CkksError && (code === undefined || e.code === code);
}
