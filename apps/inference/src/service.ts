/**
 * The inference service's state, without HTTP: parameters, backends, workload runners, the key
 * registry and the evaluation queue.
 *
 * Backend: every workload runs on the configured backend (native by default, with its own key
 * switching; seal when asked for, or when the native addon is missing). It holds the evaluation
 * keys of one key set at a time (the last one used); switching sets re-imports them from the
 * registry.
 *
 * Evaluations are synchronous CKKS work; they run one at a time from a bounded FIFO (QUEUE_FULL
 * beyond it), yielding to the event loop between requests.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import {
  BodyPool,
  CkksError,
  createSealBackend,
  isCkksError,
  parmsIdChain,
  parmsIdToHex,
  parseCiphertext,
  presetParams,
  type ChainLevel,
  type CiphertextHandle,
  type CkksBackend,
  type CkksParams,
  type PresetDegree,
} from '@hlp/ckks';
import { AffineRunner, CountingEvaluator, MaskStore, ProjectionRunner, type Runner } from '@hlp/evaluator';
import { AffineWorkload, DEFAULT_SEED, MlpWorkload, ProjectionWorkload, isModelError, parsePackingPlan, type PackingPlan, type WorkloadName } from '@hlp/model';
import {
  ProtocolError,
  modelId,
  sameParams,
  type EvaluateRequestHeader,
  type EvaluateResponseHeader,
  type FramePayload,
  type KeyUploadHeader,
  type KeyUploadResponse,
  type ParamsWire,
  type ServiceInfo,
} from '@hlp/protocol';
import { EventLoopSlices, type LogFn } from '@hlp/service-runtime';
import { createBackend, type BackendChoice } from './backend.js';
import { DiskKeyStore, KeyCache, RedisKeyStore, type KeyCacheEvent } from './keycache.js';
import { KeyRegistry, validateUpload, type KeySet } from './keys.js';

export const SERVICE_VERSION = '0.1.0';

/**
 * Structural check of untrusted ciphertext bytes before SEAL loads them: SEAL's loader checks
 * the metadata but not that every coefficient is reduced modulo its prime, and an unreduced
 * coefficient makes later operations fail (or compute garbage). Parses with @hlp/ckks's bounded
 * reader, finds the level by parms_id, and compares coefficients as 32-bit halves (fast).
 * @throws CkksError MALFORMED or PARAMETER_MISMATCH
 */
export function checkCiphertextBytes(bytes: Uint8Array, chain: readonly ChainLevel[], n: number): void {
  const ct = parseCiphertext(bytes);
  const hex = parmsIdToHex(ct.parmsId);
  const lvl = chain.find((c) => c.parmsIdHex === hex);
  if (!lvl) throw new CkksError('PARAMETER_MISMATCH', `ciphertext parms_id ${hex} is not in this parameter chain`, 'parmsId');
  if (ct.polyModulusDegree !== n) throw new CkksError('PARAMETER_MISMATCH', `ciphertext degree ${ct.polyModulusDegree}, expected ${n}`, 'polyModulusDegree');
  const L = ct.coeffModulusSize;
  if (L !== lvl.coeffModulus.length)
    throw new CkksError('PARAMETER_MISMATCH', `ciphertext has ${L} moduli, its parms_id ${lvl.coeffModulus.length}`, 'coeffModulusSize');
  const words = new Uint32Array(ct.data.buffer, ct.data.byteOffset, ct.data.length * 2);
  const polys = ct.seed ? 1 : ct.size;
  for (let j = 0; j < L; j++) {
    const q = lvl.coeffModulus[j]!;
    const qHi = Number(q >> 32n);
    const qLo = Number(q & 0xffffffffn);
    for (let p = 0; p < polys; p++) {
      const base = (p * L + j) * n;
      for (let i = base; i < base + n; i++) {
        const hi = words[2 * i + 1]!;
        if (hi > qHi || (hi === qHi && words[2 * i]! >= qLo)) {
          throw new CkksError('MALFORMED', `coefficient ${i} is not reduced modulo q_${j}`, 'ciphertext.data');
        }
      }
    }
  }
}

