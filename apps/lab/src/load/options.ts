/** Command-line values of `hlp load`, validated (zod) and reported to commander as usage errors. */
import { InvalidArgumentError } from 'commander';
import { LIMITS, LOADGEN_PROCESS, SCENARIO_NAMES, TargetError, isScenarioName, parseTarget, type ScenarioName } from '@hlp/loadgen';
import { z } from 'zod';
import { parseRates } from './ladder.js';

function parser<T>(schema: z.ZodType<T, string>): (value: string) => T {
  return (value) => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new InvalidArgumentError(parsed.error.issues.map((i) => i.message.replace(/^Invalid input: /, '')).join('; '));
    return parsed.data;
  };
}

const positiveNumber = (what: string, max: number) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, `${what} must be a positive number`)
    .transform(Number)
    .pipe(z.number().positive(`${what} must be greater than 0`).max(max, `${what} must be at most ${max}`));

const intIn = (what: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `${what} must be a whole number`)
    .transform(Number)
    .pipe(z.number().int().min(min, `${what} must be at least ${min}`).max(max, `${what} must be at most ${max}`));

/** Seconds (decimals allowed, optional `s`), as milliseconds. */
const seconds = (what: string, min: number, maxS: number) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?s?$/, `${what} must be a number of seconds, e.g. 30 or 0.5`)
    .transform((s) => Math.round(Number(s.replace(/s$/, '')) * 1000))
    .pipe(
      z
        .number()
        .int()
        .min(min, `${what} must be at least ${min / 1000} s`)
        .max(maxS * 1000, `${what} must be at most ${maxS} s`),
    );

export const parseRate = parser(positiveNumber('rate', LIMITS.maxRate));
export function parseRatesOption(value: string): number[] {
  try {
    return parseRates(value);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
}
export const parseSloP95 = parser(positiveNumber('--slo-p95 (ms)', 600_000));
export const parseSloSuccess = parser(
  z
    .string()
    .regex(/^(0(\.\d+)?|1(\.0+)?)$/, '--slo-success is a share from 0 to 1, e.g. 0.999')
    .transform(Number),
);
export const parseMaxRssGrowth = parser(
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, '--max-rss-growth is a share, e.g. 0.1 for 10 %')
    .transform(Number)
    .pipe(z.number().max(10, '--max-rss-growth must be at most 10 (1000 %)')),
);
export const parseConnections = parser(intIn('connections', 1, LIMITS.maxConnections));
export const parseStreams = parser(intIn('streams', 1, LIMITS.maxStreams));
export const parseDuration = parser(seconds('duration', 1, LIMITS.maxDurationMs / 1000));
export const parseWarmup = parser(seconds('warm-up', 0, LIMITS.maxWarmupMs / 1000));
export const parseTimeoutMs = parser(intIn('timeout (ms)', 1, 600_000));
export const parsePrompts = parser(intIn('prompts', 1, 4096));
export const parseSeed = parser(intIn('seed', 0, 2 ** 32 - 1));
export const parseDrivers = parser(intIn('drivers', 1, LIMITS.maxDrivers));

/** `name=pid`, repeatable: processes to sample with --target. */
export function parsePid(value: string, previous: { name: string; pid: number }[] | undefined): { name: string; pid: number }[] {
  const m = /^([A-Za-z][\w.-]*)=(\d+)$/.exec(value);
  if (!m || Number(m[2]) < 1) throw new InvalidArgumentError('expected name=pid, e.g. proxy=1234');
  const name = m[1]!;
  if (name === LOADGEN_PROCESS) throw new InvalidArgumentError(`'${LOADGEN_PROCESS}' names the load generator's own series; give the process another name`);
  if (previous?.some((p) => p.name === name)) throw new InvalidArgumentError(`'${name}' is named twice; each --pid needs a name of its own`);
  return [...(previous ?? []), { name, pid: Number(m[2]) }];
}

/** A loopback http:// URL (@hlp/loadgen's parseTarget decides); the load generator never sends anywhere else. */
export function parseTargetUrl(value: string): string {
  try {
    parseTarget(value);
  } catch (e) {
    if (e instanceof TargetError) throw new InvalidArgumentError(e.message);
    throw e;
  }
  return value;
}

export const LoadCliOptions = z.object({
  rate: z.number().positive().optional(),
  rates: z.array(z.number().positive()).min(1).optional(),
  sloP95: z.number().positive().optional(),
  sloSuccess: z.number().min(0).max(1).optional(),
  maxRssGrowth: z.number().min(0).max(10).optional(),
  connections: z.number().int().positive().optional(),
  streams: z.number().int().positive().optional(),
  duration: z.number().int().positive().optional(),
  warmup: z.number().int().nonnegative().optional(),
  ramp: z.boolean().optional(),
  http2: z.boolean().optional(),
  target: z.string().optional(),
  token: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  prompts: z.number().int().positive().optional(),
  seed: z.number().int().nonnegative().optional(),
  timeout: z.number().int().positive().optional(),
  pid: z.array(z.object({ name: z.string(), pid: z.number().int().positive() })).optional(),
  json: z.boolean().optional(),
  out: z.string().min(1).optional(),
  verify: z.boolean().optional(),
  drivers: z.number().int().min(1).max(LIMITS.maxDrivers).optional(),
});
export type LoadCliOptions = z.infer<typeof LoadCliOptions>;

export function scenarioArg(value: string | undefined): ScenarioName | undefined {
  if (value === undefined) return undefined;
  if (!isScenarioName(value)) throw new InvalidArgumentError(`unknown scenario '${value}' (expected one of ${SCENARIO_NAMES.join(', ')})`);
  return value;
}
