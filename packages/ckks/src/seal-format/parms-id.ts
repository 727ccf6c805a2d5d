/** SEAL's parms_id, the chain of them a parameter set has, and checks against it. */
import { blake2b } from '../blake2b.js';
import { CkksError } from '../errors.js';
import { malformed, type SealCiphertext } from './layout.js';

export type SchemeName = 'none' | 'bfv' | 'ckks' | 'bgv';
export const SCHEME_BYTE: Readonly<Record<SchemeName, number>> = { none: 0, bfv: 1, ckks: 2, bgv: 3 };

/**
 * SEAL's parms_id: BLAKE2b with a 32-byte digest over the u64 LE words
 * [scheme, poly_modulus_degree, coeff_modulus..., plain_modulus] (plain modulus 0 for CKKS).
 */
export function computeParmsId(n: number, coeffModulus: readonly bigint[], scheme: SchemeName = 'ckks', plainModulus = 0n): Uint8Array {
  const words = [BigInt(SCHEME_BYTE[scheme]), BigInt(n), ...coeffModulus, plainModulus];
  const buf = new Uint8Array(words.length * 8);
  const dv = new DataView(buf.buffer);
  words.forEach((w, i) => dv.setBigUint64(i * 8, w, true));
  return blake2b(buf, 32);
}

export interface ChainLevel {
  /** Data level (coeffModulusCount − 1), or −1 for the key level (special prime included). */
  readonly level: number;
  readonly coeffModulus: readonly bigint[];
  readonly parmsId: Uint8Array;
  readonly parmsIdHex: string;
}

/**
 * The modulus-switching chain as a SEALContext with expand_mod_chain builds it: the key level
 * (all primes), then the first data level (special prime dropped), and so on down to one prime.
 */
export function parmsIdChain(n: number, coeffModulus: readonly bigint[]): ChainLevel[] {
  const out: ChainLevel[] = [];
  for (let k = coeffModulus.length; k >= 1; k--) {
    const mods = coeffModulus.slice(0, k);
    const id = computeParmsId(n, mods);
    out.push({ level: k === coeffModulus.length ? -1 : k - 1, coeffModulus: mods, parmsId: id, parmsIdHex: parmsIdToHex(id) });
  }
  return out;
}

export function parmsIdToHex(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}

/** From node-seal's `ParmsIdType.values` (4 × u64) to the 32 serialized bytes. */
export function parmsIdFromWords(words: ArrayLike<bigint>): Uint8Array {
  if (words.length !== 4) throw new CkksError('INVALID_ARGUMENT', 'a parms_id has 4 words');
  const out = new Uint8Array(32);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) dv.setBigUint64(i * 8, BigInt(words[i] ?? 0n), true);
  return out;
}

/**
 * Check a parsed ciphertext against a chain: known parms_id, matching degree and modulus
 * count, every coefficient below its prime. Returns the chain level it sits at.
 * @throws CkksError PARAMETER_MISMATCH or MALFORMED (coefficient out of range)
 */
export function checkCiphertextAgainst(ct: SealCiphertext, chain: readonly ChainLevel[], n: number): ChainLevel {
  const hex = parmsIdToHex(ct.parmsId);
  const lvl = chain.find((c) => c.parmsIdHex === hex);
  if (!lvl) throw new CkksError('PARAMETER_MISMATCH', `ciphertext parms_id ${hex} is not in this parameter chain`, 'parmsId');
  if (ct.polyModulusDegree !== n) {
    throw new CkksError('PARAMETER_MISMATCH', `ciphertext degree ${ct.polyModulusDegree}, expected ${n}`, 'polyModulusDegree');
  }
  if (ct.coeffModulusSize !== lvl.coeffModulus.length) {
    throw new CkksError('PARAMETER_MISMATCH', `ciphertext has ${ct.coeffModulusSize} moduli, its parms_id has ${lvl.coeffModulus.length}`, 'coeffModulusSize');
  }
  const L = ct.coeffModulusSize;
  const polys = ct.seed ? 1 : ct.size;
  for (let p = 0; p < polys; p++) {
    for (let j = 0; j < L; j++) {
      const q = lvl.coeffModulus[j]!;
      const base = (p * L + j) * n;
      for (let i = 0; i < n; i++) {
        if (ct.data[base + i]! >= q) throw malformed('ciphertext.data', `coefficient ${base + i} is not reduced modulo q_${j}`);
      }
    }
  }
  return lvl;
}