export interface ServiceOptions {
  /** Preset ring degree (default 8192: {60,40,40,60}, scale 2^40, depth 2). */
  readonly n?: PresetDegree;
  /** Backend of every workload (default native, falling back to seal). */
  readonly backend?: BackendChoice;
  readonly workloadSeed?: number;
  /** Enabled workloads (default all three). */
  readonly workloads?: readonly WorkloadName[];
  /** Output width k of projection and mlp (default 64). */
  readonly outputs?: number;
  readonly maxCiphertexts?: number;
  readonly maxQueue?: number;
  /** L1: bytes of keys held in this process (default 2 GiB). */
  readonly keyCacheBytes?: number;
  /** L2: Redis URL (redis://host:port[/db]) shared by every instance; absent: no L2. */
  readonly redisUrl?: string;
  /** L2 entry lifetime without use, seconds (default 7 days; 0: none). */
  readonly redisKeyTtlSeconds?: number;
  /** L3: directory for key set files; absent: no L3. */
  readonly keyCacheDir?: string;
  /** L3 bound in bytes (default 8 GiB). */
  readonly keyCacheDiskBytes?: number;
  readonly maxBodyBytes?: number;
  readonly log?: LogFn;
  /** Queue depth changes (for the metrics gauge). */
  readonly onQueueDepth?: (depth: number) => void;
  /** Key cache hits, misses, corrupt entries and sizes by level (for the metrics). */
  readonly onKeyCache?: (event: KeyCacheEvent) => void;
}

export interface EvaluateResult {
  readonly header: Omit<EvaluateResponseHeader, 'frames'>;
  /** Each answer's serialized pieces, viewing its coefficients where the evaluation left them. */
  readonly frames: FramePayload[];
  /** Frees the answers once `frames` have been written (their memory then serves later results); idempotent. */
  readonly release: () => void;
}

function toWire(p: CkksParams): ParamsWire {
  return { n: p.n, coeffModulusBits: [...p.coeffModulusBits], scaleBits: p.scaleBits };
}

class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private depth = 0;
  constructor(
    private readonly max: number,
    private readonly onDepth: (d: number) => void,
  ) {}

  run<T>(fn: (queuedMs: number) => T | Promise<T>): Promise<T> {
    if (this.depth >= this.max) {
      throw new ProtocolError('QUEUE_FULL', `evaluation queue is full (${this.max} requests)`, null, { retryAfterSeconds: 1 });
    }
    this.depth++;
    this.onDepth(this.depth);
    const enqueued = performance.now();
    const p = this.tail.then(async () => {
      await yieldToLoop();
      return fn(performance.now() - enqueued);
    });
    const settled = p.finally(() => {
      this.depth--;
      this.onDepth(this.depth);
    });
    this.tail = settled.catch(() => undefined);
    return settled;
  }

  get size(): number {
    return this.depth;
  }
}

/** One ciphertext through the runner, its failures as the protocol's errors. */
function evaluateOne(runner: Runner, ev: CountingEvaluator, x: CiphertextHandle, plan: PackingPlan, index: number): CiphertextHandle[] {
  try {
    return runner.run(ev, [x], plan, index);
  } catch (e) {
    if (e instanceof ProtocolError) throw e;
    if (isCkksError(e, 'MALFORMED')) {
      throw new ProtocolError('BAD_CIPHERTEXT', `a ciphertext is malformed: ${e.message}`, 'frames', { cause: e });
    }
    if (isCkksError(e, 'LEVEL_MISMATCH') || isCkksError(e, 'SCALE_MISMATCH') || isCkksError(e, 'INVALID_ARGUMENT')) {
      throw new ProtocolError('PARAMETER_MISMATCH', `evaluation failed: ${e.message}`, 'frames', { cause: e });
    }
    throw e;
  }
}

/** Request bodies kept for reuse: tens of the proxy's batches (a few megabytes each). */
const BODY_POOL_BYTES = 64 * 1024 * 1024;

