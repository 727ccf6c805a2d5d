/**
 * `hlp bench kernels`: tinybench suites over the native kernels — NTT forward/inverse and
 * element-wise mul_mod per variant, ring degree and prime size, and the pool vs malloc
 * allocator churn — gathered into one `hlp.run/1` document (suite `kernels`).
 */
import { randomFillSync } from 'node:crypto';
import {
  Allocator,
  KernelError,
  NttContext,
  VARIANTS,
  cpuFeatures,
  defaultVariant,
  generateNttPrimes,
  variants,
  type AllocatorKind,
  type AllocatorStats,
  type Variant,
  type VariantInfo,
} from '@hlp/kernels';
import { SCHEMA_VERSION, findRepoRoot, fingerprint, gitInfo, makeRunMetric, type Labels, type Metric, type RunMetricName, type RunResult } from '@hlp/results';
import { LabError } from '../errors.js';
import { SLOWDOWN_ENV, measure, parseSlowdown } from './measure.js';

export const SUITE = 'kernels';
export const DEFAULT_NS: readonly number[] = [1024, 4096, 8192, 16384, 32768];
export const DEFAULT_BITS: readonly number[] = [50, 60];
export const DEFAULT_TIME_MS = 1000;
export const QUICK_TIME_MS = 150;
/** Samples kept per metric in the document (the most recent); the summary covers all. */
export const SAMPLES_CAP = 2000;
export const ALLOC_SIZES: readonly number[] = [4096, 65536, 131072, 1048576, 4194304];
export const ALLOC_LIVE = 16;
export const ALLOC_ROUNDS = 10;
export const ALLOCATORS: readonly AllocatorKind[] = ['pool', 'malloc'];

const KERNEL_OPS = ['ntt.forward', 'ntt.inverse', 'eltwise.mul_mod'] as const satisfies readonly RunMetricName[];
export type KernelOp = (typeof KERNEL_OPS)[number];
/** Every metric `hlp bench kernels` writes. */
export const KERNELS_BENCH_METRICS = [...KERNEL_OPS, 'alloc.churn'] as const satisfies readonly RunMetricName[];

export type BenchCase =
  | { readonly kind: 'kernel'; readonly name: KernelOp; readonly variant: Variant; readonly n: number; readonly bits: number }
  | { readonly kind: 'alloc'; readonly name: 'alloc.churn'; readonly allocator: AllocatorKind };

export interface ProgressEvent {
  readonly phase: 'start' | 'done' | 'skipped';
  /** 1-based position of the case and the number of cases. */
  readonly index: number;
  readonly total: number;
  readonly name: string;
  readonly labels: Labels;
  readonly metric?: Metric;
  readonly reason?: string;
}

export interface KernelsBenchOptions {
  /** Variants to run (default: all); unavailable ones are skipped with a note. */
  readonly variants?: readonly Variant[];
  readonly ns?: readonly number[];
  readonly bits?: readonly number[];
  /** tinybench time budget per case, ms. */
  readonly timeMs?: number;
  /** Warm-up budget per case, ms (default timeMs / 5). */
  readonly warmupMs?: number;
  readonly quick?: boolean;
  /** Include the allocator churn suite (default true). */
  readonly alloc?: boolean;
  readonly samplesCap?: number;
  readonly progress?: (event: ProgressEvent) => void;
  readonly note?: (line: string) => void;
}

export interface KernelsBenchOutcome {
  readonly result: RunResult;
  readonly notes: readonly string[];
  readonly variantsRun: readonly Variant[];
  readonly allocStats: Readonly<Partial<Record<AllocatorKind, AllocatorStats>>>;
}

export function caseLabels(c: BenchCase): Labels {
  return c.kind === 'kernel' ? { variant: c.variant, n: c.n, bits: c.bits } : { allocator: c.allocator, per: 'round', live: ALLOC_LIVE, rounds: ALLOC_ROUNDS };
}

/** Uniform-ish random residues below q (crypto randomness reduced mod q; the bias is irrelevant here). */
export function randomResidues(q: bigint, count: number): BigUint64Array {
  const data = new BigUint64Array(count);
  randomFillSync(data);
  for (let i = 0; i < count; i++) data[i] = data[i]! % q;
  return data;
}

function selectVariants(requested: readonly Variant[] | undefined, info: readonly VariantInfo[], note: (line: string) => void): Variant[] {
  const wanted = requested ?? VARIANTS;
  const run: Variant[] = [];
  for (const name of wanted) {
    const v = info.find((i) => i.name === name);
    if (!v || !v.available) {
      note(`skipping variant ${name}: ${v?.compiled ? 'not available on this machine' : 'not compiled into this build'}`);
      continue;
    }
    run.push(name);
  }
  if (run.length === 0) {
    const available = info.filter((i) => i.available).map((i) => i.name);
    throw new LabError('INFRA', `none of the requested variants (${wanted.join(', ')}) is available here; available: ${available.join(', ') || 'none'}`);
  }
  return run;
}

function planCases(vs: readonly Variant[], ns: readonly number[], bits: readonly number[], alloc: boolean): BenchCase[] {
  const cases: BenchCase[] = [];
  for (const b of bits) for (const n of ns) for (const variant of vs) for (const name of KERNEL_OPS) cases.push({ kind: 'kernel', name, variant, n, bits: b });
  if (alloc) for (const allocator of ALLOCATORS) cases.push({ kind: 'alloc', name: 'alloc.churn', allocator });
  return cases;
}

interface RingData {
  readonly ctx: NttContext;
  readonly data: BigUint64Array;
  readonly a: BigUint64Array;
  readonly b: BigUint64Array;
  readonly out: BigUint64Array;
}

