/**
 * `hlp bench ckks`: tinybench suites over the CKKS backends of @hlp/ckks — encode, encrypt
 * (public and secret key), encode + encrypt, decrypt, decode, serialize, add, multiply by a
 * plaintext and rescale per backend and preset ring degree — plus the prompt-scale benchmark
 * (one GPT-2 full-context prompt, 1024 × 768 values, encrypted end to end) and the size of a
 * serialized ciphertext, gathered into one `hlp.run/1` document (suite `ckks`).
 *
 * The `native` backend (and its batch API `encryptBatch`) is looked up on the @hlp/ckks module
 * namespace at run time (ckks-backends.ts), so this suite builds and runs whether or not that
 * backend exists yet. The cases are in ckks-cases.ts, what they time in ckks-fixtures.ts, the
 * report in ckks-report.ts.
 */
import * as ckks from '@hlp/ckks';
import { presetParams, type CkksBackend } from '@hlp/ckks';
import { SCHEMA_VERSION, findRepoRoot, fingerprint, gitInfo, makeRunMetric, type Labels, type Metric, type RunResult } from '@hlp/results';
import { LabError } from '../errors.js';
import { formatNs } from '../format.js';
import { CKKS_BACKENDS, type CkksBackendName, type CkksPresetN } from '../options.js';
import { batchEncryptFn, createBackend, gpuHooks, nativeBackendFactory, type BatchEncrypt, type GpuHooks } from './ckks-backends.js';
import {
  CKKS_DEFAULT_NS,
  CKKS_DEFAULT_TIME_MS,
  CKKS_MIN_ITERATIONS,
  CKKS_QUICK_MIN_ITERATIONS,
  CKKS_QUICK_NS,
  CKKS_QUICK_TIME_MS,
  CKKS_SUITE,
  DEFAULT_NATIVE_THREADS,
  KEYS,
  MAX_ROUND_TRIP_ERROR,
  ADD_IN_PLACE_CASE,
  OP_CASES,
  PROMPT_DIM,
  PROMPT_ITERATIONS,
  PROMPT_N,
  PROMPT_TOKENS,
  PROMPT_WARMUP,
  VALUES_SEED,
  ckksCaseLabels,
  type CkksBenchOptions,
  type CkksBenchOutcome,
  type CkksCase,
  type Plan,
} from './ckks-cases.js';
import {
  checkRoundTrip,
  checkSerialized,
  encryptLoop,
  makeFixture,
  measureAsync,
  opFunction,
  promptVectors,
  seededValues,
  serializedSize,
  type Fixture,
} from './ckks-fixtures.js';
import { ANSWERS_ITERATIONS, ANSWERS_WARMUP, answersCases, answersFunction, hasFramesDecoder } from './ckks-answers.js';
import { SEEDED_BATCH_ITERATIONS, SEEDED_BATCH_WARMUP, hasSeededBatch, seededBatchCases, seededBatchFunction } from './ckks-seeded-batch.js';
import { kswitchCases, kswitchFunction, kswitchSteps } from './ckks-kswitch.js';
import { MATVEC_MIN_ITERATIONS, matvecCases, matvecFixture, matvecSteps, type MatvecCase } from './ckks-matvec.js';
import { SAMPLES_CAP } from './kernels.js';
import { SLOWDOWN_ENV, measure, parseSlowdown, slowdownFor } from './measure.js';

export * from './ckks-backends.js';
export * from './ckks-cases.js';
export * from './ckks-fixtures.js';
export * from './ckks-report.js';

/** The run's settings, the options' defaults filled in. */
interface Settings {
  readonly slowdown: string | null;
  readonly quick: boolean;
  readonly mode: 'quick' | 'full';
  readonly keySwitching: boolean;
  readonly symmetricPrng: 'shake256' | 'aes256ctr';
  readonly timeMs: number;
  readonly warmupMs: number;
  readonly minIterations: number;
  readonly warmupIterations: number;
  readonly samplesCap: number;
  readonly ns: CkksPresetN[];
  readonly withPrompt: boolean;
}

