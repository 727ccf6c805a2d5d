/** Failures of @hlp/model, each with a stable `code` that callers (and HTTP handlers) may switch on. */
export type ModelErrorCode =
  /** A prompt has more tokens than the allowed maximum (GPT-2's context is 1024). */
  | 'TOO_MANY_TOKENS'
  /** A token id is not an integer in [0, vocabSize). */
  | 'INVALID_TOKEN_ID'
  /** A position is not an integer in [0, context). */
  | 'INVALID_POSITION'
  /** A safetensors file is malformed, truncated, or lacks/has unusable embedding tensors. */
  | 'BAD_SAFETENSORS'
  /** Reading a file failed at the file-system level. */
  | 'IO'
  /** An argument is out of range or of the wrong shape (seed, width, slot count, buffer length…). */
  | 'INVALID_ARGUMENT'
  /** Packed vectors do not match the packing plan they are unpacked with. */
  | 'PACKING_MISMATCH'
  /** A workload cannot be evaluated under the requested packing layout. */
  | 'UNSUPPORTED_LAYOUT';

export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(
    readonly code: ModelErrorCode,
    message: string,
    /** Machine-readable facts about the failure (e.g. `{ count, max }` for TOO_MANY_TOKENS). */
    readonly details: Readonly<Record<string, string | number>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when `err` is a ModelError, optionally with the given code. */
export function isModelError(err: unknown, code?: ModelErrorCode): err is ModelError {
  return err instanceof ModelError && (code === undefined || err.code === code);
}

/** @internal Throws INVALID_ARGUMENT unless `value` is an integer in [min, max]. */
export function requireInt(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ModelError('INVALID_ARGUMENT', `${name} must be an integer in [${min}, ${max}], got ${String(value)}`, {
      argument: name,
    });
  }
  return value;
}
