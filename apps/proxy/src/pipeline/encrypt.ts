/**
 * The encrypt side: embed → pack → encode → encrypt → serialize for every input of a batch.
 *
 * Ciphertexts are made at the lowest level the workload can still be evaluated from (its depth:
 * level 1 of {60, 40, 40, 60} for affine and projection) unless `dataLevel: 'max'`: a third
 * fewer bytes up, half as many down, and cheaper encryption, for the same result.
 *
 * On the native backend the vectors are encoded and encrypted in fused native calls on the libuv
 * pool (`encryptThreads` chunks at once), with the public key or, seeded, the secret key (each
 * seed expanded into its c1 there), so the event loop keeps serving; otherwise one by one on
 * the event loop.
 */
import { NativeBackend, ResultPool, alignedSharedWords, pooledCapacity, type CkksBackend, type SymmetricPrng } from '@hlp/ckks';
import { packBatch, planPacking, slotRanges, type BatchPlan, type PackRequest, type PackingLayout, type RequestPlacement } from '@hlp/model';
import type { FramePayload, WorkloadInfo } from '@hlp/protocol';
import { EventLoopSlices } from '@hlp/service-runtime';
import { EMBED_PIECE_TOKENS, serializeSliced } from '../event-loop-slices.js';
import { PromptBlockCache, type BlockToken } from '../prompt-cache.js';
import { nextPow2, type CiphertextPlanner } from './planning.js';
import { now, type Encrypted, type PipelineDeps, type StageTimings } from './types.js';

/** Upload buffers kept for reuse without a ciphertext budget, in bytes (a 32-request batch of short prompts is ~50 MB). */
const UPLOAD_POOL_BYTES = 64 * 1024 * 1024;
/** Packed value buffers kept for reuse without a ciphertext budget, in bytes. */
const PACKED_POOL_BYTES = 32 * 1024 * 1024;

/**
 * Ciphertexts an upload slab holds. A batch's encryption writes into whole slabs, so every slab
 * has one size (at a level) and serves any batch: one buffer a batch, sized to it, came in
 * dozens of sizes up to 112 MB, and under 2,000 hostile long inputs 82 of them (1.8 GB) were
 * allocated on the event loop, one 80 MB buffer taking 81 ms. A slab is 6 MB at n = 8192, top level.
 */
const UPLOAD_SLAB_CIPHERTEXTS = 16;

/**
 * The bytes a pool keeps to hold every buffer that `capacity` ciphertexts in flight use at
 * once, each `bytesPerCiphertext`, and a quarter more for the partly filled slabs and rounded
 * buffers of the batches in flight.
 */
export function inFlightPoolBytes(capacity: number, bytesPerCiphertext: number): number {
  return Math.ceil(capacity * 1.25) * bytesPerCiphertext;
}

/**
 * The bounds of the dense path's two pools: upload (a fresh encryption's words, at the top
 * level, native only) and packed (slot values). With a ciphertext budget they hold what its
 * ciphertexts in flight use at most, so a busy proxy stops allocating once warm; never below
 * the defaults.
 */
export function encryptPoolBounds(backend: CkksBackend, budget: number | undefined): { readonly upload: number; readonly packed: number } {
  const upload = budget !== undefined && backend instanceof NativeBackend ? inFlightPoolBytes(budget, backend.ciphertextWords(backend.params.maxLevel) * 8) : 0;
  // Packed buffers are one a batch, each of the size that holds the budget's ciphertexts (a
  // twelfth of their upload bytes): four times what is in flight keeps one for each batch of a
  // busy proxy.
  const packed = budget !== undefined ? 4 * inFlightPoolBytes(budget, backend.slotCount * Float64Array.BYTES_PER_ELEMENT) : 0;
  return { upload: Math.max(UPLOAD_POOL_BYTES, upload), packed: Math.max(PACKED_POOL_BYTES, packed) };
}

export type EncryptDeps = Pick<
  PipelineDeps,
  'backend' | 'embeddings' | 'metrics' | 'encryption' | 'encryptThreads' | 'promptCache' | 'embeddingSeed' | 'embedThread' | 'keyId' | 'ciphertextBudget'
