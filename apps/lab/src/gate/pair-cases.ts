/**
 * The benchmark cases of `hlp bench kernels` and `hlp bench ckks`, built twice: once on the
 * candidate's modules (this checkout) and once on the reference's (another checkout's built
 * `@hlp/kernels` and `@hlp/ckks`, imported by path), so that `measureInterleaved` can time
 * both in one process. The harness is the candidate's on both sides: what differs between
 * the sides is only the product code under test.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as candidateCkks from '@hlp/ckks';
import * as candidateEvaluator from '@hlp/evaluator';
import * as candidateKernels from '@hlp/kernels';
import * as candidateModel from '@hlp/model';
import { LabError } from '../errors.js';
import { ALLOC_LIVE, ALLOC_ROUNDS, ALLOC_SIZES, ALLOCATORS, caseLabels, randomResidues, type BenchCase, type KernelOp } from '../bench/kernels.js';
import {
  KEYS,
  ADD_IN_PLACE_CASE,
  OP_CASES,
  batchEncryptFn,
  ckksCaseLabels,
  createBackend,
  encryptLoop,
  disposeFixture,
  makeFixture,
  opFunction,
  promptVectors,
  seededValues,
  serializedSize,
  trimResultPool,
  type CkksCase,
  type Fixture,
} from '../bench/ckks.js';
import type { CkksBackendName, CkksPresetN } from '../options.js';
import type { Labels } from '@hlp/results';
import type { CkksBackend } from '@hlp/ckks';
import type { PairCase, SideName } from './interleave.js';
import { answersCases, answersFunction, hasFramesDecoder } from '../bench/ckks-answers.js';
import { hasSeededBatch, seededBatchCases, seededBatchFunction } from '../bench/ckks-seeded-batch.js';
import { kswitchPairCases } from './pair-cases-kswitch.js';
import { matvecPairCases } from './pair-cases-matvec.js';
import type { MatvecModules } from '../bench/ckks-matvec.js';
import { freshEachSlice, KEY_MOVE_PAIRS } from './fresh-inputs.js';
import { makePlacements, placementAt, PLACEMENTS, rotating } from './placements.js';

type KernelsModule = typeof candidateKernels;
type CkksModule = typeof candidateCkks;

/** The product modules of one side. */
export interface SideModules {
  readonly root: string;
  readonly kernels: KernelsModule;
  readonly ckks: CkksModule;
  /**
   * The workloads' runner and model (`ckks.matvec`), imported when first asked for (loaded up
   * front for every run, the reference's modules alone moved `ckks.rotate` ×1.03 in A/A
   * pairings); undefined for a checkout from before @hlp/evaluator.
   */
  readonly workloads: () => Promise<MatvecModules | undefined>;
}

export const KERNELS_ENTRY = join('kernels', 'dist', 'src', 'index.js');
export const CKKS_ENTRY = join('packages', 'ckks', 'dist', 'src', 'index.js');
export const EVALUATOR_ENTRY = join('packages', 'evaluator', 'dist', 'src', 'index.js');
export const MODEL_ENTRY = join('packages', 'model', 'dist', 'src', 'index.js');

/**
 * Imports a built checkout's `@hlp/kernels` and `@hlp/ckks` (and, when asked for, its
 * `@hlp/evaluator` and `@hlp/model`). Each resolves its own dependencies (its addon, its
 * node_modules links), so two checkouts load two addons.
 */
