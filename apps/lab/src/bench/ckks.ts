/**
 * `hlp bench ckks`: tinybench suites over the CKKS backends of @hlp/ckks — encode, encrypt
 * (public and secret key), encode + encrypt, decrypt, decode, serialize, add, multiply by a
 * plaintext and rescale per backend and preset ring degree — plus the prompt-scale benchmark
 * (one GPT-2 full-context prompt, 1024 × 768 values, encrypted end to end) and the size of a
 * serialized ciphertext, gathered into one `hlp.run/1` document (suite `ckks`).
 *
 * The `native` backend (and its batch API `encryptBatch`) is looked up on the @hlp/ckks module
 * namespace at run time, so this suite builds and runs whether or not that backend exists yet.
 */
import * as ckks from '@hlp/ckks';
import {
  createSealBackend,
  decryptValues,
  encryptValues,
  presetParams,
  type CiphertextHandle,
  type CkksBackend,
  type CkksParams,
  type PlaintextHandle,
} from '@hlp/ckks';
import { SCHEMA_VERSION, findRepoRoot, fingerprint, gitInfo, isMetric, makeRunMetric, type Labels, type Metric, type RunMetricName, type RunResult } from '@hlp/results';
import { Bench } from 'tinybench';
import { LabError } from '../errors.js';
import { formatBytes, formatLabels, formatNs, table } from '../format.js';
import { CKKS_BACKENDS, type CkksBackendName, type CkksPresetN } from '../options.js';
import { KSWITCH_METRIC_ORDER, kswitchCases, kswitchFunction, kswitchSteps, type KswitchCase } from './ckks-kswitch.js';
import { MATVEC_MIN_ITERATIONS, matvecCases, matvecFixture, matvecSteps, type MatvecCase } from './ckks-matvec.js';
import { SAMPLES_CAP, type ProgressEvent } from './kernels.js';
import { MAX_SLOWDOWN, SLOWDOWN_ENV, measure, parseSlowdown, slowdownFor, spendSlowdown } from './measure.js';

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
  'ckks.multiply_plain',
  'ckks.rescale',
] as const satisfies readonly RunMetricName[];
export type CkksOp = (typeof CKKS_OPS)[number];

/** Report order of the metric names; also every metric `hlp bench ckks` writes. */
export const CKKS_METRIC_ORDER: readonly RunMetricName[] = [
  ...CKKS_OPS,
  ...KSWITCH_METRIC_ORDER,
  'ckks.matvec',
  'ckks.ciphertext_bytes',
  'ckks.prompt_encrypt',
  'ckks.gpu_pool_efficiency',
];

export type CkksCase =
  | { readonly kind: 'op'; readonly name: CkksOp; readonly key?: KeyKindLabel }
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
  { kind: 'bytes', name: 'ckks.ciphertext_bytes', key: 'public' },
  { kind: 'bytes', name: 'ckks.ciphertext_bytes', key: 'secret' },
];

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

// -- the optional native backend ---------------------------------------------------------

type NativeFactory = (
  params: CkksParams,
  options?: { readonly symmetricPrng?: 'shake256' | 'aes256ctr' },
) => CkksBackend | Promise<CkksBackend>;
type BatchEncrypt = (
  backend: CkksBackend,
  values: Float64Array[],
  options: { readonly symmetric?: boolean; readonly threads?: number; readonly device?: 'cpu' | 'cuda' },
) => Promise<Uint8Array[]>;

/** The GPU hooks of @hlp/ckks, when this build (or `mod`) has them. */
export interface GpuHooks {
  readonly status: () => { readonly usable: boolean; readonly reason: string };
  readonly poolStats: () => { readonly peakBytesInUse: number; readonly peakBytesReserved: number };
  readonly poolTrim: () => void;
}

export function gpuHooks(mod: object = ckks): GpuHooks | undefined {
  if (
    'cudaStatus' in mod && typeof mod.cudaStatus === 'function' &&
    'gpuPoolStats' in mod && typeof mod.gpuPoolStats === 'function' &&
    'gpuPoolTrim' in mod && typeof mod.gpuPoolTrim === 'function'
  ) {
    return { status: mod.cudaStatus as GpuHooks['status'], poolStats: mod.gpuPoolStats as GpuHooks['poolStats'], poolTrim: mod.gpuPoolTrim as GpuHooks['poolTrim'] };
  }
  return undefined;
}