>;

/** How a batch's inputs are encrypted (Encryptor.encryptInputs). */
export interface EncryptInputsOptions {
  /** The dense path may take its buffers from the pools; the result's `release` hands them back. */
  readonly pooled?: boolean;
  /** The ciphertexts leave for a client (`POST /v1/fhe/encrypt`): seeded in SEAL's own format. */
  readonly forClient?: boolean;
}

/** A batch's packed slot vectors, and which of them are still to be encrypted. */
interface PackedBatch {
  readonly vectors: Float64Array[];
  readonly plan: BatchPlan;
  /** Index in the plan's requests of each real input (padding for the prompt cache is not one). */
  readonly realIndex: readonly number[];
}

export class Encryptor {
  /** The dense path's encryption output, reused once a batch's upload streams have closed. */
  readonly #uploads: ResultPool<BigUint64Array>;
  /** The dense path's packed values, reused once the batch's encryption has read them. */
  readonly #packed: ResultPool<Float64Array>;
  /** Values of a packed buffer within the ciphertext budget (none without one). */
  readonly #packedLength: number | undefined;

  constructor(
    private readonly deps: EncryptDeps,
    private readonly planner: CiphertextPlanner,
  ) {
    const bounds = encryptPoolBounds(deps.backend, deps.ciphertextBudget?.capacity);
    this.#uploads = new ResultPool<BigUint64Array>(bounds.upload, { evictOldest: true });
    this.#packed = new ResultPool<Float64Array>(bounds.packed, { evictOldest: true });
    const budget = deps.ciphertextBudget?.capacity;
    this.#packedLength = budget !== undefined ? budget * deps.backend.slotCount : undefined;
  }

  private get threads(): number {
    return this.deps.encryptThreads ?? 2;
  }

  private get fused(): boolean {
    return this.deps.backend instanceof NativeBackend && this.threads > 0;
  }

  /** Which key the fused calls encrypt with. */
  private get key(): 'public' | 'secret' {
    return this.deps.encryption === 'symmetric' ? 'secret' : 'public';
  }

  /**
   * The seed expansion of seeded ciphertexts: the backend's (AES-256-CTR where the service reads
   * it, config.ts seedStreamOf) for the service, SEAL's SHAKE256 for ciphertexts a client takes
   * away (`POST /v1/fhe/encrypt`: node-seal must load them).
   */
  private seedStream(forClient: boolean): SymmetricPrng {
    const { backend } = this.deps;
    return forClient || !(backend instanceof NativeBackend) ? 'shake256' : backend.symmetricPrng;
  }

  /** Every input of `idLists` together (EncryptInputsOptions). */
  async encryptInputs(
    workload: WorkloadInfo,
    layout: PackingLayout,
    idLists: readonly (readonly number[])[],
    options: EncryptInputsOptions = {},
  ): Promise<Encrypted> {
    const { backend, metrics } = this.deps;
    const stages: StageTimings = {};
    const level = this.planner.levelFor(workload);
    const cache = layout === 'blocked' ? this.deps.promptCache : undefined;
    const stream = this.seedStream(options.forClient ?? false);
    let t = now();
    if (this.fused && !cache && layout === 'dense') {
      // Dense is every token's values back to back: embed straight into the buffer the fused
      // native call encrypts from (no per-ciphertext vectors, no copies).
      return this.encryptDense(workload, idLists, level, stages, t, options.pooled ?? false, stream);
    }
    const requests = this.embedRequests(workload, idLists, cache !== undefined);
    stages.embed = now() - t;

    t = now();
    const { vectors, plan } = packBatch(requests.packs, layout, backend.slotCount, { width: workload.inputWidth });
    stages.encode = now() - t;
    const batch: PackedBatch = { vectors, plan, realIndex: requests.realIndex };

    const frames: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(vectors.length);
    const keys = cache ? this.lookupPromptCache(cache, batch, idLists, level, workload.inputWidth, frames, stream) : [];
    const todo: number[] = [];
    for (let c = 0; c < vectors.length; c++) if (frames[c] === undefined) todo.push(c);

    const timed = await this.encryptVectors(vectors, todo, level, frames, stream);
    if (cache) for (const c of todo) cache.set(keys[c]!, frames[c]!);
    stages.encrypt = timed.encryptMs;
    stages.serialize = timed.serializeMs;
    const tokens = idLists.reduce((n, ids) => n + ids.length, 0);
    const total = (stages.embed ?? 0) + (stages.encode ?? 0) + timed.encryptMs + timed.serializeMs;
    metrics.encryptionDuration.observe({ backend: backend.name, layout }, total / 1000);
    const inputs = batch.realIndex.map((ri, index) => {
      const r = plan.requests[ri]!;
      return { index, tokenOffset: r.tokenOffset, tokens: r.tokens };
    });
    return { workload, plan, frames: frames as Uint8Array[], inputs, tokens, level, stages };
  }

