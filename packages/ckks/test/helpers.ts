import type { SEALLibrary } from 'node-seal/implementation/seal.js';
import type { Context } from 'node-seal/implementation/context.js';
import type { ComprModeType } from 'node-seal/implementation/compr-mode-type.js';
import { ckksScheme, loadSealLibrary, securityLevel } from '../src/seal/library.js';
import { type CkksParams } from '../src/params.js';

export async function sealLib(): Promise<SEALLibrary> {
  return loadSealLibrary();
}

/** A raw node-seal CKKS context for the parameters (caller deletes). */
export function sealContext(seal: SEALLibrary, p: CkksParams, expandModChain = true): Context {
  const parms = seal.EncryptionParameters(ckksScheme(seal));
  parms.setPolyModulusDegree(p.n);
  const cm = seal.CoeffModulus.Create(p.n, Int32Array.from(p.coeffModulusBits));
  parms.setCoeffModulus(cm);
  cm.delete();
  const ctx = seal.Context(parms, expandModChain, securityLevel(seal, p.insecure));
  parms.delete();
  return ctx;
}

export function none(seal: SEALLibrary): ComprModeType {
  return seal.ComprModeType.none as ComprModeType;
}
export function zlibMode(seal: SEALLibrary): ComprModeType {
  return seal.ComprModeType.zlib as ComprModeType;
}
export function zstdMode(seal: SEALLibrary): ComprModeType {
  return seal.ComprModeType.zstd as ComprModeType;
}

/** Deterministic xorshift32 PRNG. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, n = Math.min(a.length, b.length)): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs((a[i] ?? NaN) - (b[i] ?? NaN)));
  return m;
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** node-seal's "returns the result unless a destination was given" (typed `T | void`). */
export function got<T>(value: T | void): T {
  if (value === undefined) throw new Error('node-seal returned nothing');
  return value;
}
