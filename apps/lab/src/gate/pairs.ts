/**
 * `hlp bench kernels|ckks --pair-with <checkout>`: this checkout (B) and another built
 * checkout (A) measured interleaved in one process, in alternating slices. Writes an
 * `hlp.pairs/1` document: the rounds of the paired decision and B's pooled run. This is what
 * `hlp gate --against` runs for each benchmark step.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Metric, RunResult, SCHEMA_VERSION, findRepoRoot, fingerprint, gitInfo, parseRun, type Labels } from '@hlp/results';
import type { PairedRound } from '@hlp/gate';
import { z } from 'zod';
import { SLOWDOWN_ENV, matchesSelector, parseCaseSelector, parseSlowdown, slowdownFor, splitSelectors, type CaseSelector } from '../bench/measure.js';
import { LabError } from '../errors.js';
import { formatLabels, formatNs } from '../format.js';
import { measureInterleaved, type PairCase } from './interleave.js';
import { candidateSide, ckksPairCases, kernelPairCases, loadSide, type BuiltCases } from './pair-cases.js';
import type { CkksBackendName, CkksPresetN } from '../options.js';
import type { Io } from '../io.js';

export const PAIRS_SCHEMA = 'hlp.pairs/1';
export const DEFAULT_PAIRS = 24;
/** Slices of the micro-benchmark cases: long enough for dozens of calls, short against the machine's speed steps. */
export const SLICE_MS = 12;
/** Prompt cases (≈0.5 s a prompt) get this share of the pairs (all: at half, 1 in 10 prompt slowdowns of 20 % went uncaught). */
export const PROMPT_PAIRS_SHARE = 1;
/** A paired prompt is encrypted in this many chunks, alternating between the sides (see pair-cases.ts). */
export const PROMPT_CHUNKS = 12;

export const PairsDocument = z.object({
  schema: z.literal(PAIRS_SCHEMA),
  suite: z.enum(['kernels', 'ckks']),
  reference: z.object({ root: z.string(), commit: z.string().nullable() }),
  seconds: z.number(),
  notes: z.array(z.string()),
  rounds: z.array(z.object({ baseline: z.array(Metric), current: z.array(Metric) })),
  current: RunResult,
});
export type PairsDocument = z.infer<typeof PairsDocument>;

export type PairsSpec =
  | {
      readonly suite: 'kernels';
      readonly variants: readonly string[];
      readonly ns: readonly number[];
      readonly bits: readonly number[];
      readonly alloc: boolean;
    }
  | {
      readonly suite: 'ckks';
      readonly backends: readonly CkksBackendName[];
      readonly ns: readonly CkksPresetN[];
      readonly threads: readonly number[];
      readonly prompt: boolean;
      readonly symmetricPrng: 'shake256' | 'aes256ctr';
      /** Pair ckks.relinearize, rotate, mul_relin_rescale, rotate_hoisted and matvec too (`--no-key-switching`: not). */
      readonly keySwitching: boolean;
    };

const ONLY_FORM = 'name{label=value;…}, e.g. ntt.forward{variant=avx2}';

/** Parses the selectors of --only; USAGE on anything malformed. */
export function parseCaseSelectors(text: string): CaseSelector[] {
  return splitSelectors(text).map((entry) => parseCaseSelector(entry, '--only', ONLY_FORM));
}