  /** Each input's embedding rows; with the prompt cache, zero padding starts every input on a ciphertext boundary. */
  private embedRequests(
    workload: WorkloadInfo,
    idLists: readonly (readonly number[])[],
    alignToCiphertexts: boolean,
  ): { packs: PackRequest[]; realIndex: number[] } {
    const packs: PackRequest[] = [];
    const realIndex: number[] = [];
    const tpc = this.deps.backend.slotCount / nextPow2(workload.inputWidth);
    let cursor = 0;
    for (const ids of idLists) {
      if (alignToCiphertexts && cursor % tpc !== 0) {
        // Start every input on a ciphertext boundary, so that a repeated prompt gives the same blocks.
        const pad = tpc - (cursor % tpc);
        packs.push({ embeddings: new Float64Array(pad * workload.inputWidth), tokens: pad });
        cursor += pad;
      }
      realIndex.push(packs.length);
      packs.push({ embeddings: this.deps.embeddings.embed(ids), tokens: ids.length });
      cursor += ids.length;
    }
    return { packs, realIndex };
  }

  private cacheContext(level: number, stream: SymmetricPrng): string {
    return `${this.deps.keyId()}|${level}|${this.deps.embeddingSeed ?? 'default'}|${this.deps.encryption}|${stream}`;
  }

  /** Fills `frames` with the ciphertexts the prompt cache already holds; answers every ciphertext's cache key. */
  private lookupPromptCache(
    cache: PromptBlockCache,
    batch: PackedBatch,
    idLists: readonly (readonly number[])[],
    level: number,
    width: number,
    frames: (Uint8Array | undefined)[],
    seedStream: SymmetricPrng,
  ): string[] {
    const { plan, vectors } = batch;
    const tpc = this.deps.backend.slotCount / nextPow2(width);
    const stream: BlockToken[] = new Array<BlockToken>(plan.tokens).fill({ id: -1, position: 0 });
    batch.realIndex.forEach((ri, i) => {
      const placed = plan.requests[ri]!;
      idLists[i]!.forEach((id, pos) => (stream[placed.tokenOffset + pos] = { id, position: pos }));
    });
    const context = this.cacheContext(level, seedStream);
    const keys: string[] = [];
    for (let c = 0; c < vectors.length; c++) {
      const block = stream.slice(c * tpc, Math.min(plan.tokens, (c + 1) * tpc));
      keys[c] = PromptBlockCache.key(context, block);
      const hit = cache.get(keys[c]!);
      if (hit) {
        frames[c] = hit;
        this.deps.metrics.promptCacheHits.inc();
      } else this.deps.metrics.promptCacheMisses.inc();
    }
    return keys;
  }

