/**
 * The decrypt side: the evaluated ciphertexts back to slot vectors, then each request's own
 * inputs unpacked and mean-pooled into its embeddings. The output of token t sits where its
 * input was (blocked: the first `outputWidth` slots of its block).
 */
import { NativeBackend, type CkksBackend } from '@hlp/ckks';
import type { BatchPlan } from '@hlp/model';
import { EventLoopSlices } from '@hlp/service-runtime';
import type { Evaluated } from './evaluate.js';
import { now, type EmbeddingsResult, type Encrypted, type Prepared, type StageTimings } from './types.js';

/**
 * The evaluation's answer as slot vectors. Native: one decrypt+decode call for the batch on
 * the libuv pool, its stage timed as `decrypt` (parsing included). Otherwise one ciphertext
 * at a time in event-loop slices.
 */
export async function decryptFrames(backend: CkksBackend, frames: readonly Uint8Array[], stages: StageTimings): Promise<Float64Array[]> {
  if (backend instanceof NativeBackend) {
    const t = now();
    const vectors = await backend.decryptDecodeFrames(frames);
    stages.deserialize = 0;
    stages.decrypt = now() - t;
    stages.decode = 0;
    return vectors;
  }
  let deserializeMs = 0;
  let decryptMs = 0;
  let decodeMs = 0;
  const vectors: Float64Array[] = [];
  const slices = new EventLoopSlices();
  for (const f of frames) {
    let t = now();
    const ct = backend.deserialize(f);
    let t2 = now();
    deserializeMs += t2 - t;
    try {
      const pt = backend.decrypt(ct);
      t = now();
      decryptMs += t - t2;
      try {
        vectors.push(backend.decode(pt));
        t2 = now();
        decodeMs += t2 - t;
      } finally {
        pt.dispose();
      }
    } finally {
      ct.dispose();
    }
    await slices.pause();
  }
  stages.deserialize = deserializeMs;
  stages.decrypt = decryptMs;
  stages.decode = decodeMs;
  return vectors;
}

/**
 * Tokens pooled between two chances to yield: an input of 8192 tokens is 6 M additions, 10–30 ms
 * on a busy host, which an event-loop iteration should not hold in one piece.
 */
const POOL_PIECE_TOKENS = 512;

/** What the batch's requests share: its encryption, its evaluation, its decrypted vectors and the stage times so far. */
export interface DecryptedBatch {
  readonly enc: Encrypted;
  readonly remote: Evaluated;
  readonly vectors: readonly Float64Array[];
  readonly shared: StageTimings;
}

/** Each request's embeddings, in `items` order; the batch's inputs are in `enc.inputs` in the same order. */
export async function embeddingsResults(items: readonly Prepared[], waitedMs: readonly number[], batch: DecryptedBatch): Promise<EmbeddingsResult[]> {
  const { enc, remote, vectors, shared } = batch;
  const k = remote.header.outputWidth;
  let next = 0;
  // Pooling reads every token's output (a thousand tokens of 768 values is a millisecond or
  // two; a batch holds thousands): in slices of POOL_PIECE_TOKENS, like the rest of the batch's work.
  const slices = new EventLoopSlices();
  const results: EmbeddingsResult[] = [];
  for (const [i, p] of items.entries()) {
    let poolMs = 0;
    const data: EmbeddingsResult['response']['data'] = [];
    for (const index of p.idLists.keys()) {
      const placed = enc.inputs[next++]!;
      const pooled = await poolInSlices(enc.plan, vectors, k, placed, slices);
      const t = now();
      data.push({
        object: 'embedding' as const,
        index,
        embedding: p.encodingFormat === 'base64' ? Buffer.from(Float32Array.from(pooled.mean).buffer).toString('base64') : Array.from(pooled.mean),
      });
      poolMs += pooled.ms + now() - t;
    }
    results.push({
      response: { object: 'list', data, model: p.model, usage: { prompt_tokens: p.tokens, total_tokens: p.tokens } },
      stages: { tokenize: p.tokenizeMs, batch: waitedMs[i] ?? 0, ...shared, pool: poolMs },
      ops: remote.header.ops,
      ciphertexts: enc.frames.length,
      batchSize: items.length,
      serverTimings: remote.header.timings,
    });
  }
  return results;
}

/**
 * Mean over tokens [offset, offset + tokens) of their `k` outputs, read where `plan` put each
 * token's input: blocked → slots [b·B, b·B + k) of its block; dense → its w values in the stream
 * (k = w); dimension-major → slot t of output ciphertexts g·w + r.
 */
export function poolOutputs(plan: BatchPlan, vectors: readonly Float64Array[], k: number, offset: number, tokens: number): Float64Array {
  const out = new Float64Array(k);
  addOutputs(out, plan, vectors, offset, offset + tokens);
  return divideBy(out, tokens);
}

/** poolOutputs of one input, yielding between pieces of POOL_PIECE_TOKENS; `ms` counts the pieces only. */
async function poolInSlices(
  plan: BatchPlan,
  vectors: readonly Float64Array[],
  k: number,
  placed: { readonly tokenOffset: number; readonly tokens: number },
  slices: EventLoopSlices,
): Promise<{ mean: Float64Array; ms: number }> {
  const out = new Float64Array(k);
  const end = placed.tokenOffset + placed.tokens;
  let ms = 0;
  for (let from = placed.tokenOffset; from < end; from += POOL_PIECE_TOKENS) {
    await slices.pause();
    const t = now();
    addOutputs(out, plan, vectors, from, Math.min(from + POOL_PIECE_TOKENS, end));
    ms += now() - t;
  }
  return { mean: divideBy(out, placed.tokens), ms };
}

function divideBy(sums: Float64Array, tokens: number): Float64Array {
  if (tokens > 0) for (let r = 0; r < sums.length; r++) sums[r] = sums[r]! / tokens;
  return sums;
}

/** Adds the outputs of tokens [from, to) into `out` (its length is k), read as poolOutputs reads them. */
function addOutputs(out: Float64Array, plan: BatchPlan, vectors: readonly Float64Array[], from: number, to: number): void {
  const k = out.length;
  const S = plan.slotCount;
  // Each token's outputs are read as contiguous runs (a division per run, not per value): a
  // request's pooling read tens of thousands of values through a division and a remainder each.
  for (let g = from; g < to; g++) {
    switch (plan.layout) {
      case 'blocked': {
        const v = vectors[Math.floor(g / plan.tokensPerCiphertext)]!;
        const base = (g % plan.tokensPerCiphertext) * plan.blockSize;
        for (let r = 0; r < k; r++) out[r] = out[r]! + v[base + r]!;
        break;
      }
      case 'dense': {
        // at most two runs: the token's w values may straddle a ciphertext boundary
        let i = g * plan.width;
        for (let r = 0; r < k;) {
          const c = Math.floor(i / S);
          const v = vectors[c]!;
          const j = i - c * S;
          const run = Math.min(k - r, S - j);
          for (let t = 0; t < run; t++) out[r + t] = out[r + t]! + v[j + t]!;
          r += run;
          i += run;
        }
        break;
      }
      case 'dimension-major': {
        const base = Math.floor(g / S) * plan.width;
        const slot = g % S;
        for (let r = 0; r < k; r++) out[r] = out[r]! + vectors[base + r]![slot]!;
        break;
      }
    }
  }
}
