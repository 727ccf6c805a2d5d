/**
 * A large batch's synchronous work on the event loop (embedding its tokens, serializing and
 * later decrypting and decoding its ciphertexts: a thousand ciphertexts take a second or more) is
 * cut into slices of about EVENT_LOOP_SLICE_MS, so that one batch never holds other requests, or
 * /healthz, for longer.
 *
 * Slices of all pieces of work take turns: one slice per event-loop iteration, first come first
 * served. Each job yielding with its own `setImmediate` is not enough: every immediate queued
 * before the loop's check phase runs in that same phase, so twenty concurrent batches each
 * running "only" 5 ms held the loop for 100 ms between two polls for I/O.
 */
import type { CiphertextHandle } from '@hlp/ckks';

export const EVENT_LOOP_SLICE_MS = 5;

/** Tokens embedded at once between pauses (a piece of 64 rows never seen before takes a few ms). */
export const EMBED_PIECE_TOKENS = 64;

const waiting: (() => void)[] = [];
let granting = false;

/** Wakes the first waiter; the next one waits for the next iteration (an immediate queued from an immediate runs then). */
function grantTurn(): void {
  waiting.shift()?.();
  if (waiting.length > 0) setImmediate(grantTurn);
  else granting = false;
}

/**
 * Resolves on a later event-loop iteration, after I/O has been polled, once every piece of work
 * that asked before has had its turn. Call it before a slice of synchronous work.
 */
export function loopTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!granting) {
      granting = true;
      setImmediate(grantTurn);
    }
  });
}

/** Pieces of work waiting for their turn (for tests and diagnostics). */
export function turnsWaiting(): number {
  return waiting.length;
}

/** The slices of one loop of work: `pause()` between its steps yields once a slice has run its time. */
export class EventLoopSlices {
  #start = performance.now();

  async pause(): Promise<void> {
    if (performance.now() - this.#start <= EVENT_LOOP_SLICE_MS) return;
    await loopTurn();
    this.#start = performance.now();
  }
}

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