export class InferenceService {
  /** L1 → L2 (Redis) → L3 (disk). */
  readonly keys: KeyCache;
  /** The L1 level of `keys` (this process's key sets). */
  readonly registry: KeyRegistry;
  private readonly redis: RedisKeyStore | undefined;
  private readonly disk: DiskKeyStore | undefined;
  readonly runners = new Map<WorkloadName, Runner>();
  readonly maxCiphertexts: number;
  readonly maxBodyBytes: number;
  /** Memory the evaluation requests' bodies are read into, handed back once evaluated (see BodyPool). */
  readonly bodies = new BodyPool(BODY_POOL_BYTES);
  private activeKeyId: string | undefined;
  private readonly chain: readonly ChainLevel[];
  private readonly queue: SerialQueue;
  private readonly log: LogFn;

  private constructor(
    readonly params: CkksParams,
    readonly backend: CkksBackend,
    private readonly masks: MaskStore,
    readonly seed: number,
    private readonly options: ServiceOptions,
  ) {
    this.log = options.log ?? (() => undefined);
    this.redis = options.redisUrl
      ? new RedisKeyStore(options.redisUrl, { log: this.log, ...(options.redisKeyTtlSeconds === undefined ? {} : { ttlSeconds: options.redisKeyTtlSeconds }) })
      : undefined;
    this.disk = options.keyCacheDir ? new DiskKeyStore(options.keyCacheDir, options.keyCacheDiskBytes, this.log) : undefined;
    this.keys = new KeyCache({
      l1Bytes: options.keyCacheBytes ?? 2 * 1024 ** 3,
      params,
      log: this.log,
      ...(this.redis ? { redis: this.redis } : {}),
      ...(this.disk ? { disk: this.disk } : {}),
      ...(options.onKeyCache ? { onEvent: options.onKeyCache } : {}),
    });
    this.registry = this.keys.l1;
    this.chain = parmsIdChain(params.n, params.coeffModulus);
    this.maxCiphertexts = options.maxCiphertexts ?? 1024;
    this.maxBodyBytes = options.maxBodyBytes ?? 512 * 1024 * 1024;
    this.queue = new SerialQueue(options.maxQueue ?? 64, options.onQueueDepth ?? (() => undefined));
  }

  /** Connect L2 and prepare L3 (called by create). */
  private async openCaches(): Promise<void> {
    await this.disk?.init();
    await this.redis?.connect();
  }

  static async create(options: ServiceOptions = {}): Promise<InferenceService> {
    const log = options.log ?? (() => undefined);
    const params = presetParams(options.n ?? 8192);
    const seed = options.workloadSeed ?? undefined;
    const enabled = options.workloads ?? (['affine', 'projection', 'mlp'] as const);
    const choice = options.backend ?? 'native';
    let backend: CkksBackend | undefined;
    if (choice === 'native') {
      const r = await createBackend('native', params);
      if (r.fallback) {
        r.backend.dispose();
        log('warn', `workloads run on the seal backend: ${r.fallback}`);
      } else backend = r.backend;
    }
    backend ??= await createSealBackend(params);
    const masks = new MaskStore(backend);
    const wseed = seed === undefined ? {} : { seed };
    const svc = new InferenceService(params, backend, masks, seed ?? DEFAULT_SEED, options);
    try {
      await svc.openCaches();
    } catch (e) {
      svc.dispose();
      await svc.keys.close();
      throw e;
    }
    const k = options.outputs ?? 64;
    for (const name of enabled) {
      let runner: Runner;
      if (name === 'affine') runner = new AffineRunner(backend, new AffineWorkload(wseed));
      else if (name === 'projection') runner = new ProjectionRunner(backend, new ProjectionWorkload({ ...wseed, outputs: k }), masks);
      else runner = new ProjectionRunner(backend, new MlpWorkload({ ...wseed, outputs: k }), masks);
      if (runner.depth > params.maxLevel) {
        svc.dispose();
        throw new ProtocolError(
          'PARAMETER_MISMATCH',
          `workload ${name} needs depth ${runner.depth}; the N=${params.n} preset has ${params.maxLevel} levels (use a larger preset)`,
        );
      }
      svc.runners.set(name, runner);
    }
    return svc;
  }

