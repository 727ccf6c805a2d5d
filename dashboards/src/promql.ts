/**
 * PromQL for the dashboards, built only from `@hlp/telemetry` catalogue keys (and its list of
 * prom-client default metrics), so that no dashboard types a metric name.
 *
 * `@hlp/telemetry`'s own `quantileQuery`/`rateQuery` produce the same shapes but take no label
 * matchers; the dashboards need `{instance=~"$instance"}` (and a few fixed matchers) inside the
 * selector, hence these variants. The names still come from `CATALOGUE[key].name`.
 */
import { CATALOGUE, DEFAULT_METRICS, type MetricKey } from '@hlp/telemetry';

/** Grafana's rate window: at least four scrape intervals, whatever the zoom. */
export const RATE_WINDOW = '$__rate_interval';

type Spec<K extends MetricKey> = (typeof CATALOGUE)[K];
export type HistogramKey = { [K in MetricKey]: Spec<K>['type'] extends 'histogram' ? K : never }[MetricKey];
export type CounterKey = { [K in MetricKey]: Spec<K>['type'] extends 'counter' ? K : never }[MetricKey];
export type GaugeKey = { [K in MetricKey]: Spec<K>['type'] extends 'gauge' ? K : never }[MetricKey];
export type LabelOf<K extends MetricKey> = Spec<K>['labels'][number];

export type DefaultMetricName = (typeof DEFAULT_METRICS)[number]['name'];
export type DefaultMetric = (typeof DEFAULT_METRICS)[number];

/** A prom-client default metric, looked up in `@hlp/telemetry`'s DEFAULT_METRICS (never typed freely). */
export function defaultMetric(name: DefaultMetricName): DefaultMetric {
  const found = DEFAULT_METRICS.find((d) => d.name === name);
  if (!found) throw new Error(`${name} is not in @hlp/telemetry's DEFAULT_METRICS`);
  return found;
}

/** Label matchers: `{ instance: '=~$instance', status: '=~2..' }` → `{instance=~"$instance", status=~"2.."}`. */
export type Matchers = Readonly<Record<string, string>>;

/** The instance filter every live panel carries. */
export const INSTANCE: Matchers = { instance: '=~$instance' };

function escapeValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
}

export function matcherText(matchers: Matchers = {}): string {
  const parts = Object.entries(matchers).map(([label, m]) => {
    const op = /^(=~|!~|!=|=)/.exec(m)?.[1] ?? '=';
    const value = m.startsWith(op) ? m.slice(op.length) : m;
    return `${label}${op}"${escapeValue(value)}"`;
  });
  return parts.length === 0 ? '' : `{${parts.join(', ')}}`;
}

function by(labels: readonly string[]): string {
  return labels.length === 0 ? '' : ` by (${labels.join(', ')})`;
}

/** `<name><suffix>{matchers}` for a catalogue metric. */
export function series<K extends MetricKey>(key: K, matchers: Matchers = INSTANCE, suffix = ''): string {
  return `${CATALOGUE[key].name}${suffix}${matcherText(matchers)}`;
}

/** `<default metric>{matchers}`. */
export function defaultSeries(name: DefaultMetricName, matchers: Matchers = INSTANCE, suffix = ''): string {
  return `${defaultMetric(name).name}${suffix}${matcherText(matchers)}`;
}

/** `histogram_quantile(q, sum by (le, …) (rate(<name>_bucket{…}[window])))` */
export function quantile<K extends HistogramKey>(
  key: K,
  q: number,
  groupBy: readonly LabelOf<K>[] | readonly string[] = [],
  matchers: Matchers = INSTANCE,
  window = RATE_WINDOW,
): string {
  return `histogram_quantile(${q}, sum${by(['le', ...groupBy])} (rate(${series(key, matchers, '_bucket')}[${window}])))`;
}

/** `sum by (…) (rate(<name>{…}[window]))` for a counter. */
export function rate<K extends CounterKey>(key: K, groupBy: readonly string[] = [], matchers: Matchers = INSTANCE, window = RATE_WINDOW): string {
  return `sum${by(groupBy)} (rate(${series(key, matchers)}[${window}]))`;
}

/** `sum by (…) (rate(<histogram>_count{…}[window]))`: events per second of a histogram. */
export function histogramRate<K extends HistogramKey>(key: K, groupBy: readonly string[] = [], matchers: Matchers = INSTANCE, window = RATE_WINDOW): string {
  return `sum${by(groupBy)} (rate(${series(key, matchers, '_count')}[${window}]))`;
}

/** `<agg> by (…) (<gauge>{…})`. */
export function gauge<K extends GaugeKey>(key: K, groupBy: readonly string[] = [], matchers: Matchers = INSTANCE, agg = 'sum'): string {
  return `${agg}${by(groupBy)} (${series(key, matchers)})`;
}

/**
 * Hit ratio by `groupBy` of a hits/misses counter pair: hits / (hits + misses). A level with
 * misses but no hits yet reads 0 (not absent); one with neither is absent.
 */
export function hitRatio<H extends CounterKey, M extends CounterKey>(hits: H, misses: M, groupBy: readonly string[], matchers: Matchers = INSTANCE, window = RATE_WINDOW): string {
  const h = rate(hits, groupBy, matchers, window);
  const m = rate(misses, groupBy, matchers, window);
  return `(${h} or 0 * ${m}) / (${h} + ${m} or ${h} or ${m})`;
}
