/**
 * Stored baselines, schema `hlp.baseline/1`: `baselines/<suite>/<machine class>.json`, one
 * per suite and machine class (from the fingerprint), plus the calibration benchmark
 * measured when it was recorded, so that another machine can normalise against it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { GitInfo, MachineFingerprint, Metric, findRepoRoot, formatIssues, stringifyRun, type RunResult } from '@hlp/results';
import { z } from 'zod';
import { GateError, describeIssues } from './errors.js';
import { poolRuns } from './pool.js';

export const BASELINE_SCHEMA = 'hlp.baseline/1' as const;
/** Raw samples kept per metric in a baseline file (pooled runs are thinned to this). */
export const BASELINE_SAMPLES_CAP = 2000;
/** Metric names starting with this prefix are calibration benchmarks, never gated. */
export const CALIBRATION_PREFIX = 'calibration.';

const slug = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a slug ([A-Za-z0-9._-])');

export const BaselineSource = z.looseObject({
  startedAt: z.iso.datetime({ offset: true }),
  commit: z.string().nullable(),
  path: z.string().nullable().optional(),
});

export const Baseline = z.looseObject({
  schema: z.literal(BASELINE_SCHEMA),
  suite: slug,
  machineClass: slug,
  recordedAt: z.iso.datetime({ offset: true }),
  machine: MachineFingerprint,
  git: GitInfo,
  /** The runs pooled into this baseline. */
  sources: z.array(BaselineSource).min(1),
  /** The first run's configuration (what was measured, how long). */
  config: z.record(z.string(), z.unknown()),
  /** The calibration benchmark on the recording machine; null when not measured. */
  calibration: Metric.nullable(),
  metrics: z.array(Metric),
});
export type Baseline = z.infer<typeof Baseline>;

/** `$HLP_BASELINES_DIR`, else `<repo root>/baselines`, else `<cwd>/baselines`. */
export function defaultBaselinesDir(cwd: string = process.cwd()): string {
  const env = process.env['HLP_BASELINES_DIR'];
  if (env) return resolve(cwd, env);
  return join(findRepoRoot(cwd) ?? resolve(cwd), 'baselines');
}

export function baselinePath(dir: string, suite: string, machineClass: string): string {
  return join(resolve(dir), suite, `${machineClass}.json`);
}

export interface MakeBaselineOptions {
  readonly calibration?: Metric | null;
  readonly recordedAt?: Date;
  /** Paths of the run files, in the order of `runs` (null where a run was not read from a file). */
  readonly paths?: readonly (string | null)[];
  readonly cap?: number;
}

/** A baseline from one or more runs of one suite on one machine class (samples pooled). */
export function makeBaseline(runs: readonly RunResult[], options: MakeBaselineOptions = {}): Baseline {
  const pooled = poolRuns(runs, options.cap ?? BASELINE_SAMPLES_CAP);
  const value: Baseline = {
    schema: BASELINE_SCHEMA,
    suite: pooled.suite,
    machineClass: pooled.machine.machineClass,
    recordedAt: (options.recordedAt ?? new Date()).toISOString(),
    machine: pooled.machine,
    git: pooled.git,
    sources: runs.map((r, i) => ({ startedAt: r.startedAt, commit: r.git.commit, path: options.paths?.[i] ?? null })),
    config: pooled.config,
    calibration: options.calibration ?? null,
    metrics: pooled.metrics.filter((m) => !m.name.startsWith(CALIBRATION_PREFIX)),
  };
  return parseBaseline(value, 'refusing to build an invalid baseline');
}

/** Validates an unknown value as a baseline; GateError INVALID_BASELINE names the fields. */
export function parseBaseline(value: unknown, what = 'invalid baseline'): Baseline {
  const parsed = Baseline.safeParse(value);
  if (!parsed.success) {
    const issues = formatIssues(parsed.error);
    throw new GateError('INVALID_BASELINE', `${what}: ${describeIssues(issues)}`, issues, { cause: parsed.error });
  }
  return parsed.data;
}

export async function readBaseline(path: string): Promise<Baseline> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'BASELINE_NOT_FOUND' : 'IO';
    throw new GateError(code, `cannot read baseline ${path}: ${error instanceof Error ? error.message : String(error)}`, [], { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new GateError('INVALID_BASELINE', `invalid baseline ${path}: not JSON (${error instanceof Error ? error.message : String(error)})`, [
      { path: '', message: 'not JSON' },
    ]);
  }
  return parseBaseline(value, `invalid baseline ${path}`);
}

/** Validates and writes `baseline` to `path` atomically (temporary file, then rename). */
export async function writeBaseline(baseline: Baseline, path: string): Promise<string> {
  const valid = parseBaseline(baseline, 'refusing to write an invalid baseline');
  const file = resolve(path);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(file), { recursive: true });
    // stringifyRun keeps arrays of numbers on one line; it only formats, the shape is ours.
    await writeFile(tmp, stringifyRun(valid as unknown as RunResult), { encoding: 'utf8', flag: 'wx' });
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw new GateError('IO', `cannot write baseline ${file}: ${error instanceof Error ? error.message : String(error)}`, [], { cause: error });
  }
  return file;
}

export interface FoundBaseline {
  readonly path: string;
  /** The file is for the requested machine class (false: another class, calibration needed). */
  readonly exact: boolean;
}

/**
 * `<dir>/<suite>/<machineClass>.json` when it exists; otherwise another machine class of the
 * suite (same architecture first, then by name) for a calibrated comparison; null when the
 * suite has no baseline at all.
 */
export async function findBaseline(dir: string, suite: string, machineClass: string): Promise<FoundBaseline | null> {
  const root = join(resolve(dir), suite);
  let names: string[];
  try {
    names = (await readdir(root)).filter((n) => n.endsWith('.json') && !n.endsWith('.tmp'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new GateError('IO', `cannot list ${root}: ${error instanceof Error ? error.message : String(error)}`, [], { cause: error });
  }
  if (names.includes(`${machineClass}.json`)) return { path: join(root, `${machineClass}.json`), exact: true };
  const arch = machineClass.split('-')[0] ?? '';
  const sorted = names.sort((a, b) => Number(!a.startsWith(`${arch}-`)) - Number(!b.startsWith(`${arch}-`)) || a.localeCompare(b));
  return sorted[0] ? { path: join(root, sorted[0]), exact: false } : null;
}
