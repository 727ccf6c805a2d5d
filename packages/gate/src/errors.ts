/** Failures of @hlp/gate, each with a stable `code` that callers may switch on. */
export type GateErrorCode =
  /** A baseline file failed validation (or is not JSON); the message names the field paths. */
  | 'INVALID_BASELINE'
  /** A gate configuration (thresholds, statistics settings) failed validation; names the fields. */
  | 'INVALID_CONFIG'
  /** A history entry about to be written failed validation (a bug in the caller). */
  | 'INVALID_HISTORY_ENTRY'
  /** No baseline file exists for the suite (and machine class). */
  | 'BASELINE_NOT_FOUND'
  /** Run and baseline cannot be compared at all (different suites, runs of different machines pooled, …). */
  | 'INCOMPATIBLE'
  /** A statistics routine got input it cannot use (empty or non-finite samples, bad option). */
  | 'INVALID_INPUT'
  /** Reading or writing a file failed at the file-system level. */
  | 'IO';

export interface GateIssue {
  /** Dotted field path, e.g. `metrics.0.summary.median` (empty for the document itself). */
  readonly path: string;
  readonly message: string;
}

export class GateError extends Error {
  override readonly name = 'GateError';
  constructor(
    readonly code: GateErrorCode,
    message: string,
    readonly issues: readonly GateIssue[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** `a.b: message; c: message` (at most 8, then a count). */
export function describeIssues(issues: readonly GateIssue[]): string {
  const shown = issues.slice(0, 8).map((i) => `${i.path || '(document)'}: ${i.message}`);
  if (issues.length > shown.length) shown.push(`… and ${issues.length - shown.length} more`);
  return shown.join('; ');
}
