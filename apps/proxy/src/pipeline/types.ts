/** The data the pipeline's stages hand each other, and what it needs from the proxy. */
import type { CkksBackend } from '@hlp/ckks';
import type { BatchPlan, EmbeddingSource, PackingLayout } from '@hlp/model';
import type { EmbeddingsResponse, EvaluateResponseHeader, FramePayload, OpCounts, ServiceInfo, WorkloadInfo } from '@hlp/protocol';
import type { AppMetrics, Stage } from '@hlp/telemetry';
import type { CiphertextBudget } from '../ciphertext-budget.js';
import type { EmbeddingThread } from '../embedding-thread.js';
import type { PromptBlockCache } from '../prompt-cache.js';
import type { UpstreamClient } from '../upstream.js';

export type StageTimings = Partial<Record<Stage | 'pool' | 'batch', number>>;

export interface PipelineDeps {
  readonly backend: CkksBackend;
  readonly info: ServiceInfo;
  readonly upstream: UpstreamClient;
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
  /** Makes the dense path's embedding rows off the event loop (the same values as `embeddings`); none: in event-loop slices. */
  readonly embedThread?: EmbeddingThread;
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

export const now = (): number => performance.now();