export async function loadSide(root: string): Promise<SideModules> {
  const paths = [KERNELS_ENTRY, CKKS_ENTRY].map((p) => join(root, p));
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0) throw new LabError('INFRA', `cannot pair with ${root}: not built (${missing.join(', ')} missing)`);
  // A dynamic import by path is untyped: the other checkout's modules are taken to have this checkout's shape.
  const [kernels, ckks] = (await Promise.all(paths.map((p) => import(pathToFileURL(p).href)))) as [KernelsModule, CkksModule];
  let workloads: Promise<MatvecModules | undefined> | undefined;
  const loadWorkloads = async (): Promise<MatvecModules | undefined> => {
    const entries = [EVALUATOR_ENTRY, MODEL_ENTRY].map((p) => join(root, p));
    if (!entries.every((p) => existsSync(p))) return undefined;
    const [evaluator, model] = (await Promise.all(entries.map((p) => import(pathToFileURL(p).href)))) as [MatvecModules['evaluator'], MatvecModules['model']];
    return { evaluator, model };
  };
  return { root, kernels, ckks, workloads: () => (workloads ??= loadWorkloads()) };
}

/** This checkout's own modules (the candidate side). */
export function candidateSide(root: string): SideModules {
  const workloads: MatvecModules = { evaluator: candidateEvaluator, model: candidateModel };
  return { root, kernels: candidateKernels, ckks: candidateCkks, workloads: () => Promise.resolve(workloads) };
}

export interface Sides {
  readonly baseline: SideModules;
  readonly current: SideModules;
}

export interface BuiltCases {
  readonly cases: PairCase[];
  readonly notes: string[];
  /** Frees the native objects the cases hold. */
  readonly dispose: () => void;
}

const SIDES: readonly SideName[] = ['baseline', 'current'];

// -- kernels ---------------------------------------------------------------------------------

export interface KernelPairOptions {
  readonly variants: readonly string[];
  readonly ns: readonly number[];
  readonly bits: readonly number[];
  readonly alloc: boolean;
}

/**
 * `count` arrays of n residues carved from one buffer at multiples of 4 KiB: both sides' inputs
 * then sit at the same offset within a page and a cache line. Separate allocations differ in
 * alignment, and a vector kernel on a differently aligned buffer ran 5–7 % apart in an A/A
 * pairing (the same code on both sides) on this machine.
 */
export function pageAlignedViews(count: number, n: number): BigUint64Array[] {
  const page = 4096;
  const stride = Math.ceil((n * 8) / page) * page;
  const buffer = new ArrayBuffer(stride * count);
  return Array.from({ length: count }, (_, i) => new BigUint64Array(buffer, i * stride, n));
}

function availableOn(side: SideModules, variant: string): boolean {
  return side.kernels.variants().some((v) => v.name === variant && v.available);
}

