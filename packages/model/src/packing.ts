/**
 * Packing token-major embeddings (tokens × width) into CKKS slot vectors, and back.
 *
 * Layouts (S = slots per ciphertext, w = width, B = smallest power of two ≥ w):
 * - `blocked` (token-major): each token's w values at the start of its own B-slot block, the rest
 *   of the block zero; S / B tokens per ciphertext. Rotations by less than B stay inside a
 *   token's block for the slots that matter, so per-token linear maps work (see workloads).
 *   1024 tokens × 768 at S = 4096: B = 1024, 4 tokens per ciphertext → 256 ciphertexts.
 * - `dense` (token-major): the values back to back, token after token, no padding; a token may
 *   straddle two ciphertexts. Fewest ciphertexts: ⌈tokens·w / S⌉ → 192 for 1024 × 768 at 4096.
 * - `dimension-major`: one ciphertext per hidden dimension, its slots across tokens (and across
 *   the requests of a batch): value (t, d) in ciphertext g·w + d, slot t mod S, where g = ⌊t / S⌋
 *   is the slot group. w ciphertexts per group → 768 for up to 4096 tokens.
 *
 * Batches concatenate requests' tokens into one stream. In the dimension-major layout a request
 * that fits in a group never straddles two (it moves to the next group if the current one lacks
 * room), so a request's slots are one range in each of its dimension ciphertexts.
 */
import { z } from 'zod';
import { GPT2 } from './constants.js';
import { ModelError, requireInt } from './errors.js';

export const PACKING_LAYOUTS = ['blocked', 'dense', 'dimension-major'] as const;
export type PackingLayout = (typeof PACKING_LAYOUTS)[number];

interface PlanBase {
  readonly slotCount: number;
  readonly width: number;
  /** Token positions in the packed stream (for a batch, including alignment gaps). */
  readonly tokens: number;
  readonly ciphertexts: number;
}
export interface BlockedPlan extends PlanBase {
  readonly layout: 'blocked';
  /** Slots per token block: the smallest power of two ≥ width. */
  readonly blockSize: number;
  readonly tokensPerCiphertext: number;
}
export interface DensePlan extends PlanBase {
  readonly layout: 'dense';
}
export interface DimensionMajorPlan extends PlanBase {
  readonly layout: 'dimension-major';
  /** Slot groups: ⌈tokens / slotCount⌉; ciphertexts = groups × width. */
  readonly groups: number;
}
export type PackingPlan = BlockedPlan | DensePlan | DimensionMajorPlan;

export interface Packed<P extends PackingPlan = PackingPlan> {
  /** One slot vector per ciphertext, each exactly slotCount long. */
  readonly vectors: Float64Array[];
  readonly plan: P;
}

/** Where a request's values live: slots [slotStart, slotEnd) of ciphertexts [ciphertextStart, ciphertextEnd). */
export interface SlotRange {
  readonly ciphertextStart: number;
  readonly ciphertextEnd: number;
  readonly slotStart: number;
  readonly slotEnd: number;
}

export interface RequestPlacement {
  /** Index of the request in the batch. */
  readonly index: number;
  /** First position of the request's tokens in the packed token stream. */
  readonly tokenOffset: number;
  readonly tokens: number;
  /** Slot ranges holding the request (for `blocked`, including its blocks' zero padding). */
  readonly ranges: readonly SlotRange[];
}

export type BatchPlan = PackingPlan & { readonly requests: readonly RequestPlacement[] };

export interface PackRequest {
  /** Token-major values, tokens × width. */
  readonly embeddings: Float64Array;
  readonly tokens: number;
}