function resolveSettings(options: CkksBenchOptions, note: (line: string) => void): Settings {
  const slowdown = process.env[SLOWDOWN_ENV] || null;
  if (slowdown) {
    parseSlowdown(slowdown); // malformed: a usage error before measuring
    note(`${SLOWDOWN_ENV}=${slowdown}: matching cases are made slower on purpose (for testing the gate)`);
  }
  const quick = options.quick ?? false;
  const timeMs = options.timeMs ?? (quick ? CKKS_QUICK_TIME_MS : CKKS_DEFAULT_TIME_MS);
  return {
    slowdown,
    quick,
    mode: quick ? 'quick' : 'full',
    keySwitching: options.keySwitching ?? true,
    symmetricPrng: options.symmetricPrng ?? 'shake256',
    timeMs,
    warmupMs: options.warmupMs ?? Math.max(1, Math.round(timeMs / 5)),
    minIterations: quick ? CKKS_QUICK_MIN_ITERATIONS : CKKS_MIN_ITERATIONS,
    warmupIterations: quick ? 2 : 4,
    samplesCap: options.samplesCap ?? SAMPLES_CAP,
    ns: [...new Set(options.ns ?? (quick ? CKKS_QUICK_NS : CKKS_DEFAULT_NS))].sort((x, y) => x - y),
    withPrompt: options.prompt ?? true,
  };
}

/** The requested backends this build has (native may be missing), and its batch API. */
interface Backends {
  readonly backends: CkksBackendName[];
  readonly nativeAvailable: boolean;
  readonly batch: BatchEncrypt | undefined;
}

function availableBackends(options: CkksBenchOptions, mod: object, note: (line: string) => void): Backends {
  const requested = [...new Set(options.backends ?? CKKS_BACKENDS)];
  const nativeAvailable = nativeBackendFactory(mod) !== undefined;
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
  return { backends, nativeAvailable, batch: batchEncryptFn(mod) };
}

/** The prompt benchmark's ring degree, threads per backend, and whether it has GPU cases. */
interface PromptSetup {
  readonly promptN: CkksPresetN | null;
  readonly threadsFor: (backend: CkksBackendName) => number[];
  readonly gpu: GpuHooks | undefined;
  readonly gpuState: { readonly usable: boolean; readonly reason: string } | undefined;
  readonly gpuCases: boolean;
  readonly uvPool: number;
}

function promptSetup(options: CkksBenchOptions, settings: Settings, available: Backends, mod: object, note: (line: string) => void): PromptSetup {
  const { backends, batch } = available;
  const ns = settings.ns;
  // Prompt benchmark: one ring degree, threads per backend
  const promptN: CkksPresetN | null = !settings.withPrompt ? null : ns.includes(PROMPT_N) ? PROMPT_N : (ns[0] ?? null);
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
  return { promptN, threadsFor, gpu, gpuState, gpuCases, uvPool };
}

function planCases(backends: readonly CkksBackendName[], settings: Settings, prompt: PromptSetup): Plan[] {
  const plans: Plan[] = [];
  for (const backend of backends) {
    for (const n of settings.ns) {
      const cases: CkksCase[] = [
        ...OP_CASES,
        ADD_IN_PLACE_CASE,
        ...answersCases(backend),
        ...seededBatchCases(backend),
        ...(settings.keySwitching ? [...kswitchCases(settings.quick), ...matvecCases(n, settings.quick)] : []),
      ];
      if (n === prompt.promptN) {
        for (const threads of prompt.threadsFor(backend)) for (const key of KEYS) cases.push({ kind: 'prompt', name: 'ckks.prompt_encrypt', key, threads });
        if (backend === 'native' && prompt.gpuCases) {
          for (const threads of prompt.threadsFor(backend)) cases.push({ kind: 'prompt', name: 'ckks.prompt_encrypt', key: 'public', threads, device: 'cuda' });
        }
      }
      plans.push({ backend, n, cases });
    }
  }
  return plans;
}

/** What the run gathers as it goes: the metrics, and what the run document's config reports. */
interface Tally {
  readonly metrics: Metric[];
  readonly setup: { backend: string; n: number; ms: number }[];
  readonly roundTrip: { backend: string; n: number; key: string; maxError: number }[];
  readonly promptBytes: Record<string, Record<string, number>>;
  readonly promptIterations: Record<string, number>;
  vectorsCount: number;
  index: number;
}

/** Everything a case's measurement reads. */
interface RunContext {
  readonly options: CkksBenchOptions;
  readonly settings: Settings;
  readonly available: Backends;
  readonly prompt: PromptSetup;
  readonly note: (line: string) => void;
  readonly tally: Tally;
}