/** Kernel cases (NTT forward/inverse, mul_mod per variant, n and prime size; allocator churn) on both sides. */
export function kernelPairCases(sides: Sides, o: KernelPairOptions): BuiltCases {
  const notes: string[] = [];
  const cases: PairCase[] = [];
  const disposers: (() => void)[] = [];
  const maxN = Math.max(...o.ns);
  for (const bits of o.bits) {
    const [q] = sides.current.kernels.generateNttPrimes(bits, maxN, 1);
    if (q === undefined) throw new LabError('KERNEL', `no ${bits}-bit NTT prime for n = ${maxN}`);
    for (const n of o.ns) {
      const data = randomResidues(q, n);
      const a = randomResidues(q, n);
      const b = randomResidues(q, n);
      const views = pageAlignedViews(2 * 4, n);
      const ring = Object.fromEntries(
        SIDES.map((s, i) => {
          const ctx = new sides[s].kernels.NttContext(n, [q]);
          disposers.push(() => ctx.dispose());
          const [d, x, y, out] = views.slice(4 * i, 4 * i + 4) as [BigUint64Array, BigUint64Array, BigUint64Array, BigUint64Array];
          d.set(data);
          x.set(a);
          y.set(b);
          return [s, { ctx, data: d, a: x, b: y, out }];
        }),
      ) as Record<SideName, { ctx: candidateKernels.NttContext; data: BigUint64Array; a: BigUint64Array; b: BigUint64Array; out: BigUint64Array }>;
      for (const variant of o.variants) {
        const unavailable = SIDES.filter((s) => !availableOn(sides[s], variant));
        if (unavailable.length > 0) {
          if (n === o.ns[0] && bits === o.bits[0]) notes.push(`variant ${variant} not paired: not available on the ${unavailable.join(' and ')} side here`);
          continue;
        }
        for (const name of ['ntt.forward', 'ntt.inverse', 'eltwise.mul_mod'] as const satisfies readonly KernelOp[]) {
          const c: BenchCase = { kind: 'kernel', name, variant: variant as candidateKernels.Variant, n, bits };
          const call = { variant: variant as candidateKernels.Variant, checkInput: false } as const;
          const run = Object.fromEntries(
            SIDES.map((s) => {
              const r = ring[s];
              const fn =
                name === 'ntt.forward'
                  ? () => r.ctx.forward(r.data, call)
                  : name === 'ntt.inverse'
                    ? () => r.ctx.inverse(r.data, call)
                    : () => r.ctx.mulMod(r.out, r.a, r.b, call);
              return [s, fn];
            }),
          ) as Record<SideName, () => void>;
          cases.push({ kind: 'timed', name, labels: caseLabels(c), unit: 'ns', run, async: false });
        }
      }
    }
  }
  if (o.alloc)
    for (const allocator of ALLOCATORS) {
      const run = Object.fromEntries(
        SIDES.map((s) => {
          const al = new sides[s].kernels.Allocator(allocator);
          disposers.push(() => al.dispose());
          return [s, () => al.churn(ALLOC_SIZES, ALLOC_LIVE, ALLOC_ROUNDS)];
        }),
      ) as Record<SideName, () => void>;
      // samples are per churn call (ALLOC_ROUNDS rounds): the ratio is what the gate reads
      const c = { kind: 'alloc', name: 'alloc.churn', allocator } as const satisfies BenchCase;
      cases.push({ kind: 'timed', name: c.name, labels: caseLabels(c), unit: 'ns', run, async: false });
    }
  return { cases, notes, dispose: () => disposers.forEach((d) => d()) };
}

// -- ckks ------------------------------------------------------------------------------------

export interface CkksPairOptions {
  readonly backends: readonly CkksBackendName[];
  readonly ns: readonly CkksPresetN[];
  /** Prompt threads (native); seal runs 1. */
  readonly threads: readonly number[];
  readonly prompt: boolean;
  readonly symmetricPrng: 'shake256' | 'aes256ctr';
  /** Parts a paired prompt is encrypted in (its vectors split evenly). */
  readonly promptChunks: number;
  /** Pair the key-switching cases too (native backend; default true): pair-cases-kswitch.ts. */
  readonly keySwitching?: boolean;
  /** Whether a series is wanted (`--only`): key-switching keys are made only for wanted cases. */
  readonly wanted?: (name: string, labels: Labels) => boolean;
}

/** `vectors` in `parts` consecutive runs of (nearly) equal length. */
export function splitVectors<T>(vectors: readonly T[], parts: number): T[][] {
  const k = Math.max(1, Math.min(parts, vectors.length));
  return Array.from({ length: k }, (_, i) => vectors.slice(Math.floor((i * vectors.length) / k), Math.floor(((i + 1) * vectors.length) / k)));
}

/**
 * Moves the backend's secret and public keys to fresh memory (KEY_MOVE_PAIRS in fresh-inputs.ts):
 * exported and imported, the same values, through the backend API a reference has too.
 */
function moveEncryptionKeys(backend: CkksBackend): void {
  for (const kind of ['secret', 'public'] as const) backend.importKey(kind, backend.exportKey(kind));
}

/** The operations that read a key the side holds: their keys move every few pairs. */
const READS_KEYS: ReadonlySet<string> = new Set(['ckks.encrypt', 'ckks.encode_encrypt', 'ckks.decrypt']);

/**
 * An operation case of one side on a fresh fixture per slice (fresh-inputs.ts), on the side's
 * placement of that slice (placements.ts), starting at `offset`. `first` is slice 0's fixture.
 */