  backendOf(runner: Runner): 'seal' | 'native' {
    return runner.backend.name;
  }

  info(): ServiceInfo {
    return {
      service: 'hlp-inference',
      version: SERVICE_VERSION,
      params: toWire(this.params),
      workloads: [...this.runners.values()].map((r) => ({
        name: r.name,
        model: modelId(r.name),
        inputWidth: r.inputWidth,
        outputWidth: r.outputWidth,
        depth: r.depth,
        layouts: [...r.layouts],
        rotationSteps: [...r.rotationSteps],
        needsRelin: r.needsRelin,
        seed: r.workload.seed,
        backend: r.backend.name,
        errorBoundAt1e6: r.workload.errorBound(1e-6),
        // affine is slot-wise; projection and mlp map each token's block on its own (blocked):
        // either way the tokens of several requests may share ciphertexts.
        batchable: true,
      })),
      limits: { maxBodyBytes: this.maxBodyBytes, maxCiphertexts: this.maxCiphertexts },
      // node-seal reads SEAL's two PRNGs; the native backend AES-256-CTR too.
      seedStreams: this.backend.name === 'native' ? ['shake256', 'blake2xb', 'aes256ctr'] : ['shake256', 'blake2xb'],
    };
  }

  private checkParams(p: ParamsWire, param: string): void {
    if (!sameParams(p, toWire(this.params))) {
      throw new ProtocolError(
        'PARAMETER_MISMATCH',
        `CKKS parameters n=${p.n} ${JSON.stringify(p.coeffModulusBits)} 2^${p.scaleBits} differ from the service's n=${this.params.n} ` +
          `${JSON.stringify(this.params.coeffModulusBits)} 2^${this.params.scaleBits}`,
        param,
      );
    }
  }

  /** Import a key set's evaluation keys into the backend (unless it holds them already). */
  private activate(set: KeySet): void {
    if (this.activeKeyId === set.id) return;
    for (const kind of ['public', 'relin', 'galois'] as const) {
      const bytes = set.keys.get(kind);
      if (bytes) this.backend.importKey(kind, bytes);
    }
    this.activeKeyId = set.id;
  }

  /** `POST /v1/keys`. */
  async uploadKeys(header: KeyUploadHeader, frames: readonly Uint8Array[]): Promise<KeyUploadResponse> {
    this.checkParams(header.params, 'params');
    const v = validateUpload(header.keys, frames, this.params);
    if (this.keys.peek(v.id)) {
      return { keyId: v.id, hashes: v.hashes, bytes: v.bytes, created: false };
    }
    const set: KeySet = {
      id: v.id,
      // Own copies: the frames are views into a request body.
      keys: new Map([...v.keys].map(([k, b]) => [k, Uint8Array.from(b)])),
      hashes: v.hashes,
      bytes: v.bytes,
      galoisSteps: header.galoisSteps,
    };
    // Importing checks the keys in depth (and makes this set the active one).
    await this.queue.run(() => {
      try {
        this.activeKeyId = undefined;
        this.activate(set);
      } catch (e) {
        this.activeKeyId = undefined;
        if (isCkksError(e, 'PARAMETER_MISMATCH')) throw new ProtocolError('PARAMETER_MISMATCH', e.message, 'keys', { cause: e });
        if (isCkksError(e)) throw new ProtocolError('BAD_KEY', e.message, 'keys', { cause: e });
        throw e;
      }
    });
    const evicted = await this.keys.put(set);
    for (const id of evicted) if (id === this.activeKeyId) this.activeKeyId = undefined;
    this.log('info', 'key set registered', { keyId: v.id, bytes: v.bytes, kinds: [...v.keys.keys()], evicted: evicted.length });
    return { keyId: v.id, hashes: v.hashes, bytes: v.bytes, created: true };
  }

