/**
 * Same-job comparison: both sides run alternately on the same machine (A B A B …), so that
 * slow drift of the machine (thermal, other tenants) lands on both sides alike.
 */

export type Side = 'baseline' | 'current';

export interface InterleaveEvent {
  readonly round: number;
  readonly rounds: number;
  readonly side: Side;
  readonly phase: 'start' | 'done';
  readonly ms?: number;
}

export interface InterleaveOptions<T> {
  readonly rounds: number;
  /** Runs the baseline side (the git ref) once; `round` is 1-based. */
  readonly baseline: (round: number) => Promise<T>;
  /** Runs the current side (the working tree) once. */
  readonly current: (round: number) => Promise<T>;
  readonly progress?: (event: InterleaveEvent) => void;
}

export interface Interleaved<T> {
  readonly baseline: T[];
  readonly current: T[];
  /** The order the runs happened in. */
  readonly order: { readonly round: number; readonly side: Side }[];
}

/** Runs `rounds` rounds of baseline then current, one at a time, never overlapping. */
export async function interleave<T>(options: InterleaveOptions<T>): Promise<Interleaved<T>> {
  if (!Number.isInteger(options.rounds) || options.rounds < 1) throw new RangeError(`rounds must be a positive integer, got ${options.rounds}`);
  const out: Interleaved<T> = { baseline: [], current: [], order: [] };
  for (let round = 1; round <= options.rounds; round++) {
    for (const side of ['baseline', 'current'] as const) {
      options.progress?.({ round, rounds: options.rounds, side, phase: 'start' });
      const t0 = performance.now();
      const value = await (side === 'baseline' ? options.baseline(round) : options.current(round));
      out[side].push(value);
      out.order.push({ round, side });
      options.progress?.({ round, rounds: options.rounds, side, phase: 'done', ms: performance.now() - t0 });
    }
  }
  return out;
}
