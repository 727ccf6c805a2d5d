/**
 * The encrypted workloads as the service evaluates them. Weights are server-owned and come from
 * @hlp/model (seeded); the plaintext reference and the cost formulas live there too, and the
 * counts executed here equal `describe()`'s (checked by the tests).
 *
 * Scale management: a plaintext multiplicand is encoded at scale q_L, the prime that the
 * following rescale divides by, so a ciphertext at scale Δ comes out of multiply_plain + rescale
 * at exactly Δ again, one level lower; additive constants are encoded at the scale and level of
 * the ciphertext they are added to.
 */
import type { CiphertextHandle, CkksBackend, PlaintextHandle } from '@hlp/ckks';
import {
  AffineWorkload,
  MlpWorkload,
  ProjectionWorkload,
  blockSizeFor,
  bsgsPlan,
  polynomialDegree,
  type BsgsPlan,
  type FoldStep,
  type PackingLayout,
  type PackingPlan,
  type WorkloadName,
} from '@hlp/model';
import { ProtocolError } from '@hlp/protocol';
import { addInto, primeAt, rescaledScale, type CountingEvaluator } from './ops.js';

/** Plaintexts encoded once and reused, bounded in count (least recently used go first). */
export class PlaintextCache {
  private readonly map = new Map<string, PlaintextHandle>();
  constructor(private readonly maxEntries: number) {}

  get(key: string, make: () => PlaintextHandle): PlaintextHandle {
    const hit = this.map.get(key);
    if (hit && !hit.disposed) {
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    const p = make();
    this.map.set(key, p);
    while (this.map.size > this.maxEntries) {
      const [oldest, handle] = this.map.entries().next().value as [string, PlaintextHandle];
      this.map.delete(oldest);
      handle.dispose();
    }
    return p;
  }

  get size(): number {
    return this.map.size;
  }

  clear(): void {
    for (const p of this.map.values()) p.dispose();
    this.map.clear();
  }
}

export interface RunnerInfo {
  readonly name: WorkloadName;
  readonly inputWidth: number;
  readonly outputWidth: number;
  readonly depth: number;
  readonly layouts: readonly PackingLayout[];
  readonly rotationSteps: readonly number[];
  readonly needsRelin: boolean;
  readonly needsGalois: boolean;
}

export interface Runner extends RunnerInfo {
  readonly backend: CkksBackend;
  readonly workload: AffineWorkload | ProjectionWorkload | MlpWorkload;
  /**
   * Evaluate ciphertexts `firstIndex`, `firstIndex` + 1, … of a request packed by `plan` (default
   * 0: all of them); outputs in input order, inputs not disposed. Each ciphertext is evaluated on
   * its own, so a request may be run a few ciphertexts at a time.
   */
  run(ev: CountingEvaluator, inputs: readonly CiphertextHandle[], plan: PackingPlan, firstIndex?: number): CiphertextHandle[];
  /** Encode the plaintexts a request at a fresh level will need (optional warm-up). */
  prepare(plan: PackingPlan): void;
  dispose(): void;
}

const LAYOUTS_ALL: readonly PackingLayout[] = ['blocked', 'dense', 'dimension-major'];

function constantVector(slots: number, value: number): Float64Array {
  return new Float64Array(slots).fill(value);
}

// ---------------------------------------------------------------------------------------------

/** `affine`: y = a ⊙ x + b: multiply_plain(a at scale q_L) → rescale → add_plain(b), one call on the native backend. */
export class AffineRunner implements Runner {
  readonly name = 'affine' as const;
  readonly inputWidth: number;
  readonly outputWidth: number;
  readonly depth = 1;
  readonly layouts = LAYOUTS_ALL;
  readonly rotationSteps: readonly number[] = [];
  readonly needsRelin = false;
  readonly needsGalois = false;
  private readonly cache = new PlaintextCache(64);

  constructor(
    readonly backend: CkksBackend,
    readonly workload: AffineWorkload,
  ) {
    this.inputWidth = workload.inputWidth;
    this.outputWidth = workload.outputWidth;
  }

  /** The a (or b) vector for ciphertext `index` of `plan`, and a key naming its pattern. */
  private operand(which: 'a' | 'b', plan: PackingPlan, index: number): { key: string; values: () => Float64Array } {
    const src = which === 'a' ? this.workload.scale : this.workload.shift;
    const S = plan.slotCount;
    const w = this.inputWidth;
    switch (plan.layout) {
      case 'blocked': {
        const B = plan.blockSize;
        return {
          key: `${which}:blocked:${B}`,
          values: () => {
            const v = new Float64Array(S);
            for (let b = 0; b < S / B; b++) v.set(src, b * B);
            return v;
          },
        };
      }
      case 'dense': {
        const offset = (index * S) % w;
        return {
          key: `${which}:dense:${offset}`,
          values: () => Float64Array.from({ length: S }, (_, s) => src[(offset + s) % w] as number),
        };
      }
      case 'dimension-major': {
        const d = index % w;
        return { key: `${which}:dm:${d}`, values: () => constantVector(S, src[d] as number) };
      }
    }
  }

