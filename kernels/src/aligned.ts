/**
 * Word arrays that start on a cache line. Allocators hand out 16-byte aligned memory, and
 * where a buffer starts matters to the vector kernels: on this project's AMD host a hoisted
 * rotation whose keys sat 16 bytes off a 32-byte boundary took 12–20 % longer than with
 * aligned keys (each 512-bit load's 256-bit halves then straddle cache lines). The native
 * results (keys, ciphertexts, plaintexts) are aligned by the binding; buffers made in
 * JavaScript that the kernels read again and again come from here.
 */
import { native } from './addon.js';
import { guarded } from './errors.js';

/** Bytes: the alignment of every word array from the addon and from this module. */
export const WORD_ALIGNMENT = 64;

/** `words` 64-bit words on a cache line; not zeroed unless asked (for a result written whole). */
export function alignedWords(words: number, options: { readonly zeroed?: boolean } = {}): BigUint64Array {
  return guarded(() => native().alignedWords(words, options.zeroed ?? false));
}

/** The address of a view's first byte modulo WORD_ALIGNMENT (0: on a cache line). */
export function byteAlignment(view: ArrayBufferView): number {
  return guarded(() => native().byteAlignment(view));
}

/** `words` zeroed words of a SharedArrayBuffer (for work shared with other threads), on a cache line. */
export function alignedSharedWords(words: number): BigUint64Array {
  const shared = new SharedArrayBuffer(words * 8 + WORD_ALIGNMENT);
  const offset = (WORD_ALIGNMENT - byteAlignment(new Uint8Array(shared, 0, 1))) % WORD_ALIGNMENT;
  return new BigUint64Array(shared, offset, words);
}

/** `words` itself when it starts on a cache line, else an aligned copy: for data kept and read often (keys). */
export function alignedCopy(words: BigUint64Array): BigUint64Array {
  if (byteAlignment(words) === 0) return words;
  const out = alignedWords(words.length);
  out.set(words);
  return out;
}