/** The prompt-scale benchmark of one case: the whole prompt encoded, encrypted and serialized per call. */
async function measurePrompt(
  c: CkksCase & { kind: 'prompt' },
  plan: Plan,
  backend: CkksBackend,
  vectors: Float64Array[],
  labels: Labels,
  what: string,
  ctx: RunContext,
): Promise<Metric> {
  const { settings, tally } = ctx;
  const { batch } = ctx.available;
  const { gpu, gpuCases } = ctx.prompt;
  const symmetric = c.key === 'secret';
  const useBatch = plan.backend === 'native' && batch !== undefined;
  // CPU cases name the CPU: on a GPU machine the backend's default (auto) would move them.
  const device = c.device ?? 'cpu';
  const run = useBatch
    ? () => batch(backend, vectors, { symmetric, threads: c.threads, ...(gpuCases ? { device } : {}) })
    : () => Promise.resolve(encryptLoop(backend, vectors, symmetric));
  // The batch API is new code: check what it produces before timing it.
  const first = useBatch ? await run() : null;
  if (first) checkSerialized(backend, first, vectors, `${what}: encryptBatch (key ${c.key}, threads ${c.threads}${c.device ? `, device ${c.device}` : ''})`);
  // GPU: a fresh pool window (trim restarts the peaks), then after every timed prompt
  // the peak bytes in use over the peak reserved in that window.
  const efficiency: number[] = [];
  const onGpu = c.device === 'cuda' && gpu !== undefined;
  if (onGpu) gpu.poolTrim();
  let bytes = first ? first.reduce((s, b) => s + b.length, 0) : 0;
  const iterations = ctx.options.promptIterations?.[plan.backend] ?? PROMPT_ITERATIONS[plan.backend][settings.mode];
  const warmup = PROMPT_WARMUP[plan.backend][settings.mode];
  tally.promptIterations[plan.backend] = iterations;
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
  if (!c.device) (tally.promptBytes[plan.backend] ??= {})[c.key] = bytes;
  if (onGpu) {
    if (efficiency.length > 0) {
      tally.metrics.push(makeRunMetric('ckks.gpu_pool_efficiency', { labels, samples: efficiency, keep: settings.samplesCap }));
    } else {
      ctx.note(`ckks.gpu_pool_efficiency (threads ${c.threads}): the device pool reserved nothing during the benchmark, no ratio recorded`);
    }
  }
  return makeRunMetric(c.name, { labels, samples: samples.map((s) => s / 1e6), keep: settings.samplesCap });
}

/** One case of a plan, measured. */
async function measureCase(
  c: CkksCase,
  plan: Plan,
  backend: CkksBackend,
  fixture: Fixture,
  promptVectorsOnce: () => Float64Array[],
  labels: Labels,
  what: string,
  ctx: RunContext,
): Promise<Metric> {
  const { timeMs, warmupMs, minIterations, warmupIterations, samplesCap, quick, mode } = ctx.settings;
  const timed = { timeMs, warmupMs, minIterations, warmupIterations, metric: { name: c.name, labels } };
  const nonEmpty = (samples: number[]): number[] => {
    if (samples.length === 0) throw new LabError('INTERNAL', `no samples measured for ${c.name}`);
    return samples;
  };
  if (c.kind === 'op') {
    const samples = nonEmpty(await measure(opFunction(c, fixture), timed));
    return makeRunMetric(c.name, { labels, samples, keep: samplesCap });
  }
  if (c.kind === 'answers') {
    const run = await answersFunction(backend, fixture, c.ciphertexts, what);
    const samples = nonEmpty(await measureAsync(run, ANSWERS_ITERATIONS[mode], ANSWERS_WARMUP[mode], slowdownFor(c.name, labels)));
    return makeRunMetric(c.name, { labels, samples: samples.map((v) => v / 1e6), keep: samplesCap });
  }
  if (c.kind === 'seeded-batch') {
    const run = await seededBatchFunction(backend, c.ciphertexts, what);
    const samples = nonEmpty(await measureAsync(run, SEEDED_BATCH_ITERATIONS[mode], SEEDED_BATCH_WARMUP[mode], slowdownFor(c.name, labels)));
    return makeRunMetric(c.name, { labels, samples: samples.map((v) => v / 1e6), keep: samplesCap });
  }
  if (c.kind === 'kswitch') {
    const { run, perCall, dispose } = kswitchFunction(c, backend, fixture.ctPub, fixture.ctPub2, kswitchSteps(quick));
    try {
      const samples = nonEmpty(await measure(run, timed));
      return makeRunMetric(c.name, { labels, samples: samples.map((v) => v / perCall), keep: samplesCap });
    } finally {
      dispose();
    }
  }
  if (c.kind === 'matvec') {
    const mv = matvecFixture(c, backend, what);
    try {
      const samples = nonEmpty(await measure(mv.run, { ...timed, minIterations: MATVEC_MIN_ITERATIONS[mode], warmupIterations: 1 }));
      return makeRunMetric(c.name, { labels, samples: samples.map((v) => v / 1e6), keep: samplesCap });
    } finally {
      mv.dispose();
    }
  }
  if (c.kind === 'bytes') return makeRunMetric(c.name, { labels, samples: [serializedSize(fixture, c.key)] });
  const vectors = promptVectorsOnce();
  ctx.tally.vectorsCount = vectors.length;
  return measurePrompt(c, plan, backend, vectors, labels, what, ctx);
}

