/**
 * The encrypted workloads' plaintext references: plain Float64Array math that the inference
 * service's results are checked against, plus the operation counts each needs under a packing.
 * All weights are server-owned, public and derived deterministically from a seed (see rng.ts).
 *
 * Error model for `errorBound(e)`: every input slot carries an absolute error ≤ e after
 * encode/encrypt/decrypt, and every rescale (or plaintext encoding) adds at most e more. The
 * bound is worst-case and linear in e; CKKS at a 2^40 scale gives e around 2^-25 in practice.
 *
 * Rotation convention: rot_s(x)[i] = x[(i + s) mod S] (a positive step rotates left, as SEAL's
 * `rotateVector`); a negative step needs its own Galois key (or use S + s).
 */
import { bsgsMask, bsgsPlan, type BsgsPlan } from './bsgs.js';
import { DEFAULT_SEED, GPT2, SLOTS_N8192 } from './constants.js';
import { ModelError, requireInt } from './errors.js';
import { GELU_CUBIC_LSQ, evaluatePolynomial, polynomialDegree, type PolynomialActivation } from './gelu.js';
import { pack, planPacking, type PackingLayout, type PackingPlan } from './packing.js';
import { CounterRng, RNG_TABLE } from './rng.js';

export const WORKLOAD_NAMES = ['affine', 'projection', 'mlp'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

export interface DescribeOptions {
  readonly layout?: PackingLayout;
  /** Tokens in the packed input (default 1024). */
  readonly tokens?: number;
  /** CKKS slots (default 4096, N = 8192). */
  readonly slotCount?: number;
}

export interface WorkloadCost {
  readonly name: WorkloadName;
  readonly layout: PackingLayout;
  readonly tokens: number;
  readonly slotCount: number;
  readonly inputWidth: number;
  readonly outputWidth: number;
  /** Multiplicative depth: levels (rescales in sequence) consumed. */
  readonly depth: number;
  readonly inputCiphertexts: number;
  readonly outputCiphertexts: number;
  /** Total rotations (key switches) over all ciphertexts. */
  readonly rotations: number;
  /** Distinct rotation steps, i.e. the Galois keys the evaluator needs. */
  readonly rotationSteps: readonly number[];
  /** Ciphertext × plaintext (or × constant) multiplications. */
  readonly plaintextMultiplications: number;
  /** Ciphertext × ciphertext multiplications. */
  readonly ciphertextMultiplications: number;
  readonly relinearizations: number;
  readonly rescales: number;
  /** Additions (ciphertext + ciphertext and ciphertext + plaintext). */
  readonly additions: number;
  /** How the counts were derived. */
  readonly formula: string;
}

export interface Workload {
  readonly name: WorkloadName;
  readonly seed: number;
  readonly inputWidth: number;
  readonly outputWidth: number;
  /** Multiplicative depth (the same under every supported layout). */
  readonly depth: number;
  /** Whether the workload can run on ciphertexts packed with `layout`. */
  supports(layout: PackingLayout): boolean;
  /** The plaintext result for tokens × inputWidth token-major input: tokens × outputWidth. */
  reference(input: Float64Array, tokens: number): Float64Array;
  /** Operation counts under a packing; UNSUPPORTED_LAYOUT when `supports(layout)` is false. */
  describe(options?: DescribeOptions): WorkloadCost;
  /** Worst-case absolute error of a decrypted output slot given per-slot error e (see the module comment). */
  errorBound(inputError: number): number;
}

export interface WorkloadOptions {
  readonly seed?: number;
  /** Input width (default 768). */
  readonly width?: number;
}

function checkInput(input: Float64Array, tokens: number, width: number): void {
  requireInt('tokens', tokens, 0);
  if (input.length !== tokens * width) {
    throw new ModelError('INVALID_ARGUMENT', `input has ${input.length} values, expected ${tokens} × ${width}`, {
      argument: 'input',
    });
  }
}

function resolve(options: DescribeOptions, width: number): PackingPlan {
  return planPacking(options.layout ?? 'blocked', options.tokens ?? GPT2.context, options.slotCount ?? SLOTS_N8192, width);
}

function unsupported(name: WorkloadName, layout: PackingLayout, why: string): ModelError {
  return new ModelError('UNSUPPORTED_LAYOUT', `${name} cannot run on the ${layout} layout: ${why}`, { workload: name, layout });
}

// ---------------------------------------------------------------------------------------------

/**
 * `affine`: y[t, d] = a[d]·x[t, d] + b[d], slot-wise, with a[d] uniform in [0.5, 1.5) and b[d]
 * uniform in [-0.25, 0.25). One plaintext multiplication, one rescale and one plaintext addition
 * per ciphertext, under any layout; depth 1, no rotations. Output width = input width.
 */
export class AffineWorkload implements Workload {
  readonly name = 'affine' as const;
  readonly seed: number;
  readonly inputWidth: number;
  readonly outputWidth: number;
  readonly depth = 1;
  /** Per-dimension scale a (length width). */
  readonly scale: Float64Array;
  /** Per-dimension shift b (length width). */
  readonly shift: Float64Array;

  constructor(options: WorkloadOptions = {}) {
    this.seed = options.seed ?? DEFAULT_SEED;
    this.inputWidth = requireInt('width', options.width ?? GPT2.width, 1);
    this.outputWidth = this.inputWidth;
    const rng = new CounterRng(this.seed);
    this.scale = new Float64Array(this.inputWidth);
    this.shift = new Float64Array(this.inputWidth);
    rng.uniformRow(RNG_TABLE.affineScale, 0, this.scale, 0.5, 1.5);
    rng.uniformRow(RNG_TABLE.affineShift, 0, this.shift, -0.25, 0.25);
  }

  supports(_layout: PackingLayout): boolean {
    return true;
  }

  reference(input: Float64Array, tokens: number): Float64Array {
    const w = this.inputWidth;
    checkInput(input, tokens, w);
    const out = new Float64Array(input.length);
    for (let t = 0; t < tokens; t++) {
      const o = t * w;
      for (let d = 0; d < w; d++) out[o + d] = (this.scale[d] as number) * (input[o + d] as number) + (this.shift[d] as number);
    }
    return out;
  }

  /**
   * The plaintext operands laid out like the input under `plan`: `scale[i]` and `shift[i]` go
   * with ciphertext i. Slots that hold no token are zero in both, so padding stays zero.
   */
  packedOperands(plan: PackingPlan): { scale: Float64Array[]; shift: Float64Array[] } {
    if (plan.width !== this.inputWidth) {
      throw new ModelError('INVALID_ARGUMENT', `plan width ${plan.width} differs from the workload's ${this.inputWidth}`);
    }
    const a = new Float64Array(plan.tokens * plan.width);
    const b = new Float64Array(plan.tokens * plan.width);
    for (let t = 0; t < plan.tokens; t++) {
      a.set(this.scale, t * plan.width);
      b.set(this.shift, t * plan.width);
    }
    return {
      scale: pack(a, plan.tokens, plan.layout, plan.slotCount, { width: plan.width }).vectors,
      shift: pack(b, plan.tokens, plan.layout, plan.slotCount, { width: plan.width }).vectors,
    };
  }

  describe(options: DescribeOptions = {}): WorkloadCost {
    const plan = resolve(options, this.inputWidth);
    const c = plan.ciphertexts;
    return {
      name: this.name,
      layout: plan.layout,
      tokens: plan.tokens,
      slotCount: plan.slotCount,
      inputWidth: this.inputWidth,
      outputWidth: this.outputWidth,
      depth: 1,
      inputCiphertexts: c,
      outputCiphertexts: c,
      rotations: 0,
      rotationSteps: [],
      plaintextMultiplications: c,
      ciphertextMultiplications: 0,
      relinearizations: 0,
      rescales: c,
      additions: c,
      formula: 'per ciphertext: 1 multiply_plain(a) + 1 rescale + 1 add_plain(b); C = input ciphertexts',
    };
  }

  /** (max|a| + 1)·e: the input error scaled by a, plus one rescale's rounding. */
  errorBound(inputError: number): number {
    let maxA = 0;
    for (const a of this.scale) maxA = Math.max(maxA, Math.abs(a));
    return (maxA + 1) * inputError;
  }
}

// ---------------------------------------------------------------------------------------------

export interface ProjectionOptions extends WorkloadOptions {
  /** Output width k (default 64). */
  readonly outputs?: number;
}

/** Operation counts of one or more projections of the same packed input. */
export interface ProjectionCost {
  readonly outputCiphertexts: number;
  readonly rotations: number;
  readonly rotationSteps: readonly number[];
  readonly plaintextMultiplications: number;
  readonly rescales: number;
  readonly additions: number;
  readonly formula: string;
}

/**
 * `projection`: y[t, r] = Σ_c W[r, c]·x[t, c], a per-token d → k linear map (d = 768, k = 64 by
 * default) with W[r, c] ~ N(0, 1/d) clipped to [-1, 1] (so y keeps about x's scale). Depth 1.
 *
 * - `blocked`: BSGS diagonals per ciphertext (see `bsgsPlan`); output stays blocked, token t's
 *   k outputs at its block's slots [0, k) (the block's other slots hold partial sums).
 * - `dimension-major`: no rotations: output ciphertext r of each slot group is
 *   Σ_c W[r, c]·X_c (constant multiplications), k·d multiplications, k·(d − 1) additions and k
 *   rescales per group; the output is dimension-major with k ciphertexts per group.
 * - `dense`: unsupported (tokens straddle ciphertexts at varying offsets).
 */
export class ProjectionWorkload implements Workload {
  readonly name: WorkloadName = 'projection';
  readonly seed: number;
  readonly inputWidth: number;
  readonly outputWidth: number;
  readonly depth: number = 1;
  /** W, row-major k × d. */
  readonly weights: Float64Array;

  constructor(options: ProjectionOptions = {}) {
    this.seed = options.seed ?? DEFAULT_SEED;
    this.inputWidth = requireInt('width', options.width ?? GPT2.width, 1);
    this.outputWidth = requireInt('outputs', options.outputs ?? 64, 1);
    const rng = new CounterRng(this.seed);
    const d = this.inputWidth;
    this.weights = new Float64Array(this.outputWidth * d);
    for (let r = 0; r < this.outputWidth; r++) {
      rng.normalRow(RNG_TABLE.projection, r, this.weights.subarray(r * d, (r + 1) * d), 1 / Math.sqrt(d), 1);
    }
  }

  supports(layout: PackingLayout): boolean {
    return layout === 'blocked' || layout === 'dimension-major';
  }

  reference(input: Float64Array, tokens: number): Float64Array {
    return this.project(input, tokens);
  }

  /** W·x for every token. */
  protected project(input: Float64Array, tokens: number): Float64Array {
    const d = this.inputWidth;
    const k = this.outputWidth;
    checkInput(input, tokens, d);
    const out = new Float64Array(tokens * k);
    const W = this.weights;
    for (let t = 0; t < tokens; t++) {
      const x = t * d;
      for (let r = 0; r < k; r++) {
        const w = r * d;
        let s = 0;
        for (let c = 0; c < d; c++) s += (W[w + c] as number) * (input[x + c] as number);
        out[t * k + r] = s;
      }
    }
    return out;
  }

  /** Mask `index` of `plan` for one block of `blockSize` slots (see `bsgsMask`); tile it over the ciphertext's blocks and pre-rotate it by −g·n1. */
  mask(plan: BsgsPlan, index: number, blockSize: number): Float64Array {
    requireInt('blockSize', blockSize, Math.max(this.inputWidth, this.outputWidth));
    return bsgsMask(plan, this.weights, this.inputWidth, index, blockSize);
  }

  describe(options: DescribeOptions = {}): WorkloadCost {
    const plan = resolve(options, this.inputWidth);
    const p = this.projectionCost(plan, 1);
    return {
      name: this.name,
      layout: plan.layout,
      tokens: plan.tokens,
      slotCount: plan.slotCount,
      inputWidth: this.inputWidth,
      outputWidth: this.outputWidth,
      depth: 1,
      inputCiphertexts: plan.ciphertexts,
      outputCiphertexts: p.outputCiphertexts,
      rotations: p.rotations,
      rotationSteps: p.rotationSteps,
      plaintextMultiplications: p.plaintextMultiplications,
      ciphertextMultiplications: 0,
      relinearizations: 0,
      rescales: p.rescales,
      additions: p.additions,
      formula: p.formula,
    };
  }

  /**
   * Cost of applying `matrices` k × d matrices (W, or W scaled by a constant) to the same packed
   * input. Blocked: the baby-step rotations of the input are computed once and shared, each
   * matrix adds its own K plaintext multiplications, n2 − 1 giant-step and the fold's rotations.
   */
  protected projectionCost(plan: PackingPlan, matrices: number): ProjectionCost {
    const d = this.inputWidth;
    const k = this.outputWidth;
    switch (plan.layout) {
      case 'dense':
        throw unsupported(this.name, plan.layout, 'tokens straddle ciphertexts at varying offsets; use blocked or dimension-major');
      case 'blocked': {
        if (k > plan.blockSize) throw unsupported(this.name, plan.layout, `k = ${k} exceeds the ${plan.blockSize}-slot block`);
        const c = plan.ciphertexts;
        const b = bsgsPlan(d, k, plan.blockSize);
        const perMatrix = b.giantRotations + b.foldChain.length;
        const perCt = b.babyRotations + matrices * perMatrix;
        const times = matrices === 1 ? '' : ` × ${matrices} matrices (baby steps shared)`;
        return {
          outputCiphertexts: c,
          rotations: c * perCt,
          rotationSteps: b.steps,
          plaintextMultiplications: c * matrices * b.masks,
          rescales: c * matrices,
          additions: c * matrices * (b.masks - 1 + b.foldChain.length),
          formula:
            `BSGS per ciphertext: D = d + k − 1 = ${b.diagonals} diagonals, ${b.fold} per mask in a ${plan.blockSize}-slot block → ` +
            `K = ${b.masks} masks, n1 = ⌈√K⌉ = ${b.babySteps}, n2 = ⌈K/n1⌉ = ${b.giantSteps}; rotations = ${b.babyRotations} baby + ` +
            `${b.giantRotations} giant + ${b.foldChain.length} fold, multiply_plain = K, add = K − 1 + ${b.foldChain.length}, ` +
            `rescale = 1${times}; × C = ${c} ciphertexts`,
        };
      }
      case 'dimension-major': {
        const g = plan.groups;
        const times = matrices === 1 ? '' : ` × ${matrices} matrices`;
        return {
          outputCiphertexts: g * k,
          rotations: 0,
          rotationSteps: [],
          plaintextMultiplications: g * matrices * k * d,
          rescales: g * matrices * k,
          additions: g * matrices * k * (d - 1),
          formula: `per slot group (${g}): output r = Σ_c W[r,c]·X_c → k·d = ${k * d} constant multiplications, k·(d − 1) additions, k rescales${times}; no rotations`,
        };
      }
    }
  }

  /** Largest row L1 norm of W. */
  maxRowL1(): number {
    const d = this.inputWidth;
    let best = 0;
    for (let r = 0; r < this.outputWidth; r++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += Math.abs(this.weights[r * d + c] as number);
      best = Math.max(best, s);
    }
    return best;
  }

  /** (max_r Σ_c |W[r, c]| + 1)·e: every input error weighted by W, plus one rescale. */
  errorBound(inputError: number): number {
    return (this.maxRowL1() + 1) * inputError;
  }
}

// ---------------------------------------------------------------------------------------------

export interface MlpOptions extends ProjectionOptions {
  /** The activation polynomial (default GELU_CUBIC_LSQ: c0 + x/2 + c2·x² fitted on [-4, 4]). */
  readonly activation?: PolynomialActivation;
}

/** How the activation of degree 1…3 is evaluated on z = W·x (per output ciphertext). */
interface ActivationPlan {
  /** Projections of the input: W scaled by the leading coefficient, plus W itself for degree ≥ 2. */
  readonly matrices: number;
  readonly depth: number;
  readonly ciphertextMultiplications: number;
  /** Rescales after the projections' own. */
  readonly rescales: number;
  /** Additions of constants. */
  readonly additions: number;
  readonly text: string;
}

/**
 * Nested (Horner) evaluation with the leading coefficient folded into a second, pre-scaled
 * projection, so that no level is spent on a constant multiplication:
 * - degree 1: y = (c1·W)·x + c0 — one projection, depth 1.
 * - degree 2: z = W·x, z' = (c2·W)·x; y = z·(z' + c1) + c0 — depth 2: 1 ciphertext
 *   multiplication + relinearization + rescale, 2 constant additions.
 * - degree 3: z = W·x, z' = (c3·W)·x; y = z·(z·(z' + c2) + c1) + c0 — depth 3: 2 ciphertext
 *   multiplications + relinearizations + rescales, 3 constant additions (z is mod-switched to
 *   the level of the inner product, which costs no level).
 */
function activationPlan(degree: number): ActivationPlan {
  switch (degree) {
    case 1:
      return { matrices: 1, depth: 1, ciphertextMultiplications: 0, rescales: 0, additions: 1, text: 'y = (c1·W)·x + c0' };
    case 2:
      return {
        matrices: 2,
        depth: 2,
        ciphertextMultiplications: 1,
        rescales: 1,
        additions: 2,
        text: "z = W·x, z' = (c2·W)·x, y = z·(z' + c1) + c0: 1 ct×ct + relin + rescale, 2 constant adds",
      };
    default:
      return {
        matrices: 2,
        depth: 3,
        ciphertextMultiplications: 2,
        rescales: 2,
        additions: 3,
        text: "z = W·x, z' = (c3·W)·x, y = z·(z·(z' + c2) + c1) + c0: 2 ct×ct + relins + rescales, 3 constant adds",
      };
  }
}

/**
 * `mlp`: the projection followed by a polynomial activation p of degree 1…3, slot-wise:
 * y = p(W·x). See `activationPlan` for the evaluation; the default (degree-2 GELU fit) has
 * depth 2, which fits the two levels of the N = 8192 preset ([60, 40, 40, 60]). Padding slots
 * of the output hold p(0) = c0, not zero: read only the tokens' slots.
 */
export class MlpWorkload extends ProjectionWorkload {
  override readonly name: WorkloadName = 'mlp';
  readonly activation: PolynomialActivation;
  readonly degree: number;
  override readonly depth: number;

  constructor(options: MlpOptions = {}) {
    super(options);
    const activation = options.activation ?? GELU_CUBIC_LSQ;
    const c = activation.coefficients;
    if (c.length === 0 || c.length > 4 || !c.every(Number.isFinite)) {
      throw new ModelError('INVALID_ARGUMENT', 'activation needs 1 to 4 finite coefficients (degree ≤ 3)', { argument: 'activation' });
    }
    this.activation = activation;
    this.degree = polynomialDegree(c);
    if (this.degree === 0) {
      throw new ModelError('INVALID_ARGUMENT', 'activation must have degree 1 to 3, not be a constant', { argument: 'activation' });
    }
    this.depth = activationPlan(this.degree).depth;
  }

  override reference(input: Float64Array, tokens: number): Float64Array {
    const z = this.project(input, tokens);
    const c = this.activation.coefficients;
    for (let i = 0; i < z.length; i++) z[i] = evaluatePolynomial(c, z[i] as number);
    return z;
  }

  /** The projection's output alone (the activation's input). */
  projectionReference(input: Float64Array, tokens: number): Float64Array {
    return this.project(input, tokens);
  }

  override describe(options: DescribeOptions = {}): WorkloadCost {
    const plan = resolve(options, this.inputWidth);
    const a = activationPlan(this.degree);
    const p = this.projectionCost(plan, a.matrices);
    const n = p.outputCiphertexts;
    return {
      name: this.name,
      layout: plan.layout,
      tokens: plan.tokens,
      slotCount: plan.slotCount,
      inputWidth: this.inputWidth,
      outputWidth: this.outputWidth,
      depth: a.depth,
      inputCiphertexts: plan.ciphertexts,
      outputCiphertexts: n,
      rotations: p.rotations,
      rotationSteps: p.rotationSteps,
      plaintextMultiplications: p.plaintextMultiplications,
      ciphertextMultiplications: n * a.ciphertextMultiplications,
      relinearizations: n * a.ciphertextMultiplications,
      rescales: p.rescales + n * a.rescales,
      additions: p.additions + n * a.additions,
      formula: `${p.formula}; then per output ciphertext, degree-${this.degree} activation: ${a.text}`,
    };
  }

  /**
   * L·e_z + 3e, where e_z is the projection's bound, L = |c1| + 2|c2|·Z + 3|c3|·Z² is p's
   * Lipschitz constant on |z| ≤ Z, and 3e covers the activation's rescales and the rounding of
   * the pre-scaled matrix. Z defaults to the worst case max_r Σ_c |W[r, c]| · 2 (inputs are
   * clipped wte + wpe, so |x| ≤ 2); pass the observed max |W·x| (from `projectionReference`)
   * for a tighter bound.
   */
  override errorBound(inputError: number, projectionMagnitude?: number): number {
    const ez = super.errorBound(inputError);
    const Z = (projectionMagnitude ?? this.maxRowL1() * 2) + ez;
    const c = this.activation.coefficients;
    const L = Math.abs(c[1] ?? 0) + 2 * Math.abs(c[2] ?? 0) * Z + 3 * Math.abs(c[3] ?? 0) * Z * Z;
    return L * ez + 3 * inputError;
  }
}

// ---------------------------------------------------------------------------------------------

export type AnyWorkloadOptions = MlpOptions;

/** The workload called `name`, built from a seed (and, for projection/mlp, the output width). */
export function createWorkload(name: WorkloadName, options: AnyWorkloadOptions = {}): Workload {
  switch (name) {
    case 'affine':
      return new AffineWorkload(options);
    case 'projection':
      return new ProjectionWorkload(options);
    case 'mlp':
      return new MlpWorkload(options);
    default:
      throw new ModelError('INVALID_ARGUMENT', `unknown workload ${String(name)}`, { argument: 'name' });
  }
}
