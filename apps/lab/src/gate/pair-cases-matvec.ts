/**
 * `ckks.matvec` in the paired ckks suite: the quick bench's shape (the inference service's
 * default projection, 768 → 64) on the native backend, each side running its own checkout's
 * product code end to end: its @hlp/ckks backend and kernels, and its @hlp/evaluator runner and
 * @hlp/model workload (the harness, ckks-matvec.ts, is the candidate's). Each side makes a
 * backend with the Galois keys of the product's BSGS steps and nothing more, and checks its first
 * product against the plaintext reference before it is timed.
 *
 * A side without the workload modules (a checkout from before @hlp/evaluator) or without native
 * key switching is not paired: the case is left out with a note, and the gate goes on.
 */
import { ckksCaseLabels } from '../bench/ckks.js';
import { matvecCases, matvecFixture, matvecSteps, type MatvecFixture } from '../bench/ckks-matvec.js';
import type { PairCase, SideName } from './interleave.js';
import { keySwitchingBackends, type KswitchPairOptions } from './pair-cases-kswitch.js';
import type { Sides } from './pair-cases.js';

const SIDES: readonly SideName[] = ['baseline', 'current'];

/**
 * Slices of a product (~5 ms a call here): long enough for several calls, so that one disturbed
 * call does not decide a slice's median.
 */
export const MATVEC_SLICE = { ms: 40, minCalls: 4 } as const;

/** The paired matrix products of one (backend, n) on both sides, or none with a note (see the module comment). */
export async function matvecPairCases(sides: Sides, o: KswitchPairOptions, notes: string[], disposers: (() => void)[]): Promise<PairCase[]> {
  const wanted = matvecCases(o.n, true).filter((c) => o.wanted?.(c.name, ckksCaseLabels(c, o.backendName, o.n)) ?? true);
  if (wanted.length === 0) return [];
  if (o.backendName !== 'native') {
    notes.push(`ckks.matvec paired on the native backend only, not on ${o.backendName} (node-seal on both sides)`);
    return [];
  }
  const modules = { baseline: await sides.baseline.workloads(), current: await sides.current.workloads() };
  const lacking = SIDES.find((s) => modules[s] === undefined);
  if (lacking !== undefined) {
    notes.push(`ckks.matvec not paired: the ${lacking === 'baseline' ? 'reference' : 'candidate'} has no built @hlp/evaluator and @hlp/model`);
    return [];
  }
  const backends = await keySwitchingBackends(sides, o, 'ckks.matvec', { relin: false, galoisSteps: matvecSteps(wanted) }, notes, disposers);
  if (backends === null) return [];
  return wanted.map((c): PairCase => {
    const fixtures = {} as Record<SideName, MatvecFixture>;
    for (const s of SIDES) {
      const fixture = matvecFixture(c, backends[s], `${s === 'baseline' ? 'reference' : 'candidate'} ckks.matvec ${c.shape}`, modules[s]);
      disposers.push(() => fixture.dispose());
      fixtures[s] = fixture;
    }
    return {
      kind: 'timed',
      name: c.name,
      labels: ckksCaseLabels(c, o.backendName, o.n),
      unit: 'ms',
      run: { baseline: fixtures.baseline.run, current: fixtures.current.run },
      async: false,
      slice: MATVEC_SLICE,
    };
  });
}