function freshInputsOp(
  c: CkksCase & { kind: 'op' },
  placements: readonly CkksBackend[],
  offset: number,
  first: Fixture,
  disposers: (() => void)[],
): { run: () => void; beforeSlice: () => void } {
  const make = (slice: number): { fixture: Fixture; fn: () => void } => {
    const backend = placements[placementAt(slice, offset, placements.length)]!;
    if (READS_KEYS.has(c.name) && slice > 0 && slice % KEY_MOVE_PAIRS === 0) moveEncryptionKeys(backend);
    trimResultPool(backend);
    const fixture = makeFixture(backend, first.values, first.helpers);
    return { fixture, fn: opFunction(c, fixture) };
  };
  const inputs = freshEachSlice(make(0), true, make, (x) => disposeFixture(x.fixture), disposers);
  return { run: () => inputs.current().fn(), beforeSlice: inputs.beforeSlice };
}

/** A side's placements (placements.ts), and a fixture on each, the first shared by the size and prompt cases. */
interface SideFixtures {
  readonly placements: readonly CkksBackend[];
  readonly fixtures: readonly Fixture[];
}

/** A timed call per placement of each side, rotated through from `offset` (placements.ts). */
function rotatingCase(calls: Record<SideName, readonly (() => Promise<unknown>)[]>, offset: number): Pick<PairCase & { kind: 'timed' }, 'run' | 'beforeSlice'> {
  const sides = { baseline: rotating(calls.baseline, offset), current: rotating(calls.current, offset) };
  return {
    run: { baseline: sides.baseline.run, current: sides.current.run },
    beforeSlice: { baseline: sides.baseline.beforeSlice, current: sides.current.beforeSlice },
  };
}

/** Where the proxy's batch cases are built: both sides' placements, the backend and n, the run's notes. */
interface BatchPairContext {
  readonly sides: Record<SideName, SideFixtures>;
  readonly backendName: CkksBackendName;
  readonly n: CkksPresetN;
  readonly notes: string[];
}

/**
 * A batch case's slice is a number of calls, not a time: a garbage collection of the whole
 * process (its fixtures on both sides) landing in a call made it 3–8× slower, and with a time
 * budget the slow calls also left fewer calls in their slice, so two or three of them were its
 * median (A/A pair ratios 0.37–2.8, σ 34–61 %). Twelve calls keep the median on the ordinary ones.
 */
const ANSWERS_SLICE = { ms: 1, minCalls: 12 } as const;

/** The proxy's answer path (bench/ckks-answers.ts) on both sides, when both backends have it. */
async function answersPairCases(at: BatchPairContext, offset: number): Promise<PairCase[]> {
  const { sides, backendName, n, notes } = at;
  const [c] = answersCases(backendName);
  if (c === undefined) return [];
  const missing = SIDES.filter((s) => !hasFramesDecoder(sides[s].placements[0]!));
  if (missing.length > 0) {
    notes.push(`${c.name} (n = ${n}) not paired: no batch decrypt + decode on the ${missing.join(' and ')} side`);
    return [];
  }
  const labels = ckksCaseLabels(c, backendName, n);
  const what = (s: SideName): string => `${s} side, ${backendName} backend at n = ${n}`;
  const calls = {} as Record<SideName, (() => Promise<unknown>)[]>;
  for (const s of SIDES) {
    calls[s] = [];
    for (const f of sides[s].fixtures) calls[s].push(await answersFunction(f.backend, f, c.ciphertexts, what(s)));
  }
  // A batch takes ~6 ms at n = 8192 on a worker thread: slices of several calls, so that one
  // disturbed call does not move a slice's median (as for the hoisted rotations).
  return [{ kind: 'timed', name: c.name, labels, unit: 'ms', ...rotatingCase(calls, offset), async: true, slice: ANSWERS_SLICE }];
}