  /** Parse and check the header of an evaluation (everything but the ciphertexts). */
  private async resolve(header: EvaluateRequestHeader, frameCount: number): Promise<{ set: KeySet; runner: Runner; plan: PackingPlan }> {
    const set = await this.keys.get(header.keyId);
    if (!set) throw new ProtocolError('UNKNOWN_KEY', `key set ${header.keyId} is not registered (upload it to /v1/keys)`, 'keyId');
    this.checkParams(header.params, 'params');
    const runner = this.runners.get(header.workload as WorkloadName);
    if (!runner) {
      throw new ProtocolError(
        'UNKNOWN_MODEL',
        `workload ${JSON.stringify(header.workload)} is not served (${[...this.runners.keys()].join(', ')})`,
        'workload',
      );
    }
    let plan: PackingPlan;
    try {
      plan = parsePackingPlan(header.plan);
    } catch (e) {
      if (isModelError(e)) throw new ProtocolError('INVALID_REQUEST', e.message, 'plan', { cause: e });
      throw e;
    }
    if (plan.slotCount !== this.params.slotCount) {
      throw new ProtocolError('PARAMETER_MISMATCH', `plan has ${plan.slotCount} slots, the parameters ${this.params.slotCount}`, 'plan.slotCount');
    }
    if (plan.width !== runner.inputWidth) {
      throw new ProtocolError('INVALID_REQUEST', `${runner.name} takes ${runner.inputWidth} values per token, the plan has ${plan.width}`, 'plan.width');
    }
    if (!runner.layouts.includes(plan.layout)) {
      throw new ProtocolError('INVALID_REQUEST', `${runner.name} does not run on the ${plan.layout} layout (${runner.layouts.join(', ')})`, 'plan.layout');
    }
    if (plan.ciphertexts > this.maxCiphertexts) {
      throw new ProtocolError('INVALID_REQUEST', `${plan.ciphertexts} ciphertexts exceed the limit of ${this.maxCiphertexts}`, 'plan.ciphertexts');
    }
    if (frameCount !== plan.ciphertexts) {
      throw new ProtocolError('BAD_FRAME', `the plan needs ${plan.ciphertexts} ciphertexts, the body has ${frameCount}`, 'frames');
    }
    if (runner.needsGalois && !set.keys.has('galois')) {
      throw new ProtocolError('INVALID_REQUEST', `${runner.name} needs Galois keys; key set ${set.id} has none`, 'keyId');
    }
    if (runner.needsRelin && !set.keys.has('relin')) {
      throw new ProtocolError('INVALID_REQUEST', `${runner.name} needs relinearization keys; key set ${set.id} has none`, 'keyId');
    }
    if (runner.needsGalois && set.galoisSteps) {
      const have = new Set(set.galoisSteps);
      const missing = runner.rotationSteps.filter((s) => !have.has(s));
      if (missing.length > 0) {
        throw new ProtocolError('INVALID_REQUEST', `key set ${set.id} lacks Galois keys for steps ${missing.slice(0, 8).join(', ')}`, 'keyId');
      }
    }
    return { set, runner, plan };
  }

  private load(backend: CkksBackend, bytes: Uint8Array, index: number, depth: number): CiphertextHandle {
    let ct: CiphertextHandle;
    try {
      // The native backend range-checks every residue in each native operation (a hostile
      // ciphertext fails there, as MALFORMED), so only SEAL needs the scan before loading.
      if (backend.name !== 'native') checkCiphertextBytes(bytes, this.chain, this.params.n);
      ct = backend.deserialize(bytes);
    } catch (e) {
      if (isCkksError(e, 'PARAMETER_MISMATCH')) {
        throw new ProtocolError('PARAMETER_MISMATCH', `ciphertext ${index}: ${e.message}`, `frames.${index}`, { cause: e });
      }
      if (isCkksError(e)) throw new ProtocolError('BAD_CIPHERTEXT', `ciphertext ${index}: ${e.message}`, `frames.${index}`, { cause: e });
      throw e;
    }
    if (ct.size !== 2) {
      ct.dispose();
      throw new ProtocolError('BAD_CIPHERTEXT', `ciphertext ${index} has ${ct.size} polynomials, expected 2`, `frames.${index}`);
    }
    if (ct.level < depth) {
      const level = ct.level;
      ct.dispose();
      throw new ProtocolError('PARAMETER_MISMATCH', `ciphertext ${index} is at level ${level}; the workload needs ${depth}`, `frames.${index}`);
    }
    return ct;
  }

