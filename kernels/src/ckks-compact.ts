/**
 * Compact plaintexts: a CKKS plaintext whose slots repeat with period slots / R (the blocked
 * layout's masks, one matrix tiled over every token's block) is a polynomial in X^R, and in
 * SEAL's bit-reversed NTT order its values at the roots that share an R-th power sit side by
 * side, so each block is runs of R equal words. Kept as one word a run, such a plaintext takes
 * 1/R of the memory and of the memory traffic of a matrix product, which streams every mask
 * once a call (a 768 × 768 map: 1535 masks, 196 MB at n = 8192 whole). CkksCore's
 * multiplyPlainAccumulateGroups reads them so (`plainRepeat`); everything else takes the
 * whole plaintext back from `expandPlain`.
 */
import { alignedWords } from './aligned.js';
import { KernelError, guarded } from './errors.js';
import { nativeCoreOf, type CkksCore } from './ckks-core.js';

/** The largest run length the native sums read (a vector's eight lanes from one word). */
export const MAX_PLAIN_REPEAT = 8;

function wordsOf(plain: BigUint64Array): Uint32Array {
  return new Uint32Array(plain.buffer, plain.byteOffset, plain.length * 2);
}

function checkRepeat(repeat: number, words: number): void {
  if (![1, 2, 4, 8].includes(repeat)) throw new KernelError('INVALID_ARGUMENT', `a plaintext repeats 1, 2, 4 or 8 times, not ${repeat}`);
  if (words % repeat !== 0) throw new KernelError('LENGTH_MISMATCH', `${words} words are not runs of ${repeat}`);
}

/** The largest R (1, 2, 4 or 8) such that every run of R words of `plain` (level blocks, NTT form) holds one value. */
export function plainRepeat(core: CkksCore, plain: BigUint64Array, level: number): number {
  const native = nativeCoreOf(core);
  const repeat = guarded(() => native.plainRepeat(plain, level));
  if (repeat === 0) throw new KernelError('LENGTH_MISMATCH', `plain has ${plain.length} words, not ${level} x ${core.n}`);
  return repeat;
}

/** One word of each run of `repeat` (n / R words a block); INVALID_ARGUMENT where a run holds two values. */
export function compactPlain(plain: BigUint64Array, repeat: number): BigUint64Array {
  checkRepeat(repeat, plain.length);
  const out = alignedWords(plain.length / repeat);
  const src = wordsOf(plain);
  const dst = wordsOf(out);
  for (let i = 0, j = 0; j < out.length; i += repeat, j++) {
    const lo = src[2 * i]!;
    const hi = src[2 * i + 1]!;
    for (let r = 1; r < repeat; r++) {
      if (src[2 * (i + r)] !== lo || src[2 * (i + r) + 1] !== hi) {
        throw new KernelError('INVALID_ARGUMENT', `words ${i}..${i + repeat - 1} are not one value: the plaintext does not repeat ${repeat} times`);
      }
    }
    dst[2 * j] = lo;
    dst[2 * j + 1] = hi;
  }
  return out;
}

/** The whole plaintext of a compact one: each word `repeat` times. */
export function expandPlain(compact: BigUint64Array, repeat: number): BigUint64Array {
  checkRepeat(repeat, compact.length * repeat);
  const out = alignedWords(compact.length * repeat);
  const src = wordsOf(compact);
  const dst = wordsOf(out);
  for (let j = 0, i = 0; j < compact.length; j++) {
    const lo = src[2 * j]!;
    const hi = src[2 * j + 1]!;
    for (let r = 0; r < repeat; r++, i++) {
      dst[2 * i] = lo;
      dst[2 * i + 1] = hi;
    }
  }
  return out;
}
