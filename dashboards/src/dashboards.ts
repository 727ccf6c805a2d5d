/**
 * The set of generated dashboards, their rendering to JSON, and a walk over their panels'
 * queries (for the staleness check, promtool and the Prometheus tests).
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { kernels } from './kernels.js';
import { monthlyReview } from './monthly.js';
import { sloOverview } from './slo-overview.js';

export interface DashboardFile {
  /** File name under dashboards/generated/. */
  readonly file: string;
  readonly build: () => Dashboard;
}

export const DASHBOARDS: readonly DashboardFile[] = [
  { file: 'slo-overview.json', build: sloOverview },
  { file: 'kernels.json', build: kernels },
  { file: 'monthly-review.json', build: monthlyReview },
];

/** The JSON text written for a dashboard: two-space indent, trailing newline. */
export function renderDashboard(d: Dashboard): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}

/** Every dashboard as `file → JSON text`, in memory. */
export function renderAll(): Map<string, string> {
  return new Map(DASHBOARDS.map((d) => [d.file, renderDashboard(d.build())]));
}

export { panelsOf, queriesOf, substitute, type PanelQuery } from './queries.js';
