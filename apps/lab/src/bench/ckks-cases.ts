/** The cases of `hlp bench ckks`, its settings and defaults, and the labels each case's metric carries. */
import type { Labels, RunMetricName, RunResult } from '@hlp/results';
import type { CkksBackendName, CkksPresetN } from '../options.js';
import { ANSWERS_METRIC, type AnswersCase } from './ckks-answers.js';
import { KSWITCH_METRIC_ORDER, type KswitchCase } from './ckks-kswitch.js';
import { SEEDED_BATCH_METRIC, type SeededBatchCase } from './ckks-seeded-batch.js';
import type { MatvecCase } from './ckks-matvec.js';
import type { ProgressEvent } from './kernels.js';

export const CKKS_SUITE = 'ckks';
export const CKKS_DEFAULT_NS: readonly CkksPresetN[] = [8192, 16384];
export const CKKS_QUICK_NS: readonly CkksPresetN[] = [8192];
export const CKKS_DEFAULT_TIME_MS = 1000;
export const CKKS_QUICK_TIME_MS = 150;
/** Minimum measured iterations per micro-benchmark case (tinybench `iterations`). */
export const CKKS_MIN_ITERATIONS = 32;
export const CKKS_QUICK_MIN_ITERATIONS = 8;
/** A round trip worse than this means the backend is broken: refuse to benchmark it. */
export const MAX_ROUND_TRIP_ERROR = 1e-5;

/** GPT-2 full context: 1024 tokens × 768 hidden values. */
export const PROMPT_TOKENS = 1024;
export const PROMPT_DIM = 768;
/** The ring degree of the prompt benchmark (when in the run). */
export const PROMPT_N: CkksPresetN = 8192;
export const DEFAULT_NATIVE_THREADS: readonly number[] = [1, 2];
/** Timed prompts per case, and untimed warm-up prompts before them. */
export const PROMPT_ITERATIONS: Readonly<Record<CkksBackendName, { full: number; quick: number }>> = {
  seal: { full: 10, quick: 3 },
  native: { full: 30, quick: 10 },
};
export const PROMPT_WARMUP: Readonly<Record<CkksBackendName, { full: number; quick: number }>> = {
  seal: { full: 1, quick: 0 },
  native: { full: 2, quick: 1 },
};
/** Seed of the deterministic benchmark values. */
export const VALUES_SEED = 0x5eed_c0de;

export type KeyKindLabel = 'public' | 'secret';
export const KEYS: readonly KeyKindLabel[] = ['public', 'secret'];

const CKKS_OPS = [
  'ckks.encode',
  'ckks.encrypt',
  'ckks.encode_encrypt',
  'ckks.decrypt',
  'ckks.decode',
  'ckks.serialize',
  'ckks.add',
  'ckks.add_inplace',
  'ckks.multiply_plain',
  'ckks.rescale',
  'ckks.affine',
] as const satisfies readonly RunMetricName[];
export type CkksOp = (typeof CKKS_OPS)[number];

/** Report order of the metric names; also every metric `hlp bench ckks` writes. */
export const CKKS_METRIC_ORDER: readonly RunMetricName[] = [
  ...CKKS_OPS,
  ANSWERS_METRIC,
  SEEDED_BATCH_METRIC,
  ...KSWITCH_METRIC_ORDER,
  'ckks.matvec',
  'ckks.ciphertext_bytes',
  'ckks.prompt_encrypt',
  'ckks.gpu_pool_efficiency',
];

export type CkksCase =
  | { readonly kind: 'op'; readonly name: CkksOp; readonly key?: KeyKindLabel }
  | AnswersCase
  | SeededBatchCase
  | KswitchCase
  | MatvecCase
  | { readonly kind: 'bytes'; readonly name: 'ckks.ciphertext_bytes'; readonly key: KeyKindLabel }
  | {
      readonly kind: 'prompt';
      readonly name: 'ckks.prompt_encrypt';
      readonly key: KeyKindLabel;
      readonly threads: number;
      /** Set for the GPU cases (native, public key); CPU cases carry no device label, as before. */
      readonly device?: 'cuda';
    };