/** The selector naming exactly this series (every label). */
export function selectorOf(name: string, labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${String(v)}`);
  return parts.length > 0 ? `${name}{${parts.join(';')}}` : name;
}

function selected(c: PairCase, only: readonly CaseSelector[] | undefined): boolean {
  return !only || only.some((s) => matchesSelector(s, c.name, c.labels));
}

async function buildCases(spec: PairsSpec, referenceRoot: string, root: string, only: readonly CaseSelector[] | undefined): Promise<BuiltCases> {
  const sides = { baseline: await loadSide(referenceRoot), current: candidateSide(root) };
  if (spec.suite === 'kernels') return kernelPairCases(sides, spec);
  const wanted = only ? (name: string, labels: Labels) => only.some((s) => matchesSelector(s, name, labels)) : undefined;
  return await ckksPairCases(sides, { ...spec, promptChunks: PROMPT_CHUNKS, ...(wanted ? { wanted } : {}) });
}

function slowdownRule(): ((name: string, labels: Labels) => number) | undefined {
  const spec = process.env[SLOWDOWN_ENV];
  if (!spec) return undefined;
  parseSlowdown(spec);
  return (name, labels) => slowdownFor(name, labels);
}

/** Measures `spec` on both checkouts interleaved and returns the pairs document. */
export async function runPairs(spec: PairsSpec, referenceRoot: string, pairs: number, io: Io, only?: readonly CaseSelector[]): Promise<PairsDocument> {
  const startedAt = new Date().toISOString();
  const root = findRepoRoot() ?? process.cwd();
  const built = await buildCases(spec, resolve(referenceRoot), root, only);
  const notes = [...built.notes];
  const slowdown = slowdownRule();
  if (slowdown)
    notes.push(
      `${SLOWDOWN_ENV}=${process.env[SLOWDOWN_ENV]}: matching cases of this checkout (not the reference) are made slower on purpose (for testing the gate)`,
    );
  for (const n of notes) io.stderr.write(`note: ${n}\n`);
  try {
    const cases = built.cases.filter((c) => selected(c, only));
    if (cases.length === 0)
      throw new LabError(only ? 'USAGE' : 'INFRA', `nothing to pair: no ${spec.suite} case ${only ? 'matches --only and ' : ''}is available on both sides`);
    const promptPairs = Math.max(2, Math.round(pairs * PROMPT_PAIRS_SHARE));
    const withPairs: PairCase[] = cases.map((c) => (c.kind === 'chunked' ? { ...c, pairs: promptPairs } : c));
    const outcome = await measureInterleaved(withPairs, {
      pairs,
      sliceMs: SLICE_MS,
      minCalls: 3,
      warmupCalls: 8,
      ...(slowdown ? { slowdown } : {}),
      progress: (c, i, total) => io.stderr.write(`[${i}/${total}] ${c.name} ${formatLabels(c.labels)}\n`),
    });
    const [machine, git, refGit] = await Promise.all([fingerprint(), gitInfo(root), gitInfo(resolve(referenceRoot))]);
    const current = parseRun(
      {
        schema: SCHEMA_VERSION,
        suite: spec.suite,
        startedAt,
        finishedAt: new Date().toISOString(),
        machine,
        git,
        config: {
          pairedWith: { root: resolve(referenceRoot), commit: refGit.commit },
          pairs,
          promptPairs,
          sliceMs: SLICE_MS,
          promptChunks: PROMPT_CHUNKS,
          ...(only ? { only: only.map((s) => selectorOf(s.name, s.labels)) } : {}),
          ...spec,
          notes,
        },
        metrics: outcome.current,
      },
      `the ${spec.suite} pairs produced an invalid run document`,
    );
    for (const m of outcome.current)
      io.stderr.write(
        `  ${m.name} ${formatLabels(m.labels)}  median ${m.unit === 'bytes' ? `${m.summary.median} B` : formatNs(m.summary.median * (m.unit === 'ms' ? 1e6 : 1))}\n`,
      );
    return {
      schema: PAIRS_SCHEMA,
      suite: spec.suite,
      reference: { root: resolve(referenceRoot), commit: refGit.commit },
      seconds: outcome.seconds,
      notes,
      rounds: outcome.rounds,
      current,
    };
  } finally {
    built.dispose();
  }
}

/** Runs the pairs and writes the document to `out`. */
export async function benchPairs(spec: PairsSpec, referenceRoot: string, pairs: number, out: string, io: Io, only?: string): Promise<void> {
  const selectors = only === undefined ? undefined : parseCaseSelectors(only);
  const target = resolve(out);
  await mkdir(dirname(target), { recursive: true });
  const doc = await runPairs(spec, referenceRoot, pairs, io, selectors);
  await writeFile(target, `${JSON.stringify(doc)}\n`);
  io.stderr.write(`wrote ${target} (${doc.rounds.length} pairs in ${doc.seconds.toFixed(1)} s)\n`);
}

/** Reads a pairs document; a malformed one is an infrastructure error (the gate wrote it). */
export async function readPairs(path: string): Promise<{ rounds: PairedRound[]; current: RunResult; notes: string[]; seconds: number }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new LabError('INFRA', `cannot read pairs document ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const parsed = PairsDocument.safeParse(raw);
  if (!parsed.success) throw new LabError('INFRA', `pairs document ${path} is invalid: ${parsed.error.message}`);
  return parsed.data;
}
