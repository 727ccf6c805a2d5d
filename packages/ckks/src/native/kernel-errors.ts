/** The native core's KernelErrors as the CkksErrors the backend API promises. */
import { KernelError } from '@hlp/kernels';
import { CkksError } from '../errors.js';

/** `error` from a native call about `what`, as a CkksError (a CkksError passes through). */
export function translateKernelError(what: string, error: unknown): CkksError {
  if (error instanceof CkksError) return error;
  if (error instanceof KernelError) {
    const code =
      error.code === 'LENGTH_MISMATCH' || error.code === 'VALUE_OUT_OF_RANGE'
        ? 'MALFORMED'
        : error.code === 'SCALE_OUT_OF_BOUNDS' || error.code === 'INVALID_ARGUMENT'
          ? 'INVALID_ARGUMENT'
          : 'BACKEND_ERROR';
    return new CkksError(code, `${what}: ${error.message}`);
  }
  return new CkksError('BACKEND_ERROR', `${what}: ${error instanceof Error ? error.message : String(error)}`);
}
