/**
 * The proxy's request pipeline:
 *
 *   tokenize → embed → pack + encode → encrypt → serialize → upload → evaluate (remote) →
 *   download → deserialize → decrypt → decode → unpack → pool
 *
 * Every input of one request is packed into shared ciphertexts (`packBatch`); the output of token
 * t sits where its input was (blocked: the first `outputWidth` slots of its block), and each
 * input's embedding is the mean of its tokens' outputs, `outputWidth` values long.
 */
import type { CkksBackend } from '@hlp/ckks';
import {
  GPT2,
  isModelError,
  packBatch,
  tokenizeWithin,
  type BatchPlan,
  type EmbeddingSource,
  type PackingLayout,
} from '@hlp/model';
import {
  EvaluateResponseHeader,
  FRAME_CONTENT_TYPE,
  MAX_PROMPT_TOKENS,
  ProtocolError,
  decodeFrames,
  encodeFramesParts,
  peerErrorCode,
  type EmbeddingsRequest,
  type EmbeddingsResponse,
  type OpCounts,
  type ServiceInfo,
  type WorkloadInfo,
} from '@hlp/protocol';
import type { AppMetrics, Stage } from '@hlp/telemetry';
import type { Upstream } from './upstream.js';

export type StageTimings = Partial<Record<Stage | 'pool', number>>;

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
  /** The id of the uploaded key set. */
  keyId(): string;
  /** Upload the keys again (the service answered UNKNOWN_KEY); resolves to the key id. */
  reupload(): Promise<string>;
}

export interface Encrypted {
  readonly workload: WorkloadInfo;
  readonly plan: BatchPlan;
  readonly frames: Uint8Array[];
  readonly tokens: number;
  readonly stages: StageTimings;
}

export interface EmbeddingsResult {
  readonly response: EmbeddingsResponse;
  readonly stages: StageTimings;
  readonly ops: OpCounts;
  readonly ciphertexts: number;
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

export class Pipeline {
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

  /** Token ids of every input, checked against the limits. */
  tokenize(input: EmbeddingsRequest['input']): number[][] {
    const lists = asTokenLists(input);
    const max = this.deps.maxPromptTokens;
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

  /** tokenize → embed → pack + encode → encrypt → serialize. */
  encrypt(model: string, input: EmbeddingsRequest['input']): Encrypted {
    const workload = this.workloadFor(model);
    const { backend, metrics } = this.deps;
    const stages: StageTimings = {};
    let t = now();
    const idLists = this.tokenize(input);
    stages.tokenize = now() - t;
    for (const ids of idLists) metrics.promptTokens.observe(ids.length);

    t = now();
    const requests = idLists.map((ids) => ({ embeddings: this.deps.embeddings.embed(ids), tokens: ids.length }));
    stages.embed = now() - t;

    t = now();
    const layout = this.layoutFor(workload);
    const { vectors, plan } = packBatch(requests, layout, backend.slotCount, { width: workload.inputWidth });
    const plaintexts = vectors.map((v) => backend.encode(v));
    stages.encode = now() - t;

    const frames: Uint8Array[] = [];
    let encryptMs = 0;
    let serializeMs = 0;
    try {
      for (const pt of plaintexts) {
        t = now();
        const ct = this.deps.encryption === 'symmetric' ? backend.encryptSymmetric(pt) : backend.encrypt(pt);
        const t2 = now();
        encryptMs += t2 - t;
        try {
          frames.push(ct.serialize());
        } finally {
          ct.dispose();
        }
        serializeMs += now() - t2;
      }
    } finally {
      for (const pt of plaintexts) pt.dispose();
    }
    stages.encrypt = encryptMs;
    stages.serialize = serializeMs;
    const tokens = idLists.reduce((n, ids) => n + ids.length, 0);
    const total = (stages.tokenize ?? 0) + (stages.embed ?? 0) + (stages.encode ?? 0) + encryptMs + serializeMs;
    metrics.encryptionDuration.observe({ backend: backend.name, layout }, total / 1000);
    return { workload, plan, frames, tokens, stages };
  }

  private async evaluateRemote(enc: Encrypted, requestId: string): Promise<{ header: EvaluateResponseHeader; frames: Uint8Array[]; timings: { uploadMs: number; waitMs: number; downloadMs: number } }> {
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
        resp = await upstream.call('/v1/evaluate', { body: parts, contentType: FRAME_CONTENT_TYPE });
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
        return { header: h.data, frames: decoded.frames, timings: resp.timings };
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
        await this.deps.reupload();
        continue;
      }
      if (code === 'QUEUE_FULL') throw new ProtocolError('QUEUE_FULL', `the inference service is busy: ${message}`, null, { retryAfterSeconds: 1 });
      throw new ProtocolError('UPSTREAM_ERROR', `the inference service answered ${resp.status} ${code ?? ''}: ${message}`.replace(/\s+/g, ' '));
    }
  }

  /** The whole pipeline for `POST /v1/embeddings`. */
  async embeddings(req: EmbeddingsRequest, requestId: string): Promise<EmbeddingsResult> {
    const enc = this.encrypt(req.model, req.input);
    const w = enc.workload;
    if (req.dimensions !== undefined && req.dimensions !== w.outputWidth) {
      throw new ProtocolError('INVALID_REQUEST', `${req.model} returns ${w.outputWidth} dimensions; dimensions=${req.dimensions} is not supported`, 'dimensions');
    }
    const stages: StageTimings = { ...enc.stages };
    const remote = await this.evaluateRemote(enc, requestId);
    stages.upload = remote.timings.uploadMs;
    stages.evaluate = remote.timings.waitMs;
    stages.download = remote.timings.downloadMs;

    const { backend } = this.deps;
    let deserializeMs = 0;
    let decryptMs = 0;
    let decodeMs = 0;
    const vectors = remote.frames.map((f) => {
      let t = now();
      const ct = backend.deserialize(f);
      let t2 = now();
      deserializeMs += t2 - t;
      try {
        const pt = backend.decrypt(ct);
        t = now();
        decryptMs += t - t2;
        try {
          const v = backend.decode(pt);
          t2 = now();
          decodeMs += t2 - t;
          return v;
        } finally {
          pt.dispose();
        }
      } finally {
        ct.dispose();
      }
    });
    stages.deserialize = deserializeMs;
    stages.decrypt = decryptMs;
    stages.decode = decodeMs;
    this.deps.metrics.decryptionDuration.observe({ backend: backend.name }, (deserializeMs + decryptMs + decodeMs) / 1000);

    const t = now();
    const k = remote.header.outputWidth;
    const data = enc.plan.requests.map((r, index) => {
      const pooled = poolOutputs(enc.plan, vectors, k, r.tokenOffset, r.tokens);
      return {
        object: 'embedding' as const,
        index,
        embedding: req.encoding_format === 'base64' ? Buffer.from(Float32Array.from(pooled).buffer).toString('base64') : Array.from(pooled),
      };
    });
    stages.pool = now() - t;
    return {
      response: { object: 'list', data, model: req.model, usage: { prompt_tokens: enc.tokens, total_tokens: enc.tokens } },
      stages,
      ops: remote.header.ops,
      ciphertexts: enc.frames.length,
      serverTimings: remote.header.timings,
    };
  }
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
