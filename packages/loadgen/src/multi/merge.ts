/**
 * A driver's measurement as a report (counts and encoded histograms, a tail of raw samples),
 * and the reports of all drivers merged into one Measurement. Counts add; histograms add
 * exactly (hdr.ts); per-second buckets line up because every driver's window starts at the
 * same agreed t0.
 */
import { decodeHistogram, encodeHistogram, hdrPercentiles, histogramOf, mergeHistograms, summaryOfHistogram, type Histogram } from '../hdr.js';
import type { Measurement, MergedLatencies, SecondBucket } from '../measurement.js';
import type { DriverReport } from './messages.js';

/** Distinct non-2xx bodies kept per status (as the single-process collector keeps). */
const DETAILS_PER_STATUS = 3;

/** What a driver sends back at the end of its share of the run. */
export function driverReport(index: number, m: Measurement, keepSamples: number): DriverReport {
  const tail = (xs: readonly number[] | null): number[] => (xs === null || keepSamples === 0 ? [] : xs.slice(Math.max(0, xs.length - keepSamples)));
  return {
    event: 'report',
    index,
    ok: m.ok,
    non2xx: m.non2xx,
    errors: m.errors,
    sent: m.sent,
    unfinished: m.unfinished,
    aborted: m.aborted,
    statusCodes: { ...m.statusCodes },
    errorKinds: { ...m.errorKinds },
    statusDetails: Object.fromEntries(Object.entries(m.statusDetails).map(([k, v]) => [k, [...v]])),
    latency: m.latencies.length > 0 ? encodeHistogram(histogramOf(m.latencies)) : null,
    uncorrected: m.uncorrected && m.uncorrected.length > 0 ? encodeHistogram(histogramOf(m.uncorrected)) : null,
    tail: tail(m.latencies),
    tailUncorrected: tail(m.uncorrected),
    seconds: m.seconds.map((b) => ({
      t: b.t,
      sent: b.sent,
      ok: b.ok,
      non2xx: b.non2xx,
      errors: b.errors,
      hdr: b.latencies.length > 0 ? encodeHistogram(histogramOf(b.latencies)) : null,
    })),
  };
}

function addCounts(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** Each driver's last samples, aligned at their ends and interleaved: each driver's order kept. */
function interleave(lists: readonly (readonly number[])[]): number[] {
  const out: number[] = [];
  const longest = Math.max(0, ...lists.map((l) => l.length));
  for (let j = 0; j < longest; j++) {
    for (const l of lists) {
      const at = l.length - longest + j;
      if (at >= 0) out.push(l[at]!);
    }
  }
  return out;
}

function mergeEncoded(encoded: readonly (string | null)[]): Histogram | null {
  const parts = encoded.filter((e): e is string => e !== null).map(decodeHistogram);
  return parts.length > 0 ? mergeHistograms(parts) : null;
}

function mergeSeconds(reports: readonly DriverReport[]): { buckets: SecondBucket[]; stats: MergedLatencies['seconds'] } {
  const length = Math.max(0, ...reports.map((r) => r.seconds.length));
  const buckets: SecondBucket[] = [];
  const stats: ({ p50: number; p95: number; p99: number; n: number } | null)[] = [];
  for (let k = 0; k < length; k++) {
    const b: SecondBucket = { t: k * 1000, sent: 0, ok: 0, non2xx: 0, errors: 0, latencies: [] };
    const encoded: (string | null)[] = [];
    for (const r of reports) {
      const s = r.seconds[k];
      if (!s) continue;
      b.sent += s.sent;
      b.ok += s.ok;
      b.non2xx += s.non2xx;
      b.errors += s.errors;
      encoded.push(s.hdr);
    }
    const h = mergeEncoded(encoded);
    buckets.push(b);
    stats.push(
      h ? { p50: h.getValueAtPercentile(50) / 1000, p95: h.getValueAtPercentile(95) / 1000, p99: h.getValueAtPercentile(99) / 1000, n: h.totalCount } : null,
    );
  }
  return { buckets, stats };
}

export interface MergeWindow {
  /** performance.now() of this process at the start of the measured window. */
  readonly windowStart: number;
  readonly windowMs: number;
  /** Raw samples kept in all (the document's cap). */
  readonly keepSamples: number;
}

/** One Measurement from every driver's report (in index order). */
export function mergeReports(reports: readonly DriverReport[], window: MergeWindow): Measurement {
  const statusCodes: Record<string, number> = {};
  const errorKinds: Record<string, number> = {};
  const statusDetails: Record<string, string[]> = {};
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  let unfinished = 0;
  for (const r of reports) {
    ok += r.ok;
    non2xx += r.non2xx;
    errors += r.errors;
    sent += r.sent;
    unfinished += r.unfinished;
    addCounts(statusCodes, r.statusCodes);
    addCounts(errorKinds, r.errorKinds);
    for (const [code, bodies] of Object.entries(r.statusDetails)) {
      const kept = (statusDetails[code] ??= []);
      for (const body of bodies) if (kept.length < DETAILS_PER_STATUS && !kept.includes(body)) kept.push(body);
    }
  }
  const latency = mergeEncoded(reports.map((r) => r.latency));
  const uncorrected = mergeEncoded(reports.map((r) => r.uncorrected));
  const { buckets, stats } = mergeSeconds(reports);
  const cap = (xs: number[]): number[] => xs.slice(Math.max(0, xs.length - window.keepSamples));
  return {
    countBy: 'schedule',
    windowStart: window.windowStart,
    windowMs: window.windowMs,
    ok,
    non2xx,
    errors,
    sent,
    statusCodes,
    errorKinds,
    statusDetails,
    latencies: cap(interleave(reports.map((r) => r.tail))),
    uncorrected: cap(interleave(reports.map((r) => r.tailUncorrected))),
    hdr: latency ? hdrPercentiles(latency) : null,
    seconds: buckets,
    unfinished,
    aborted: reports.some((r) => r.aborted),
    merged: {
      drivers: reports.length,
      latency: latency ? summaryOfHistogram(latency) : null,
      uncorrected: uncorrected ? summaryOfHistogram(uncorrected) : null,
      seconds: stats,
    },
  };
}
