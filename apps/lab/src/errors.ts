import { KernelError } from '@hlp/kernels';
import { DriverError } from '@hlp/loadgen';
import { ResultsError } from '@hlp/results';
import { ClusterError } from './cluster/errors.js';

/** Stable failure codes of the lab CLI. */
export type LabErrorCode =
  /** Bad command line: unknown command or option, invalid option value. Exit 2. */
  | 'USAGE'
  /** The environment cannot run the command: addon not built, no usable variant, unwritable runs dir. Exit 2. */
  | 'INFRA'
  /** A kernel call failed while measuring. Exit 1. */
  | 'KERNEL'
  /** The result document could not be built or validated. Exit 1. */
  | 'RESULTS'
  /** A verdict was fail: `hlp gate` (a confirmed regression or a missed SLO target), `hlp load --verify`, `hlp load --max-rss-growth`. Exit 1. */
  | 'GATE'
  /** `hlp abuse` found a forbidden answer, a dropped request, a crash, a slow /healthz or memory past its bound. Exit 1. */
  | 'ABUSE'
  /** Anything else (a bug). Exit 1. */
  | 'INTERNAL';

export const EXIT_CODES: Readonly<Record<LabErrorCode, number>> = {
  USAGE: 2,
  INFRA: 2,
  KERNEL: 1,
  RESULTS: 1,
  GATE: 1,
  ABUSE: 1,
  INTERNAL: 1,
};

export class LabError extends Error {
  override readonly name = 'LabError';
  constructor(
    readonly code: LabErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}

const INFRA_KERNEL_CODES = new Set(['ADDON_NOT_BUILT', 'VARIANT_UNAVAILABLE', 'NO_DEVICE', 'OUT_OF_MEMORY']);

/** Maps any thrown value onto a LabError with a stable code. */
export function toLabError(error: unknown): LabError {
  if (error instanceof LabError) return error;
  if (error instanceof KernelError) {
    const code = INFRA_KERNEL_CODES.has(error.code) ? 'INFRA' : 'KERNEL';
    return new LabError(code, `kernel error ${error.code}: ${error.message}`, { cause: error });
  }
  if (error instanceof ResultsError) {
    const code = error.code === 'IO' ? 'INFRA' : 'RESULTS';
    return new LabError(code, `results error ${error.code}: ${error.message}`, { cause: error });
  }
  // A driver process that could not start or run is the environment's problem, not a bug here.
  if (error instanceof DriverError) return new LabError('INFRA', `load driver ${error.code}: ${error.message}`, { cause: error });
  if (error instanceof ClusterError) {
    return new LabError(error.isUsage ? 'USAGE' : 'INFRA', `cluster error ${error.code}: ${error.message}`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new LabError('INTERNAL', message, { cause: error });
}