/** `createNativeBackend` when this build of @hlp/ckks (or `mod`) exports it. */
export function nativeBackendFactory(mod: object = ckks): NativeFactory | undefined {
  if ('createNativeBackend' in mod && typeof mod.createNativeBackend === 'function') return mod.createNativeBackend as NativeFactory;
  return undefined;
}

/** `encryptBatch` when this build of @hlp/ckks (or `mod`) exports it. */
export function batchEncryptFn(mod: object = ckks): BatchEncrypt | undefined {
  if ('encryptBatch' in mod && typeof mod.encryptBatch === 'function') return mod.encryptBatch as BatchEncrypt;
  return undefined;
}

export async function createBackend(
  name: CkksBackendName,
  params: CkksParams,
  mod: object,
  symmetricPrng: 'shake256' | 'aes256ctr',
  seal: typeof createSealBackend = createSealBackend,
): Promise<CkksBackend> {
  if (name === 'seal') return seal(params);
  const factory = nativeBackendFactory(mod);
  if (!factory) throw new LabError('INFRA', '@hlp/ckks does not export createNativeBackend');
  return await factory(params, { symmetricPrng });
}

// -- values ------------------------------------------------------------------------------

/** Deterministic values in [−1, 1] (mulberry32). */
export function seededValues(count: number, seed: number = VALUES_SEED): Float64Array {
  const out = new Float64Array(count);
  let a = seed >>> 0;
  for (let i = 0; i < count; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = 2 * u - 1;
  }
  return out;
}

/** The prompt's tokens × dim values packed densely into ⌈tokens·dim / slots⌉ vectors of `slots` values. */
export function promptVectors(slots: number, tokens: number = PROMPT_TOKENS, dim: number = PROMPT_DIM): Float64Array[] {
  const all = seededValues(tokens * dim, VALUES_SEED ^ 0x0bad_f00d);
  const vectors: Float64Array[] = [];
  for (let off = 0; off < all.length; off += slots) vectors.push(all.slice(off, Math.min(off + slots, all.length)));
  return vectors;
}

function maxError(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs((actual[i] ?? Number.NaN) - (expected[i] ?? 0));
    if (!(e <= worst)) worst = e; // NaN sticks
  }
  return worst;
}

function checkRoundTrip(backend: CkksBackend, values: Float64Array, key: KeyKindLabel, what: string): number {
  const ct = encryptValues(backend, values, { symmetric: key === 'secret' });
  let err: number;
  try {
    err = maxError(values, decryptValues(backend, ct));
  } finally {
    ct.dispose();
  }
  if (!(err <= MAX_ROUND_TRIP_ERROR)) {
    throw new LabError(
      'INTERNAL',
      `${what}: encrypt/decrypt round trip (key ${key}) has max error ${err.toExponential(2)} > ${MAX_ROUND_TRIP_ERROR.toExponential()}; ` +
        'refusing to benchmark a broken backend',
    );
  }
  return err;
}

/** Deserialize, decrypt and compare serialized ciphertexts of `vectors` (a few indices). */
function checkSerialized(backend: CkksBackend, bytes: readonly Uint8Array[], vectors: readonly Float64Array[], what: string): number {
  if (bytes.length !== vectors.length) {
    throw new LabError('INTERNAL', `${what}: ${bytes.length} ciphertexts for ${vectors.length} vectors`);
  }
  let worst = 0;
  for (const i of new Set([0, vectors.length - 1])) {
    const ct = backend.deserialize(bytes[i]!);
    let err: number;
    try {
      err = maxError(vectors[i]!, decryptValues(backend, ct));
    } finally {
      ct.dispose();
    }
    if (!(err <= MAX_ROUND_TRIP_ERROR)) {
      throw new LabError('INTERNAL', `${what}: ciphertext ${i} decrypts with max error ${err.toExponential(2)} > ${MAX_ROUND_TRIP_ERROR.toExponential()}`);
    }
    worst = Math.max(worst, err);
  }
  return worst;
}

// -- async measurement (the prompt benchmark) ---------------------------------------------

/**
 * Runs the async `fn` exactly `iterations` times under tinybench after `warmupIterations`
 * untimed calls and returns the per-call samples in nanoseconds (same timer as measure()).
 */
