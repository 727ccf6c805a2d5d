/**
 * The proxy's request pipeline:
 *
 *   tokenize → embed → pack + encode → encrypt → serialize → upload → evaluate (remote) →
 *   download → deserialize → decrypt → decode → unpack → pool
 *
 * `prepare` does the per-request part (model, limits, tokenize); `runBatch` does the rest for
 * one or more prepared requests at once: every input of every request is packed into shared
 * ciphertexts (`packBatch`: token streams concatenated), evaluated in one upstream call, and
 * each request gets back the mean of its own tokens' outputs. The output of token t sits where
 * its input was (blocked: the first `outputWidth` slots of its block).
 *
 * Ciphertexts are made at the lowest level the workload can still be evaluated from (its depth:
 * level 1 of {60, 40, 40, 60} for affine and projection) unless `dataLevel: 'max'`: a third
 * fewer bytes up, half as many down, and cheaper encryption, for the same result.
 *
 * Encryption: on the native backend with public-key encryption the vectors are encoded and
 * encrypted in fused native calls on the libuv pool (`encryptThreads` chunks at once), so the
 * event loop keeps serving; otherwise one by one on the event loop.
 */
import { NativeBackend, ResultPool, type CkksBackend } from '@hlp/ckks';
import {
  GPT2,
  ciphertextCount,
  isModelError,
  packBatch,
  planPacking,
  slotRanges,
  tokenizeWithin,
  type BatchPlan,
  type EmbeddingSource,
  type PackRequest,
  type PackingLayout,
  type RequestPlacement,
} from '@hlp/model';
import type { CiphertextBudget } from './ciphertext-budget.js';
import { EMBED_PIECE_TOKENS, EventLoopSlices, serializeSliced } from './event-loop-slices.js';
import {
  EvaluateResponseHeader,
  FRAME_CONTENT_TYPE,
  MAX_CHARS_PER_TOKEN,
  MAX_PROMPT_TOKENS,
  ProtocolError,
  decodeFrames,
  encodeFramesParts,
  peerErrorCode,
  type EmbeddingsRequest,
  type EmbeddingsResponse,
  type FramePayload,
  type OpCounts,
  type ServiceInfo,
  type WorkloadInfo,
} from '@hlp/protocol';
import type { AppMetrics, Stage } from '@hlp/telemetry';
import { PromptBlockCache, type BlockToken } from './prompt-cache.js';
import type { Upstream } from './upstream.js';
import { Holds } from './holds.js';

/** Upload buffers kept for reuse, in bytes (a 32-request batch of short prompts is ~50 MB). */
const UPLOAD_POOL_BYTES = 64 * 1024 * 1024;
/** Packed value buffers kept for reuse, in bytes. */
const PACKED_POOL_BYTES = 32 * 1024 * 1024;

export type StageTimings = Partial<Record<Stage | 'pool' | 'batch', number>>;

export interface PipelineDeps {
  readonly backend: CkksBackend;
  readonly info: ServiceInfo;
  readonly upstream: Upstream;
  readonly embeddings: EmbeddingSource;
  readonly metrics: AppMetrics<'proxy'>;
  /** Layout for workloads that support it (others use blocked). */
  readonly layout: PackingLayout;
  /** `symmetric`: secret-key encryption, seeded ciphertexts (half the bytes); `public`: public-key encryption. */
  readonly encryption: 'symmetric' | 'public';
  readonly maxPromptTokens: number;
  readonly maxRequestTokens: number;
  /** `min` (default): encrypt at the workload's depth; `max`: at the top level. */
  readonly dataLevel?: 'min' | 'max';
  /** Fused native encryption chunks run at once on the libuv pool (default 2; 0: on the event loop). */
  readonly encryptThreads?: number;
  /** Ciphertexts in flight at most (memory's bound); none: unbounded. */
  readonly ciphertextBudget?: CiphertextBudget;
  /** The cache of encrypted prompt blocks (blocked layout only), when enabled. */
  readonly promptCache?: PromptBlockCache;
  /** Seed of the embeddings (part of the prompt cache's key). */
  readonly embeddingSeed?: number;
  /** The id of the uploaded key set. */
  keyId(): string;
  /** Upload the keys again (the service answered UNKNOWN_KEY); resolves to the key id. */
  reupload(): Promise<string>;
}