/** One (backend, n): context and keys, the round-trip checks, then every case in order. */
async function measurePlan(plan: Plan, total: number, mod: object, ctx: RunContext): Promise<void> {
  const { options, settings, tally } = ctx;
  const t0 = performance.now();
  const params = presetParams(plan.n);
  const backend = await createBackend(plan.backend, params, mod, settings.symmetricPrng);
  try {
    const matvecs = plan.cases.filter((c): c is MatvecCase => c.kind === 'matvec');
    const galoisSteps = [...new Set([...kswitchSteps(settings.quick), ...matvecSteps(matvecs)])];
    backend.generateKeys(settings.keySwitching ? { relin: true, galoisSteps } : { relin: false });
    const ms = performance.now() - t0;
    tally.setup.push({ backend: plan.backend, n: plan.n, ms: Math.round(ms) });
    options.info?.(`${plan.backend} n=${plan.n}: context and keys in ${formatNs(ms * 1e6)}`);

    const what = `${plan.backend} backend at n = ${plan.n}`;
    const values = seededValues(backend.slotCount);
    for (const key of KEYS) tally.roundTrip.push({ backend: plan.backend, n: plan.n, key, maxError: checkRoundTrip(backend, values, key, what) });

    const fixture = makeFixture(backend, values);
    // The prompt's vectors: made on the first prompt case, shared by the others of this plan.
    let vectors: Float64Array[] | null = null;
    const promptVectorsOnce = (): Float64Array[] => (vectors ??= promptVectors(backend.slotCount));
    for (const c of plan.cases) {
      tally.index++;
      if (c.kind === 'answers' && !hasFramesDecoder(backend)) {
        ctx.note(`${c.name} skipped on the ${what}: this build of @hlp/ckks has no batch decrypt + decode (decryptDecodeFrames)`);
        continue;
      }
      if (c.kind === 'seeded-batch' && !hasSeededBatch(backend)) {
        ctx.note(`${c.name} skipped on the ${what}: this build of @hlp/ckks has no batch encode + encrypt (encodeEncryptMany)`);
        continue;
      }
      const labels = ckksCaseLabels(c, plan.backend, plan.n);
      options.progress?.({ phase: 'start', index: tally.index, total, name: c.name, labels });
      const metric = await measureCase(c, plan, backend, fixture, promptVectorsOnce, labels, what, ctx);
      tally.metrics.push(metric);
      options.progress?.({ phase: 'done', index: tally.index, total, name: c.name, labels, metric });
    }
  } finally {
    backend.dispose();
  }
}