  /** `POST /v1/evaluate`. */
  async evaluate(header: EvaluateRequestHeader, frames: readonly Uint8Array[]): Promise<EvaluateResult> {
    const { set, runner, plan } = await this.resolve(header, frames.length);
    // The queue runs one request at a time (the active keys are the request's until it ends);
    // its ciphertexts are loaded and evaluated in event-loop slices, so that /healthz and other
    // requests' bodies are served between them (a 1024-token projection is seconds of work).
    return this.queue.run(async (queueMs) => {
      const backend = runner.backend;
      if (runner.needsGalois || runner.needsRelin) this.activate(set);
      const inputs: CiphertextHandle[] = [];
      const outputs: CiphertextHandle[] = [];
      let lent = false;
      const slices = new EventLoopSlices();
      try {
        // Each ciphertext is evaluated as soon as it is loaded, and let go: its memory goes back to
        // the result pool for the next one to load into, so a request holds one input at a time
        // (loading them all first held them all: hundreds of MB for a 1024-token request).
        let deserializeMs = 0;
        let evaluateMs = 0;
        const ev = new CountingEvaluator(backend);
        for (const [i, f] of frames.entries()) {
          await slices.pause();
          const t0 = performance.now();
          const x = this.load(backend, f, i, runner.depth);
          inputs.push(x);
          const t1 = performance.now();
          deserializeMs += t1 - t0;
          const produced = evaluateOne(runner, ev, x, plan, i);
          outputs.push(...produced);
          evaluateMs += performance.now() - t1;
          if (!produced.includes(x)) {
            inputs.pop();
            x.dispose();
          }
        }
        const t = performance.now();
        // Pieces that view each answer's memory (written to the socket as they are): a copy
        // into a fresh, zeroed buffer per answer was a tenth of this service's CPU. The memory
        // is lent until the caller releases the answers, once written; it then goes back to
        // the result pool (kept out of it, every answer was fresh memory and its page faults).
        const out = outputs.map((c) => c.lendParts());
        const serializeMs = performance.now() - t;
        const first = outputs[0];
        lent = true;
        let released = false;
        const release = (): void => {
          if (released) return;
          released = true;
          for (const c of outputs) c.dispose();
        };
        return {
          header: {
            workload: runner.name,
            layout: plan.layout,
            inputWidth: runner.inputWidth,
            outputWidth: runner.outputWidth,
            ciphertexts: out.length,
            ops: { ...ev.counts },
            level: first?.level ?? 0,
            scale: first?.scale ?? this.params.scale,
            timings: { queueMs, deserializeMs, evaluateMs, serializeMs },
          },
          frames: out,
          release,
        };
      } finally {
        for (const c of inputs) c.dispose();
        if (!lent) for (const c of outputs) c.dispose();
      }
    });
  }

  /** Encode every workload's plaintexts for the blocked layout now rather than on first use. */
  prepare(): void {
    for (const r of this.runners.values()) {
      r.prepare(parsePackingPlan({ layout: 'blocked', slotCount: this.params.slotCount, width: r.inputWidth, tokens: 1, ciphertexts: 1 }));
    }
  }

  /** A key set by id through every cache level (GET /v1/keys/:id). */
  lookupKeys(id: string): Promise<KeySet | undefined> {
    return this.keys.get(id);
  }

  get queueDepth(): number {
    return this.queue.size;
  }

  /** Close the L2 connection (after dispose, or instead of it in tests). */
  closeCaches(): Promise<void> {
    return this.keys.close();
  }

  dispose(): void {
    for (const r of this.runners.values()) r.dispose();
    this.masks.dispose();
    this.backend.dispose();
  }
}
