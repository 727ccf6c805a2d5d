/**
 * Suite configurations: data, not code. A suite is a JSON file (apps/lab/suites/<profile>.json,
 * or any file given with --config) validated with zod; an invalid file is refused with the
 * path of the offending field (e.g. `steps.2.rate: must be > 0`).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { VARIANTS } from '@hlp/kernels';
import { LabError } from '../errors.js';

export const PROFILES = ['quick', 'ci', 'standard', 'full'] as const;
export type Profile = (typeof PROFILES)[number];

/** apps/lab/suites (next to dist/). */
export const SUITES_DIR = fileURLToPath(new URL('../../../suites/', import.meta.url));

const pow2 = z
  .number()
  .int()
  .refine((n) => n >= 1024 && n <= 32768 && (n & (n - 1)) === 0, 'must be a power of two in 1024..32768');

export const KernelsStep = z.strictObject({
  kind: z.literal('kernels'),
  variants: z
    .array(z.enum(VARIANTS as unknown as [string, ...string[]]))
    .min(1)
    .optional(),
  ns: z.array(pow2).min(1),
  bits: z.array(z.number().int().min(20).max(60)).min(1),
  timeMs: z.number().int().positive().optional(),
  quick: z.boolean().default(true),
  alloc: z.boolean().default(false),
  /** Estimated seconds, for the ETA of the progress bar. */
  estimateS: z.number().positive().optional(),
});

export const CkksStep = z.strictObject({
  kind: z.literal('ckks'),
  backends: z.array(z.enum(['native', 'seal'])).min(1),
  ns: z.array(z.union([z.literal(8192), z.literal(16384), z.literal(32768)])).min(1),
  threads: z.array(z.number().int().min(1).max(64)).min(1).optional(),
  timeMs: z.number().int().positive().optional(),
  quick: z.boolean().default(true),
  prompt: z.boolean().default(true),
  estimateS: z.number().positive().optional(),
});

/** Proxy settings of one load step; a step whose settings differ from the running services restarts them. */
export const LoadProxySettings = z.strictObject({
  batching: z.boolean().optional(),
  batchWindowMs: z.number().int().min(0).max(60_000).optional(),
  maxBatch: z.number().int().min(1).max(1024).optional(),
  workers: z.number().int().min(1).max(64).optional(),
});

export const LoadStep = z.strictObject({
  kind: z.literal('load'),
  /** Label of the step in the summary (default: scenario@rate). */
  label: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a slug (letters, digits, . _ -)')
    .optional(),
  proxy: LoadProxySettings.optional(),
  scenario: z.enum(['short', 'medium', 'full']),
  /** Open loop, offered requests per second. */
  rate: z.number().positive().max(100_000),
  durationS: z.number().positive().max(3600),
  warmupS: z.number().min(0).max(600).default(3),
  http2: z.boolean().default(false),
  prompts: z.number().int().positive().max(10_000).optional(),
  estimateS: z.number().positive().optional(),
});

export const SuiteStep = z.discriminatedUnion('kind', [KernelsStep, CkksStep, LoadStep]);
export type SuiteStep = z.infer<typeof SuiteStep>;

export const SuiteConfig = z.strictObject({
  /** Suite name (a slug): names the output folder. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a slug (letters, digits, . _ -)'),
  description: z.string().optional(),
  steps: z.array(SuiteStep).min(1, 'needs at least one step'),
  services: z
    .strictObject({
      backend: z.enum(['native', 'seal']).default('native'),
      /** Start a private redis-server on loopback for the inference service's L2 key cache. */
      redis: z.boolean().default(false),
    })
    .default({ backend: 'native', redis: false }),
  gate: z.boolean().default(true),
  report: z.boolean().default(true),
  dashboards: z.boolean().default(true),
});
export type SuiteConfig = z.infer<typeof SuiteConfig>;

function pathText(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

/** Validates a parsed configuration; the error names the file and each offending field. */
export function parseSuiteConfig(value: unknown, source = 'suite configuration'): SuiteConfig {
  const parsed = SuiteConfig.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${pathText(i.path)}: ${i.message}`);
    throw new LabError('USAGE', `invalid suite configuration ${source}: ${issues.join('; ')}`);
  }
  return parsed.data;
}

export async function readSuiteConfig(path: string): Promise<SuiteConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new LabError('USAGE', `cannot read suite configuration ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new LabError('USAGE', `suite configuration ${path} is not JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return parseSuiteConfig(value, path);
}

export function profilePath(profile: Profile): string {
  return `${SUITES_DIR}${profile}.json`;
}

/** A rough duration estimate (seconds) of a step, for the ETA. */
export function estimateSeconds(step: SuiteStep): number {
  if (step.estimateS) return step.estimateS;
  switch (step.kind) {
    case 'kernels': {
      const t = (step.timeMs ?? (step.quick ? 150 : 1000)) / 1000;
      return step.ns.length * step.bits.length * 3 * (step.variants?.length ?? 2) * t * 1.4 + (step.alloc ? 10 : 0) + 1;
    }
    case 'ckks':
      return step.backends.length * step.ns.length * (step.quick ? 20 : 60);
    case 'load':
      return step.warmupS + step.durationS + 15;
  }
}

/** `hlp bench <kind> …` arguments that repeat a suite step. */
export function benchArgs(step: Extract<SuiteStep, { kind: 'kernels' | 'ckks' }>): string[] {
  const a: string[] = [step.kind];
  if (step.kind === 'kernels') {
    if (step.variants) a.push('--variant', step.variants.join(','));
    a.push('--n', step.ns.join(','), '--bits', step.bits.join(','));
    if (!step.alloc) a.push('--no-alloc');
  } else {
    a.push('--backend', step.backends.join(','), '--n', step.ns.join(','));
    if (step.threads) a.push('--threads', step.threads.join(','));
    if (!step.prompt) a.push('--no-prompt');
  }
  if (step.timeMs) a.push('--time', String(step.timeMs));
  if (step.quick) a.push('--quick');
  return a;
}
