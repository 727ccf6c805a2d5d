/**
 * Latency histograms (hdr-histogram-js, the pure-JS HdrHistogram port: no native build, no
 * install script). Every driver records in µs, 1 µs to one hour, 3 significant digits, so that
 * histograms of different processes have the same buckets and add exactly: the merge of the
 * parts is the histogram of all values. Between processes they travel in HdrHistogram's
 * standard compressed base64 form.
 */
import * as hdr from 'hdr-histogram-js';
import { medianCiRanks, type Summary } from '@hlp/results';

export type Histogram = hdr.Histogram;

export const HDR_MAX_US = 3_600_000_000; // one hour
export const HDR_SIGNIFICANT_DIGITS = 3;

export interface HdrPercentiles {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly count: number;
}

export class HistogramError extends Error {
  override readonly name = 'HistogramError';
  constructor(
    readonly code: 'HDR_DECODE' | 'HDR_LAYOUT',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function newHistogram(): Histogram {
  // JS, not WebAssembly: one fewer moving part, and fast enough at the rates a driver reaches.
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HDR_MAX_US,
    numberOfSignificantValueDigits: HDR_SIGNIFICANT_DIGITS,
    useWebAssembly: false,
  });
}

/** A latency in ms as the µs value recorded (clamped into the trackable range). */
export function usOf(ms: number): number {
  return Math.min(HDR_MAX_US, Math.max(1, Math.round(ms * 1000)));
}

/** A histogram of latencies given in ms. */
export function histogramOf(latenciesMs: readonly number[]): Histogram {
  const h = newHistogram();
  for (const v of latenciesMs) h.recordValue(usOf(v));
  return h;
}

export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Decodes a histogram another driver encoded; refuses one with another layout (it would not add exactly). */
export function decodeHistogram(text: string): Histogram {
  let h: Histogram;
  try {
    h = hdr.decodeFromCompressedBase64(text, 32, false);
  } catch (error) {
    throw new HistogramError('HDR_DECODE', `cannot decode a latency histogram: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (h.numberOfSignificantValueDigits !== HDR_SIGNIFICANT_DIGITS || h.highestTrackableValue < HDR_MAX_US) {
    throw new HistogramError(
      'HDR_LAYOUT',
      `histogram layout ${h.numberOfSignificantValueDigits} digits / ${h.highestTrackableValue} µs, expected ${HDR_SIGNIFICANT_DIGITS} / ${HDR_MAX_US}`,
    );
  }
  return h;
}

/** The sum of histograms of the same layout (a new one; the inputs are not changed). */
export function mergeHistograms(parts: readonly Histogram[]): Histogram {
  const out = newHistogram();
  for (const p of parts) out.add(p);
  return out;
}

export function hdrPercentiles(h: Histogram): HdrPercentiles | null {
  const count = h.totalCount;
  if (count === 0) return null;
  return {
    p50: h.getValueAtPercentile(50) / 1000,
    p90: h.getValueAtPercentile(90) / 1000,
    p99: h.getValueAtPercentile(99) / 1000,
    p999: h.getValueAtPercentile(99.9) / 1000,
    max: h.maxValue / 1000,
    count,
  };
}

/** The value (ms) of the order statistic of 1-based rank r (HdrHistogram's bucket value, 3 significant digits). */
function atRank(h: Histogram, r: number): number {
  // Half a rank below r: getValueAtPercentile takes ceil(p · n / 100), which then lands on r
  // whatever the floating-point rounding of r / n.
  return h.getValueAtPercentile((100 * (r - 0.5)) / h.totalCount) / 1000;
}

/**
 * The result document's summary from a histogram instead of raw samples: the same fields, each
 * within HdrHistogram's precision (0.1 %) of the exact order statistic. Percentiles are nearest
 * rank (HdrHistogram), not interpolated; the median's CI uses the same ranks as summarize().
 */
export function summaryOfHistogram(h: Histogram): Summary | null {
  const n = h.totalCount;
  if (n === 0) return null;
  const [j, k] = medianCiRanks(n);
  const median = h.getValueAtPercentile(50) / 1000;
  return {
    n,
    min: h.minNonZeroValue / 1000,
    p50: median,
    p90: h.getValueAtPercentile(90) / 1000,
    p95: h.getValueAtPercentile(95) / 1000,
    p99: h.getValueAtPercentile(99) / 1000,
    max: h.maxValue / 1000,
    mean: h.mean / 1000,
    median,
    ci95: [atRank(h, j), atRank(h, k)],
  };
}
