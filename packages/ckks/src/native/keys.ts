/** The secret and public key as the native core takes them, read from SEAL's serialized keys. */
import { alignedCopy } from '@hlp/kernels';
import { CkksError } from '../errors.js';
import type { CkksParams } from '../params.js';
import { parsePublicKey, parseSecretKey, type ChainLevel } from '../seal-format.js';

function checkKeyLevel(parmsId: Uint8Array, keyLevel: ChainLevel, what: string): void {
  if (Buffer.compare(Buffer.from(parmsId), Buffer.from(keyLevel.parmsId)) !== 0) {
    throw new CkksError('PARAMETER_MISMATCH', `${what} belongs to other parameters (parms_id mismatch)`, 'parmsId');
  }
}

/** The secret key's words (a copy): (k + 1) · n, NTT form at the key level. */
export function secretKeyWords(bytes: Uint8Array, params: CkksParams, keyLevel: ChainLevel): BigUint64Array {
  const sk = parseSecretKey(bytes);
  checkKeyLevel(sk.parmsId, keyLevel, 'secret key');
  const words = params.coeffModulus.length * params.n;
  if (sk.data.length !== words) throw new CkksError('PARAMETER_MISMATCH', `secret key has ${sk.data.length} words, expected ${words}`);
  return alignedCopy(sk.data);
}

/** The public key's words (a copy): 2 · (k + 1) · n, NTT form at the key level. */
export function publicKeyWords(bytes: Uint8Array, params: CkksParams, keyLevel: ChainLevel): BigUint64Array {
  const pk = parsePublicKey(bytes);
  checkKeyLevel(pk.parmsId, keyLevel, 'public key');
  const words = 2 * params.coeffModulus.length * params.n;
  if (pk.data.length !== words) throw new CkksError('PARAMETER_MISMATCH', `public key has ${pk.data.length} words, expected ${words}`);
  return alignedCopy(pk.data);
}