export interface PackOptions {
  /** Values per token (default 768). */
  readonly width?: number;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** The `blocked` layout's block for tokens of `width` values: the next power of two. */
export function blockSizeFor(width: number): number {
  let p = 1;
  while (p < width) p *= 2;
  return p;
}

/** The plan (ciphertext count and geometry) for `tokens` tokens of `width` values. */
export function planPacking(layout: PackingLayout, tokens: number, slotCount: number, width: number = GPT2.width): PackingPlan {
  requireInt('tokens', tokens, 0);
  requireInt('slotCount', slotCount, 1);
  requireInt('width', width, 1);
  if (!isPowerOfTwo(slotCount)) {
    throw new ModelError('INVALID_ARGUMENT', `slotCount must be a power of two, got ${slotCount}`, { argument: 'slotCount' });
  }
  switch (layout) {
    case 'blocked': {
      const blockSize = blockSizeFor(width);
      if (blockSize > slotCount) {
        throw new ModelError('INVALID_ARGUMENT', `width ${width} needs ${blockSize}-slot blocks, more than ${slotCount} slots`, {
          argument: 'width',
        });
      }
      const tokensPerCiphertext = slotCount / blockSize;
      return { layout, slotCount, width, tokens, blockSize, tokensPerCiphertext, ciphertexts: Math.ceil(tokens / tokensPerCiphertext) };
    }
    case 'dense':
      return { layout, slotCount, width, tokens, ciphertexts: Math.ceil((tokens * width) / slotCount) };
    case 'dimension-major': {
      const groups = Math.ceil(tokens / slotCount);
      return { layout, slotCount, width, tokens, groups, ciphertexts: groups * width };
    }
    default:
      throw new ModelError('INVALID_ARGUMENT', `unknown packing layout ${String(layout)}`, { argument: 'layout' });
  }
}

/** Ciphertexts needed for `tokens` tokens (e.g. 1024 at 4096 slots: blocked 256, dense 192, dimension-major 768). */
export function ciphertextCount(layout: PackingLayout, tokens: number, slotCount: number, width: number = GPT2.width): number {
  return planPacking(layout, tokens, slotCount, width).ciphertexts;
}

/** Ciphertext and slot of value (token, dim) under `plan`. */
export function locate(plan: PackingPlan, token: number, dim: number): { ciphertext: number; slot: number } {
  const S = plan.slotCount;
  switch (plan.layout) {
    case 'blocked':
      return {
        ciphertext: Math.floor(token / plan.tokensPerCiphertext),
        slot: (token % plan.tokensPerCiphertext) * plan.blockSize + dim,
      };
    case 'dense': {
      const i = token * plan.width + dim;
      return { ciphertext: Math.floor(i / S), slot: i % S };
    }
    case 'dimension-major':
      return { ciphertext: Math.floor(token / S) * plan.width + dim, slot: token % S };
  }
}

/** Copies tokens × width values starting at stream position `offset` into the vectors. */
function scatter(plan: PackingPlan, vectors: Float64Array[], values: Float64Array, offset: number, tokens: number): void {
  const w = plan.width;
  const S = plan.slotCount;
  switch (plan.layout) {
    case 'blocked':
      for (let t = 0; t < tokens; t++) {
        const g = offset + t;
        const v = vectors[Math.floor(g / plan.tokensPerCiphertext)] as Float64Array;
        v.set(values.subarray(t * w, (t + 1) * w), (g % plan.tokensPerCiphertext) * plan.blockSize);
      }
      return;
    case 'dense': {
      let i = offset * w;
      let src = 0;
      const end = (offset + tokens) * w;
      while (i < end) {
        const ct = Math.floor(i / S);
        const slot = i % S;
        const n = Math.min(S - slot, end - i);
        (vectors[ct] as Float64Array).set(values.subarray(src, src + n), slot);
        i += n;
        src += n;
      }
      return;
    }
    case 'dimension-major':
      for (let t = 0; t < tokens; t++) {
        const g = offset + t;
        const base = Math.floor(g / S) * w;
        const slot = g % S;
        const row = t * w;
        for (let d = 0; d < w; d++) (vectors[base + d] as Float64Array)[slot] = values[row + d] as number;
      }
      return;
  }
}

/** Inverse of scatter. */
function gather(plan: PackingPlan, vectors: readonly Float64Array[], out: Float64Array, offset: number, tokens: number): void {
  const w = plan.width;
  const S = plan.slotCount;
  switch (plan.layout) {
    case 'blocked':
      for (let t = 0; t < tokens; t++) {
        const g = offset + t;
        const v = vectors[Math.floor(g / plan.tokensPerCiphertext)] as Float64Array;
        const start = (g % plan.tokensPerCiphertext) * plan.blockSize;
        out.set(v.subarray(start, start + w), t * w);
      }
      return;
    case 'dense': {
      let i = offset * w;
      let dst = 0;
      const end = (offset + tokens) * w;
      while (i < end) {
        const ct = Math.floor(i / S);
        const slot = i % S;
        const n = Math.min(S - slot, end - i);
        out.set((vectors[ct] as Float64Array).subarray(slot, slot + n), dst);
        i += n;
        dst += n;
      }
      return;
    }
    case 'dimension-major':
      for (let t = 0; t < tokens; t++) {
        const g = offset + t;
        const base = Math.floor(g / S) * w;
        const slot = g % S;
        const row = t * w;
        for (let d = 0; d < w; d++) out[row + d] = (vectors[base + d] as Float64Array)[slot] as number;
      }
      return;
  }
}

function checkValues(embeddings: Float64Array, tokens: number, width: number, what: string): void {
  requireInt('tokens', tokens, 0);
  if (embeddings.length !== tokens * width) {
    throw new ModelError('INVALID_ARGUMENT', `${what} has ${embeddings.length} values, expected ${tokens} × ${width}`, {
      argument: 'embeddings',
    });
  }
}

function allocate(plan: PackingPlan): Float64Array[] {
  return Array.from({ length: plan.ciphertexts }, () => new Float64Array(plan.slotCount));
}

function checkVectors(vectors: readonly Float64Array[], plan: PackingPlan): void {
  if (vectors.length !== plan.ciphertexts) {
    throw new ModelError('PACKING_MISMATCH', `plan has ${plan.ciphertexts} ciphertexts, got ${vectors.length} vectors`, {
      expected: plan.ciphertexts,
      actual: vectors.length,
    });
  }
  vectors.forEach((v, i) => {
    if (v.length !== plan.slotCount) {
      throw new ModelError('PACKING_MISMATCH', `vector ${i} has ${v.length} slots, plan has ${plan.slotCount}`, {
        index: i,
      });
    }
  });
}

/** Packs one prompt's token-major values (tokens × width) into slot vectors. */
export function pack(embeddings: Float64Array, tokens: number, layout: PackingLayout, slotCount: number, options: PackOptions = {}): Packed {
  const width = options.width ?? GPT2.width;
  checkValues(embeddings, tokens, width, 'embeddings');
  const plan = planPacking(layout, tokens, slotCount, width);
  const vectors = allocate(plan);
  scatter(plan, vectors, embeddings, 0, tokens);
  return { vectors, plan };
}

/** Exact inverse of `pack`: tokens × width values, token-major. */
export function unpack(vectors: readonly Float64Array[], plan: PackingPlan): Float64Array {
  checkVectors(vectors, plan);
  const out = new Float64Array(plan.tokens * plan.width);
  gather(plan, vectors, out, 0, plan.tokens);
  return out;
}

/** Slot ranges of tokens [offset, offset + tokens) under `plan`. */
export function slotRanges(plan: PackingPlan, offset: number, tokens: number): SlotRange[] {
  const ranges: SlotRange[] = [];
  if (tokens === 0) return ranges;
  const S = plan.slotCount;
  const w = plan.width;
  const push = (ct: number, cts: number, start: number, end: number): void => {
    const last = ranges[ranges.length - 1];
    // merge consecutive full-width ciphertexts with the same slot range
    if (last !== undefined && last.ciphertextEnd === ct && last.slotStart === start && last.slotEnd === end && cts === 1) {
      ranges[ranges.length - 1] = { ...last, ciphertextEnd: ct + 1 };
    } else {
      ranges.push({ ciphertextStart: ct, ciphertextEnd: ct + cts, slotStart: start, slotEnd: end });
    }
  };
  switch (plan.layout) {
    case 'blocked': {
      const tpc = plan.tokensPerCiphertext;
      const B = plan.blockSize;
      for (let t = offset; t < offset + tokens;) {
        const ct = Math.floor(t / tpc);
        const endToken = Math.min(offset + tokens, (ct + 1) * tpc);
        push(ct, 1, (t - ct * tpc) * B, (endToken - ct * tpc) * B);
        t = endToken;
      }
      return ranges;
    }
    case 'dense': {
      const end = (offset + tokens) * w;
      for (let i = offset * w; i < end;) {
        const ct = Math.floor(i / S);
        const stop = Math.min(end, (ct + 1) * S);
        push(ct, 1, i - ct * S, stop - ct * S);
        i = stop;
      }
      return ranges;
    }
    case 'dimension-major': {
      const end = offset + tokens;
      for (let t = offset; t < end;) {
        const g = Math.floor(t / S);
        const stop = Math.min(end, (g + 1) * S);
        ranges.push({ ciphertextStart: g * w, ciphertextEnd: (g + 1) * w, slotStart: t - g * S, slotEnd: stop - g * S });
        t = stop;
      }
      return ranges;
    }
  }
}

/**
 * Packs several requests into shared ciphertexts (token streams concatenated; see the module
 * comment for the dimension-major alignment rule). `plan.requests` says where each one went.
 */
export function packBatch(
  requests: readonly PackRequest[],
  layout: PackingLayout,
  slotCount: number,
  options: PackOptions = {},
): { vectors: Float64Array[]; plan: BatchPlan } {
  const width = options.width ?? GPT2.width;
  requireInt('slotCount', slotCount, 1);
  const offsets: number[] = [];
  let cursor = 0;
  requests.forEach((r, i) => {
    checkValues(r.embeddings, r.tokens, width, `request ${i}`);
    if (layout === 'dimension-major' && r.tokens > 0) {
      const used = cursor % slotCount;
      if (used !== 0 && used + r.tokens > slotCount) cursor += slotCount - used;
    }
    offsets.push(cursor);
    cursor += r.tokens;
  });
  const base = planPacking(layout, cursor, slotCount, width);
  const vectors = allocate(base);
  const placements: RequestPlacement[] = requests.map((r, i) => {
    const offset = offsets[i] as number;
    scatter(base, vectors, r.embeddings, offset, r.tokens);
    return { index: i, tokenOffset: offset, tokens: r.tokens, ranges: slotRanges(base, offset, r.tokens) };
  });
  return { vectors, plan: { ...base, requests: placements } };
}

/** Exact inverse of `packBatch`: each request's tokens × width values, in batch order. */
export function unpackBatch(vectors: readonly Float64Array[], plan: BatchPlan): Float64Array[] {
  checkVectors(vectors, plan);
  return plan.requests.map((r) => {
    if (r.tokenOffset + r.tokens > plan.tokens) {
      throw new ModelError('PACKING_MISMATCH', `request ${r.index} ends at token ${r.tokenOffset + r.tokens}, past ${plan.tokens}`);
    }
    const out = new Float64Array(r.tokens * plan.width);
    gather(plan, vectors, out, r.tokenOffset, r.tokens);
    return out;
  });
}

const PlanInputSchema = z.object({
  layout: z.enum(PACKING_LAYOUTS),
  slotCount: z.number().int().positive(),
  width: z.number().int().positive(),
  tokens: z.number().int().nonnegative(),
  ciphertexts: z.number().int().nonnegative(),
});

/**
 * Validates a packing plan that arrived from outside (e.g. JSON next to ciphertexts): the shape
 * is checked with zod, then the geometry is recomputed and must agree. PACKING_MISMATCH otherwise.
 */
export function parsePackingPlan(value: unknown): PackingPlan {
  const parsed = PlanInputSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelError('PACKING_MISMATCH', `invalid packing plan: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'bad shape'}`);
  }
  const p = parsed.data;
  let plan: PackingPlan;
  try {
    plan = planPacking(p.layout, p.tokens, p.slotCount, p.width);
  } catch (err) {
    throw new ModelError('PACKING_MISMATCH', `invalid packing plan: ${(err as Error).message}`, {}, { cause: err });
  }
  if (plan.ciphertexts !== p.ciphertexts) {
    throw new ModelError('PACKING_MISMATCH', `plan claims ${p.ciphertexts} ciphertexts; its geometry needs ${plan.ciphertexts}`);
  }
  return plan;
}
