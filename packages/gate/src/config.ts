/**
 * Gate configuration: thresholds (default and per metric) and the statistics settings.
 * External input (a JSON file), validated with zod; unknown fields are errors, so a typo
 * such as `"regres"` never silently falls back to the defaults.
 */
import { readFile } from 'node:fs/promises';
import { Labels, formatIssues } from '@hlp/results';
import { z } from 'zod';
import { GateError, describeIssues } from './errors.js';

export const CONFIG_SCHEMA = 'hlp.gate-config/1' as const;

/** Relative change that counts: `regress` 0.10 = fail when more than 10 % worse. */
export interface Thresholds {
  readonly regress: number;
  readonly improve: number;
}

/** The origin document's rule: fail when more than 10 % worse, report an improvement past 5 %. */
export const DEFAULT_THRESHOLDS: Thresholds = { regress: 0.1, improve: 0.05 };
export const DEFAULT_RESAMPLES = 2000;
export const DEFAULT_CONFIDENCE = 0.95;
export const DEFAULT_MAX_SAMPLES_PER_SIDE = 1000;
export const DEFAULT_MIN_SAMPLES = 5;
export const DEFAULT_SEED = 20251126;

const regress = z.number().gt(0, 'regress must be > 0').max(10, 'regress must be at most 10 (1000 %)');
const improve = z.number().gt(0, 'improve must be > 0').lt(1, 'improve must be < 1');

export const ThresholdRule = z.strictObject({
  /** Metric name; `*` matches any run of characters (`ntt.*`). */
  name: z.string().min(1),
  /** Labels the metric must carry (a subset match); absent: every label set. */
  labels: Labels.optional(),
  regress: regress.optional(),
  improve: improve.optional(),
});
export type ThresholdRule = z.infer<typeof ThresholdRule>;

export const GateConfigFile = z.strictObject({
  schema: z.literal(CONFIG_SCHEMA).optional(),
  thresholds: z
    .strictObject({
      default: z.strictObject({ regress: regress.optional(), improve: improve.optional() }).optional(),
      /** Applied in order; a later matching rule overrides the fields it sets. */
      metrics: z.array(ThresholdRule).optional(),
    })
    .optional(),
  /** Bootstrap resamples (default 2000). */
  resamples: z.number().int().min(100).max(100_000).optional(),
  /** Confidence level of the interval (default 0.95). */
  confidence: z.number().gt(0.5).lt(1).optional(),
  /** Samples per side fed to the bootstrap, thinned deterministically by quantiles (default 1000). */
  maxSamplesPerSide: z.number().int().min(11).max(100_000).optional(),
  /** Fewer raw samples than this on either side: inconclusive, no noise model (default 5). */
  minSamples: z.number().int().min(2).max(1_000_000).optional(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .optional(),
  /** Metric names (with `*`) that are not compared at all. */
  ignore: z.array(z.string().min(1)).optional(),
});
export type GateConfigFile = z.infer<typeof GateConfigFile>;

export interface GateConfig {
  readonly defaultThresholds: Thresholds;
  readonly rules: readonly ThresholdRule[];
  readonly resamples: number;
  readonly confidence: number;
  readonly maxSamplesPerSide: number;
  readonly minSamples: number;
  readonly seed: number;
  readonly ignore: readonly string[];
}

/** Validates `raw` (undefined: every default) into a GateConfig; GateError INVALID_CONFIG names the fields. */
export function resolveConfig(raw: unknown = {}, what = 'invalid gate configuration'): GateConfig {
  const parsed = GateConfigFile.safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = formatIssues(parsed.error);
    throw new GateError('INVALID_CONFIG', `${what}: ${describeIssues(issues)}`, issues, { cause: parsed.error });
  }
  const c = parsed.data;
  return {
    defaultThresholds: {
      regress: c.thresholds?.default?.regress ?? DEFAULT_THRESHOLDS.regress,
      improve: c.thresholds?.default?.improve ?? DEFAULT_THRESHOLDS.improve,
    },
    rules: c.thresholds?.metrics ?? [],
    resamples: c.resamples ?? DEFAULT_RESAMPLES,
    confidence: c.confidence ?? DEFAULT_CONFIDENCE,
    maxSamplesPerSide: c.maxSamplesPerSide ?? DEFAULT_MAX_SAMPLES_PER_SIDE,
    minSamples: c.minSamples ?? DEFAULT_MIN_SAMPLES,
    seed: c.seed ?? DEFAULT_SEED,
    ignore: c.ignore ?? [],
  };
}

/** Reads and validates a gate configuration file (JSON). */
export async function readConfig(path: string): Promise<GateConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new GateError('IO', `cannot read gate configuration ${path}: ${error instanceof Error ? error.message : String(error)}`, [], { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new GateError('INVALID_CONFIG', `invalid gate configuration ${path}: not JSON (${error instanceof Error ? error.message : String(error)})`, [
      { path: '', message: 'not JSON' },
    ]);
  }
  return resolveConfig(value, `invalid gate configuration ${path}`);
}

function globRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/** `name` matches `pattern` (`*` wildcards). */
export function nameMatches(pattern: string, name: string): boolean {
  return pattern.includes('*') ? globRegExp(pattern).test(name) : pattern === name;
}

/** Every label of `wanted` is present in `labels` with the same value (compared as text). */
export function labelsInclude(labels: Readonly<Record<string, unknown>>, wanted: Readonly<Record<string, unknown>> | undefined): boolean {
  if (!wanted) return true;
  return Object.entries(wanted).every(([k, v]) => k in labels && String(labels[k]) === String(v));
}

/** The thresholds of one metric: the defaults, overlaid by every matching rule in order. */
export function thresholdsFor(config: GateConfig, name: string, labels: Readonly<Record<string, unknown>>): Thresholds {
  let t: Thresholds = config.defaultThresholds;
  for (const rule of config.rules) {
    if (!nameMatches(rule.name, name) || !labelsInclude(labels, rule.labels)) continue;
    t = { regress: rule.regress ?? t.regress, improve: rule.improve ?? t.improve };
  }
  return t;
}

export function isIgnored(config: GateConfig, name: string): boolean {
  return config.ignore.some((p) => nameMatches(p, name));
}
