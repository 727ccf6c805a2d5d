/**
 * How much a process's resident memory grew over a long run once it had settled: the question a
 * soak answers. The first minutes are left out on purpose: pools, caches, JIT code and the
 * allocator's arenas fill then, and that growth is expected; what must stay flat is the rest.
 *
 * Each end is the median of a one-minute span, not one sample, so that a collection or a burst
 * of large requests at the wrong second does not decide the verdict.
 */
import { summarize } from '@hlp/results';

/** Left out at the start of the measured window: growth before this is warm-up. */
export const RSS_SETTLE_MS = 300_000;
/** The span whose median stands for each end. */
export const RSS_SPAN_MS = 60_000;
/** The shortest measured window for which growth is computed: the settling time and two spans. */
export const RSS_GROWTH_MIN_WINDOW_MS = RSS_SETTLE_MS + 2 * RSS_SPAN_MS;

export interface RssGrowth {
  /** last span's median / first settled span's median − 1 (0.05 = 5 % growth). */
  readonly value: number;
  readonly fromBytes: number;
  readonly toBytes: number;
  readonly settleMs: number;
  /** The median of each full span from the settling time on, relative to the first (growth so far), at the span's start. */
  readonly spans: readonly { readonly t: number; readonly value: number }[];
}

function spanMedian(points: readonly { t: number; rss: number }[], from: number, to: number): number | null {
  const inSpan = points.filter((p) => p.t >= from && p.t < to).map((p) => p.rss);
  return inSpan.length > 0 ? summarize(inSpan).median : null;
}

/**
 * Growth of RSS over a measured window of `windowMs` (points' `t` in ms from its start), or null
 * when the window is shorter than {@link RSS_GROWTH_MIN_WINDOW_MS} or an end span has no sample.
 */
export function rssGrowth(points: readonly { t: number; rss: number }[], windowMs: number): RssGrowth | null {
  if (windowMs < RSS_GROWTH_MIN_WINDOW_MS) return null;
  const from = spanMedian(points, RSS_SETTLE_MS, RSS_SETTLE_MS + RSS_SPAN_MS);
  const to = spanMedian(points, windowMs - RSS_SPAN_MS, windowMs + 1);
  if (from === null || to === null || from <= 0) return null;
  const spans: { t: number; value: number }[] = [];
  for (let t = RSS_SETTLE_MS; t + RSS_SPAN_MS <= windowMs; t += RSS_SPAN_MS) {
    const m = spanMedian(points, t, t + RSS_SPAN_MS);
    if (m !== null) spans.push({ t, value: m / from - 1 });
  }
  return { value: to / from - 1, fromBytes: from, toBytes: to, settleMs: RSS_SETTLE_MS, spans };
}
