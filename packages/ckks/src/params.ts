/**
 * CKKS parameter sets: presets, validation of user input (zod), the 128-bit security bound
 * and the exact SEAL coefficient moduli.
 */
import { z } from 'zod';
import { CkksError } from './errors.js';
import { createCoeffModulus } from './primes.js';

/**
 * HomomorphicEncryption.org security standard (Nov 2018), ternary secret, classical attacks,
 * 128-bit security: the largest total log2(Q) (coefficient modulus, special prime included)
 * for each ring degree. These are also SEAL's `CoeffModulus::MaxBitCount(n, tc128)`.
 */
export const HE_STD_128_MAX_LOG_Q: Readonly<Record<number, number>> = Object.freeze({
  1024: 27,
  2048: 54,
  4096: 109,
  8192: 218,
  16384: 438,
  32768: 881,
});

export const SUPPORTED_DEGREES = [1024, 2048, 4096, 8192, 16384, 32768] as const;
export type RingDegree = (typeof SUPPORTED_DEGREES)[number];

const isSupportedDegree = (n: number): n is RingDegree => (SUPPORTED_DEGREES as readonly number[]).includes(n);

/** User-supplied CKKS parameters (external input: validate with `parseParams`). */
export const CkksParamsInput = z
  .object({
    /** Ring degree N (power of two, 1024..32768); N/2 slots. */
    n: z
      .number({ error: 'n must be a number' })
      .int('n must be an integer')
      .refine(isSupportedDegree, { error: `n must be one of ${SUPPORTED_DEGREES.join(', ')}` }),
    /**
     * Bit sizes of the coefficient moduli, first (q0) to last; the last one is the special
     * (key-switching) prime and is not a data level.
     */
    coeffModulusBits: z
      .array(z.number().int('each bit size must be an integer').min(20, 'each bit size must be >= 20').max(60, 'each bit size must be <= 60'), {
        error: 'coeffModulusBits must be an array of integers',
      })
      .min(2, 'coeffModulusBits needs at least 2 moduli (one data prime and the special prime)')
      .max(64, 'coeffModulusBits allows at most 64 moduli'),
    /** log2 of the default encoding scale. */
    scaleBits: z.number().int('scaleBits must be an integer').min(20, 'scaleBits must be >= 20').max(60, 'scaleBits must be <= 60'),
    /** Allow parameters weaker than 128-bit security (tests only). */
    insecure: z.boolean().optional(),
  })
  .strict();
export type CkksParamsInput = z.input<typeof CkksParamsInput>;

/** Anything with the four user fields: an input object, a preset, or validated CkksParams. */
export interface CkksParamsLike {
  readonly n: number;
  readonly coeffModulusBits: readonly number[];
  readonly scaleBits: number;
  readonly insecure?: boolean;
}

/** Validated parameters with derived values. Immutable. */
export interface CkksParams {
  readonly n: RingDegree;
  readonly coeffModulusBits: readonly number[];
  readonly scaleBits: number;
  /** 2^scaleBits */
  readonly scale: number;
  readonly insecure: boolean;
  /** N/2 */
  readonly slotCount: number;
  /** The primes, exactly as SEAL's CoeffModulus.Create(n, coeffModulusBits) returns them. */
  readonly coeffModulus: readonly bigint[];
  /** Sum of the bit sizes = SEAL's total_coeff_modulus_bit_count. */
  readonly totalBits: number;
  /** The 128-bit bound for this n. */
  readonly maxBits128: number;
  /** Level of a fresh ciphertext: number of data primes minus one (= coeffModulusBits.length - 2). */
  readonly maxLevel: number;
}

/** Presets for the proxy: all at 128-bit security, scale 2^40. */
export const CKKS_PRESETS = Object.freeze({
  /** 200 of 218 bits; depth 2. */
  8192: Object.freeze({ n: 8192, coeffModulusBits: Object.freeze([60, 40, 40, 60]), scaleBits: 40 }),
  /** 400 of 438 bits; depth 7. */
  16384: Object.freeze({ n: 16384, coeffModulusBits: Object.freeze([60, ...Array<number>(7).fill(40), 60]), scaleBits: 40 }),
  /** 880 of 881 bits; depth 19. */
  32768: Object.freeze({ n: 32768, coeffModulusBits: Object.freeze([60, ...Array<number>(19).fill(40), 60]), scaleBits: 40 }),
} as const);
export type PresetDegree = keyof typeof CKKS_PRESETS;

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join('.') || '(root)';
}

/**
 * Validate user input, check the security bound and compute the moduli.
 * @throws CkksError INVALID_PARAMETERS (field named) or INSECURE_PARAMETERS
 */
export function parseParams(input: unknown): CkksParams {
  const parsed = CkksParamsInput.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const first = issues[0];
    const msg = issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ');
    throw new CkksError('INVALID_PARAMETERS', `invalid CKKS parameters: ${msg}`, first ? formatPath(first.path) : undefined);
  }
  const { n, coeffModulusBits, scaleBits } = parsed.data;
  const insecure = parsed.data.insecure === true;
  if (!isSupportedDegree(n)) throw new CkksError('INVALID_PARAMETERS', `unsupported n ${String(n)}`, 'n');
  const firstBits = coeffModulusBits[0] ?? 0;
  if (scaleBits >= firstBits) {
    throw new CkksError(
      'INVALID_PARAMETERS',
      `invalid CKKS parameters: scaleBits (${scaleBits}) must be smaller than the first modulus (${firstBits} bits), or decoded values overflow`,
      'scaleBits',
    );
  }
  const totalBits = coeffModulusBits.reduce((a, b) => a + b, 0);
  const maxBits128 = HE_STD_128_MAX_LOG_Q[n] ?? 0;
  if (totalBits > maxBits128 && !insecure) {
    throw new CkksError(
      'INSECURE_PARAMETERS',
      `log2 Q = ${totalBits} bits exceeds the 128-bit security bound of ${maxBits128} bits for n = ${n} ` +
        '(HomomorphicEncryption.org standard); pass insecure: true only for tests',
      'coeffModulusBits',
    );
  }
  const coeffModulus = Object.freeze(createCoeffModulus(n, coeffModulusBits));
  return Object.freeze({
    n,
    coeffModulusBits: Object.freeze([...coeffModulusBits]),
    scaleBits,
    scale: 2 ** scaleBits,
    insecure,
    slotCount: n / 2,
    coeffModulus,
    totalBits,
    maxBits128,
    maxLevel: coeffModulusBits.length - 2,
  });
}

/** The validated preset for n = 8192, 16384 or 32768. */
export function presetParams(n: PresetDegree): CkksParams {
  const p = CKKS_PRESETS[n];
  return parseParams({ n: p.n, coeffModulusBits: [...p.coeffModulusBits], scaleBits: p.scaleBits });
}

/** Coefficient moduli of a ciphertext at `level` (0 = only q0 left). */
export function modulusAtLevel(params: CkksParams, level: number): readonly bigint[] {
  if (!Number.isInteger(level) || level < 0 || level > params.maxLevel) {
    throw new CkksError('INVALID_ARGUMENT', `level ${level} outside [0, ${params.maxLevel}]`);
  }
  return params.coeffModulus.slice(0, level + 1);
}
