/**
 * Request and response schemas (zod) of both services.
 *
 * Client API of the proxy (OpenAI-compatible): EmbeddingsRequest / EmbeddingsResponse /
 * ModelsResponse, and the JSON header of the `/v1/fhe/encrypt` frames (EncryptResponseHeader).
 *
 * Service API of the inference service (proxy → service, bearer token): ServiceInfo
 * (`GET /v1/info`), KeyUploadHeader / KeyUploadResponse (`POST /v1/keys`, frames),
 * EvaluateRequestHeader / EvaluateResponseHeader (`POST /v1/evaluate`, frames both ways).
 */
import { z } from 'zod';

/** GPT-2's context: the most tokens one input may have. */
export const MAX_PROMPT_TOKENS = 1024;
/** The proxy's default for the most tokens of one request, all inputs together (`--max-request-tokens`). */
export const DEFAULT_MAX_REQUEST_TOKENS = 8192;
/** The proxy's default largest request body (`--max-body-bytes`). */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
/**
 * Characters per token a prompt may average. GPT-2 text averages about 4; 32 leaves room for long
 * tokens (runs of spaces, repeated punctuation) while letting a prompt far beyond any token limit
 * be refused by its length alone (INPUT_TOO_LONG), before tokenizing costs anything.
 */
export const MAX_CHARS_PER_TOKEN = 32;
/** The most inputs one embeddings request may carry (OpenAI's limit). */
export const MAX_INPUTS = 2048;
/** Model ids are `hlp-<workload>`. */
export const MODEL_PREFIX = 'hlp-';

export function modelId(workload: string): string {
  return `${MODEL_PREFIX}${workload}`;
}
/** The workload a model id names, or undefined when it does not start with `hlp-`. */
export function workloadOfModel(model: string): string | undefined {
  return model.startsWith(MODEL_PREFIX) && model.length > MODEL_PREFIX.length ? model.slice(MODEL_PREFIX.length) : undefined;
}

// -- client API (proxy) ----------------------------------------------------------------------

const TokenId = z.number().int();
const TokenArray = z.array(TokenId).min(1, 'a token array must not be empty');

export const EmbeddingsRequest = z.object({
  input: z.union([
    z.string(),
    z.array(z.string()).min(1, 'input must not be an empty array').max(MAX_INPUTS),
    TokenArray,
    z.array(TokenArray).min(1, 'input must not be an empty array').max(MAX_INPUTS),
  ]),
  model: z.string().min(1),
  /** `float` (default) or `base64` (little-endian float32, as the openai client asks for by default). */
  encoding_format: z.enum(['float', 'base64']).optional(),
  /** Must equal the workload's output width when given (no truncation). */
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
});
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequest>;

export const Embedding = z.object({
  object: z.literal('embedding'),
  index: z.number().int().nonnegative(),
  embedding: z.union([z.array(z.number()), z.string()]),
});

export const Usage = z.object({
  prompt_tokens: z.number().int().nonnegative(),
  total_tokens: z.number().int().nonnegative(),
});

export const EmbeddingsResponse = z.object({
  object: z.literal('list'),
  data: z.array(Embedding),
  model: z.string(),
  usage: Usage,
});
export type EmbeddingsResponse = z.infer<typeof EmbeddingsResponse>;

export const ModelObject = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.number().int(),
  owned_by: z.string(),
});
export const ModelsResponse = z.object({ object: z.literal('list'), data: z.array(ModelObject) });
export type ModelsResponse = z.infer<typeof ModelsResponse>;

// -- shared pieces -----------------------------------------------------------------------------

/** CKKS parameters as they travel: the user fields of @hlp/ckks's CkksParamsInput. */
export const ParamsWire = z.object({
  n: z.number().int().positive(),
  coeffModulusBits: z.array(z.number().int().positive()).min(2).max(64),
  scaleBits: z.number().int().positive(),
});
export type ParamsWire = z.infer<typeof ParamsWire>;

export function sameParams(a: ParamsWire, b: ParamsWire): boolean {
  return (
    a.n === b.n &&
    a.scaleBits === b.scaleBits &&
    a.coeffModulusBits.length === b.coeffModulusBits.length &&
    a.coeffModulusBits.every((x, i) => x === b.coeffModulusBits[i])
  );
}

/** A packing plan as @hlp/model's parsePackingPlan reads it (the service recomputes the geometry). */
export const PlanWire = z.object({
  layout: z.string().min(1).max(32),
  slotCount: z.number().int().positive(),
  width: z.number().int().positive(),
  tokens: z.number().int().nonnegative(),
  ciphertexts: z.number().int().nonnegative(),
});
export type PlanWire = z.infer<typeof PlanWire>;

/** Operation counts of one evaluation, as executed. */
export const OpCounts = z.object({
  rotations: z.number().int().nonnegative(),
  plaintextMultiplications: z.number().int().nonnegative(),
  ciphertextMultiplications: z.number().int().nonnegative(),
  relinearizations: z.number().int().nonnegative(),
  rescales: z.number().int().nonnegative(),
  additions: z.number().int().nonnegative(),
});
export type OpCounts = z.infer<typeof OpCounts>;

export const KeyId = z.string().regex(/^[0-9a-f]{64}$/, 'a key id is 64 lowercase hex digits (SHA-256)');

// -- service API (inference) -------------------------------------------------------------------

