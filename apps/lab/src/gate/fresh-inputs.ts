/**
 * A side's timed operation on inputs made again before each of its slices. An operation's
 * inputs and its pooled result buffer stay the same for a whole run otherwise, and with them
 * whatever sets the speed of the cheap operations beside the code: in A/A pairings (the same
 * code on both sides) `ckks.add` measured ×0.86–×1.17 from one run to the next, each run's
 * pairs tight around its own value, a bias no number of pairs removes. Inputs and result
 * buffers drawn afresh per slice turn it into pair-to-pair scatter, which the signed-rank
 * interval accounts for. The previous inputs are freed only after the new ones are made, so
 * that the new ones do not simply take their memory back.
 */
export interface FreshInputs<T> {
  /** The inputs of the slice now running. */
  readonly current: () => T;
  /** Makes new inputs, then frees the old (unless the caller owns them). */
  readonly beforeSlice: () => void;
}

/**
 * Inputs starting at `first` (freed here only when `firstOwned`; a caller's own fixture is not),
 * made again by `make` before each slice (given the slice's index, from 0; it drops the result
 * pool it makes them on) and freed by `free` once replaced or at `disposers`.
 */
export function freshEachSlice<T>(
  first: T,
  firstOwned: boolean,
  make: (slice: number) => T,
  free: (inputs: T) => void,
  disposers: (() => void)[],
): FreshInputs<T> {
  let live = first;
  let owned = firstOwned;
  let slices = 0;
  disposers.push(() => {
    if (owned) free(live);
  });
  return {
    current: () => live,
    beforeSlice: () => {
      const old = live;
      live = make(slices);
      slices += 1;
      if (owned) free(old);
      owned = true;
    },
  };
}

/**
 * Pairs between moves of a side's keys to fresh memory. Where a side's keys sit sets its speed
 * for as long as they sit there: on the project's AMD host, eight hoisting keys copied twelve
 * times in one process ran a batch at 0.96–1.27× a fixed copy (each copy's own slices within
 * ±3 %), and copying 2 MB pages of one buffer took 63–101 µs, page by page, with a split-half
 * correlation of 0.48 (a property of the memory, not of the code). With keys made once per
 * side, that draw was every pair's: A/A pairings of unchanged code read `ckks.rotate_hoisted`
 * ×0.93–×0.996, the gate once ×0.867, and `ckks.decrypt` ×0.736 in a CI run where its path had
 * not changed. Moved every few pairs, a side's keys take many placements in a run, and the draw
 * is pair-to-pair scatter that the interval accounts for.
 */
export const KEY_MOVE_PAIRS = 3;

/**
 * `beforeSlice`, preceded every KEY_MOVE_PAIRS slices by `move` (untimed; not before the first
 * slice, whose keys were just made).
 */
export function movingKeys(move: () => void, beforeSlice: () => void): () => void {
  let slices = 0;
  return () => {
    if (slices > 0 && slices % KEY_MOVE_PAIRS === 0) move();
    slices += 1;
    beforeSlice();
  };
}