  /** Encrypts and serializes `vectors[c]` into `frames[c]` for every c of `todo`. */
  private async encryptVectors(
    vectors: readonly Float64Array[],
    todo: readonly number[],
    level: number,
    frames: (Uint8Array | undefined)[],
    stream: SymmetricPrng,
  ): Promise<{ encryptMs: number; serializeMs: number }> {
    const { backend } = this.deps;
    let encryptMs = 0;
    let serializeMs = 0;
    if (todo.length > 0 && this.fused) {
      // Fused encode + encrypt on the libuv pool, in up to `threads` chunks of at least 4.
      const slots = backend.slotCount;
      const t = now();
      const chunks = Math.max(1, Math.min(this.threads, Math.floor(todo.length / 4)));
      const per = Math.ceil(todo.length / chunks);
      const jobs: Promise<void>[] = [];
      for (let start = 0; start < todo.length; start += per) {
        const part = todo.slice(start, start + per);
        const packed = new Float64Array(part.length * slots);
        part.forEach((c, i) => packed.set(vectors[c]!, i * slots));
        jobs.push(
          (backend as NativeBackend).encodeEncryptMany(packed, slots, { level, key: this.key, seedStream: stream }).then(async (cts) => {
            serializeMs += await serializeSliced(cts, (i, bytes) => (frames[part[i]!] = bytes));
          }),
        );
      }
      await Promise.all(jobs);
      encryptMs = now() - t - serializeMs;
      return { encryptMs, serializeMs };
    }
    for (const c of todo) {
      const t = now();
      const pt = backend.encode(vectors[c]!, { level });
      try {
        const ct =
          this.deps.encryption !== 'symmetric'
            ? backend.encrypt(pt)
            : backend instanceof NativeBackend
              ? backend.encryptSymmetric(pt, { seedStream: stream })
              : backend.encryptSymmetric(pt);
        const t2 = now();
        encryptMs += t2 - t;
        try {
          frames[c] = ct.serialize();
        } finally {
          ct.dispose();
        }
        serializeMs += now() - t2;
      } finally {
        pt.dispose();
      }
    }
    return { encryptMs, serializeMs };
  }