/** The proxy's seeded batch encryption (bench/ckks-seeded-batch.ts) on both sides, when both backends have it. */
async function seededBatchPairCases(at: BatchPairContext, offset: number): Promise<PairCase[]> {
  const { sides, backendName, n, notes } = at;
  const [c] = seededBatchCases(backendName);
  if (c === undefined) return [];
  const missing = SIDES.filter((s) => !hasSeededBatch(sides[s].placements[0]!));
  if (missing.length > 0) {
    notes.push(`${c.name} (n = ${n}) not paired: no batch encode + encrypt on the ${missing.join(' and ')} side`);
    return [];
  }
  const labels = ckksCaseLabels(c, backendName, n);
  const what = (s: SideName): string => `${s} side, ${backendName} backend at n = ${n}`;
  const calls = {} as Record<SideName, (() => Promise<unknown>)[]>;
  for (const s of SIDES) {
    try {
      calls[s] = [];
      for (const backend of sides[s].placements) calls[s].push(await seededBatchFunction(backend, c.ciphertexts, what(s)));
    } catch (error) {
      // A reference from before seeded batches refuses key = secret: nothing to pair against.
      // The current side's failure is this change's, and fails the gate.
      if (s === 'current') throw error;
      notes.push(`${c.name} (n = ${n}) not paired: the baseline side cannot run it (${error instanceof Error ? error.message : String(error)})`);
      return [];
    }
  }
  // A chunk of 16 takes ~5 ms at n = 8192 on a worker thread: slices of several calls, as for the answers.
  return [{ kind: 'timed', name: c.name, labels, unit: 'ms', ...rotatingCase(calls, offset), async: true, slice: ANSWERS_SLICE }];
}

/**
 * The 1024-token prompt on both sides, its parts alternating (interleave.ts, `chunked`). Each
 * side moves to its next placement every KEY_MOVE_PAIRS pairs, from `offset`, as the operation
 * cases do: with one backend a side for the whole run, its public key and chunk buffers sat in
 * one place throughout, and a fresh-clone CI gate of unchanged code read
 * `ckks.prompt_encrypt{key=public}` ×1.319 [1.180, 1.484]. A placement's first use is an
 * untimed part, so that its chunk buffers are not first touched inside a pair.
 */
function promptPairCase(
  c: CkksCase & { kind: 'prompt' },
  labels: Labels,
  parts: readonly Float64Array[][],
  onSide: Record<SideName, SideFixtures>,
  native: boolean,
  offset: number,
  sides: Sides,
): PairCase {
  const symmetric = c.key === 'secret';
  const run = {} as Record<SideName, (part: number) => Promise<unknown>>;
  const beforePair = {} as Record<SideName, () => Promise<void>>;
  for (const s of SIDES) {
    const batch = native ? batchEncryptFn(sides[s].ckks) : undefined;
    const encrypt = (f: Fixture, part: number): Promise<unknown> =>
      batch
        ? batch(f.backend, parts[part]!, { symmetric, threads: c.threads, device: 'cpu' })
        : Promise.resolve(encryptLoop(f.backend, parts[part]!, symmetric, f.helpers));
    const fixtures = onSide[s].fixtures;
    const placement = rotating(
      fixtures.map((f) => () => f),
      offset,
    );
    const warm = new Set<Fixture>();
    run[s] = (part) => encrypt(placement.run(), part);
    beforePair[s] = async () => {
      placement.beforeSlice();
      const f = placement.run();
      if (warm.has(f)) return;
      warm.add(f);
      await encrypt(f, 0);
    };
  }
  return { kind: 'chunked', name: c.name, labels, unit: 'ms', chunks: parts.length, run, beforePair };
}