export const WorkloadInfo = z.object({
  name: z.string(),
  model: z.string(),
  inputWidth: z.number().int().positive(),
  outputWidth: z.number().int().positive(),
  depth: z.number().int().positive(),
  layouts: z.array(z.string()),
  /** Galois keys the workload needs (rotation steps, SEAL's convention: positive = left). */
  rotationSteps: z.array(z.number().int()),
  needsRelin: z.boolean(),
  seed: z.number().int().nonnegative(),
  /** CKKS backend the service evaluates it with. */
  backend: z.enum(['seal', 'native']),
  /** Worst-case absolute error of an output slot for a per-slot CKKS error of 1e-6 (see @hlp/model errorBound). */
  errorBoundAt1e6: z.number().nonnegative(),
  /**
   * True when a token's outputs depend only on that token's slots, so the tokens of several
   * requests may share ciphertexts (the proxy's request batching). Absent: false.
   */
  batchable: z.boolean().optional(),
});
export type WorkloadInfo = z.infer<typeof WorkloadInfo>;

/**
 * How a seeded ciphertext's seed expands into its c1: SEAL's two PRNGs, and the project's
 * AES-256-CTR (PRNG byte 0x80), which only the native backend reads.
 */
export const SEED_STREAMS = ['shake256', 'blake2xb', 'aes256ctr'] as const;
export type SeedStreamName = (typeof SEED_STREAMS)[number];

export const ServiceInfo = z.object({
  service: z.literal('hlp-inference'),
  version: z.string(),
  params: ParamsWire,
  workloads: z.array(WorkloadInfo),
  limits: z.object({
    maxBodyBytes: z.number().int().positive(),
    maxCiphertexts: z.number().int().positive(),
  }),
  /** The seed expansions the service reads in seeded ciphertexts. Absent (an older service): SEAL's, shake256 and blake2xb. */
  seedStreams: z.array(z.enum(SEED_STREAMS)).optional(),
});
export type ServiceInfo = z.infer<typeof ServiceInfo>;

export const KEY_KINDS_ACCEPTED = ['public', 'relin', 'galois'] as const;
export type UploadKeyKind = (typeof KEY_KINDS_ACCEPTED)[number];

/** Header of `POST /v1/keys`: frame i holds the SEAL bytes of `keys[i]`. */
export const KeyUploadHeader = z.object({
  params: ParamsWire,
  /** Kinds in frame order; `secret` is refused (SECRET_KEY_REJECTED), as is any frame that parses as a SecretKey. */
  keys: z.array(z.string().min(1).max(16)).min(1).max(8),
  /** Rotation steps of the Galois keys (informational). */
  galoisSteps: z.array(z.number().int()).optional(),
  frames: z.number().int(),
});
export type KeyUploadHeader = z.infer<typeof KeyUploadHeader>;

export const KeyUploadResponse = z.object({
  keyId: KeyId,
  /** SHA-256 of each key's bytes, by kind. */
  hashes: z.record(z.string(), KeyId),
  bytes: z.number().int().nonnegative(),
  /** False when the set was already registered (uploads are idempotent). */
  created: z.boolean(),
});
export type KeyUploadResponse = z.infer<typeof KeyUploadResponse>;

/** Header of `POST /v1/evaluate`: frame i is ciphertext i of the plan. */
export const EvaluateRequestHeader = z.object({
  keyId: KeyId,
  workload: z.string().min(1).max(64),
  params: ParamsWire,
  plan: PlanWire,
  requestId: z.string().max(128).optional(),
  frames: z.number().int(),
});
export type EvaluateRequestHeader = z.infer<typeof EvaluateRequestHeader>;

export const EvaluateResponseHeader = z.object({
  workload: z.string(),
  layout: z.string(),
  inputWidth: z.number().int().positive(),
  outputWidth: z.number().int().positive(),
  /** Output ciphertexts, in the order of the input (one per input ciphertext for every workload here). */
  ciphertexts: z.number().int().nonnegative(),
  ops: OpCounts,
  /** Data level and scale of the outputs. */
  level: z.number().int().nonnegative(),
  scale: z.number().positive(),
  timings: z.object({
    queueMs: z.number().nonnegative(),
    deserializeMs: z.number().nonnegative(),
    evaluateMs: z.number().nonnegative(),
    serializeMs: z.number().nonnegative(),
  }),
  frames: z.number().int(),
});
export type EvaluateResponseHeader = z.infer<typeof EvaluateResponseHeader>;

// -- proxy's /v1/fhe/encrypt -----------------------------------------------------------------

export const RequestPlacementWire = z.object({
  index: z.number().int().nonnegative(),
  tokenOffset: z.number().int().nonnegative(),
  tokens: z.number().int().nonnegative(),
});

/**
 * Header of the `/v1/fhe/encrypt` response frames: frame i is ciphertext i of `plan`, ready to
 * be posted to the inference service's `/v1/evaluate` with `keyId` (which the proxy uploaded).
 */
export const EncryptResponseHeader = z.object({
  object: z.literal('hlp.ciphertexts'),
  model: z.string(),
  workload: z.string(),
  keyId: KeyId,
  params: ParamsWire,
  plan: PlanWire,
  /** Where each input's tokens sit in the packed token stream. */
  inputs: z.array(RequestPlacementWire),
  /** True when the ciphertexts are in SEAL's seeded (symmetric) form. */
  seeded: z.boolean(),
  usage: Usage,
  frames: z.number().int(),
});
export type EncryptResponseHeader = z.infer<typeof EncryptResponseHeader>;

/** First issue of a zod error as `path: message`, and the path (for `param`). */
export function describeZodError(error: z.ZodError): { message: string; param: string | null } {
  const issue = error.issues[0];
  if (!issue) return { message: 'invalid request', param: null };
  const path = issue.path.map((p) => String(p)).join('.');
  return { message: path ? `${path}: ${issue.message}` : issue.message, param: path || null };
}