/** The run document's config: the settings, the checks, the prompt's shape, and the notes. */
function ckksConfig(ctx: RunContext, notes: readonly string[]): Record<string, unknown> {
  const { options, settings, tally } = ctx;
  const { backends, nativeAvailable, batch } = ctx.available;
  const { promptN, threadsFor, gpuState, gpuCases, uvPool } = ctx.prompt;
  return {
    ...(settings.slowdown ? { slowdown: settings.slowdown } : {}),
    quick: settings.quick,
    symmetricPrng: { native: settings.symmetricPrng, seal: 'blake2xb (node-seal default)' },
    timeMs: settings.timeMs,
    warmupMs: settings.warmupMs,
    minIterations: settings.minIterations,
    warmupIterations: settings.warmupIterations,
    samplesCap: settings.samplesCap,
    requestedBackends: options.backends ? [...options.backends] : null,
    backends,
    n: settings.ns,
    params: Object.fromEntries(
      settings.ns.map((n) => {
        const p = presetParams(n);
        return [String(n), { coeffModulusBits: p.coeffModulusBits, scaleBits: p.scaleBits, totalBits: p.totalBits, maxLevel: p.maxLevel }];
      }),
    ),
    keygen: { relin: false, galois: false },
    values: { generator: 'mulberry32', seed: VALUES_SEED, range: [-1, 1], perVector: 'n/2 (every slot)' },
    setup: tally.setup,
    roundTrip: { maxAllowedError: MAX_ROUND_TRIP_ERROR, checks: tally.roundTrip },
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
            vectors: tally.vectorsCount,
            iterations: tally.promptIterations,
            threads: Object.fromEntries(backends.map((b) => [b, threadsFor(b)])),
            uvThreadpoolSize: uvPool,
            path: Object.fromEntries(backends.map((b) => [b, b === 'native' && batch ? 'encryptBatch' : 'loop: encode, encrypt, serialize'])),
            bytesPerPrompt: tally.promptBytes,
          },
    timer: 'process.hrtime.bigint per call, tinybench overriddenDuration',
    notes: [
      'handles created inside a timed function are disposed inside the timing (freeing WASM memory is part of the cost for seal)',
      'ckks.encrypt times a pre-encoded plaintext; ckks.encode_encrypt = encode + encrypt of one vector of n/2 values',
      'key=secret is secret-key encryption with a seeded second polynomial; seal produces the seeded bytes at encryption time, so its encrypt key=secret includes serialization',
      'ckks.serialize serializes the same fresh public-key ciphertext each call; ckks.rescale rescales a multiply_plain result; ckks.affine = multiply_plain, rescale and add_plain of one ciphertext (native: one fused call)',
      'ckks.prompt_encrypt = encode + encrypt + serialize of the whole prompt; ckks.ciphertext_bytes is one serialized ciphertext (compression none)',
      'ckks.decrypt_decode_batch = one batch of serialized answers (a multiply_plain result, rescaled) parsed, decrypted and decoded on the libuv pool, as the proxy reads a reply; checked against decrypt + decode before timing',
      'ckks.encode_encrypt_batch = one chunk of vectors encoded and encrypted with the secret key (seeded) at level 1 in one call on the libuv pool, into one reused buffer, serialized as views, as the proxy encrypts a batch; checked (decrypts to its inputs, serializes seeded) before timing',
      'device=cuda: the prompt encoded on libuv workers and encrypted on the GPU; ckks.gpu_pool_efficiency = peak bytes in use / peak bytes reserved of the device pool since the case began, after each timed prompt',
      ...notes,
    ],
  };
}

export async function runCkksBench(options: CkksBenchOptions = {}): Promise<CkksBenchOutcome> {
  const startedAt = new Date().toISOString();
  const notes: string[] = [];
  const note = (line: string): void => {
    notes.push(line);
    options.note?.(line);
  };
  if (options.regimeNote) note(options.regimeNote);
  const settings = resolveSettings(options, note);
  const [machine, git] = await Promise.all([fingerprint(), gitInfo(findRepoRoot() ?? process.cwd())]);
  const mod = options.ckksModule ?? ckks;
  const available = availableBackends(options, mod, note);
  const prompt = promptSetup(options, settings, available, mod, note);
  const plans = planCases(available.backends, settings, prompt);
  const total = plans.reduce((s, p) => s + p.cases.length, 0);
  const tally: Tally = { metrics: [], setup: [], roundTrip: [], promptBytes: {}, promptIterations: {}, vectorsCount: 0, index: 0 };
  const ctx: RunContext = { options, settings, available, prompt, note, tally };
  for (const plan of plans) await measurePlan(plan, total, mod, ctx);

  const result: RunResult = {
    schema: SCHEMA_VERSION,
    suite: CKKS_SUITE,
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    git,
    config: ckksConfig(ctx, notes),
    metrics: tally.metrics,
  };
  return { result, notes, backendsRun: available.backends };
}