export async function measureAsync(fn: () => Promise<unknown>, iterations: number, warmupIterations: number, slowdown = 1): Promise<number[]> {
  if (!(slowdown >= 1 && slowdown <= MAX_SLOWDOWN)) throw new LabError('USAGE', `slowdown factor must be within [1, ${MAX_SLOWDOWN}], got ${slowdown}`);
  const samples: number[] = [];
  let recording = false;
  const bench = new Bench({
    time: 0,
    warmup: warmupIterations > 0,
    warmupTime: 0,
    warmupIterations,
    iterations,
    throws: true,
    timestampProvider: 'hrtimeNow',
  });
  bench.add(
    'case',
    async () => {
      const t0 = process.hrtime.bigint();
      await fn();
      const t1 = spendSlowdown(t0, process.hrtime.bigint(), slowdown);
      const elapsed = Number(t1 - t0);
      if (recording) samples.push(elapsed);
      return { overriddenDuration: elapsed / 1e6 };
    },
    {
      beforeAll(mode) {
        recording = mode === 'run';
        samples.length = 0;
      },
    },
  );
  const [task] = await bench.run();
  const result = task?.result;
  if (!result || result.state === 'errored') throw result?.state === 'errored' ? result.error : new Error('tinybench produced no result');
  if (result.state !== 'completed') throw new Error(`tinybench task ended in state ${result.state}`);
  return samples;
}

// -- the suite ---------------------------------------------------------------------------

export function ckksCaseLabels(c: CkksCase, backend: CkksBackendName, n: number): Labels {
  if (c.kind === 'prompt') {
    const labels: Labels = { backend, tokens: PROMPT_TOKENS, threads: c.threads, key: c.key };
    return c.device ? { ...labels, device: c.device } : labels;
  }
  if (c.kind === 'kswitch') return c.rotations === undefined ? { backend, n } : { backend, n, rotations: c.rotations };
  if (c.kind === 'matvec') return { backend, n, shape: c.shape };
  return c.key === undefined ? { backend, n } : { backend, n, key: c.key };
}

interface Plan {
  readonly backend: CkksBackendName;
  readonly n: CkksPresetN;
  readonly cases: readonly CkksCase[];
}

/** The @hlp/ckks helpers a fixture calls (another checkout's, when the gate pairs two builds in one process). */
export interface CkksHelpers {
  readonly encryptValues: typeof encryptValues;
}

/** Live objects of one (backend, n): pre-made inputs of the timed functions. */
export interface Fixture {
  readonly helpers: CkksHelpers;
  readonly backend: CkksBackend;
  readonly values: Float64Array;
  readonly pt: PlaintextHandle;
  readonly ctPub: CiphertextHandle;
  readonly ctPub2: CiphertextHandle;
  readonly ptDec: PlaintextHandle;
  readonly product: CiphertextHandle;
}

export function makeFixture(backend: CkksBackend, values: Float64Array, helpers: CkksHelpers = { encryptValues }): Fixture {
  const pt = backend.encode(values);
  const ctPub = backend.encrypt(pt);
  const ctPub2 = helpers.encryptValues(backend, seededValues(values.length, VALUES_SEED + 1));
  const ptDec = backend.decrypt(ctPub);
  const product = backend.multiplyPlain(ctPub, pt);
  return { helpers, backend, values, pt, ctPub, ctPub2, ptDec, product };
}

export function opFunction(c: CkksCase & { kind: 'op' }, f: Fixture): () => void {
  const b = f.backend;
  switch (c.name) {
    case 'ckks.encode':
      return () => b.encode(f.values).dispose();
    case 'ckks.encrypt':
      return c.key === 'secret' ? () => b.encryptSymmetric(f.pt).dispose() : () => b.encrypt(f.pt).dispose();
    case 'ckks.encode_encrypt': {
      const symmetric = c.key === 'secret';
      return () => f.helpers.encryptValues(b, f.values, { symmetric }).dispose();
    }
    case 'ckks.decrypt':
      return () => b.decrypt(f.ctPub).dispose();
    case 'ckks.decode':
      return () => void b.decode(f.ptDec);
    case 'ckks.serialize':
      return () => void f.ctPub.serialize();
    case 'ckks.add':
      return () => b.add(f.ctPub, f.ctPub2).dispose();
    case 'ckks.multiply_plain':
      return () => b.multiplyPlain(f.ctPub, f.pt).dispose();
    case 'ckks.rescale':
      return () => b.rescaleToNext(f.product).dispose();
  }
}

export function serializedSize(f: Fixture, key: KeyKindLabel): number {
  if (key === 'public') return f.ctPub.serialize().length;
  const ct = f.helpers.encryptValues(f.backend, f.values, { symmetric: true });
  try {
    return ct.serialize().length;
  } finally {
    ct.dispose();
  }
}

