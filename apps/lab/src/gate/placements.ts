/**
 * A side's CKKS backends at several places in memory, and which one a case's slice runs on.
 *
 * Where a side's backend was made sets that side's speed for as long as it is used: with one
 * backend per side for a whole run, A/A pairings (the same code on both sides, byte-identical
 * builds) read `ckks.encode` ×0.938–×1.008 and `ckks.decode` ×0.931–×1.011 run to run on the
 * project's host, each run's pairs tight around its own value, and a CI gate once called
 * unchanged code ×0.872 (`ckks.rescale`) and ×0.912 (`ckks.encrypt`). Making the candidate's
 * backend first instead of the reference's turned the lean of `ckks.decode` from ×0.974 to
 * ×1.016 (medians of 9 and 7 runs): the draw follows the allocation, not the code. With
 * PLACEMENTS backends per side, made alternately, and every case moving to the next one every
 * KEY_MOVE_PAIRS pairs, a run's pairs see many draws per side, and what was a bias of the run
 * is scatter between its pairs, which the signed-rank interval accounts for.
 */
import type { CkksBackend } from '@hlp/ckks';
import { KEY_MOVE_PAIRS } from './fresh-inputs.js';
import type { SideName } from './interleave.js';

/**
 * Backends per side. A native backend at n = 8192 takes ~0.24 s to make (its node-seal
 * companion) and ~14 MB; six cover the 8 moves of a 24-pair run with few repeats.
 */
export const PLACEMENTS = 6;

/** Which of `count` placements slice `slice` (from 0) of a case starting at `offset` runs on. */
export function placementAt(slice: number, offset: number, count: number): number {
  return (Math.floor(slice / KEY_MOVE_PAIRS) + offset) % count;
}

/**
 * `count` backends per side with the same keys: the first of each side generates them, the
 * others import them. The sides take turns at making one (A B, B A, …), so that neither side's
 * backends are all made before the other's.
 */
export async function makePlacements(
  make: (side: SideName) => Promise<CkksBackend>,
  count: number,
  disposers: (() => void)[],
): Promise<Record<SideName, CkksBackend[]>> {
  const out: Record<SideName, CkksBackend[]> = { baseline: [], current: [] };
  for (let i = 0; i < count; i++) {
    const order: readonly SideName[] = i % 2 === 0 ? ['baseline', 'current'] : ['current', 'baseline'];
    for (const side of order) {
      const backend = await make(side);
      disposers.push(() => backend.dispose());
      const first = out[side][0];
      if (first === undefined) backend.generateKeys({ relin: false });
      else for (const kind of ['secret', 'public'] as const) backend.importKey(kind, first.exportKey(kind));
      out[side].push(backend);
    }
  }
  return out;
}

/**
 * A timed call per placement, taken in turn: `run` calls the current one, `beforeSlice` moves
 * to the one of the next slice (placementAt).
 */
export function rotating<T>(calls: readonly (() => T)[], offset: number): { run: () => T; beforeSlice: () => void } {
  let slices = 0;
  let index = offset % calls.length;
  return {
    run: () => calls[index]!(),
    beforeSlice: () => {
      index = placementAt(slices, offset, calls.length);
      slices += 1;
    },
  };
}
