/** Validation of command-line values (zod), reported to commander as usage errors. */
import { InvalidArgumentError } from 'commander';
import { VARIANTS, type Variant } from '@hlp/kernels';
import { z } from 'zod';

/** HLP_MIN_NTT_N … HLP_MAX_NTT_N and HLP_MAX_MODULUS_BITS of the C ABI. */
export const MIN_N = 2;
export const MAX_N = 131072;
export const MIN_BITS = 20;
export const MAX_BITS = 60;

const listOf = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((part) => part.trim()))
    .pipe(z.array(item).min(1, 'expected a comma-separated list'));

const intString = z.string().regex(/^\d+$/, 'expected a positive integer').transform(Number);

const ringDegree = intString.pipe(
  z
    .number()
    .int()
    .min(MIN_N, `n must be at least ${MIN_N}`)
    .max(MAX_N, `n must be at most ${MAX_N}`)
    .refine((n) => (n & (n - 1)) === 0, { message: 'n must be a power of two' }),
);

const primeBits = intString.pipe(
  z.number().int().min(MIN_BITS, `bits must be between ${MIN_BITS} and ${MAX_BITS}`).max(MAX_BITS, `bits must be between ${MIN_BITS} and ${MAX_BITS}`),
);

const VARIANT_TUPLE = VARIANTS as [Variant, ...Variant[]];
const variant = z.enum(VARIANT_TUPLE, { error: `unknown variant (expected one of ${VARIANTS.join(', ')})` });

const positiveMs = intString.pipe(z.number().int().min(1, 'must be at least 1 ms').max(600_000, 'must be at most 600000 ms'));

function describe(error: z.ZodError, input: string): string {
  const items = input.split(',').map((part) => part.trim());
  return error.issues
    .map((issue) => {
      const index = issue.path[0];
      const at = typeof index === 'number' ? `'${items[index] ?? ''}': ` : '';
      return `${at}${issue.message.replace(/^Invalid input: /, '')}`;
    })
    .join('; ');
}

/** A commander parser for a comma-separated list; repeating the option appends. */
function listParser<T>(schema: z.ZodType<T[], string>): (value: string, previous: T[] | undefined) => T[] {
  return (value, previous) => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new InvalidArgumentError(describe(parsed.error, value));
    return [...(previous ?? []), ...parsed.data];
  };
}

function scalarParser<T>(schema: z.ZodType<T, string>): (value: string) => T {
  return (value) => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new InvalidArgumentError(describe(parsed.error, value));
    return parsed.data;
  };
}

export const parseNList = listParser(listOf(ringDegree));
export const parseBitsList = listParser(listOf(primeBits));
export const parseVariantList = listParser(listOf(variant));
export const parseMs = scalarParser(positiveMs);
export const parsePairs = scalarParser(intString.pipe(z.number().int().min(2, 'must be at least 2').max(500, 'must be at most 500')));

/** The kernels command's options after commander and the parsers above. */
export const KernelsCliOptions = z.object({
  variant: z.array(variant).optional(),
  n: z.array(z.number().int()).optional(),
  bits: z.array(z.number().int()).optional(),
  time: z.number().int().positive().optional(),
  json: z.boolean().optional(),
  out: z.string().min(1).optional(),
  quick: z.boolean().optional(),
  alloc: z.boolean().optional(),
  pairWith: z.string().min(1).optional(),
  pairs: z.number().int().min(2).max(500).optional(),
  only: z.string().min(1).optional(),
});
export type KernelsCliOptions = z.infer<typeof KernelsCliOptions>;

// -- hlp bench ckks ------------------------------------------------------------------------

/** The CKKS backends the lab knows (`native` runs only when @hlp/ckks exports it). */
export const CKKS_BACKENDS = ['seal', 'native'] as const;
export type CkksBackendName = (typeof CKKS_BACKENDS)[number];
/** Ring degrees with a 128-bit preset in @hlp/ckks (presetParams). */
export const CKKS_PRESET_NS = [8192, 16384, 32768] as const;
export type CkksPresetN = (typeof CKKS_PRESET_NS)[number];
/** Upper bound of --threads (libuv caps UV_THREADPOOL_SIZE at 1024; more is never useful here). */
export const MAX_THREADS = 256;

const ckksBackend = z.enum(CKKS_BACKENDS, { error: `unknown backend (expected one of ${CKKS_BACKENDS.join(', ')})` });
const ckksPresetN = intString.pipe(
  z
    .number()
    .int()
    .refine((n): n is CkksPresetN => (CKKS_PRESET_NS as readonly number[]).includes(n), {
      message: `n must be a CKKS preset (${CKKS_PRESET_NS.join(', ')})`,
    }),
) as z.ZodType<CkksPresetN, string>;
const threadCount = intString.pipe(z.number().int().min(1, 'threads must be at least 1').max(MAX_THREADS, `threads must be at most ${MAX_THREADS}`));

export const parseCkksBackendList = listParser(listOf(ckksBackend));
export const parseCkksNList = listParser(listOf(ckksPresetN));
export const parseThreadsList = listParser(listOf(threadCount));

/** The ckks command's options after commander and the parsers above. */
export const CkksCliOptions = z.object({
  backend: z.array(ckksBackend).optional(),
  n: z.array(z.union([z.literal(8192), z.literal(16384), z.literal(32768)])).optional(),
  threads: z.array(z.number().int().min(1)).optional(),
  time: z.number().int().positive().optional(),
  json: z.boolean().optional(),
  out: z.string().min(1).optional(),
  quick: z.boolean().optional(),
  prompt: z.boolean().optional(),
  keySwitching: z.boolean().optional(),
  symmetricPrng: z.enum(['shake256', 'aes256ctr']).optional(),
  pairWith: z.string().min(1).optional(),
  pairs: z.number().int().min(2).max(500).optional(),
  only: z.string().min(1).optional(),
});
export type CkksCliOptions = z.infer<typeof CkksCliOptions>;

export function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
