/**
 * The baby-step giant-step plan of a k × d matrix applied to every block of the `blocked`
 * layout (B ≥ d slots per token, the token's values at block offsets [0, d)).
 *
 * The generalized diagonal method gives y = Σ_{δ = −(k−1)}^{d−1} u_δ ⊙ rot_δ(x) with
 * u_δ[r] = W[r, r + δ]: D = d + k − 1 diagonals, each a plaintext product, although a diagonal
 * fills only k of a block's B slots. When the block has room (B ≥ k + (R − 1)·K), R diagonals
 * share one mask: row r of copy b sits at block offset r + b·K and reads x[r + δ0 + b·K + i]
 * for mask index i ∈ [0, K), K = ⌈D / R⌉, so the R copies together cover every δ. The copies
 * are summed at the end by rotations (y = Σ_b rot_{b·K}(acc), a doubling chain of about log₂ R
 * rotations), after the rescale, where a rotation is cheapest. For d = 768, k = 64, B = 1024
 * that turns 831 masks and 57 rotations into 64 masks and 20 rotations; the slots outside
 * [0, k) of each block then hold partial sums, which nobody reads. R = 1 is the plain method.
 *
 * The K masks run through BSGS: with i = g·n1 + j,
 *   acc = Σ_g rot_{g·n1}( Σ_j rot_{−g·n1}(m_i) ⊙ rot_{δ0 + j}(x) ),
 * n1 = ⌈√K⌉ baby-step rotations of the input (shared by every matrix applied to it, hoisted on
 * the native backend) and n2 − 1 = ⌈K / n1⌉ − 1 giant-step rotations per matrix.
 */
import { requireInt } from './errors.js';

/** How many plaintext products cost about one rotation (native: ~20, node-seal: ~10). */
const PRODUCTS_PER_ROTATION = 16;

/** One rotation of the fold: sum = sum + rot_by(source), source the running sum or the unfolded accumulator. */
export interface FoldStep {
  readonly source: 'sum' | 'acc';
  readonly by: number;
}

export interface BsgsPlan {
  /** Diagonal offsets start at δ0 = −(k − 1). */
  readonly firstOffset: number;
  /** Non-zero diagonals D = d + k − 1. */
  readonly diagonals: number;
  /** Copies R of each output row in a block (diagonals sharing one mask); 1 = the plain method. */
  readonly fold: number;
  /** Masks per matrix K = ⌈D / R⌉, also the slot distance between a row's copies. */
  readonly masks: number;
  /** Baby steps n1 = ⌈√K⌉. */
  readonly babySteps: number;
  /** Giant steps n2 = ⌈K / n1⌉. */
  readonly giantSteps: number;
  /** Baby-step rotations per ciphertext (offsets other than 0); shared by every matrix applied to the same input. */
  readonly babyRotations: number;
  /** Giant-step rotations per ciphertext and matrix: n2 − 1. */
  readonly giantRotations: number;
  /** The fold's rotations in order (empty when R = 1). */
  readonly foldChain: readonly FoldStep[];
  /** Rotations per ciphertext for one matrix: babyRotations + giantRotations + foldChain.length. */
  readonly rotationsPerCiphertext: number;
  /** Distinct rotation steps (Galois keys), ascending. */
  readonly steps: readonly number[];
}

/**
 * Σ_{b < R} rot_{b·K}(acc) by doubling: after each step the sum covers m copies; doubling adds
 * rot_{m·K}(sum), a set bit of R adds rot_{m·K}(acc).
 */
export function foldChain(fold: number, stride: number): FoldStep[] {
  const chain: FoldStep[] = [];
  let m = 1;
  for (let bit = Math.floor(Math.log2(fold)) - 1; bit >= 0; bit--) {
    chain.push({ source: 'sum', by: m * stride });
    m *= 2;
    if ((fold >> bit) & 1) {
      chain.push({ source: 'acc', by: m * stride });
      m += 1;
    }
  }
  return chain;
}

function planFor(inputWidth: number, outputs: number, fold: number): BsgsPlan {
  const firstOffset = -(outputs - 1);
  const diagonals = inputWidth + outputs - 1;
  const masks = Math.ceil(diagonals / fold);
  const babySteps = Math.ceil(Math.sqrt(masks));
  const giantSteps = Math.ceil(masks / babySteps);
  const chain = foldChain(fold, masks);
  const steps = new Set<number>();
  for (let j = 0; j < babySteps; j++) if (firstOffset + j !== 0) steps.add(firstOffset + j);
  const babyRotations = steps.size;
  for (let g = 1; g < giantSteps; g++) steps.add(g * babySteps);
  for (const s of chain) steps.add(s.by);
  return {
    firstOffset,
    diagonals,
    fold,
    masks,
    babySteps,
    giantSteps,
    babyRotations,
    giantRotations: giantSteps - 1,
    foldChain: chain,
    rotationsPerCiphertext: babyRotations + giantSteps - 1 + chain.length,
    steps: [...steps].sort((a, b) => a - b),
  };
}

/**
 * The cheapest plan for blocks of `blockSize` slots: the fold R that minimizes rotations plus
 * masks / 16, among those whose copies fit the block without overlapping (K ≥ k and
 * (R − 1)·K + k ≤ B). Without a block size, the plain method (R = 1).
 */
export function bsgsPlan(inputWidth: number, outputs: number, blockSize?: number): BsgsPlan {
  requireInt('inputWidth', inputWidth, 1);
  requireInt('outputs', outputs, 1);
  let best = planFor(inputWidth, outputs, 1);
  if (blockSize === undefined) return best;
  requireInt('blockSize', blockSize, Math.max(inputWidth, outputs));
  const cost = (p: BsgsPlan): number => p.rotationsPerCiphertext + p.masks / PRODUCTS_PER_ROTATION;
  for (let fold = 2; ; fold++) {
    const p = planFor(inputWidth, outputs, fold);
    if (p.masks < outputs || (fold - 1) * p.masks + outputs > blockSize) break;
    if (cost(p) < cost(best)) best = p;
  }
  return best;
}

/**
 * Mask i of the plan for one block of `blockSize` slots, before its giant-step pre-rotation:
 * offset r + b·K holds W[r, r + δ0 + b·K + i] where that column exists. `weights` is W,
 * row-major k × d.
 */
export function bsgsMask(plan: BsgsPlan, weights: Float64Array, inputWidth: number, index: number, blockSize: number): Float64Array {
  const outputs = weights.length / inputWidth;
  const u = new Float64Array(blockSize);
  for (let b = 0; b < plan.fold; b++) {
    const shift = plan.firstOffset + b * plan.masks + index;
    for (let r = 0; r < outputs; r++) {
      const c = r + shift;
      if (c >= 0 && c < inputWidth) u[r + b * plan.masks] = weights[r * inputWidth + c] as number;
    }
  }
  return u;
}