/** encode + encrypt + serialize of every vector on the calling thread. */
export function encryptLoop(backend: CkksBackend, vectors: readonly Float64Array[], symmetric: boolean, helpers: CkksHelpers = { encryptValues }): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const v of vectors) {
    const ct = helpers.encryptValues(backend, v, { symmetric });
    try {
      out.push(ct.serialize());
    } finally {
      ct.dispose();
    }
  }
  return out;
}

export async function runCkksBench(options: CkksBenchOptions = {}): Promise<CkksBenchOutcome> {
  const startedAt = new Date().toISOString();
  const notes: string[] = [];
  const note = (line: string): void => {
    notes.push(line);
    options.note?.(line);
  };
  const slowdown = process.env[SLOWDOWN_ENV] || null;
  if (slowdown) {
    parseSlowdown(slowdown); // malformed: a usage error before measuring
    note(`${SLOWDOWN_ENV}=${slowdown}: matching cases are made slower on purpose (for testing the gate)`);
  }
  const quick = options.quick ?? false;
  const keySwitching = options.keySwitching ?? true;
  const symmetricPrng = options.symmetricPrng ?? 'shake256';
  const timeMs = options.timeMs ?? (quick ? CKKS_QUICK_TIME_MS : CKKS_DEFAULT_TIME_MS);
  const warmupMs = options.warmupMs ?? Math.max(1, Math.round(timeMs / 5));
  const minIterations = quick ? CKKS_QUICK_MIN_ITERATIONS : CKKS_MIN_ITERATIONS;
  const warmupIterations = quick ? 2 : 4;
  const samplesCap = options.samplesCap ?? SAMPLES_CAP;
  const ns = [...new Set(options.ns ?? (quick ? CKKS_QUICK_NS : CKKS_DEFAULT_NS))].sort((x, y) => x - y);
  const withPrompt = options.prompt ?? true;
  const mode = quick ? 'quick' : 'full';

  const [machine, git] = await Promise.all([fingerprint(), gitInfo(findRepoRoot() ?? process.cwd())]);

  // Backends
  const requested = [...new Set(options.backends ?? CKKS_BACKENDS)];
  const mod = options.ckksModule ?? ckks;
  const nativeAvailable = nativeBackendFactory(mod) !== undefined;
  const batch = batchEncryptFn(mod);
  const backends: CkksBackendName[] = [];
  for (const name of requested) {
    if (name === 'native' && !nativeAvailable) {
      note('skipping backend native: this build of @hlp/ckks does not export createNativeBackend');
      continue;
    }
    backends.push(name);
  }
  if (backends.length === 0) {
    throw new LabError('INFRA', `none of the requested backends (${requested.join(', ')}) is available here; available: seal`);
  }

  // Prompt benchmark: one ring degree, threads per backend
  const promptN: CkksPresetN | null = !withPrompt ? null : ns.includes(PROMPT_N) ? PROMPT_N : (ns[0] ?? null);
  if (promptN !== null && promptN !== PROMPT_N) note(`n = ${PROMPT_N} is not in the run: ckks.prompt_encrypt runs at n = ${promptN}`);
  const userThreads = options.threads ? [...new Set(options.threads)].sort((x, y) => x - y) : undefined;
  const threadsFor = (backend: CkksBackendName): number[] => {
    if (backend === 'seal') return [1];
    const wanted = userThreads ?? [...DEFAULT_NATIVE_THREADS];
    return batch ? wanted : [1];
  };
  if (promptN !== null) {
    if (backends.includes('seal') && userThreads && userThreads.some((t) => t !== 1)) {
      note('seal is single-threaded (WebAssembly): its ckks.prompt_encrypt runs with threads = 1 only');
    }
    if (backends.includes('native') && !batch) {
      note('this build of @hlp/ckks does not export encryptBatch: native ckks.prompt_encrypt runs a plain encode/encrypt/serialize loop, threads = 1 only');
    }
  }
  // GPU cases: native public-key prompts on the device, when the cuda variant is usable.
  const gpu = gpuHooks(mod);
  const gpuState = gpu?.status();
  const gpuCases = promptN !== null && backends.includes('native') && batch !== undefined && gpuState?.usable === true;
  if (promptN !== null && backends.includes('native') && gpuState && !gpuState.usable) {
    note(`GPU cases of ckks.prompt_encrypt skipped: the cuda variant is not usable here (${gpuState.reason})`);
  }
  const uvPool = Number(process.env['UV_THREADPOOL_SIZE'] ?? '') || 4;
  if (promptN !== null && backends.includes('native') && batch) {
    const over = threadsFor('native').filter((t) => t > uvPool);
    if (over.length > 0) note(`threads ${over.join(', ')} exceed the libuv pool (UV_THREADPOOL_SIZE = ${uvPool}): work beyond ${uvPool} threads queues`);
  }

  const plans: Plan[] = [];
  for (const backend of backends) {
    for (const n of ns) {
      const cases: CkksCase[] = [...OP_CASES, ...(keySwitching ? [...kswitchCases(quick), ...matvecCases(n, quick)] : [])];
      if (n === promptN) {
        for (const threads of threadsFor(backend))
          for (const key of KEYS) cases.push({ kind: 'prompt', name: 'ckks.prompt_encrypt', key, threads });
        if (backend === 'native' && gpuCases) {
          for (const threads of threadsFor(backend)) cases.push({ kind: 'prompt', name: 'ckks.prompt_encrypt', key: 'public', threads, device: 'cuda' });
        }
      }
      plans.push({ backend, n, cases });
    }
  }
  const total = plans.reduce((s, p) => s + p.cases.length, 0);

  const metrics: Metric[] = [];
  const setup: { backend: string; n: number; ms: number }[] = [];
  const roundTrip: { backend: string; n: number; key: string; maxError: number }[] = [];
  const promptBytes: Record<string, Record<string, number>> = {};
  const promptIterations: Record<string, number> = {};
  let vectorsCount = 0;
  let index = 0;

  for (const plan of plans) {
    const t0 = performance.now();
    const params = presetParams(plan.n);
    const backend = await createBackend(plan.backend, params, mod, symmetricPrng);
    try {
      const matvecs = plan.cases.filter((c): c is MatvecCase => c.kind === 'matvec');
      const galoisSteps = [...new Set([...kswitchSteps(quick), ...matvecSteps(matvecs)])];
      backend.generateKeys(keySwitching ? { relin: true, galoisSteps } : { relin: false });
      const ms = performance.now() - t0;
      setup.push({ backend: plan.backend, n: plan.n, ms: Math.round(ms) });
      options.info?.(`${plan.backend} n=${plan.n}: context and keys in ${formatNs(ms * 1e6)}`);

      const what = `${plan.backend} backend at n = ${plan.n}`;
      const values = seededValues(backend.slotCount);
      for (const key of KEYS) roundTrip.push({ backend: plan.backend, n: plan.n, key, maxError: checkRoundTrip(backend, values, key, what) });

      const fixture = makeFixture(backend, values);
      let vectors: Float64Array[] | null = null;
      for (const c of plan.cases) {
        index++;
        const labels = ckksCaseLabels(c, plan.backend, plan.n);
        options.progress?.({ phase: 'start', index, total, name: c.name, labels });
        let metric: Metric;
        if (c.kind === 'op') {
          const samples = await measure(opFunction(c, fixture), { timeMs, warmupMs, minIterations, warmupIterations, metric: { name: c.name, labels } });
          if (samples.length === 0) throw new LabError('INTERNAL', `no samples measured for ${c.name}`);
          metric = makeRunMetric(c.name, { labels, samples, keep: samplesCap });
        } else if (c.kind === 'kswitch') {
          const { run, perCall } = kswitchFunction(c, backend, fixture.ctPub, fixture.ctPub2, kswitchSteps(quick));
          const samples = await measure(run, { timeMs, warmupMs, minIterations, warmupIterations, metric: { name: c.name, labels } });
          if (samples.length === 0) throw new LabError('INTERNAL', `no samples measured for ${c.name}`);
          metric = makeRunMetric(c.name, { labels, samples: samples.map((v) => v / perCall), keep: samplesCap });
        } else if (c.kind === 'matvec') {
          const mv = matvecFixture(c, backend, what);
          try {
            const iterations = MATVEC_MIN_ITERATIONS[mode];
            const samples = await measure(mv.run, { timeMs, warmupMs, minIterations: iterations, warmupIterations: 1, metric: { name: c.name, labels } });
            if (samples.length === 0) throw new LabError('INTERNAL', `no samples measured for ${c.name}`);
            metric = makeRunMetric(c.name, { labels, samples: samples.map((v) => v / 1e6), keep: samplesCap });
          } finally {
            mv.dispose();
          }
        } else if (c.kind === 'bytes') {
          metric = makeRunMetric(c.name, { labels, samples: [serializedSize(fixture, c.key)] });
        } else {
          vectors ??= promptVectors(backend.slotCount);
          vectorsCount = vectors.length;
          const vs = vectors;
          const symmetric = c.key === 'secret';
          const useBatch = plan.backend === 'native' && batch !== undefined;
          // CPU cases name the CPU: on a GPU machine the backend's default (auto) would move them.
          const device = c.device ?? 'cpu';
          const run = useBatch
            ? () => batch(backend, vs, { symmetric, threads: c.threads, ...(gpuCases ? { device } : {}) })
            : () => Promise.resolve(encryptLoop(backend, vs, symmetric));
          // The batch API is new code: check what it produces before timing it.
          const first = useBatch ? await run() : null;
          if (first) checkSerialized(backend, first, vs, `${what}: encryptBatch (key ${c.key}, threads ${c.threads}${c.device ? `, device ${c.device}` : ''})`);
          // GPU: a fresh pool window (trim restarts the peaks), then after every timed prompt
          // the peak bytes in use over the peak reserved in that window.
          const efficiency: number[] = [];
          const onGpu = c.device === 'cuda' && gpu !== undefined;
          if (onGpu) gpu.poolTrim();
          let bytes = first ? first.reduce((s, b) => s + b.length, 0) : 0;
          const iterations = options.promptIterations?.[plan.backend] ?? PROMPT_ITERATIONS[plan.backend][mode];
          const warmup = PROMPT_WARMUP[plan.backend][mode];
          promptIterations[plan.backend] = iterations;
          const samples = await measureAsync(
            async () => {
              const out = await run();
              if (!first) bytes = out.reduce((s, b) => s + b.length, 0);
              if (onGpu) {
                const pool = gpu.poolStats();
                if (pool.peakBytesReserved > 0) efficiency.push(pool.peakBytesInUse / pool.peakBytesReserved);
              }
            },
            iterations,
            warmup,
            slowdownFor(c.name, labels),
          );
          if (samples.length === 0) throw new LabError('INTERNAL', `no samples measured for ${c.name}`);
          if (!c.device) (promptBytes[plan.backend] ??= {})[c.key] = bytes;
          metric = makeRunMetric(c.name, { labels, samples: samples.map((s) => s / 1e6), keep: samplesCap });
          if (onGpu) {
            if (efficiency.length > 0) {
              metrics.push(makeRunMetric('ckks.gpu_pool_efficiency', { labels, samples: efficiency, keep: samplesCap }));
            } else {
              note(`ckks.gpu_pool_efficiency (threads ${c.threads}): the device pool reserved nothing during the benchmark, no ratio recorded`);
            }
          }
        }
        metrics.push(metric);
        options.progress?.({ phase: 'done', index, total, name: c.name, labels, metric });
      }
    } finally {
      backend.dispose();
    }
  }

  const config: Record<string, unknown> = {
    ...(slowdown ? { slowdown } : {}),
    quick,
    symmetricPrng: { native: symmetricPrng, seal: 'blake2xb (node-seal default)' },
    timeMs,
    warmupMs,
    minIterations,
    warmupIterations,
    samplesCap,
    requestedBackends: options.backends ? [...options.backends] : null,
    backends,
    n: ns,
    params: Object.fromEntries(
      ns.map((n) => {
        const p = presetParams(n);
        return [String(n), { coeffModulusBits: p.coeffModulusBits, scaleBits: p.scaleBits, totalBits: p.totalBits, maxLevel: p.maxLevel }];
      }),
    ),
    keygen: { relin: false, galois: false },
    values: { generator: 'mulberry32', seed: VALUES_SEED, range: [-1, 1], perVector: 'n/2 (every slot)' },
    setup,
    roundTrip: { maxAllowedError: MAX_ROUND_TRIP_ERROR, checks: roundTrip },
    native: { available: nativeAvailable, encryptBatch: batch !== undefined },
    gpu: gpuState ? { usable: gpuState.usable, reason: gpuState.reason, promptCases: gpuCases } : null,
    prompt:
      promptN === null
        ? null
        : {
            n: promptN,
            tokens: PROMPT_TOKENS,
            dim: PROMPT_DIM,
            values: PROMPT_TOKENS * PROMPT_DIM,
            vectors: vectorsCount,
            iterations: promptIterations,
            threads: Object.fromEntries(backends.map((b) => [b, threadsFor(b)])),
            uvThreadpoolSize: uvPool,
            path: Object.fromEntries(backends.map((b) => [b, b === 'native' && batch ? 'encryptBatch' : 'loop: encode, encrypt, serialize'])),
            bytesPerPrompt: promptBytes,
          },
    timer: 'process.hrtime.bigint per call, tinybench overriddenDuration',
    notes: [
      'handles created inside a timed function are disposed inside the timing (freeing WASM memory is part of the cost for seal)',
      'ckks.encrypt times a pre-encoded plaintext; ckks.encode_encrypt = encode + encrypt of one vector of n/2 values',
      'key=secret is secret-key encryption with a seeded second polynomial; seal produces the seeded bytes at encryption time, so its encrypt key=secret includes serialization',
      'ckks.serialize serializes the same fresh public-key ciphertext each call; ckks.rescale rescales a multiply_plain result',
      'ckks.prompt_encrypt = encode + encrypt + serialize of the whole prompt; ckks.ciphertext_bytes is one serialized ciphertext (compression none)',
      'device=cuda: the prompt encoded on libuv workers and encrypted on the GPU; ckks.gpu_pool_efficiency = peak bytes in use / peak bytes reserved of the device pool since the case began, after each timed prompt',
      ...notes,
    ],
  };
  const result: RunResult = {
    schema: SCHEMA_VERSION,
    suite: CKKS_SUITE,
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    git,
    config,
    metrics,
  };
  return { result, notes, backendsRun: backends };
}

