/**
 * The native backend's wire side: serialized SEAL ciphertexts in (a handle, or straight to
 * decrypted values), with the checks every reader of the wire makes and seeded c1 expanded.
 */
import { alignedWords } from '@hlp/kernels';
import { CkksError } from '../errors.js';
import { parseCiphertextView, type SealCiphertext, type SealCiphertextView, type SealSeed } from '../seal-format.js';
import type { CiphertextHandle } from '../backend.js';
import { translateKernelError } from './kernel-errors.js';
import type { NativeScope } from './scope.js';

export function deserialize(scope: NativeScope, bytes: Uint8Array): CiphertextHandle {
  scope.alive();
  // The coefficients are read where they arrived and copied once, into the result (an aligned
  // copy first, then a second one into the result, was a sixth of deserializing a seeded
  // ciphertext in the inference service, beside a zeroed quarter megabyte for the collector).
  const ct = parseCiphertextView(bytes);
  const level = dataLevelOf(scope, ct);
  // Every word of the result is written below: a buffer from the result pool, else an
  // uninitialized one (zeroing a quarter megabyte per ciphertext was a tenth of the
  // inference service's CPU, beside its page faults), on a cache line as the kernels' own results.
  const words = ct.size * (level + 1) * scope.params.n;
  const data = scope.into(scope.check, words).out ?? alignedWords(words);
  new Uint8Array(data.buffer, data.byteOffset, ct.dataBytes.length).set(ct.dataBytes);
  if (ct.seed) expandC1(scope, ct.seed, level, data.subarray(ct.dataBytes.length / 8));
  // Residues are range-checked by the first native operation that reads it (checkInput; it
  // stays unverified until then), so a hostile ciphertext fails with a typed error on first
  // use rather than with a scan here.
  return scope.wrapCt(data, level, ct.scale, ct.size, null, false);
}

/**
 * Decrypt and decode serialized ciphertexts of one level, size and scale (an evaluation's
 * answer) in one native call on a libuv worker thread: each one's first `valuesPerCiphertext`
 * slots. The event loop only checks each frame's header: the worker thread reads the
 * coefficients where they arrived (no handle, plaintext or batch buffer on the way; copying a
 * thousand answers into one buffer held the loop for half a second). Seeded frames, which no
 * evaluation answers with, are expanded here first.
 */
export async function decryptDecodeFrames(scope: NativeScope, frames: readonly Uint8Array[], valuesPerCiphertext: number): Promise<Float64Array[]> {
  scope.alive();
  if (!Number.isInteger(valuesPerCiphertext) || valuesPerCiphertext < 1 || valuesPerCiphertext > scope.params.slotCount) {
    throw new CkksError('INVALID_ARGUMENT', `valuesPerCiphertext must be in [1, ${scope.params.slotCount}]`);
  }
  const head = frames[0];
  if (head === undefined) return [];
  const first = parseCiphertextView(head);
  const level = dataLevelOf(scope, first);
  const views: Uint8Array[] = new Array<Uint8Array>(frames.length);
  for (const [i, bytes] of frames.entries()) {
    const ct = i === 0 ? first : parseCiphertextView(bytes);
    if (i > 0) {
      dataLevelOf(scope, ct);
      if (Buffer.compare(ct.parmsId, first.parmsId) !== 0 || ct.size !== first.size || ct.scale !== first.scale) {
        throw new CkksError('PARAMETER_MISMATCH', `ciphertext ${i} differs from the first in level, size or scale: a batch shares them`);
      }
    }
    views[i] = ct.seed ? unseedView(scope, ct, level) : ct.dataBytes;
  }
  const sk = scope.secretKey();
  let values: Float64Array;
  try {
    values = await scope.core.decryptDecodeAsync(sk, views, frames.length, first.size, level + 1, first.scale, valuesPerCiphertext, scope.check);
  } catch (error) {
    throw translateKernelError('decrypt+decode', error);
  }
  return frames.map((_, i) => values.subarray(i * valuesPerCiphertext, (i + 1) * valuesPerCiphertext));
}

/** A seeded ciphertext's c1, expanded from its seed into `out` (its length: one polynomial). */
function expandC1(scope: NativeScope, seed: SealSeed, level: number, out: BigUint64Array): void {
  const stream = scope.expandSeed(seed.prngType, seed.seed, scope.core.randomnessBytes('uniform', level + 1));
  scope.native('expand seed', () => scope.core.sampleUniform(stream, level + 1, { out }));
}

/** A seeded ciphertext left in place: the bytes of its c0 and of its c1 expanded from the seed. */
function unseedView(scope: NativeScope, ct: SealCiphertextView, level: number): Uint8Array {
  const polyWords = (level + 1) * scope.params.n;
  const out = alignedWords(2 * polyWords);
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  bytes.set(ct.dataBytes.subarray(0, polyWords * 8));
  expandC1(scope, ct.seed!, level, out.subarray(polyWords));
  return bytes;
}

/** The data level of a parsed ciphertext, after the checks every reader of the wire makes. */
function dataLevelOf(scope: NativeScope, ct: Omit<SealCiphertext, 'data'>): number {
  // Compared in place: two copies per level per ciphertext were most of a thousand-frame answer's checks.
  const chain = scope.chain.find((c) => Buffer.compare(c.parmsId, ct.parmsId) === 0);
  if (!chain || chain.level < 0) {
    throw new CkksError('PARAMETER_MISMATCH', 'ciphertext parms_id is not a data level of these parameters', 'parmsId');
  }
  if (ct.polyModulusDegree !== scope.params.n || ct.coeffModulusSize !== chain.level + 1) {
    throw new CkksError('PARAMETER_MISMATCH', `ciphertext shape (n ${ct.polyModulusDegree}, ${ct.coeffModulusSize} moduli) does not match its level`);
  }
  if (!ct.isNttForm) throw new CkksError('PARAMETER_MISMATCH', 'CKKS ciphertexts must be in NTT form', 'isNttForm');
  if (!(ct.scale > 0) || !Number.isFinite(ct.scale)) throw new CkksError('MALFORMED', `scale ${ct.scale} is not positive and finite`, 'scale');
  if (ct.size < 2 || ct.size > 3) throw new CkksError('INVALID_ARGUMENT', `ciphertexts of size ${ct.size} are not supported (2 or 3)`, 'size');
  return chain.level;
}
