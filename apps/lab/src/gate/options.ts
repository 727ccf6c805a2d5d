/** `hlp gate`'s options and defaults, and how the gate's own errors become the lab's. */
import { GateError } from '@hlp/gate';
import { z } from 'zod';
import { LabError } from '../errors.js';
import { PROFILES } from '../suite/config.js';
import type { Pairing } from './paired-run.js';

export const DEFAULT_SUITE = 'kernels';
export const DEFAULT_BENCH_ARGS = '--quick';
export const CONFIG_FILE = 'gate.config.json';

/** Pairs before the first decision and at most, per pairing (an in-process pair costs tens of ms, a process pair seconds). */
export const DEFAULT_MIN_PAIRS: Readonly<Record<Pairing, number>> = { 'in-process': 24, processes: 4 };
export const DEFAULT_MAX_PAIRS: Readonly<Record<Pairing, number>> = { 'in-process': 96, processes: 10 };
export const DEFAULT_BUDGET_S = 240;

/** GateError → LabError: bad files and arguments are usage errors, missing files infrastructure. */
export function labErrorFromGate(error: unknown): unknown {
  if (!(error instanceof GateError)) return error;
  const code =
    error.code === 'BASELINE_NOT_FOUND' || error.code === 'IO'
      ? 'INFRA'
      : error.code === 'INVALID_INPUT' || error.code === 'INVALID_HISTORY_ENTRY'
        ? 'INTERNAL'
        : 'USAGE';
  return new LabError(code, `gate error ${error.code}: ${error.message}`, { cause: error });
}

export const GateCliOptions = z.object({
  baseline: z.string().min(1).optional(),
  suite: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'suite must be a slug')
    .optional(),
  config: z.string().min(1).optional(),
  markdown: z.string().min(1).optional(),
  json: z.boolean().optional(),
  remeasure: z.boolean().optional(),
  strict: z.boolean().optional(),
  against: z.string().min(1).optional(),
  rounds: z.number().int().min(2).max(500).optional(),
  maxRounds: z.number().int().min(2).max(500).optional(),
  pairing: z.enum(['in-process', 'processes']).optional(),
  budget: z.number().int().min(10).max(7200).optional(),
  profile: z.enum(PROFILES).optional(),
  recordPass: z.boolean().optional(),
  benchArgs: z.string().optional(),
  history: z.union([z.string().min(1), z.boolean()]).optional(),
  targets: z.boolean().optional(),
});
export type GateCliOptions = z.infer<typeof GateCliOptions>;