  /** The dense fused path of encryptInputs: embed into one buffer, encrypt it in chunks on the libuv pool. */
  private async encryptDense(
    workload: WorkloadInfo,
    idLists: readonly (readonly number[])[],
    level: number,
    stages: StageTimings,
    t0: number,
    pooled: boolean,
    stream: SymmetricPrng,
  ): Promise<Encrypted> {
    const backend = this.deps.backend as NativeBackend;
    const slots = backend.slotCount;
    const width = workload.inputWidth;
    const tokens = idLists.reduce((n, ids) => n + ids.length, 0);
    const base = planPacking('dense', tokens, slots, width);
    // Pooled like the upload slabs: every token's values are written below, the padding after
    // the last token is zeroed here (a reused buffer holds an earlier batch's values).
    // Batches differ in size from one to the next: a pooled buffer serves any batch up to its
    // size (a prefix of it). Within a ciphertext budget every buffer is of the one size that
    // holds the budget's ciphertexts, so any of them serves any batch that the budget admits
    // with others; past it (a batch that runs alone), sized to the batch.
    // Shared memory, which the embedding thread writes in place (see EmbeddingThread.embedInto).
    const need = base.ciphertexts * slots;
    const budgetLength = this.#packedLength;
    let packedWhole = !pooled
      ? sharedFloat64(need)
      : budgetLength !== undefined && need <= budgetLength
        ? (this.#packed.take(budgetLength) ?? sharedFloat64(budgetLength))
        : (this.#packed.takeAtLeast(need) ?? sharedFloat64(pooledCapacity(base.ciphertexts) * slots));
    const requests: RequestPlacement[] = [];
    let offset = 0;
    for (const [index, ids] of idLists.entries()) {
      requests.push({ index, tokenOffset: offset, tokens: ids.length, ranges: slotRanges(base, offset, ids.length) });
      offset += ids.length;
    }
    const embedded = await this.embedDense(idLists, packedWhole, width);
    packedWhole = embedded.values;
    stages.embed = embedded.ms;
    const packed = packedWhole.subarray(0, base.ciphertexts * slots);
    packed.fill(0, tokens * width);
    const plan: BatchPlan = { ...base, requests };
    stages.encode = 0;
    const count = base.ciphertexts;
    const frames: FramePayload[] = new Array<FramePayload>(count);
    const threads = Math.max(1, Math.min(this.threads, Math.floor(count / 4)));
    const words = backend.ciphertextWords(level);
    // Pooled, the ciphertexts are written into slabs of UPLOAD_SLAB_CIPHERTEXTS each, views of
    // which go to the socket uncopied. Shared memory: the upstream thread sends the frames
    // without a copy, and the isolates' external memory (which paces their garbage
    // collections) does not count it.
    const slabWords = UPLOAD_SLAB_CIPHERTEXTS * words;
    const slabs: BigUint64Array[] = [];
    let serializeMs = 0;
    const t = now();
    const encryptRange = async (start: number, n: number, out?: BigUint64Array): Promise<void> => {
      const cts = await backend.encodeEncryptMany(packed.subarray(start * slots, (start + n) * slots), slots, {
        level,
        key: this.key,
        seedStream: stream,
        ...(out ? { out } : {}),
      });
      // Pieces viewing the encryption's output: the coefficients go to the socket uncopied.
      // (The blocked path's prompt cache keeps copies: a view would pin the whole batch.)
      const s0 = now();
      for (const [i, ct] of cts.entries()) {
        frames[start + i] = ct.serializeParts();
        ct.dispose();
      }
      serializeMs += now() - s0;
    };
    const jobs: Promise<void>[] = [];
    if (pooled) {
      // `threads` calls at a time, each through every threads-th slab, one call a slab. A slab
      // is taken as its call starts: a large batch's fresh slabs, taken all at once, held the
      // event loop for 91 ms (18 slabs of 6 MB).
      const slabCount = Math.ceil(count / UPLOAD_SLAB_CIPHERTEXTS);
      for (let j = 0; j < threads; j++) {
        jobs.push(
          (async () => {
            for (let slab = j; slab < slabCount; slab += threads) {
              const start = slab * UPLOAD_SLAB_CIPHERTEXTS;
              const n = Math.min(UPLOAD_SLAB_CIPHERTEXTS, count - start);
              const out = this.#uploads.take(slabWords) ?? alignedSharedWords(slabWords);
              slabs.push(out);
              await encryptRange(start, n, out.subarray(0, n * words));
            }
          })(),
        );
      }
    } else {
      const per = Math.ceil(count / threads);
      for (let start = 0; start < count; start += per) jobs.push(encryptRange(start, Math.min(per, count - start)));
    }
    // Every chunk settles before the buffers may go back: a failed chunk must not leave another still using them.
    const settled = await Promise.allSettled(jobs);
    if (pooled) this.#packed.give(packedWhole);
    const release = (): void => {
      for (const slab of slabs) this.#uploads.give(slab);
    };
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      release();
      throw failed.reason;
    }
    stages.encrypt = now() - t - serializeMs;
    stages.serialize = serializeMs;
    this.deps.metrics.encryptionDuration.observe({ backend: backend.name, layout: 'dense' }, (now() - t0) / 1000);
    const inputs = requests.map((r) => ({ index: r.index, tokenOffset: r.tokenOffset, tokens: r.tokens }));
    return { workload, plan, frames, inputs, tokens, level, stages, ...(pooled ? { release } : {}) };
  }

  /**
   * Every input's rows back to back from value 0 of `values`: on the embedding thread when there
   * is one (the same memory comes back, `values` is detached; `ms` is the wait for it), else here
   * in event-loop slices (`ms`: the slices' time, the pauses between them not counted).
   */
  private async embedDense(idLists: readonly (readonly number[])[], values: Float64Array, width: number): Promise<{ values: Float64Array; ms: number }> {
    const thread = this.deps.embedThread;
    if (thread && thread.width === width) {
      const t = now();
      const filled = await thread.embedInto(idLists, values);
      return { values: filled, ms: now() - t };
    }
    const slices = new EventLoopSlices();
    let ms = 0;
    let offset = 0;
    for (const ids of idLists) {
      // a thousand tokens never seen before cost ~100 ms of embedding rows: embedded in pieces
      for (let from = 0; from < ids.length; from += EMBED_PIECE_TOKENS) {
        await slices.pause();
        const piece = ids.slice(from, from + EMBED_PIECE_TOKENS);
        const t = now();
        this.deps.embeddings.embed(piece, { startPosition: from, out: values.subarray((offset + from) * width, (offset + from + piece.length) * width) });
        ms += now() - t;
      }
      offset += ids.length;
    }
    return { values, ms };
  }
}

function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * Float64Array.BYTES_PER_ELEMENT));
}
