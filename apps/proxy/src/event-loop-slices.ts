/**
 * The proxy's batch work in event-loop slices (see @hlp/service-runtime's `EventLoopSlices`):
 * how many tokens are embedded between pauses, and ciphertexts serialized one slice at a time.
 */
import type { CiphertextHandle } from '@hlp/ckks';
import { EventLoopSlices } from '@hlp/service-runtime';

/** Tokens embedded at once between pauses (a piece of 64 rows never seen before takes a few ms). */
export const EMBED_PIECE_TOKENS = 64;

/**
 * Serializes (and disposes) a chunk of ciphertexts, a quarter of a megabyte each, in slices.
 * Returns the ms spent serializing (the pauses not counted).
 */
export async function serializeSliced(cts: readonly CiphertextHandle[], put: (index: number, bytes: Uint8Array) => void): Promise<number> {
  const slices = new EventLoopSlices();
  let spent = 0;
  try {
    for (const [i, ct] of cts.entries()) {
      const t = performance.now();
      put(i, ct.serialize());
      spent += performance.now() - t;
      await slices.pause();
    }
  } finally {
    for (const ct of cts) ct.dispose();
  }
  return spent;
}
