import type { Labels, Metric, SeriesPoint } from './schema.js';
import { summarize } from './stats.js';

export interface MakeMetricOptions {
  readonly name: string;
  readonly unit: string;
  readonly better: 'lower' | 'higher';
  readonly labels?: Labels;
  /** Every sample measured, in order; the summary covers all of them. */
  readonly samples: readonly number[];
  /** Keep only the last `keep` samples in the document (default: all). */
  readonly keep?: number;
  readonly series?: readonly SeriesPoint[];
}

/** A metric with its summary computed from `samples` (throws ResultsError when empty). */
export function makeMetric(options: MakeMetricOptions): Metric {
  const { samples, keep } = options;
  const kept = keep !== undefined && samples.length > keep ? samples.slice(samples.length - Math.max(0, keep)) : [...samples];
  return {
    name: options.name,
    unit: options.unit,
    better: options.better,
    labels: { ...(options.labels ?? {}) },
    summary: summarize(samples),
    samples: kept,
    ...(options.series ? { series: [...options.series] } : {}),
  };
}