export async function runKernelsBench(options: KernelsBenchOptions = {}): Promise<KernelsBenchOutcome> {
  const startedAt = new Date().toISOString();
  const notes: string[] = [];
  const note = (line: string): void => {
    notes.push(line);
    options.note?.(line);
  };
  const quick = options.quick ?? false;
  const timeMs = options.timeMs ?? (quick ? QUICK_TIME_MS : DEFAULT_TIME_MS);
  const warmupMs = options.warmupMs ?? Math.max(1, Math.round(timeMs / 5));
  const samplesCap = options.samplesCap ?? SAMPLES_CAP;
  const ns = [...new Set(options.ns ?? DEFAULT_NS)].sort((x, y) => x - y);
  const bitsList = [...new Set(options.bits ?? DEFAULT_BITS)].sort((x, y) => x - y);
  const withAlloc = options.alloc ?? true;
  const slowdown = process.env[SLOWDOWN_ENV] || null;
  if (slowdown) {
    parseSlowdown(slowdown); // malformed: a usage error before measuring
    note(`${SLOWDOWN_ENV}=${slowdown}: matching cases are made slower on purpose (for testing the gate)`);
  }

  const [machine, git] = await Promise.all([fingerprint(), gitInfo(findRepoRoot() ?? process.cwd())]);
  const info = variants();
  const vs = selectVariants(options.variants ? [...new Set(options.variants)] : undefined, info, note);

  // One prime per size, NTT-friendly for the largest n, so every n shares it.
  const maxN = ns[ns.length - 1] ?? 2;
  const primes = new Map<number, bigint>();
  for (const b of bitsList) {
    const [q] = generateNttPrimes(b, maxN, 1);
    if (q === undefined) throw new LabError('KERNEL', `no ${b}-bit NTT prime for n = ${maxN}`);
    primes.set(b, q);
  }

  const cases = planCases(vs, ns, bitsList, withAlloc);
  const metrics: Metric[] = [];
  const allocStats: Partial<Record<AllocatorKind, AllocatorStats>> = {};
  const total = cases.length;
  let ring: { key: string; value: RingData } | undefined;

  const dropRing = (): void => {
    ring?.value.ctx.dispose();
    ring = undefined;
  };
  const ringFor = (n: number, bits: number): RingData => {
    const key = `${n}/${bits}`;
    if (ring?.key === key) return ring.value;
    dropRing();
    const q = primes.get(bits)!;
    const value: RingData = {
      ctx: new NttContext(n, [q]),
      data: randomResidues(q, n),
      a: randomResidues(q, n),
      b: randomResidues(q, n),
      out: new BigUint64Array(n),
    };
    ring = { key, value };
    return value;
  };

  try {
    for (const [i, c] of cases.entries()) {
      const labels = caseLabels(c);
      const index = i + 1;
      options.progress?.({ phase: 'start', index, total, name: c.name, labels });
      let samples: number[];
      try {
        if (c.kind === 'kernel') {
          const r = ringFor(c.n, c.bits);
          const call = { variant: c.variant, checkInput: false } as const;
          const fn =
            c.name === 'ntt.forward'
              ? () => r.ctx.forward(r.data, call)
              : c.name === 'ntt.inverse'
                ? () => r.ctx.inverse(r.data, call)
                : () => r.ctx.mulMod(r.out, r.a, r.b, call);
          samples = await measure(fn, { timeMs, warmupMs, minIterations: 64, metric: { name: c.name, labels } });
        } else {
          dropRing();
          const allocator = new Allocator(c.allocator);
          try {
            samples = await measure(() => allocator.churn(ALLOC_SIZES, ALLOC_LIVE, ALLOC_ROUNDS), {
              timeMs,
              warmupMs,
              minIterations: 16,
              warmupIterations: 2,
              opsPerCall: ALLOC_ROUNDS,
              metric: { name: c.name, labels },
            });
            allocStats[c.allocator] = allocator.stats();
          } finally {
            allocator.dispose();
          }
        }
      } catch (error) {
        if (error instanceof KernelError && error.code === 'VARIANT_UNAVAILABLE') {
          const reason = error.message;
          note(
            `skipping ${c.name} ${Object.entries(labels)
              .map(([k, v]) => `${k}=${String(v)}`)
              .join(' ')}: ${reason}`,
          );
          options.progress?.({ phase: 'skipped', index, total, name: c.name, labels, reason });
          continue;
        }
        throw error;
      }
      if (samples.length === 0) throw new LabError('INTERNAL', `no samples measured for ${c.name}`);
      const metric = makeRunMetric(c.name, { labels, samples, keep: samplesCap });
      metrics.push(metric);
      options.progress?.({ phase: 'done', index, total, name: c.name, labels, metric });
    }
  } finally {
    dropRing();
  }

  const config: Record<string, unknown> = {
    quick,
    timeMs,
    warmupMs,
    samplesCap,
    requestedVariants: options.variants ? [...options.variants] : null,
    variants: vs,
    n: ns,
    bits: bitsList,
    primes: Object.fromEntries([...primes].map(([b, q]) => [String(b), q.toString()])),
    checkInput: false,
    ...(slowdown ? { slowdown } : {}),
    timer: 'process.hrtime.bigint per call, tinybench overriddenDuration',
    kernels: { cpuFeatures: cpuFeatures(), defaultVariant: defaultVariant(), variants: info },
    ...(withAlloc ? { alloc: { sizes: ALLOC_SIZES, live: ALLOC_LIVE, rounds: ALLOC_ROUNDS, per: 'round', stats: allocStats } } : {}),
    notes,
  };
  const result: RunResult = {
    schema: SCHEMA_VERSION,
    suite: SUITE,
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    git,
    config,
    metrics,
  };
  return { result, notes, variantsRun: vs, allocStats };
}