// -- report ------------------------------------------------------------------------------

/** A value in its unit, readable: ns and ms as times, bytes in KiB/MiB. */
export function formatValue(value: number, unit: string): string {
  if (unit === 'ns') return formatNs(value);
  if (unit === 'ms') return formatNs(value * 1e6);
  if (unit === 'bytes') return formatBytes(value);
  return `${value} ${unit}`;
}

const BACKEND_ORDER = ['seal', 'native'];
const KEY_ORDER = ['public', 'secret'];

function rank(list: readonly string[], value: unknown): number {
  const i = list.indexOf(String(value));
  return i < 0 ? list.length : i;
}
function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

export function sortCkksMetrics(metrics: readonly Metric[]): Metric[] {
  return [...metrics].sort(
    (a, b) =>
      rank(CKKS_METRIC_ORDER, a.name) - rank(CKKS_METRIC_ORDER, b.name) ||
      num(a.labels['n']) - num(b.labels['n']) ||
      rank(KEY_ORDER, a.labels['key']) - rank(KEY_ORDER, b.labels['key']) ||
      num(a.labels['threads']) - num(b.labels['threads']) ||
      rank(BACKEND_ORDER, a.labels['backend']) - rank(BACKEND_ORDER, b.labels['backend']),
  );
}

/** The metric with exactly these labels (no more). */
function findExact(all: readonly Metric[], name: string, labels: Labels): Metric | undefined {
  return all.find(
    (m) =>
      m.name === name &&
      Object.keys(m.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([k, v]) => m.labels[k] === v),
  );
}

