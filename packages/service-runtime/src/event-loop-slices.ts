/**
 * A service's long synchronous work on the event loop (a batch's embedding, encryption or
 * decryption in the proxy; a request's evaluation in the inference service: hundreds of
 * ciphertexts take a second or more) is cut into slices of about EVENT_LOOP_SLICE_MS, so that
 * one request never holds other requests, or /healthz, for longer.
 *
 * Slices of all pieces of work take turns: one slice per event-loop iteration, first come first
 * served. Each job yielding with its own `setImmediate` is not enough: every immediate queued
 * before the loop's check phase runs in that same phase, so twenty concurrent batches each
 * running "only" 5 ms held the loop for 100 ms between two polls for I/O.
 */
export const EVENT_LOOP_SLICE_MS = 5;

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

/**
 * Counts event-loop iterations until stopped (an immediate that queues itself again runs once
 * per check phase): how often a piece of work let the loop turn, for tests and diagnostics.
 */
export function loopIterationCounter(): { readonly now: () => number; readonly stop: () => void } {
  let n = 0;
  let on = true;
  const tick = (): void => {
    n++;
    if (on) setImmediate(tick);
  };
  setImmediate(tick);
  return { now: () => n, stop: () => (on = false) };
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