  run(ev: CountingEvaluator, inputs: readonly CiphertextHandle[], plan: PackingPlan, firstIndex = 0): CiphertextHandle[] {
    const params = this.backend.params;
    const out: CiphertextHandle[] = [];
    try {
      inputs.forEach((x, i) => {
        const qL = primeAt(params, x.level);
        const a = this.operand('a', plan, firstIndex + i);
        const pa = this.cache.get(`${a.key}:${x.level}:${qL}`, () => this.backend.encode(a.values(), { scale: qL, level: x.level }));
        // b is encoded where the rescaled product lands, so that the three steps are one call where the backend fuses them
        const level = x.level - 1;
        const scale = rescaledScale(params, x.scale, pa.scale, x.level);
        const b = this.operand('b', plan, firstIndex + i);
        const pb = this.cache.get(`${b.key}:${level}:${scale}`, () => this.backend.encode(b.values(), { scale, level }));
        out.push(ev.multiplyPlainRescale(x, pa, pb));
      });
      return out;
    } catch (e) {
      for (const c of out) c.dispose();
      throw e;
    }
  }

  prepare(plan: PackingPlan): void {
    const L = this.backend.params.maxLevel;
    const qL = primeAt(this.backend.params, L);
    const a = this.operand('a', plan, 0);
    this.cache.get(`${a.key}:${L}:${qL}`, () => this.backend.encode(a.values(), { scale: qL, level: L }));
  }