/** CKKS cases (the micro-benchmarks, the proxy's answer path, key switching, the ciphertext sizes, the 1024-token prompt on the CPU) on both sides. */
export async function ckksPairCases(sides: Sides, o: CkksPairOptions): Promise<BuiltCases> {
  const notes: string[] = [];
  const cases: PairCase[] = [];
  const disposers: (() => void)[] = [];
  const promptN = o.prompt ? (o.ns.includes(8192) ? 8192 : (o.ns[0] ?? null)) : null;
  try {
    for (const backendName of o.backends) {
      for (const n of o.ns) {
        const placements = await makePlacements(
          (s) => createBackend(backendName, sides[s].ckks.presetParams(n), sides[s].ckks, o.symmetricPrng, sides[s].ckks.createSealBackend),
          PLACEMENTS,
          disposers,
        );
        const onSide = {} as Record<SideName, SideFixtures>;
        for (const s of SIDES) {
          const values = seededValues(placements[s][0]!.slotCount);
          const made = placements[s].map((backend) => makeFixture(backend, values, { encryptValues: sides[s].ckks.encryptValues }));
          disposers.push(() => made.forEach(disposeFixture));
          onSide[s] = { placements: placements[s], fixtures: made };
        }
        const fixtures = { baseline: onSide.baseline.fixtures[0]!, current: onSide.current.fixtures[0]! };
        const list: CkksCase[] = [...OP_CASES];
        const noInPlace = SIDES.filter((s) => typeof (fixtures[s].backend as Partial<CkksBackend>).addInPlace !== 'function');
        if (noInPlace.length === 0) list.push(ADD_IN_PLACE_CASE);
        else notes.push(`${ADD_IN_PLACE_CASE.name} (n = ${n}) not paired: no addInPlace on the ${noInPlace.join(' and ')} side`);
        if (n === promptN) {
          const batchOn = SIDES.every((s) => batchEncryptFn(sides[s].ckks) !== undefined) && backendName === 'native';
          for (const threads of batchOn ? o.threads : [1]) for (const key of KEYS) list.push({ kind: 'prompt', name: 'ckks.prompt_encrypt', key, threads });
        }
        let vectors: Float64Array[] | null = null;
        for (const [index, c] of list.entries()) {
          const labels = ckksCaseLabels(c, backendName, n);
          if (c.kind === 'op') {
            const op = (s: SideName): ReturnType<typeof freshInputsOp> => freshInputsOp(c, onSide[s].placements, index, fixtures[s], disposers);
            const ops = { baseline: op('baseline'), current: op('current') };
            cases.push({
              kind: 'timed',
              name: c.name,
              labels,
              unit: 'ns',
              run: { baseline: ops.baseline.run, current: ops.current.run },
              async: false,
              beforeSlice: { baseline: ops.baseline.beforeSlice, current: ops.current.beforeSlice },
            });
          } else if (c.kind === 'bytes') {
            cases.push({
              kind: 'size',
              name: c.name,
              labels,
              unit: 'bytes',
              value: { baseline: () => serializedSize(fixtures.baseline, c.key), current: () => serializedSize(fixtures.current, c.key) },
            });
          } else if (c.kind === 'prompt') {
            vectors ??= promptVectors(fixtures.current.backend.slotCount);
            cases.push(promptPairCase(c, labels, splitVectors(vectors, o.promptChunks), onSide, backendName === 'native', index, sides));
          }
        }
        const at: BatchPairContext = { sides: onSide, backendName, n, notes };
        cases.push(...(await answersPairCases(at, list.length)));
        cases.push(...(await seededBatchPairCases(at, list.length + 1)));
        if (o.keySwitching ?? true) {
          const ks = { backendName, n, symmetricPrng: o.symmetricPrng, ...(o.wanted ? { wanted: o.wanted } : {}) };
          cases.push(...(await kswitchPairCases(sides, ks, notes, disposers)));
          cases.push(...(await matvecPairCases(sides, ks, notes, disposers)));
        }
      }
    }
  } catch (error) {
    disposers.forEach((d) => d());
    throw error;
  }
  return { cases, notes, dispose: () => disposers.forEach((d) => d()) };
}