/** One request, checked and tokenized, ready to join a batch. */
export interface Prepared {
  readonly model: string;
  readonly workload: WorkloadInfo;
  readonly layout: PackingLayout;
  /** Token ids of each input. */
  readonly idLists: readonly (readonly number[])[];
  readonly tokens: number;
  readonly tokenizeMs: number;
  readonly encodingFormat: 'float' | 'base64';
}

/** Where an input's tokens sit in the packed stream. */
export interface InputPlacement {
  readonly index: number;
  readonly tokenOffset: number;
  readonly tokens: number;
}

export interface Encrypted {
  readonly workload: WorkloadInfo;
  readonly plan: BatchPlan;
  /** One payload per ciphertext: its bytes, or (dense) pieces that view the encryption's output. */
  readonly frames: FramePayload[];
  /** The real inputs, in order (padding added for the prompt cache is not listed). */
  readonly inputs: readonly InputPlacement[];
  readonly tokens: number;
  readonly level: number;
  readonly stages: StageTimings;
  /**
   * Set when the frames view pooled memory: hands it back for the next batch. Call it once
   * nothing reads the frames any more (every upstream stream that sent them has closed).
   */
  readonly release?: () => void;
}

export interface EmbeddingsResult {
  readonly response: EmbeddingsResponse;
  readonly stages: StageTimings;
  readonly ops: OpCounts;
  /** Ciphertexts of the whole batch. */
  readonly ciphertexts: number;
  /** Requests in the batch. */
  readonly batchSize: number;
  readonly serverTimings: EvaluateResponseHeader['timings'];
}

const now = (): number => performance.now();

function asTokenLists(input: EmbeddingsRequest['input']): (string | number[])[] {
  if (typeof input === 'string') return [input];
  if (input.length === 0) return [];
  const first = input[0];
  if (typeof first === 'number') return [input as number[]];
  return input as (string | number[])[];
}

/** @throws ProtocolError INPUT_TOO_LONG when an input, or all of them, could not fit the token limits */
function checkCharacters(lists: readonly (string | readonly number[])[], maxPromptTokens: number, maxRequestTokens: number): void {
  const perInput = maxPromptTokens * MAX_CHARS_PER_TOKEN;
  const perRequest = maxRequestTokens * MAX_CHARS_PER_TOKEN;
  let total = 0;
  lists.forEach((item, i) => {
    if (typeof item !== 'string') return;
    if (item.length > perInput) {
      throw new ProtocolError('INPUT_TOO_LONG', `input ${i} has ${item.length} characters, more than the ${perInput} that ${maxPromptTokens} tokens (the per-input token limit) allow`, 'input');
    }
    total += item.length;
  });
  if (total > perRequest) {
    throw new ProtocolError('INPUT_TOO_LONG', `the request has ${total} characters, more than the ${perRequest} that ${maxRequestTokens} tokens (--max-request-tokens) allow`, 'input');
  }
}

export class Pipeline {
  /** The dense path's encryption output, reused once a batch's upload streams have closed. */
  readonly #uploads = new ResultPool<BigUint64Array>(UPLOAD_POOL_BYTES);
  /** The dense path's packed values, reused once the batch's encryption has read them. */
  readonly #packed = new ResultPool<Float64Array>(PACKED_POOL_BYTES);

  constructor(private readonly deps: PipelineDeps) {}

  get info(): ServiceInfo {
    return this.deps.info;
  }

