/**
 * Runs every query of a dashboard against a live Prometheus (variables substituted) and reports
 * how many series each returned: what the tests assert "every panel shows data" with.
 */
import { queriesOf, substitute, type PanelQuery } from './queries.js';
import type { PrometheusServer, PromResult } from './prometheus.js';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';

export interface QueryOutcome {
  readonly query: PanelQuery;
  /** The expression as sent. */
  readonly expr: string;
  readonly series: number;
  /** Finite sample values seen (NaN from 0/0 rates are not counted). */
  readonly finiteValues: number;
  readonly result: PromResult;
}

export interface RangeWindow {
  /** Seconds since the epoch. */
  readonly start: number;
  readonly end: number;
  readonly step: number;
}

function countFinite(r: PromResult): number {
  let n = 0;
  for (const s of r.result) {
    for (const [, v] of s.values ?? (s.value ? [s.value] : [])) if (Number.isFinite(Number(v))) n++;
  }
  return n;
}

/**
 * Every query of `dashboard`: range panels as range queries over `window`, instant ones
 * (stat, bars) at `window.end` with `$__range` set to the window's length.
 */
export async function runDashboardQueries(
  prom: PrometheusServer,
  dashboard: Dashboard,
  variables: Readonly<Record<string, string>>,
  window: RangeWindow,
): Promise<QueryOutcome[]> {
  const rangeSeconds = Math.max(1, Math.ceil(window.end - window.start));
  const vars = { __range: `${rangeSeconds}s`, __interval: `${window.step}s`, ...variables };
  const out: QueryOutcome[] = [];
  for (const query of queriesOf(dashboard)) {
    const expr = substitute(query.expr, vars);
    const result = query.instant ? await prom.query(expr, window.end) : await prom.queryRange(expr, window.start, window.end, window.step);
    out.push({ query, expr, series: result.result.length, finiteValues: countFinite(result), result });
  }
  return out;
}

/** One line per query, for test diagnostics. */
export function describeOutcomes(outcomes: readonly QueryOutcome[]): string {
  return outcomes.map((o) => `${o.series > 0 ? 'ok   ' : 'EMPTY'} ${String(o.series).padStart(3)} series  ${o.query.panel} [${o.query.refId}]`).join('\n');
}
