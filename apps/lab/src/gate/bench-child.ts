/**
 * Benchmarks in fresh child processes (`hlp bench <suite>`), and the arguments that narrow a
 * run to the cases of some series: what the gate re-measures and what the paired gate runs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResultsError, isMetric, readRun, type Metric, type RunResult } from '@hlp/results';
import { LabError } from '../errors.js';
import { runBenchChild } from '../bench/child.js';

/** Reads a run document named on the command line: any failure is a usage error (exit 2). */
export async function readRunArg(path: string): Promise<RunResult> {
  try {
    return await readRun(path);
  } catch (error) {
    if (error instanceof ResultsError) throw new LabError('USAGE', `cannot use run ${path}: ${error.message}`, { cause: error });
    throw error;
  }
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function uniqueOf<T>(values: readonly (T | undefined)[]): T[] {
  return [...new Set(values.filter((v): v is T => v !== undefined))];
}

/** The kernel-suite filters (variants, n, bits, alloc) that re-measure exactly these series' cases. */
export function kernelFilters(suspects: readonly Metric[]): { variants: string[]; ns: number[]; bits: number[]; alloc: boolean } {
  const isAlloc = isMetric('alloc.churn');
  const kernel = suspects.filter((m) => !isAlloc(m));
  return {
    variants: uniqueOf(kernel.map((m) => (typeof m.labels['variant'] === 'string' ? m.labels['variant'] : undefined))),
    ns: uniqueOf(kernel.map((m) => num(m.labels['n']))),
    bits: uniqueOf(kernel.map((m) => num(m.labels['bits']))),
    alloc: suspects.some(isAlloc),
  };
}

/**
 * Runs `hlp bench <suite> …args` in a fresh child process (as the gated run was measured:
 * a first run in a process measures differently from a second one in the same process) and
 * returns its run document.
 */
export async function benchInChild(
  suite: string,
  args: readonly string[],
  options: { bin?: string; cwd?: string; env?: NodeJS.ProcessEnv; dir?: string } = {},
): Promise<RunResult> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'hlp-bench-')));
  const out = join(dir, `${suite}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.json`);
  try {
    const r = await runBenchChild([suite, ...args], out, {
      ...(options.bin === undefined ? {} : { bin: options.bin }),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      env: { ...(options.env ?? process.env), HLP_RUNS_DIR: dir },
    });
    if (r.code !== 0)
      throw new LabError(
        r.code === 2 ? 'INFRA' : 'INTERNAL',
        `hlp bench ${suite} ${args.join(' ')} failed (exit ${r.code}):\n${r.output.trim().split('\n').slice(-10).join('\n')}`,
      );
    return await readRunArg(out);
  } finally {
    if (options.dir) await rm(out, { force: true });
    else await rm(dir, { recursive: true, force: true });
  }
}

/** Splits a --bench-args string on whitespace (no quoting needed for bench options). */
export function splitArgs(text: string): string[] {
  return text.split(/\s+/).filter((s) => s.length > 0);
}

/** `args` without the kernel filters (--variant, --n, --bits with their values, --no-alloc). */
export function withoutKernelFilters(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--variant' || a === '--n' || a === '--bits') {
      i++;
      continue;
    }
    if (/^--(variant|n|bits)=/.test(a) || a === '--no-alloc') continue;
    out.push(a);
  }
  return out;
}

/** Bench arguments that re-measure just the suspects' cases (kernels), else `args` unchanged. */
export function remeasureArgs(suite: string, args: readonly string[], suspects: readonly Metric[]): string[] {
  if (suite !== 'kernels') return [...args];
  const f = kernelFilters(suspects);
  const out = withoutKernelFilters(args);
  if (f.variants.length > 0) out.push('--variant', f.variants.join(','));
  if (f.ns.length > 0) out.push('--n', f.ns.join(','));
  if (f.bits.length > 0) out.push('--bits', f.bits.join(','));
  if (!f.alloc) out.push('--no-alloc');
  return out;
}