export const OP_CASES: readonly CkksCase[] = [
  { kind: 'op', name: 'ckks.encode' },
  { kind: 'op', name: 'ckks.encrypt', key: 'public' },
  { kind: 'op', name: 'ckks.encrypt', key: 'secret' },
  { kind: 'op', name: 'ckks.encode_encrypt', key: 'public' },
  { kind: 'op', name: 'ckks.encode_encrypt', key: 'secret' },
  { kind: 'op', name: 'ckks.decrypt' },
  { kind: 'op', name: 'ckks.decode' },
  { kind: 'op', name: 'ckks.serialize' },
  { kind: 'op', name: 'ckks.add' },
  { kind: 'op', name: 'ckks.multiply_plain' },
  { kind: 'op', name: 'ckks.rescale' },
  { kind: 'op', name: 'ckks.affine' },
  { kind: 'bytes', name: 'ckks.ciphertext_bytes', key: 'public' },
  { kind: 'bytes', name: 'ckks.ciphertext_bytes', key: 'secret' },
];

/**
 * `ckks.add` in place, beside OP_CASES rather than in it: the gate pairs it only where both
 * sides' backends have addInPlace (a reference from before it has not).
 */
export const ADD_IN_PLACE_CASE: CkksCase = { kind: 'op', name: 'ckks.add_inplace' };

export interface CkksBenchOptions {
  /** Backends to run (default seal, native); an unavailable one is skipped with a note. */
  readonly backends?: readonly CkksBackendName[];
  readonly ns?: readonly CkksPresetN[];
  /** Worker threads for the native prompt benchmark (default 1, 2); seal always runs 1. */
  readonly threads?: readonly number[];
  /** tinybench time budget per micro-benchmark case, ms. */
  readonly timeMs?: number;
  /** Warm-up budget per case, ms (default timeMs / 5). */
  readonly warmupMs?: number;
  readonly quick?: boolean;
  /** Run the key-switching cases (relinearize, rotate, fused product, hoisted rotations; default true). */
  readonly keySwitching?: boolean;
  /** Run the prompt-scale benchmark (default true). */
  readonly prompt?: boolean;
  /** How the native backend expands symmetric seeds (default shake256, SEAL-compatible). */
  readonly symmetricPrng?: 'shake256' | 'aes256ctr';
  readonly samplesCap?: number;
  readonly progress?: (event: ProgressEvent) => void;
  readonly note?: (line: string) => void;
  /** How this process differs from the services' regime (child.ts `benchRegimeNote`), noted first; the CLI passes it. */
  readonly regimeNote?: string | null;
  /** Informational lines (setup times); not recorded as notes. */
  readonly info?: (line: string) => void;
  /**
   * Where `createNativeBackend` and `encryptBatch` are looked up (default: the @hlp/ckks
   * module namespace). Tests pass a stand-in.
   */
  readonly ckksModule?: object;
  /** Timed prompts per case, per backend (default PROMPT_ITERATIONS for the mode). */
  readonly promptIterations?: Partial<Record<CkksBackendName, number>>;
}

export interface CkksBenchOutcome {
  readonly result: RunResult;
  readonly notes: readonly string[];
  readonly backendsRun: readonly CkksBackendName[];
}

export function ckksCaseLabels(c: CkksCase, backend: CkksBackendName, n: number): Labels {
  if (c.kind === 'prompt') {
    const labels: Labels = { backend, tokens: PROMPT_TOKENS, threads: c.threads, key: c.key };
    return c.device ? { ...labels, device: c.device } : labels;
  }
  if (c.kind === 'kswitch') return c.rotations === undefined ? { backend, n } : { backend, n, rotations: c.rotations };
  if (c.kind === 'matvec') return { backend, n, shape: c.shape };
  if (c.kind === 'answers') return { backend, n, ciphertexts: c.ciphertexts };
  if (c.kind === 'seeded-batch') return { backend, n, key: c.key, ciphertexts: c.ciphertexts };
  return c.key === undefined ? { backend, n } : { backend, n, key: c.key };
}

/** The cases of one (backend, ring degree). */
export interface Plan {
  readonly backend: CkksBackendName;
  readonly n: CkksPresetN;
  readonly cases: readonly CkksCase[];
}
