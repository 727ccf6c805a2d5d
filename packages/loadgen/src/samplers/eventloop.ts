/**
 * Event-loop delay of the apps, scraped from their Prometheus `/metrics` once a second: the
 * prom-client default metric named in @hlp/telemetry's DEFAULT_METRICS
 * (`nodejs_eventloop_lag_p99_seconds`).
 */
import { DEFAULT_METRICS } from '@hlp/telemetry';
import { parseTarget } from '../target.js';

export const EVENTLOOP_P99_METRIC: string =
  DEFAULT_METRICS.find((m) => m.name === 'nodejs_eventloop_lag_p99_seconds')?.name ?? 'nodejs_eventloop_lag_p99_seconds';

/** The value of an unlabelled (or first) sample of `name` in Prometheus text, or null. */
export function parsePromValue(text: string, name: string): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(
      rest
        .replace(/^\{[^}]*\}/, '')
        .trim()
        .split(/\s+/)[0],
    );
    if (Number.isFinite(value)) return value;
  }
  return null;
}

export interface LagPoint {
  readonly t: number;
  /** ms */
  readonly value: number;
}

export interface LagSeries {
  readonly name: string;
  readonly url: string;
  readonly points: LagPoint[];
  /** Last scrape error, if every scrape failed. */
  error: string | null;
}

/** Scrapes `<origin>/metrics` of each app every `intervalMs` (default 1000) until stop(). */
export class EventLoopSampler {
  readonly #series: LagSeries[];
  readonly #intervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #t0 = 0;
  #inFlight = new Set<Promise<void>>();

  constructor(apps: readonly { name: string; metricsUrl: string }[], options: { intervalMs?: number } = {}) {
    // Loopback only, like every other request of the load generator.
    this.#series = apps.map((a) => ({ name: a.name, url: parseTarget(a.metricsUrl, '/metrics').url, points: [], error: null }));
    this.#intervalMs = options.intervalMs ?? 1000;
  }

  start(): void {
    if (this.#timer) return;
    this.#t0 = performance.now();
    this.#timer = setInterval(() => {
      for (const s of this.#series) {
        const p = this.#scrape(s).finally(() => this.#inFlight.delete(p));
        this.#inFlight.add(p);
      }
    }, this.#intervalMs);
    this.#timer.unref();
  }

  async #scrape(s: LagSeries): Promise<void> {
    const t = performance.now() - this.#t0;
    try {
      const res = await fetch(s.url, { signal: AbortSignal.timeout(Math.max(500, this.#intervalMs)) });
      const text = await res.text();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const v = parsePromValue(text, EVENTLOOP_P99_METRIC);
      if (v === null) throw new Error(`no ${EVENTLOOP_P99_METRIC} in ${s.url}`);
      s.points.push({ t, value: v * 1000 });
      s.error = null;
    } catch (e) {
      if (s.points.length === 0) s.error = e instanceof Error ? e.message : String(e);
    }
  }

  async stop(): Promise<LagSeries[]> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.allSettled([...this.#inFlight]);
    return this.#series;
  }
}