function findMetric(all: readonly Metric[], name: RunMetricName, labels: Labels): Metric | undefined {
  return findExact(all, name, labels);
}

/** seal's median at the same name and labels divided by this metric's median (native rows). */
export function speedupVsSeal(metric: Metric, all: readonly Metric[]): number | null {
  if (metric.labels['backend'] !== 'native' || metric.summary.median <= 0) return null;
  const seal = findExact(all, metric.name, { ...metric.labels, backend: 'seal' });
  return seal ? seal.summary.median / metric.summary.median : null;
}

/** The headline comparisons: native vs seal encode_encrypt, prompt figures, worker-pool speed-up. */
export function ckksHeadline(result: RunResult): string[] {
  const metrics = result.metrics;
  const out: string[] = [];
  const ns = [...new Set(metrics.map((m) => m.labels['n']).filter((n): n is number => typeof n === 'number'))].sort((a, b) => a - b);

  out.push('native vs seal, ckks.encode_encrypt key=public (one vector of n/2 values):');
  for (const n of ns) {
    const seal = findMetric(metrics, 'ckks.encode_encrypt', { backend: 'seal', n, key: 'public' });
    const native = findMetric(metrics, 'ckks.encode_encrypt', { backend: 'native', n, key: 'public' });
    const parts = [seal ? `seal ${formatNs(seal.summary.median)}` : 'seal not run', native ? `native ${formatNs(native.summary.median)}` : 'native not run'];
    const ratio = seal && native && native.summary.median > 0 ? `  → native ×${(seal.summary.median / native.summary.median).toFixed(2)}` : '';
    out.push(`  n=${String(n).padEnd(5)}  ${parts.join('  ')}${ratio}`);
  }

  const sizes = metrics.filter(isMetric('ckks.ciphertext_bytes'));
  if (sizes.length > 0) {
    out.push('');
    out.push('one serialized ciphertext (public key vs seeded secret key):');
    for (const backend of BACKEND_ORDER) {
      for (const n of ns) {
        const pub = findMetric(sizes, 'ckks.ciphertext_bytes', { backend, n, key: 'public' });
        const sec = findMetric(sizes, 'ckks.ciphertext_bytes', { backend, n, key: 'secret' });
        if (!pub || !sec) continue;
        out.push(
          `  ${backend.padEnd(6)} n=${String(n).padEnd(5)}  public ${pub.summary.median} B (${formatBytes(pub.summary.median)})  ` +
            `secret ${sec.summary.median} B (${formatBytes(sec.summary.median)})  ×${(pub.summary.median / sec.summary.median).toFixed(2)} smaller`,
        );
      }
    }
  }

  const prompts = sortCkksMetrics(metrics.filter(isMetric('ckks.prompt_encrypt')));
  const promptCfg = result.config['prompt'];
  const pn = typeof promptCfg === 'object' && promptCfg !== null && 'n' in promptCfg ? String(promptCfg.n) : '?';
  const pv = typeof promptCfg === 'object' && promptCfg !== null && 'vectors' in promptCfg ? String(promptCfg.vectors) : '?';
  out.push('');
  if (prompts.length === 0) {
    out.push('ckks.prompt_encrypt: not run');
  } else {
    out.push(`ckks.prompt_encrypt: one GPT-2 prompt, ${PROMPT_TOKENS} tokens × ${PROMPT_DIM} values = ${pv} ciphertexts at n=${pn}, encode + encrypt + serialize:`);
    for (const m of [...prompts].sort((a, b) => rank(BACKEND_ORDER, a.labels['backend']) - rank(BACKEND_ORDER, b.labels['backend']))) {
      const ms = m.summary.median;
      out.push(
        `  ${String(m.labels['backend']).padEnd(6)} key=${String(m.labels['key']).padEnd(6)} threads=${String(m.labels['threads']).padEnd(2)}${m.labels['device'] === 'cuda' ? ' GPU' : ''}  ` +
          `${formatValue(ms, 'ms').padStart(9)} per prompt  (${Math.round((PROMPT_TOKENS * 1000) / ms)} tokens/s, ${m.summary.n} runs)`,
      );
    }
    for (const key of KEY_ORDER) {
      const seal = findMetric(prompts, 'ckks.prompt_encrypt', { backend: 'seal', tokens: PROMPT_TOKENS, threads: 1, key });
      const native = findMetric(prompts, 'ckks.prompt_encrypt', { backend: 'native', tokens: PROMPT_TOKENS, threads: 1, key });
      if (seal && native) out.push(`  native vs seal (threads 1, key=${key}): ×${(seal.summary.median / native.summary.median).toFixed(2)}`);
    }
    const poolLines: string[] = [];
    for (const key of KEY_ORDER) {
      const native = prompts.filter((m) => m.labels['backend'] === 'native' && m.labels['key'] === key && m.labels['device'] === undefined);
      const one = native.find((m) => m.labels['threads'] === 1);
      if (!one) continue;
      for (const m of native) {
        if (m === one) continue;
        poolLines.push(`  key=${key.padEnd(6)} threads ${String(m.labels['threads'])} vs 1: ×${(one.summary.median / m.summary.median).toFixed(2)}`);
      }
    }
    out.push('');
    if (poolLines.length > 0) out.push('worker-pool speed-up (native ckks.prompt_encrypt):', ...poolLines);
    else out.push('worker-pool speed-up: needs native with threads 1 and more than 1 in the run');
  }
  return out;
}

/** The human report: results table, then the headline comparisons. */
export function renderCkksReport(result: RunResult): string {
  const metrics = sortCkksMetrics(result.metrics);
  const rows = metrics.map((m) => {
    const s = m.summary;
    const speedup = speedupVsSeal(m, metrics);
    return [
      m.name,
      formatLabels(m.labels),
      formatValue(s.median, m.unit),
      formatValue(s.p95, m.unit),
      `[${formatValue(s.ci95[0], m.unit)}, ${formatValue(s.ci95[1], m.unit)}]`,
      String(s.n),
      speedup === null ? '' : `×${speedup.toFixed(2)}`,
    ];
  });
  const out: string[] = [];
  out.push(table(['metric', 'labels', 'median', 'p95', 'ci95 (median)', 'samples', 'vs seal'], rows, [false, false, true, true, false, true, true]));
  out.push('');
  out.push(...ckksHeadline(result));
  return out.join('\n');
}
