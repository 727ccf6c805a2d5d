/**
 * The run-result document, schema `hlp.run/1` (DESIGN §8). One document per measuring run.
 *
 * Stable (scripts, the gate and dashboards rely on it): `schema`, `suite`, `machine`, `git`,
 * and per metric `name`, `unit`, `better`, `labels`, `summary.n/median/p95/ci95`, `samples`.
 * Objects are loose: extra fields are kept, so the shape can be extended without a new
 * schema version; remove or retype a stable field only with a new version.
 */
import { z } from 'zod';

export const SCHEMA_VERSION = 'hlp.run/1' as const;

const isoDateTime = z.iso.datetime({ offset: true });

export const LabelValue = z.union([z.string(), z.number(), z.boolean()]);
export type LabelValue = z.infer<typeof LabelValue>;

export const Labels = z.record(z.string(), LabelValue);
export type Labels = z.infer<typeof Labels>;

export const Summary = z.looseObject({
  n: z.number().int().positive(),
  min: z.number(),
  p50: z.number(),
  p90: z.number(),
  p95: z.number(),
  p99: z.number(),
  max: z.number(),
  mean: z.number(),
  median: z.number(),
  /** 95 % confidence interval of the median, from order statistics. */
  ci95: z.tuple([z.number(), z.number()]),
});
export type Summary = z.infer<typeof Summary>;

export const SeriesPoint = z.looseObject({
  /** Milliseconds since the start of the run (or of the metric's case). */
  t: z.number(),
  value: z.number(),
});
export type SeriesPoint = z.infer<typeof SeriesPoint>;

export const Metric = z.looseObject({
  /** Stable dotted name, e.g. `ntt.forward`. */
  name: z.string().min(1),
  /** Unit of `samples` and `summary`, e.g. `ns`, `ops/s`, `bytes`, `ratio`. */
  unit: z.string().min(1),
  better: z.enum(['lower', 'higher']),
  labels: Labels,
  /** Statistics over every sample measured (summary.n may exceed samples.length). */
  summary: Summary,
  /** Raw samples in measurement order; may be capped to the most recent ones. */
  samples: z.array(z.number()),
  series: z.array(SeriesPoint).optional(),
});
export type Metric = z.infer<typeof Metric>;

export const Verdict = z.looseObject({
  name: z.string().min(1),
  status: z.string().min(1),
  detail: z.unknown().optional(),
});
export type Verdict = z.infer<typeof Verdict>;

export const GpuInfo = z.looseObject({
  name: z.string(),
  /** As reported by nvidia-smi (MiB). */
  memoryMiB: z.number().nonnegative(),
});
export type GpuInfo = z.infer<typeof GpuInfo>;

export const MachineFingerprint = z.looseObject({
  /** `uname -m` style: x86_64, aarch64, … */
  arch: z.string(),
  cpuModel: z.string(),
  /** The CPU flags that matter to the kernels (subset of /proc/cpuinfo), in a fixed order. */
  cpuFlags: z.array(z.string()),
  logicalCores: z.number().int().positive(),
  memoryBytes: z.number().int().nonnegative(),
  os: z.looseObject({
    platform: z.string(),
    /** Kernel release (`uname -r`). */
    release: z.string(),
    /** Kernel version string (`uname -v`). */
    version: z.string(),
    /** Distribution, from /etc/os-release PRETTY_NAME; null when unknown. */
    distro: z.string().nullable(),
  }),
  /** process.version, e.g. v20.20.2. */
  node: z.string(),
  /** One entry per NVIDIA GPU; null when nvidia-smi is absent or lists none. */
  gpu: z.array(GpuInfo).nullable(),
  /** Short stable slug naming the machine class, used for baseline file names. */
  machineClass: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
});
export type MachineFingerprint = z.infer<typeof MachineFingerprint>;

export const GitInfo = z.looseObject({
  commit: z.string().nullable(),
  /** Tracked files differ from HEAD (untracked files do not count). */
  dirty: z.boolean().nullable(),
  /** null on a detached HEAD or outside a checkout. */
  branch: z.string().nullable(),
});
export type GitInfo = z.infer<typeof GitInfo>;

export const RunResult = z.looseObject({
  schema: z.literal(SCHEMA_VERSION),
  suite: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'suite must be a slug ([A-Za-z0-9._-])'),
  scenario: z.string().optional(),
  startedAt: isoDateTime,
  finishedAt: isoDateTime,
  machine: MachineFingerprint,
  git: GitInfo,
  config: z.record(z.string(), z.unknown()),
  metrics: z.array(Metric),
  verdicts: z.array(Verdict).optional(),
});
export type RunResult = z.infer<typeof RunResult>;
