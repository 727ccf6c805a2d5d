/**
 * The proxy's request pipeline:
 *
 *   tokenize → embed → pack + encode → encrypt → serialize → upload → evaluate (remote) →
 *   download → deserialize → decrypt → decode → unpack → pool
 *
 * `prepare` does the per-request part (model, limits, tokenize); `runBatch` does the rest for
 * one or more prepared requests at once: every input of every request is packed into shared
 * ciphertexts (`packBatch`: token streams concatenated), evaluated in one upstream call, and
 * each request gets back the mean of its own tokens' outputs.
 *
 * This class ties the stages together; each lives in pipeline/: tokens.ts (inputs → token ids),
 * planning.ts (layouts, levels, ciphertext counts, batch capacity), encrypt.ts (embed → pack →
 * encrypt → serialize), evaluate.ts (the upstream call), decrypt.ts (decrypt → unpack → pool).
 */
import { MAX_PROMPT_TOKENS, ProtocolError, type EmbeddingsRequest, type ServiceInfo, type WorkloadInfo } from '@hlp/protocol';
import type { PackingLayout } from '@hlp/model';
import { Holds } from './holds.js';
import { decryptFrames, embeddingsResults } from './pipeline/decrypt.js';
import { Encryptor, type EncryptInputsOptions } from './pipeline/encrypt.js';
import { evaluateRemote, type Evaluated } from './pipeline/evaluate.js';
import { CiphertextPlanner } from './pipeline/planning.js';
import { tokenizeInputs } from './pipeline/tokens.js';
import { now, type EmbeddingsResult, type Encrypted, type PipelineDeps, type Prepared, type StageTimings } from './pipeline/types.js';

export { poolOutputs } from './pipeline/decrypt.js';
export type { EmbeddingsResult, Encrypted, InputPlacement, PipelineDeps, Prepared, StageTimings } from './pipeline/types.js';

export class Pipeline {
  readonly #planner: CiphertextPlanner;
  readonly #encryptor: Encryptor;

  /** Which key encrypts the inputs (`symmetric`: seeded, secret key). */
  get encryption(): 'symmetric' | 'public' {
    return this.deps.encryption;
  }

  constructor(private readonly deps: PipelineDeps) {
    this.#planner = new CiphertextPlanner({
      info: deps.info,
      slotCount: deps.backend.slotCount,
      maxLevel: deps.backend.params.maxLevel,
      layout: deps.layout,
      ...(deps.dataLevel === undefined ? {} : { dataLevel: deps.dataLevel }),
    });
    this.#encryptor = new Encryptor(deps, this.#planner);
  }

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
    return this.#planner.layoutFor(w);
  }

  /** The CKKS level ciphertexts for `w` are made at. */
  levelFor(w: WorkloadInfo): number {
    return this.#planner.levelFor(w);
  }

  /** Token ids of every input, checked against the limits. */
  tokenize(input: EmbeddingsRequest['input']): number[][] {
    return tokenizeInputs(input, this.deps);
  }

  /** The most tokens one batch of requests like `p` may hold (see CiphertextPlanner.batchCapacity). */
  batchCapacity(p: Prepared): number {
    return this.#planner.batchCapacity(p);
  }

  /** Model, dimensions and tokens of one request. @throws ProtocolError for bad input */
  prepare(req: EmbeddingsRequest): Prepared {
    const workload = this.workloadFor(req.model);
    if (req.dimensions !== undefined && req.dimensions !== workload.outputWidth) {
      throw new ProtocolError(
        'INVALID_REQUEST',
        `${req.model} returns ${workload.outputWidth} dimensions; dimensions=${req.dimensions} is not supported`,
        'dimensions',
      );
    }
    const t = now();
    const idLists = this.tokenize(req.input);
    const tokenizeMs = now() - t;
    for (const ids of idLists) this.deps.metrics.promptTokens.observe(ids.length);
    const layout = this.layoutFor(workload);
    const tokens = idLists.reduce((n, ids) => n + ids.length, 0);
    this.#planner.checkCiphertexts(layout, tokens, workload.inputWidth);
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

  /** embed → pack → encode → encrypt → serialize for every input of `idLists` together. */
  async encryptInputs(
    workload: WorkloadInfo,
    layout: PackingLayout,
    idLists: readonly (readonly number[])[],
    options: EncryptInputsOptions = {},
  ): Promise<Encrypted> {
    return this.#encryptor.encryptInputs(workload, layout, idLists, options);
  }

  /** For `POST /v1/fhe/encrypt`: one request's ciphertexts, never shared with another's. */
  async encrypt(p: Prepared): Promise<Encrypted> {
    const release = await this.holdCiphertexts([p]);
    try {
      // SEAL's own seeded format: the client may load them in node-seal.
      const enc = await this.encryptInputs(p.workload, p.layout, p.idLists, { forClient: true });
      return { ...enc, stages: { tokenize: p.tokenizeMs, ...enc.stages } };
    } finally {
      release();
    }
  }

  /** Takes the batch's ciphertexts from the budget (waiting while it is spent); resolves with their release. */
  private async holdCiphertexts(items: readonly Prepared[]): Promise<() => void> {
    const budget = this.deps.ciphertextBudget;
    if (!budget || items.length === 0) return () => undefined;
    return budget.acquire(this.#planner.batchCiphertexts(items));
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
    const allLists = items.flatMap((p) => p.idLists);
    const enc = await this.encryptInputs(first.workload, first.layout, allLists, { pooled: true });
    // The upload buffer goes back to the pool once every stream that sent it has closed.
    const bodyUse = new Holds(() => enc.release?.());
    let remote: Evaluated;
    try {
      remote = await evaluateRemote(this.deps, enc, requestId, bodyUse);
    } finally {
      bodyUse.close();
    }
    const shared: StageTimings = { ...enc.stages, upload: remote.timings.uploadMs, evaluate: remote.timings.waitMs, download: remote.timings.downloadMs };

    let vectors: Float64Array[];
    try {
      vectors = await decryptFrames(this.deps.backend, remote.frames, shared);
    } finally {
      // The frames view the answer's body; decryption has read them (or failed) by now.
      this.deps.upstream.releaseBody(remote.body);
    }
    this.deps.metrics.decryptionDuration.observe(
      { backend: this.deps.backend.name },
      ((shared.deserialize ?? 0) + (shared.decrypt ?? 0) + (shared.decode ?? 0)) / 1000,
    );
    return embeddingsResults(items, waitedMs, { enc, remote, vectors, shared });
  }

  /** The whole pipeline for one `POST /v1/embeddings` on its own (no batching). */
  async embeddings(req: EmbeddingsRequest, requestId: string): Promise<EmbeddingsResult> {
    const [r] = await this.runBatch([this.prepare(req)], [0], requestId);
    return r!;
  }
}

export { MAX_PROMPT_TOKENS };
