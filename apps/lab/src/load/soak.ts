/**
 * A soak's memory verdict: `process.rss_growth` of each sampled process (loadgen computes it for
 * windows of RSS_GROWTH_MIN_WINDOW_MS or more), said in one line of the summary and, with
 * `--max-rss-growth`, judged. The load generator's own series is reported but not judged: it is
 * the client, and its buffers are not what a soak of the services is about.
 */
import { LOADGEN_PROCESS, RSS_GROWTH_MIN_WINDOW_MS, RSS_SETTLE_MS } from '@hlp/loadgen';
import { isMetric, type RunResult } from '@hlp/results';
import { LabError } from '../errors.js';
import { formatBytes } from '../format.js';

export interface ProcessRssGrowth {
  readonly process: string;
  /** last minute's median / sixth minute's median − 1 */
  readonly value: number;
  readonly fromBytes: number;
  readonly toBytes: number;
}

/** The growth metrics of a run document, one per sampled process. */
export function rssGrowths(result: RunResult): ProcessRssGrowth[] {
  return result.metrics.filter(isMetric('process.rss_growth')).flatMap((m) => {
    const value = m['value'];
    const fromBytes = m['fromBytes'];
    const toBytes = m['toBytes'];
    if (typeof value !== 'number' || typeof fromBytes !== 'number' || typeof toBytes !== 'number') return [];
    return [{ process: String(m.labels['process']), value, fromBytes, toBytes }];
  });
}

const percent = (share: number): string => `${share >= 0 ? '+' : ''}${(share * 100).toFixed(1)} %`;

/** One summary line, or null when the window was too short to say. */
export function renderRssGrowth(growths: readonly ProcessRssGrowth[]): string | null {
  if (growths.length === 0) return null;
  const parts = growths.map((g) => `${g.process} ${percent(g.value)} (${formatBytes(g.fromBytes)} → ${formatBytes(g.toBytes)})`);
  return `RSS growth after the first ${RSS_SETTLE_MS / 60_000} min (median of the sixth minute → of the last): ${parts.join(', ')}`;
}

/** Usage errors for a `--max-rss-growth` that cannot be judged with the other options. */
export function checkRssGrowthOptions(opts: { maxRssGrowth?: number | undefined; rates?: readonly number[] | undefined; durationMs: number }): void {
  if (opts.maxRssGrowth === undefined) return;
  if (opts.rates !== undefined) throw new LabError('USAGE', '--max-rss-growth judges one long run: give --rate or --connections, not --rates');
  if (opts.durationMs < RSS_GROWTH_MIN_WINDOW_MS)
    throw new LabError(
      'USAGE',
      `--max-rss-growth needs --duration ${RSS_GROWTH_MIN_WINDOW_MS / 1000} or more: growth is measured after the first ${RSS_SETTLE_MS / 60_000} minutes, minute against minute`,
    );
}

/**
 * The verdict: a GATE error naming every service process that grew past `max`, an INFRA error
 * when no service process was sampled (a --target run without --pid), nothing when all held.
 */
export function judgeRssGrowth(growths: readonly ProcessRssGrowth[], max: number): void {
  const services = growths.filter((g) => g.process !== LOADGEN_PROCESS);
  if (services.length === 0)
    throw new LabError('INFRA', '--max-rss-growth: no service process was sampled long enough to judge (with --target, name them with --pid name=pid)');
  const over = services.filter((g) => g.value > max);
  if (over.length > 0)
    throw new LabError('GATE', `RSS grew past the bound of ${percent(max)}: ${over.map((g) => `${g.process} ${percent(g.value)}`).join(', ')}`);
}
