/**
 * `ckks.matvec`: one encrypted matrix–vector product per call, as the inference service
 * evaluates its `projection` workload (BSGS diagonals on the blocked layout: hoisted baby-step
 * rotations, one plaintext dot product per giant step, giant-step rotations, one rescale).
 * Two shapes: the service's default projection (768 → 64) and a full 768 × 768 map. The input
 * sits at level 1, where the proxy sends projection inputs. Both backends run the same code
 * (the service's own runner); each case's first call is checked against the plaintext
 * reference within the workload's error bound before it is timed.
 *
 * Only at n = 8192, the service's preset: at 16384 the 768 × 768 map's Galois keys alone
 * would hold over a gigabyte.
 */
import type { CiphertextHandle, CkksBackend } from '@hlp/ckks';
import * as evaluatorModule from '@hlp/evaluator';
import * as modelModule from '@hlp/model';
import { blockSizeFor, bsgsPlan, planPacking, type PackingPlan } from '@hlp/model';
import { LabError } from '../errors.js';

export type MatvecShape = '768x64' | '768x768';

export interface MatvecCase {
  readonly kind: 'matvec';
  readonly name: 'ckks.matvec';
  readonly shape: MatvecShape;
}

export const MATVEC_N = 8192;
/** Timed calls at least (a node-seal 768 × 768 product takes about a second). */
export const MATVEC_MIN_ITERATIONS = { quick: 2, full: 5 } as const;
const INPUT_WIDTH = 768;
/** The level projection inputs arrive at (the lowest that evaluates a depth-1 product). */
const INPUT_LEVEL = 1;
/** Fixed weights, so every run times the same matrix. */
const WEIGHT_SEED = 20_261_205;

function outputsOf(shape: MatvecShape): number {
  return shape === '768x64' ? 64 : 768;
}

/** The cases for one ring degree: none but at the service's preset; quick mode the default shape only. */
export function matvecCases(n: number, quick: boolean): MatvecCase[] {
  if (n !== MATVEC_N) return [];
  const shapes: MatvecShape[] = quick ? ['768x64'] : ['768x64', '768x768'];
  return shapes.map((shape) => ({ kind: 'matvec', name: 'ckks.matvec', shape }));
}

/** The Galois steps the cases need (their BSGS baby and giant steps). */
export function matvecSteps(cases: readonly MatvecCase[]): number[] {
  const steps = new Set<number>();
  for (const c of cases) {
    const outputs = outputsOf(c.shape);
    for (const s of bsgsPlan(INPUT_WIDTH, outputs, blockSizeFor(Math.max(INPUT_WIDTH, outputs))).steps) steps.add(s);
  }
  return [...steps].sort((a, b) => a - b);
}

export interface MatvecFixture {
  readonly run: () => void;
  readonly dispose: () => void;
}

/**
 * The product code a matrix product runs: @hlp/evaluator's runner and @hlp/model's workload,
 * this checkout's by default; the merge gate passes another checkout's for its side.
 */
export interface MatvecModules {
  readonly evaluator: Pick<typeof evaluatorModule, 'CountingEvaluator' | 'MaskStore' | 'ProjectionRunner'>;
  readonly model: Pick<typeof modelModule, 'ProjectionWorkload'>;
}

/**
 * Builds the case (weights, masks encoded once, the input at level 1), checks one product
 * against the plaintext reference, and returns the timed call.
 */
export function matvecFixture(
  c: MatvecCase,
  backend: CkksBackend,
  what: string,
  modules: MatvecModules = { evaluator: evaluatorModule, model: modelModule },
): MatvecFixture {
  const { CountingEvaluator, MaskStore, ProjectionRunner } = modules.evaluator;
  const outputs = outputsOf(c.shape);
  const workload = new modules.model.ProjectionWorkload({ seed: WEIGHT_SEED, width: INPUT_WIDTH, outputs });
  const masks = new MaskStore(backend);
  const runner = new ProjectionRunner(backend, workload, masks);
  const plan: PackingPlan = planPacking('blocked', 1, backend.slotCount, Math.max(INPUT_WIDTH, outputs));
  const input = Float64Array.from({ length: INPUT_WIDTH }, (_, i) => Math.sin(0.37 * i + 0.1));
  const slots = new Float64Array(backend.slotCount);
  slots.set(input);
  let x: CiphertextHandle | null = null;
  try {
    const plain = backend.encode(slots);
    x = backend.encrypt(plain);
    plain.dispose();
    while (x.level > INPUT_LEVEL) {
      const next = backend.modSwitchToNext(x);
      x.dispose();
      x = next;
    }
    const input1 = x;
    const evaluate = (): CiphertextHandle => {
      const out = runner.run(new CountingEvaluator(backend), [input1], plan);
      return out[0]!;
    };
    const first = evaluate();
    const decrypted = backend.decrypt(first);
    first.dispose();
    const decoded = backend.decode(decrypted);
    decrypted.dispose();
    const expected = workload.reference(input, 1);
    let maxError = 0;
    for (let r = 0; r < outputs; r++) maxError = Math.max(maxError, Math.abs((decoded[r] as number) - (expected[r] as number)));
    const bound = workload.errorBound(1e-6);
    if (!(maxError <= bound)) {
      throw new LabError('INTERNAL', `${what}: ckks.matvec ${c.shape} is off the plaintext reference by ${maxError} (bound ${bound})`);
    }
    return {
      run: () => evaluate().dispose(),
      dispose: () => {
        input1.dispose();
        runner.dispose();
        masks.dispose();
      },
    };
  } catch (error) {
    x?.dispose();
    runner.dispose();
    masks.dispose();
    throw error;
  }
}
