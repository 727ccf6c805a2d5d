/**
 * The one PromQL builder: queries over the catalogue's metrics, built from catalogue keys (and
 * the list of prom-client default metrics), so that no query types a metric name.
 *
 * A consumer binds its own defaults once (`promqlBuilder({ matchers, window })`): Grafana panels
 * filter by `$instance` over `$__rate_interval`, an alert or an adapter rule over a fixed window.
 * Those defaults belong to the consumer, so they are parameters here rather than constants.
 */
import { CATALOGUE, DEFAULT_METRICS, type MetricKey } from './catalogue.js';

type Spec<K extends MetricKey> = (typeof CATALOGUE)[K];
export type HistogramKey = { [K in MetricKey]: Spec<K>['type'] extends 'histogram' ? K : never }[MetricKey];
export type CounterKey = { [K in MetricKey]: Spec<K>['type'] extends 'counter' ? K : never }[MetricKey];
export type GaugeKey = { [K in MetricKey]: Spec<K>['type'] extends 'gauge' ? K : never }[MetricKey];
export type LabelOf<K extends MetricKey> = Spec<K>['labels'][number];

export type DefaultMetric = (typeof DEFAULT_METRICS)[number];
export type DefaultMetricName = DefaultMetric['name'];

/** Label matchers: `{ instance: '=~$instance', status: '=~2..' }` → `{instance=~"$instance", status=~"2.."}`. */
export type Matchers = Readonly<Record<string, string>>;

/** The window of the plain builder, when a consumer binds none. */
export const DEFAULT_WINDOW = '5m';

/** A prom-client default metric, looked up in DEFAULT_METRICS (never typed freely). */
export function defaultMetric(name: DefaultMetricName): DefaultMetric {
  const found = DEFAULT_METRICS.find((d) => d.name === name);
  if (!found) throw new Error(`${name} is not in @hlp/telemetry's DEFAULT_METRICS`);
  return found;
}

/** The metric's exposed name. */
export function metricName(key: MetricKey): string {
  return CATALOGUE[key].name;
}

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

/** What a consumer binds once: the matchers every query carries and the rate window. */
export interface QueryDefaults {
  readonly matchers?: Matchers;
  readonly window?: string;
}

/**
 * Query builders with the consumer's defaults; every argument may still override them. Function
 * properties rather than methods: closures over the defaults, safe to destructure.
 */
export interface PromqlBuilder {
  /** `<name><suffix>{matchers}` for a catalogue metric. */
  series: <K extends MetricKey>(key: K, matchers?: Matchers, suffix?: string) => string;
  /** `<default metric><suffix>{matchers}`. */
  defaultSeries: (name: DefaultMetricName, matchers?: Matchers, suffix?: string) => string;
  /** `histogram_quantile(q, sum by (le, …) (rate(<name>_bucket{…}[window])))` */
  quantile: <K extends HistogramKey>(key: K, q: number, groupBy?: readonly LabelOf<K>[] | readonly string[], matchers?: Matchers, window?: string) => string;
  /** `sum by (…) (rate(<name>{…}[window]))` for a counter. */
  rate: <K extends CounterKey>(key: K, groupBy?: readonly string[], matchers?: Matchers, window?: string) => string;
  /** `sum by (…) (rate(<histogram>_count{…}[window]))`: events per second of a histogram. */
  histogramRate: <K extends HistogramKey>(key: K, groupBy?: readonly string[], matchers?: Matchers, window?: string) => string;
  /** `<agg> by (…) (<gauge>{…})`. */
  gauge: <K extends GaugeKey>(key: K, groupBy?: readonly string[], matchers?: Matchers, agg?: string) => string;
  /**
   * Hit ratio by `groupBy` of a hits/misses counter pair: hits / (hits + misses). A level with
   * misses but no hits yet reads 0 (not absent); one with neither is absent.
   */
  hitRatio: <H extends CounterKey, M extends CounterKey>(hits: H, misses: M, groupBy: readonly string[], matchers?: Matchers, window?: string) => string;
}

export function promqlBuilder(defaults: QueryDefaults = {}): PromqlBuilder {
  const baseMatchers = defaults.matchers ?? {};
  const baseWindow = defaults.window ?? DEFAULT_WINDOW;
  const series = <K extends MetricKey>(key: K, matchers: Matchers = baseMatchers, suffix = ''): string =>
    `${CATALOGUE[key].name}${suffix}${matcherText(matchers)}`;
  const rate = <K extends CounterKey>(key: K, groupBy: readonly string[] = [], matchers: Matchers = baseMatchers, window = baseWindow): string =>
    `sum${by(groupBy)} (rate(${series(key, matchers)}[${window}]))`;
  return {
    series,
    rate,
    defaultSeries: (name, matchers = baseMatchers, suffix = '') => `${defaultMetric(name).name}${suffix}${matcherText(matchers)}`,
    quantile: (key, q, groupBy = [], matchers = baseMatchers, window = baseWindow) =>
      `histogram_quantile(${q}, sum${by(['le', ...groupBy])} (rate(${series(key, matchers, '_bucket')}[${window}])))`,
    histogramRate: (key, groupBy = [], matchers = baseMatchers, window = baseWindow) =>
      `sum${by(groupBy)} (rate(${series(key, matchers, '_count')}[${window}]))`,
    gauge: (key, groupBy = [], matchers = baseMatchers, agg = 'sum') => `${agg}${by(groupBy)} (${series(key, matchers)})`,
    hitRatio: (hits, misses, groupBy, matchers = baseMatchers, window = baseWindow) => {
      const h = rate(hits, groupBy, matchers, window);
      const m = rate(misses, groupBy, matchers, window);
      return `(${h} or 0 * ${m}) / (${h} + ${m} or ${h} or ${m})`;
    },
  };
}

/** The builder without matchers, over DEFAULT_WINDOW. */
export const promql: PromqlBuilder = promqlBuilder();
