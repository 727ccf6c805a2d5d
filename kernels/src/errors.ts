/** The one error type of the package: every native failure surfaces as a KernelError with a stable `code`. */

export type KernelErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_POWER_OF_TWO'
  | 'MODULUS_NOT_PRIME'
  | 'MODULUS_NOT_NTT_FRIENDLY'
  | 'MODULUS_TOO_LARGE'
  | 'VALUE_OUT_OF_RANGE'
  | 'LENGTH_MISMATCH'
  | 'VARIANT_UNAVAILABLE'
  | 'OUT_OF_MEMORY'
  | 'NO_DEVICE'
  | 'INTERNAL'
  | 'ADDON_NOT_BUILT'
  // CKKS core (CkksCore below)
  | 'SCALE_OUT_OF_BOUNDS'
  | 'RANDOMNESS_EXHAUSTED';

export class KernelError extends Error {
  override readonly name = 'KernelError';
  constructor(
    readonly code: KernelErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Maps the binding's errors (which carry a status code name) onto KernelError. */
export function translate(error: unknown): never {
  if (error instanceof KernelError) throw error;
  if (error instanceof Error) {
    const code = (error as Error & { code?: string }).code;
    if (typeof code === 'string') throw new KernelError(code as KernelErrorCode, error.message);
    throw new KernelError('INVALID_ARGUMENT', error.message);
  }
  throw new KernelError('INTERNAL', String(error));
}

export function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    translate(error);
  }
}

/** {@link guarded} for a native call that settles a promise: its rejection, or a throw before it, becomes a KernelError. */
export async function guardedAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    translate(error);
  }
}
