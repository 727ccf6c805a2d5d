/**
 * PromQL built from catalogue keys, so that dashboards name metrics only through the catalogue.
 */
import { CATALOGUE, type MetricKey } from './catalogue.js';
import type { LabelsOf } from './registry.js';

type HistogramKey = { [K in MetricKey]: (typeof CATALOGUE)[K]['type'] extends 'histogram' ? K : never }[MetricKey];
type CounterKey = { [K in MetricKey]: (typeof CATALOGUE)[K]['type'] extends 'counter' ? K : never }[MetricKey];

function by(labels: readonly string[]): string {
  return labels.length === 0 ? '' : ` by (${labels.join(', ')})`;
}

/** `histogram_quantile(q, sum by (le, …) (rate(<name>_bucket[window])))` */
export function quantileQuery<K extends HistogramKey>(
  key: K,
  q: number,
  groupBy: readonly LabelsOf<K>[] = [],
  window = '5m',
): string {
  const name = CATALOGUE[key].name;
  return `histogram_quantile(${q}, sum${by(['le', ...groupBy])} (rate(${name}_bucket[${window}])))`;
}

/** `sum by (…) (rate(<name>[window]))` for a counter. */
export function rateQuery<K extends CounterKey>(key: K, groupBy: readonly LabelsOf<K>[] = [], window = '5m'): string {
  return `sum${by(groupBy)} (rate(${CATALOGUE[key].name}[${window}]))`;
}

/** The metric's exposed name. */
export function metricName(key: MetricKey): string {
  return CATALOGUE[key].name;
}
