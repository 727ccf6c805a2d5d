/** Turning node-seal's failures (plain Errors with SEAL's messages) into typed CkksErrors. */
import type { KeyKind } from '../backend.js';
import { CkksError, type CkksErrorCode } from '../errors.js';
import { parseCiphertext, parseKSwitchKeys, parsePublicKey, parseSecretKey, parmsIdToHex, type ChainLevel } from '../seal-format.js';

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export function classify(message: string): CkksErrorCode {
  const m = message.toLowerCase();
  if (m.includes('scale mismatch')) return 'SCALE_MISMATCH';
  if (m.includes('galois key not present') || m.includes('galois keys')) return 'MISSING_KEY';
  if (m.includes('parms_id') || m.includes('parameter mismatch')) return 'LEVEL_MISMATCH';
  if (m.includes('end of modulus switching chain')) return 'LEVEL_MISMATCH';
  if (m.includes('scale out of bounds')) return 'INVALID_ARGUMENT';
  return 'BACKEND_ERROR';
}

export function must<T>(value: T | void, what: string): T {
  if (value === undefined || value === null) throw new CkksError('BACKEND_ERROR', `${what}: node-seal returned nothing`);
  return value;
}

/**
 * Why SEAL refused to load `bytes`, as a typed error: malformed bytes, bytes of other
 * parameters (a parms_id outside `chain`), contents SEAL rejects, or a backend fault.
 */
export function explainLoadFailure(kind: KeyKind | 'ciphertext', bytes: Uint8Array, e: unknown, chain: readonly ChainLevel[]): CkksError {
  if (e instanceof CkksError) return e;
  let parmsId: Uint8Array;
  try {
    switch (kind) {
      case 'ciphertext':
        parmsId = parseCiphertext(bytes).parmsId;
        break;
      case 'public':
        parmsId = parsePublicKey(bytes).parmsId;
        break;
      case 'secret':
        parmsId = parseSecretKey(bytes).parmsId;
        break;
      default:
        parmsId = parseKSwitchKeys(bytes).parmsId;
    }
  } catch (pe) {
    if (pe instanceof CkksError) return pe;
    return new CkksError('MALFORMED', `malformed SEAL ${kind}: ${errorMessage(pe)}`, undefined, { cause: pe });
  }
  const hex = parmsIdToHex(parmsId);
  if (!chain.some((c) => c.parmsIdHex === hex)) {
    return new CkksError('PARAMETER_MISMATCH', `SEAL ${kind} belongs to other parameters (parms_id ${hex})`, 'parmsId', { cause: e });
  }
  // SEAL's own validity check (every residue below its prime, sizes consistent) rejects
  // well-formed bytes with bad contents: that is malformed input, not a backend fault.
  if (/invalid/i.test(errorMessage(e))) {
    return new CkksError('MALFORMED', `SEAL rejected the ${kind}: ${errorMessage(e)}`, 'data', { cause: e });
  }
  return new CkksError('BACKEND_ERROR', `loading the SEAL ${kind} failed: ${errorMessage(e)}`, undefined, { cause: e });
}
