/** Failures of @hlp/results, each with a stable `code` that callers may switch on. */
export type ResultsErrorCode =
  /** A run document failed validation (or is not JSON); the message names the field paths. */
  | 'INVALID_RUN'
  /** summarize() got no samples. */
  | 'EMPTY_SAMPLES'
  /** summarize() got a sample that is not a finite number. */
  | 'INVALID_SAMPLES'
  /** Reading or writing a run file failed at the file-system level. */
  | 'IO';

export interface ResultsIssue {
  /** Dotted field path, e.g. `metrics.0.summary.p95` (empty for the document itself). */
  readonly path: string;
  readonly message: string;
}

export class ResultsError extends Error {
  override readonly name = 'ResultsError';
  constructor(
    readonly code: ResultsErrorCode,
    message: string,
    readonly issues: readonly ResultsIssue[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