  /** The served workload a model id names. @throws UNKNOWN_MODEL */
  workloadFor(model: string): WorkloadInfo {
    const w = this.deps.info.workloads.find((x) => x.model === model);
    if (!w) {
      throw new ProtocolError(
        'UNKNOWN_MODEL',
        `The model '${model}' does not exist; served models: ${this.deps.info.workloads.map((x) => x.model).join(', ')}`,
        'model',
      );
    }
    return w;
  }

  layoutFor(w: WorkloadInfo): PackingLayout {
    return w.layouts.includes(this.deps.layout) ? this.deps.layout : 'blocked';
  }

  /** The CKKS level ciphertexts for `w` are made at. */
  levelFor(w: WorkloadInfo): number {
    const max = this.deps.backend.params.maxLevel;
    return this.deps.dataLevel === 'max' ? max : Math.min(max, Math.max(1, w.depth));
  }

  /** Token ids of every input, checked against the limits. */
  tokenize(input: EmbeddingsRequest['input']): number[][] {
    const lists = asTokenLists(input);
    const max = this.deps.maxPromptTokens;
    checkCharacters(lists, max, this.deps.maxRequestTokens);
    let total = 0;
    const out = lists.map((item, i) => {
      let ids: number[];
      if (typeof item === 'string') {
        if (item.length === 0) throw new ProtocolError('INVALID_REQUEST', `input ${i} is an empty string`, 'input');
        try {
          ids = tokenizeWithin(item, max);
        } catch (e) {
          if (isModelError(e, 'TOO_MANY_TOKENS')) {
            throw new ProtocolError('TOO_MANY_TOKENS', `input ${i} has more than ${max} tokens (GPT-2's context is ${GPT2.context})`, 'input', { cause: e });
          }
          throw e;
        }
      } else {
        if (item.length > max) throw new ProtocolError('TOO_MANY_TOKENS', `input ${i} has ${item.length} tokens, more than ${max}`, 'input');
        const bad = item.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= GPT2.vocabSize);
        if (bad >= 0) throw new ProtocolError('INVALID_TOKEN_ID', `input ${i}, token ${bad}: ${item[bad]} is not in [0, ${GPT2.vocabSize})`, 'input');
        ids = item;
      }
      total += ids.length;
      if (total > this.deps.maxRequestTokens) {
        throw new ProtocolError('TOO_MANY_TOKENS', `the request has more than ${this.deps.maxRequestTokens} tokens in all`, 'input');
      }
      return ids;
    });
    return out;
  }

  private readonly capacities = new Map<string, number>();

  /**
   * The most tokens one batch of requests like `p` may hold: the largest count whose packing
   * (the batch's tokens concatenated, as runBatch packs them) fits in the ciphertexts the
   * service accepts per call. Monotone in tokens, so a binary search; cached per layout and width.
   */
  batchCapacity(p: Prepared): number {
    const width = p.workload.inputWidth;
    const key = `${p.layout}/${width}`;
    const known = this.capacities.get(key);
    if (known !== undefined) return known;
    const slots = this.deps.backend.slotCount;
    const max = this.deps.info.limits.maxCiphertexts;
    let lo = 0;
    let hi = max * slots; // a token takes at least one slot
    while (lo < hi) {
      const mid = Math.floor((lo + hi + 1) / 2);
      if (ciphertextCount(p.layout, mid, slots, width) <= max) lo = mid;
      else hi = mid - 1;
    }
    this.capacities.set(key, lo);
    return lo;
  }

  /**
   * Refuses at admission a request the service would refuse anyway (as a 502 after all the
   * encryption work). The count is a lower bound (no alignment padding), so nothing that fits is refused.
   * @throws ProtocolError TOO_MANY_CIPHERTEXTS
   */
  private checkCiphertexts(layout: PackingLayout, tokens: number, width: number): void {
    const need = ciphertextCount(layout, tokens, this.deps.backend.slotCount, width);
    const max = this.deps.info.limits.maxCiphertexts;
    if (need > max) {
      throw new ProtocolError('TOO_MANY_CIPHERTEXTS', `the request's ${tokens} tokens need ${need} ciphertexts, more than the ${max} the inference service accepts per call (its limits.maxCiphertexts); send fewer tokens per request`, 'input');
    }
  }

  /** Model, dimensions and tokens of one request. @throws ProtocolError for bad input */
  prepare(req: EmbeddingsRequest): Prepared {
    const workload = this.workloadFor(req.model);
    if (req.dimensions !== undefined && req.dimensions !== workload.outputWidth) {
      throw new ProtocolError('INVALID_REQUEST', `${req.model} returns ${workload.outputWidth} dimensions; dimensions=${req.dimensions} is not supported`, 'dimensions');
    }
    const t = now();
    const idLists = this.tokenize(req.input);
    const tokenizeMs = now() - t;
    for (const ids of idLists) this.deps.metrics.promptTokens.observe(ids.length);
    const layout = this.layoutFor(workload);
    const tokens = idLists.reduce((n, ids) => n + ids.length, 0);
    this.checkCiphertexts(layout, tokens, workload.inputWidth);
    return {
      model: req.model,
      workload,
      layout,
      idLists,
      tokens,
      tokenizeMs,
      encodingFormat: req.encoding_format ?? 'float',
    };
  }

  /** Requests with the same key may share a batch (undefined: this one runs alone). */
  batchKey(p: Prepared): string | undefined {
    return p.workload.batchable ? `${p.workload.name}:${p.layout}` : undefined;
  }

  private cacheContext(level: number): string {
    return `${this.deps.keyId()}|${level}|${this.deps.embeddingSeed ?? 'default'}|${this.deps.encryption}`;
  }

  /** embed → pack → encode → encrypt → serialize for every input of `idLists` together. */
  async encryptInputs(workload: WorkloadInfo, layout: PackingLayout, idLists: readonly (readonly number[])[], pooled = false): Promise<Encrypted> {
    const { backend, metrics } = this.deps;
    const stages: StageTimings = {};
    const level = this.levelFor(workload);
    const cache = layout === 'blocked' ? this.deps.promptCache : undefined;

    const threads = this.deps.encryptThreads ?? 2;
    const fused = backend instanceof NativeBackend && this.deps.encryption === 'public' && threads > 0;
    const slots = backend.slotCount;
    let t = now();
    if (fused && !cache && layout === 'dense') {
      // Dense is every token's values back to back: embed straight into the buffer the fused
      // native call encrypts from (no per-ciphertext vectors, no copies).
      return this.encryptDense(workload, idLists, level, stages, t, pooled);
    }
    const requests: PackRequest[] = [];
    /** Index in `requests` of each real input. */
    const realIndex: number[] = [];
    const tpc = slots / nextPow2(workload.inputWidth);
    let cursor = 0;
    for (const ids of idLists) {
      if (cache && cursor % tpc !== 0) {
        // Start every input on a ciphertext boundary, so that a repeated prompt gives the same blocks.
        const pad = tpc - (cursor % tpc);
        requests.push({ embeddings: new Float64Array(pad * workload.inputWidth), tokens: pad });
        cursor += pad;
      }
      realIndex.push(requests.length);
      requests.push({ embeddings: this.deps.embeddings.embed(ids as number[]), tokens: ids.length });
      cursor += ids.length;
    }
    stages.embed = now() - t;

    t = now();
    const { vectors, plan } = packBatch(requests, layout, slots, { width: workload.inputWidth });
    stages.encode = now() - t;

    // Prompt cache: which ciphertexts are already known.
    const frames: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(vectors.length);
    const keys: string[] = [];
    if (cache) {
      const stream: BlockToken[] = new Array<BlockToken>(plan.tokens).fill({ id: -1, position: 0 });
      realIndex.forEach((ri, i) => {
        const placed = plan.requests[ri]!;
        idLists[i]!.forEach((id, pos) => (stream[placed.tokenOffset + pos] = { id, position: pos }));
      });
      const context = this.cacheContext(level);
      for (let c = 0; c < vectors.length; c++) {
        const block = stream.slice(c * tpc, Math.min(plan.tokens, (c + 1) * tpc));
        keys[c] = PromptBlockCache.key(context, block);
        const hit = cache.get(keys[c]!);
        if (hit) {
          frames[c] = hit;
          metrics.promptCacheHits.inc();
        } else metrics.promptCacheMisses.inc();
      }
    }
    const todo: number[] = [];
    for (let c = 0; c < vectors.length; c++) if (frames[c] === undefined) todo.push(c);

    let encryptMs = 0;
    let serializeMs = 0;
    if (todo.length > 0 && fused) {
      // Fused encode + encrypt on the libuv pool, in up to `threads` chunks of at least 4.
      t = now();
      const chunks = Math.max(1, Math.min(threads, Math.floor(todo.length / 4)));
      const per = Math.ceil(todo.length / chunks);
      const jobs: Promise<void>[] = [];
      for (let start = 0; start < todo.length; start += per) {
        const part = todo.slice(start, start + per);
        const packed = new Float64Array(part.length * slots);
        part.forEach((c, i) => packed.set(vectors[c]!, i * slots));
        jobs.push(
          (backend as NativeBackend).encodeEncryptMany(packed, slots, { level }).then(async (cts) => {
            serializeMs += await serializeSliced(cts, (i, bytes) => (frames[part[i]!] = bytes));
          }),
        );
      }
      await Promise.all(jobs);
      encryptMs = now() - t - serializeMs;
    } else {
      for (const c of todo) {
        t = now();
        const pt = backend.encode(vectors[c]!, { level });
        try {
          const ct = this.deps.encryption === 'symmetric' ? backend.encryptSymmetric(pt) : backend.encrypt(pt);
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
    }
    if (cache) for (const c of todo) cache.set(keys[c]!, frames[c]!);
    stages.encrypt = encryptMs;
    stages.serialize = serializeMs;
    const tokens = idLists.reduce((n, ids) => n + ids.length, 0);
    const total = (stages.embed ?? 0) + (stages.encode ?? 0) + encryptMs + serializeMs;
    metrics.encryptionDuration.observe({ backend: backend.name, layout }, total / 1000);
    const inputs = realIndex.map((ri, index) => {
      const r = plan.requests[ri]!;
      return { index, tokenOffset: r.tokenOffset, tokens: r.tokens };
    });
    return { workload, plan, frames: frames as Uint8Array[], inputs, tokens, level, stages };
  }

  /** The dense fused path of encryptInputs: embed into one buffer, encrypt it in chunks on the libuv pool. */
  private async encryptDense(workload: WorkloadInfo, idLists: readonly (readonly number[])[], level: number, stages: StageTimings, t0: number, pooled: boolean): Promise<Encrypted> {
    const backend = this.deps.backend as NativeBackend;
    const slots = backend.slotCount;
    const width = workload.inputWidth;
    const tokens = idLists.reduce((n, ids) => n + ids.length, 0);
    const base = planPacking('dense', tokens, slots, width);
    // Pooled like the upload buffer: every token's values are written below, the padding after
    // the last token is zeroed here (a reused buffer holds an earlier batch's values).
    const packed = pooled ? (this.#packed.take(base.ciphertexts * slots) ?? new Float64Array(base.ciphertexts * slots)) : new Float64Array(base.ciphertexts * slots);
    packed.fill(0, tokens * width);
    const requests: RequestPlacement[] = [];
    let offset = 0;
    let embedMs = 0;
    const slices = new EventLoopSlices();
    for (const [index, ids] of idLists.entries()) {
      // a thousand tokens never seen before cost ~100 ms of embedding rows: embedded in pieces
      for (let from = 0; from < ids.length; from += EMBED_PIECE_TOKENS) {
        await slices.pause();
        const piece = ids.slice(from, from + EMBED_PIECE_TOKENS) as number[];
        const e0 = now();
        this.deps.embeddings.embed(piece, { startPosition: from, out: packed.subarray((offset + from) * width, (offset + from + piece.length) * width) });
        embedMs += now() - e0;
      }
      requests.push({ index, tokenOffset: offset, tokens: ids.length, ranges: slotRanges(base, offset, ids.length) });
      offset += ids.length;
    }
    const plan: BatchPlan = { ...base, requests };
    stages.embed = embedMs;
    stages.encode = 0;
    const count = base.ciphertexts;
    const frames: FramePayload[] = new Array<FramePayload>(count);
    const threads = Math.max(1, Math.min(this.deps.encryptThreads ?? 2, Math.floor(count / 4)));
    const per = Math.ceil(count / threads);
    // The whole batch's ciphertexts in one buffer (pooled when the caller hands it back):
    // each chunk's encryption writes its part, the frames view it on their way to the socket.
    const words = backend.ciphertextWords(level);
    const upload = pooled ? (this.#uploads.take(count * words) ?? new BigUint64Array(count * words)) : undefined;
    let serializeMs = 0;
    const t = now();
    const jobs: Promise<void>[] = [];
    for (let start = 0; start < count; start += per) {
      const n = Math.min(per, count - start);
      const out = upload?.subarray(start * words, (start + n) * words);
      jobs.push(
        backend.encodeEncryptMany(packed.subarray(start * slots, (start + n) * slots), slots, { level, ...(out ? { out } : {}) }).then((cts) => {
          // Pieces viewing the encryption's output: the coefficients go to the socket uncopied.
          // (The blocked path's prompt cache keeps copies: a view would pin the whole batch.)
          const s0 = now();
          for (const [i, ct] of cts.entries()) {
            frames[start + i] = ct.serializeParts();
            ct.dispose();
          }
          serializeMs += now() - s0;
        }),
      );
    }
    // Every chunk settles before the buffers may go back: a failed chunk must not leave another still using them.
    const settled = await Promise.allSettled(jobs);
    if (pooled) this.#packed.give(packed);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    stages.encrypt = now() - t - serializeMs;
    stages.serialize = serializeMs;
    this.deps.metrics.encryptionDuration.observe({ backend: backend.name, layout: 'dense' }, (now() - t0) / 1000);
    const inputs = requests.map((r) => ({ index: r.index, tokenOffset: r.tokenOffset, tokens: r.tokens }));
    return { workload, plan, frames, inputs, tokens, level, stages, ...(upload ? { release: () => this.#uploads.give(upload) } : {}) };
  }

  /** For `POST /v1/fhe/encrypt`: one request's ciphertexts, never shared with another's. */
  async encrypt(p: Prepared): Promise<Encrypted> {
    const release = await this.holdCiphertexts([p]);
    try {
      const enc = await this.encryptInputs(p.workload, p.layout, p.idLists);
      return { ...enc, stages: { tokenize: p.tokenizeMs, ...enc.stages } };
    } finally {
      release();
    }
  }

  /** Takes the batch's ciphertexts from the budget (waiting while it is spent); resolves with their release. */
  private async holdCiphertexts(items: readonly Prepared[]): Promise<() => void> {
    const budget = this.deps.ciphertextBudget;
    const first = items[0];
    if (!budget || !first) return () => undefined;
    const tokens = items.reduce((n, p) => n + p.tokens, 0);
    return budget.acquire(ciphertextCount(first.layout, tokens, this.deps.backend.slotCount, first.workload.inputWidth));
  }

  private async evaluateRemote(
    enc: Encrypted,
    requestId: string,
    bodyUse?: Holds,
  ): Promise<{ header: EvaluateResponseHeader; frames: Uint8Array[]; body: Buffer; timings: { uploadMs: number; waitMs: number; downloadMs: number } }> {
    const { upstream, metrics } = this.deps;
    const p = enc.plan;
    for (let attempt = 0; ; attempt++) {
      const header = {
        keyId: this.deps.keyId(),
        workload: enc.workload.name,
        params: this.deps.info.params,
        plan: { layout: p.layout, slotCount: p.slotCount, width: p.width, tokens: p.tokens, ciphertexts: p.ciphertexts },
        requestId,
      };
      const parts = encodeFramesParts(header, enc.frames);
      const sentBytes = parts.reduce((n, x) => n + x.length, 0);
      metrics.queueDepth.inc({ queue: 'upstream' });
      let resp;
      try {
        resp = await upstream.call('/v1/evaluate', { body: parts, contentType: FRAME_CONTENT_TYPE, ...(bodyUse ? { onBodyFree: bodyUse.hold() } : {}) });
      } catch (e) {
        metrics.upstreamDuration.observe({ operation: 'evaluate', status: 'error' }, 0);
        throw e;
      } finally {
        metrics.queueDepth.dec({ queue: 'upstream' });
      }
      metrics.upstreamDuration.observe({ operation: 'evaluate', status: String(resp.status) }, resp.timings.totalMs / 1000);
      metrics.bytesSent.inc({ peer: 'upstream' }, sentBytes);
      metrics.ciphertextsSent.inc({ peer: 'upstream' }, enc.frames.length);
      metrics.bytesReceived.inc({ peer: 'upstream' }, resp.body.length);
      if (resp.status === 200) {
        let decoded;
        try {
          decoded = decodeFrames(resp.body, { maxFrames: Math.max(1, p.ciphertexts) });
        } catch (e) {
          throw new ProtocolError('UPSTREAM_ERROR', `the inference service sent malformed frames: ${(e as Error).message}`, null, { cause: e });
        }
        const h = EvaluateResponseHeader.safeParse(decoded.header);
        if (!h.success || decoded.frames.length !== p.ciphertexts) {
          throw new ProtocolError('UPSTREAM_ERROR', 'the inference service sent an unexpected evaluation response');
        }
        metrics.ciphertextsReceived.inc({ peer: 'upstream' }, decoded.frames.length);
        return { header: h.data, frames: decoded.frames, body: resp.body, timings: resp.timings };
      }
      let body: unknown;
      try {
        body = JSON.parse(resp.body.toString('utf8'));
      } catch {
        body = undefined;
      }
      const code = peerErrorCode(body);
      const message = (body as { error?: { message?: string } } | undefined)?.error?.message ?? `status ${resp.status}`;
      if (code === 'UNKNOWN_KEY' && attempt === 0) {
        // The service lost the keys (restart, eviction, a cold instance): upload once more, retry once.
        await this.deps.reupload();
        continue;
      }
      if (code === 'QUEUE_FULL') throw new ProtocolError('QUEUE_FULL', `the inference service is busy: ${message}`, null, { retryAfterSeconds: 1 });
      if (resp.status === 503) throw new ProtocolError('UPSTREAM_DOWN', `the inference service is unavailable: ${message}`, null, { retryAfterSeconds: 1 });
      throw new ProtocolError('UPSTREAM_ERROR', `the inference service answered ${resp.status} ${code ?? ''}: ${message}`.replace(/\s+/g, ' '));
    }
  }

  /**
   * Everything after `prepare` for a batch of requests of one workload and layout: one packing,
   * one upstream evaluation, then each request's own embeddings. Results in `items` order.
   */
  async runBatch(items: readonly Prepared[], waitedMs: readonly number[], requestId: string): Promise<EmbeddingsResult[]> {
    const release = await this.holdCiphertexts(items);
    try {
      return await this.runBatchHeld(items, waitedMs, requestId);
    } finally {
      release();
    }
  }

  private async runBatchHeld(items: readonly Prepared[], waitedMs: readonly number[], requestId: string): Promise<EmbeddingsResult[]> {
    const first = items[0];
    if (!first) return [];
    const w = first.workload;
    const allLists = items.flatMap((p) => p.idLists);
    const enc = await this.encryptInputs(w, first.layout, allLists, true);
    // The upload buffer goes back to the pool once every stream that sent it has closed.
    const bodyUse = new Holds(() => enc.release?.());
    let remote;
    try {
      remote = await this.evaluateRemote(enc, requestId, bodyUse);
    } finally {
      bodyUse.close();
    }
    const shared: StageTimings = { ...enc.stages, upload: remote.timings.uploadMs, evaluate: remote.timings.waitMs, download: remote.timings.downloadMs };

    let vectors: Float64Array[];
    try {
      vectors = await this.decryptFrames(remote.frames, shared);
    } finally {
      // The frames view the answer's body; decryption has read them (or failed) by now.
      this.deps.upstream.releaseBody(remote.body);
    }
    this.deps.metrics.decryptionDuration.observe({ backend: this.deps.backend.name }, ((shared.deserialize ?? 0) + (shared.decrypt ?? 0) + (shared.decode ?? 0)) / 1000);

    const k = remote.header.outputWidth;
    let next = 0;
    // Pooling reads every token's output (a thousand tokens of 768 values is a millisecond or
    // two; a batch holds thousands): in slices, like the rest of the batch's work.
    const slices = new EventLoopSlices();
    const results: EmbeddingsResult[] = [];
    for (const [i, p] of items.entries()) {
      let poolMs = 0;
      const data: EmbeddingsResult['response']['data'] = [];
      for (const index of p.idLists.keys()) {
        await slices.pause();
        const t = now();
        const placed = enc.inputs[next++]!;
        const pooled = poolOutputs(enc.plan, vectors, k, placed.tokenOffset, placed.tokens);
        data.push({
          object: 'embedding' as const,
          index,
          embedding: p.encodingFormat === 'base64' ? Buffer.from(Float32Array.from(pooled).buffer).toString('base64') : Array.from(pooled),
        });
        poolMs += now() - t;
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
   * The evaluation's answer as slot vectors. Native: one decrypt+decode call for the batch on
   * the libuv pool, its stage timed as `decrypt` (parsing included). Otherwise one ciphertext
   * at a time in event-loop slices.
   */
  private async decryptFrames(frames: readonly Uint8Array[], stages: StageTimings): Promise<Float64Array[]> {
    const { backend } = this.deps;
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

  /** The whole pipeline for one `POST /v1/embeddings` on its own (no batching). */
  async embeddings(req: EmbeddingsRequest, requestId: string): Promise<EmbeddingsResult> {
    const [r] = await this.runBatch([this.prepare(req)], [0], requestId);
    return r!;
  }
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Mean over tokens [offset, offset + tokens) of their `k` outputs, read where `plan` put each
 * token's input: blocked → slots [b·B, b·B + k) of its block; dense → its w values in the stream
 * (k = w); dimension-major → slot t of output ciphertexts g·w + r.
 */
export function poolOutputs(plan: BatchPlan, vectors: readonly Float64Array[], k: number, offset: number, tokens: number): Float64Array {
  const out = new Float64Array(k);
  const S = plan.slotCount;
  for (let g = offset; g < offset + tokens; g++) {
    switch (plan.layout) {
      case 'blocked': {
        const v = vectors[Math.floor(g / plan.tokensPerCiphertext)]!;
        const base = (g % plan.tokensPerCiphertext) * plan.blockSize;
        for (let r = 0; r < k; r++) out[r] = out[r]! + v[base + r]!;
        break;
      }
      case 'dense': {
        for (let r = 0; r < k; r++) {
          const i = g * plan.width + r;
          out[r] = out[r]! + vectors[Math.floor(i / S)]![i % S]!;
        }
        break;
      }
      case 'dimension-major': {
        const base = Math.floor(g / S) * plan.width;
        for (let r = 0; r < k; r++) out[r] = out[r]! + vectors[base + r]![g % S]!;
        break;
      }
    }
  }
  if (tokens > 0) for (let r = 0; r < k; r++) out[r] = out[r]! / tokens;
  return out;
}

export { MAX_PROMPT_TOKENS };