  dispose(): void {
    this.cache.clear();
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * The BSGS masks of one k × d matrix (W scaled by `factor`) for one block geometry and level:
 * masks[g][j] = encode(rot_{−g·n1}(tile(factor · m_i))) at scale q_L, m_i the plan's mask
 * i = g·n1 + j (see @hlp/model's `bsgsMask`).
 */
class MaskSet {
  readonly masks: (PlaintextHandle | null)[][];
  constructor(backend: CkksBackend, workload: ProjectionWorkload, plan: BsgsPlan, factor: number, blockSize: number, level: number) {
    const S = backend.slotCount;
    const scale = primeAt(backend.params, level);
    const tiled = new Float64Array(S);
    const rotated = new Float64Array(S);
    this.masks = [];
    try {
      for (let g = 0; g < plan.giantSteps; g++) {
        const row: (PlaintextHandle | null)[] = [];
        this.masks.push(row);
        const shift = g * plan.babySteps;
        for (let j = 0; j < plan.babySteps; j++) {
          const idx = shift + j;
          if (idx >= plan.masks) {
            row.push(null);
            continue;
          }
          const u = workload.mask(plan, idx, blockSize);
          for (let b = 0; b < S / blockSize; b++) for (let r = 0; r < blockSize; r++) tiled[b * blockSize + r] = factor * (u[r] as number);
          // rot_{−shift}(v)[i] = v[(i − shift) mod S]
          for (let i = 0; i < S; i++) rotated[i] = tiled[(((i - shift) % S) + S) % S] as number;
          row.push(backend.encode(rotated, { scale, level, compact: true }));
        }
      }
    } catch (e) {
      this.dispose();
      throw e;
    }
  }
  dispose(): void {
    for (const row of this.masks) for (const p of row) p?.dispose();
    this.masks.length = 0;
  }
}

/** Mask sets shared by the runners of one backend (projection and mlp share W's). */
export class MaskStore {
  private readonly sets = new Map<string, MaskSet>();
  constructor(private readonly backend: CkksBackend) {}

  get(workload: ProjectionWorkload, plan: BsgsPlan, factor: number, blockSize: number, level: number): MaskSet {
    const key = `${workload.seed}:${workload.inputWidth}:${workload.outputWidth}:${factor}:${blockSize}:${level}`;
    let set = this.sets.get(key);
    if (!set) {
      set = new MaskSet(this.backend, workload, plan, factor, blockSize, level);
      this.sets.set(key, set);
    }
    return set;
  }

  /** Number of encoded plaintexts held. */
  get plaintexts(): number {
    let n = 0;
    for (const s of this.sets.values()) for (const row of s.masks) for (const p of row) if (p) n++;
    return n;
  }

  dispose(): void {
    for (const s of this.sets.values()) s.dispose();
    this.sets.clear();
  }
}

/** Σ_b rot_{b·K}(acc) along the plan's fold chain (see @hlp/model's `bsgsPlan`); consumes `acc`. */
function foldCopies(ev: CountingEvaluator, acc: CiphertextHandle, chain: readonly FoldStep[]): CiphertextHandle {
  let sum = acc;
  try {
    for (const step of chain) {
      const rotated = ev.rotate(step.source === 'sum' ? sum : acc, step.by);
      let next: CiphertextHandle;
      try {
        next = ev.add(sum, rotated);
      } finally {
        rotated.dispose();
      }
      if (sum !== acc) sum.dispose();
      sum = next;
    }
  } catch (e) {
    if (sum !== acc) sum.dispose();
    acc.dispose();
    throw e;
  }
  if (sum !== acc) acc.dispose();
  return sum;
}

/**
 * `projection` (y = W·x per token) and `mlp` (y = p(W·x)), blocked layout, BSGS diagonals as in
 * @hlp/model's `bsgsPlan`: the baby-step rotations rot_{δ0+j}(x) are computed once per
 * ciphertext and shared by every matrix; per matrix and giant step g, Σ_j mask[g][j] ⊙ baby[j]
 * is rotated by g·n1 and accumulated; one rescale per matrix, then the fold's rotations sum the
 * copies of each output row that a block holds. The activation follows
 * @hlp/model's Horner plan with the leading coefficient folded into a second matrix.
 */
export class ProjectionRunner implements Runner {
  readonly name: 'projection' | 'mlp';
  readonly inputWidth: number;
  readonly outputWidth: number;
  readonly depth: number;
  readonly layouts: readonly PackingLayout[] = ['blocked'];
  readonly rotationSteps: readonly number[];
  readonly needsRelin: boolean;
  readonly needsGalois = true;
  private readonly bsgs: BsgsPlan;
  /** Scale factors of the matrices applied to the input (W·factor). */
  private readonly factors: readonly number[];
  /** Activation coefficients c0..c3 (mlp) or undefined (projection). */
  private readonly coefficients: readonly number[] | undefined;
  private readonly degree: number;
  private readonly constants = new PlaintextCache(64);

  constructor(
    readonly backend: CkksBackend,
    readonly workload: ProjectionWorkload | MlpWorkload,
    private readonly masks: MaskStore,
  ) {
    this.name = workload instanceof MlpWorkload ? 'mlp' : 'projection';
    this.inputWidth = workload.inputWidth;
    this.outputWidth = workload.outputWidth;
    this.depth = workload.depth;
    // Every blocked plan of this backend has blocks of at least this size, so the plan's row
    // copies fit any of them.
    const block = blockSizeFor(Math.max(workload.inputWidth, workload.outputWidth));
    this.bsgs = bsgsPlan(workload.inputWidth, workload.outputWidth, block <= backend.slotCount ? block : undefined);
    this.rotationSteps = this.bsgs.steps;
    if (workload instanceof MlpWorkload) {
      const c = workload.activation.coefficients;
      this.coefficients = c;
      this.degree = polynomialDegree(c);
      const top = c[this.degree] as number;
      this.factors = this.degree === 1 ? [top] : [1, top];
      this.needsRelin = this.degree >= 2;
    } else {
      this.coefficients = undefined;
      this.degree = 1;
      this.factors = [1];
      this.needsRelin = false;
    }
  }

  private constant(value: number, ct: CiphertextHandle): PlaintextHandle {
    return this.constants.get(`${value}:${ct.level}:${ct.scale}`, () =>
      this.backend.encode(constantVector(this.backend.slotCount, value), { scale: ct.scale, level: ct.level }),
    );
  }

  private checkPlan(plan: PackingPlan): number {
    if (plan.layout !== 'blocked') {
      throw new ProtocolError('INVALID_REQUEST', `${this.name} runs on the blocked layout only, not ${plan.layout}`, 'plan.layout');
    }
    if (plan.blockSize < Math.max(this.inputWidth, this.outputWidth)) {
      throw new ProtocolError('INVALID_REQUEST', `block of ${plan.blockSize} slots is too small`, 'plan.width');
    }
    return plan.blockSize;
  }

  /** W_m·x for every matrix m, sharing the baby-step rotations. Outputs at level L − 1, scale of x. */
  private project(ev: CountingEvaluator, x: CiphertextHandle, blockSize: number): CiphertextHandle[] {
    const p = this.bsgs;
    const maskSets = this.factors.map((f) => this.masks.get(this.workload, p, f, blockSize, x.level));
    const baby: CiphertextHandle[] = [];
    const outputs: CiphertextHandle[] = [];
    try {
      // The baby steps rotate one ciphertext: hoisted, they share one key-switch decomposition.
      const steps = Array.from({ length: p.babySteps }, (_, j) => p.firstOffset + j);
      const rotated = ev.rotateMany(
        x,
        steps.filter((s) => s !== 0),
      );
      let next = 0;
      for (const step of steps) baby.push(step === 0 ? x : rotated[next++]!);
      for (const set of maskSets) {
        let acc: CiphertextHandle | null = null;
        // giant step g's inner sum Σ_j mask[g][j] ⊙ baby[j], to be rotated by g·n1: all of them
        // in one call (native: two giant steps a pass over the baby steps, each sum reduced
        // once), then rotated and summed in one call, one key-switch division for all (the
        // step-0 sum joins unrotated)
        const inners: CiphertextHandle[] = [];
        const shifts: number[] = [];
        try {
          const rows: (PlaintextHandle | null)[][] = [];
          const giants: number[] = [];
          set.masks.forEach((row, g) => {
            if (row.some((mask) => mask)) {
              rows.push(baby.map((_, j) => row[j] ?? null));
              giants.push(g);
            }
          });
          if (rows.length === 0) throw new ProtocolError('INTERNAL', 'empty BSGS plan');
          const sums = ev.multiplyPlainAccumulateGroups(baby, rows);
          for (let k = 0; k < sums.length; k++) {
            const g = giants[k]!;
            if (g === 0) acc = sums[k]!;
            else {
              inners.push(sums[k]!);
              shifts.push(g * p.babySteps);
            }
          }
          if (inners.length > 0) acc = addInto(ev, acc, ev.rotateSum(inners, shifts));
          if (acc === null) throw new ProtocolError('INTERNAL', 'BSGS plan without a step-0 sum or giant steps');
          // The copies are summed after the rescale: a rotation one level lower is cheaper.
          outputs.push(foldCopies(ev, ev.rescale(acc), p.foldChain));
        } finally {
          acc?.dispose();
          for (const inner of inners) inner.dispose();
        }
      }
      return outputs;
    } catch (e) {
      for (const o of outputs) o.dispose();
      throw e;
    } finally {
      for (const b of baby) if (b !== x) b.dispose();
    }
  }

  private activate(ev: CountingEvaluator, z: CiphertextHandle[]): CiphertextHandle {
    const c = this.coefficients!;
    const [zw, zTop] = z as [CiphertextHandle, CiphertextHandle | undefined];
    const coef = (i: number): number => c[i] ?? 0;
    const disposeAll = (...hs: (CiphertextHandle | null | undefined)[]): void => {
      for (const h of hs) h?.dispose();
    };
    if (this.degree === 1) {
      // y = (c1·W)·x + c0
      return ev.addPlain(zw, this.constant(coef(0), zw));
    }
    // z = W·x, z' = (c_top·W)·x; inner = z' + c_{top-1}
    const top = zTop!;
    let inner: CiphertextHandle | null = null;
    let prod: CiphertextHandle | null = null;
    let relin: CiphertextHandle | null = null;
    let res: CiphertextHandle | null = null;
    let zLow: CiphertextHandle | null = null;
    try {
      inner = ev.addPlain(top, this.constant(coef(this.degree - 1), top));
      for (let d = this.degree - 2; d >= 0; d--) {
        // res = z·inner, relinearized and rescaled; then + c_d
        zLow = zw;
        while (zLow.level > inner.level) {
          const next = ev.modSwitchToNext(zLow);
          if (zLow !== zw) zLow.dispose();
          zLow = next;
        }
        prod = ev.multiply(zLow, inner);
        if (zLow !== zw) zLow.dispose();
        zLow = null;
        inner.dispose();
        inner = null;
        relin = ev.relinearize(prod);
        prod.dispose();
        prod = null;
        res = ev.rescale(relin);
        relin.dispose();
        relin = null;
        inner = ev.addPlain(res, this.constant(coef(d), res));
        res.dispose();
        res = null;
      }
      const y = inner;
      inner = null;
      return y;
    } finally {
      disposeAll(inner, prod, relin, res, zLow !== zw ? zLow : null);
    }
  }

  run(ev: CountingEvaluator, inputs: readonly CiphertextHandle[], plan: PackingPlan): CiphertextHandle[] {
    const blockSize = this.checkPlan(plan);
    const out: CiphertextHandle[] = [];
    try {
      for (const x of inputs) {
        const z = this.project(ev, x, blockSize);
        try {
          out.push(this.coefficients ? this.activate(ev, z) : z[0]!);
        } finally {
          if (this.coefficients) for (const h of z) h.dispose();
        }
      }
      return out;
    } catch (e) {
      for (const c of out) c.dispose();
      throw e;
    }
  }

  prepare(plan: PackingPlan): void {
    const blockSize = this.checkPlan(plan);
    for (const f of this.factors) this.masks.get(this.workload, this.bsgs, f, blockSize, this.backend.params.maxLevel);
  }

  dispose(): void {
    this.constants.clear();
  }
}
