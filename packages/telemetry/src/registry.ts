import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { APPS, CATALOGUE, type AppName, type Catalogue, type MetricKey, type MetricSpec } from './catalogue.js';

/** Label names of a catalogue entry, as a string-literal union (never for an unlabelled metric). */
export type LabelsOf<K extends MetricKey> = Catalogue[K]['labels'][number];

/** The prom-client instrument of a catalogue entry, typed by its label names. */
export type InstrumentOf<K extends MetricKey> = Catalogue[K]['type'] extends 'counter'
  ? Counter<LabelsOf<K>>
  : Catalogue[K]['type'] extends 'gauge'
    ? Gauge<LabelsOf<K>>
    : Histogram<LabelsOf<K>>;

/** Catalogue keys that app A registers. */
export type MetricKeyFor<A extends AppName> = {
  [K in MetricKey]: A extends Catalogue[K]['apps'][number] ? K : never;
}[MetricKey];

/** The typed accessors of one app: `metrics.httpRequestDuration.observe({ route, method, status }, s)`. */
export type AppMetrics<A extends AppName> = { readonly [K in MetricKeyFor<A>]: InstrumentOf<K> };

export interface RegistryOptions {
  /** Also collect prom-client's default process and Node.js metrics (default true). */
  readonly defaultMetrics?: boolean;
  /** Labels added to every series of this registry (e.g. `{ instance: 'proxy-1' }`). */
  readonly defaultLabels?: Readonly<Record<string, string>>;
}

/**
 * Scrape-time sources of app A's metrics: called (and awaited) whenever the metric is read,
 * in this process or when a cluster primary asks the worker, so live values (a device pool,
 * nvidia-smi) are read only when someone looks.
 */
export type CollectorsFor<A extends AppName> = { readonly [K in MetricKeyFor<A>]?: (instrument: InstrumentOf<K>) => void | Promise<void> };

export interface AppRegistry<A extends AppName> {
  readonly app: A;
  readonly registry: Registry;
  readonly metrics: AppMetrics<A>;
  /** Prometheus text exposition of everything registered (what GET /metrics returns); a closure, safe to destructure. */
  readonly metricsText: () => Promise<string>;
  /** The Content-Type header for `metricsText()`. */
  readonly contentType: string;
}

export class TelemetryError extends Error {
  override readonly name = 'TelemetryError';
  constructor(
    readonly code: 'UNKNOWN_APP',
    message: string,
  ) {
    super(message);
  }
}

/** Catalogue keys registered by `app`, in catalogue order. */
export function metricKeysFor<A extends AppName>(app: A): MetricKeyFor<A>[] {
  return (Object.keys(CATALOGUE) as MetricKey[]).filter((k): k is MetricKeyFor<A> => (CATALOGUE[k].apps as readonly AppName[]).includes(app));
}

type AnyInstrument = Counter<string> | Gauge<string> | Histogram<string>;

function instrument(spec: MetricSpec, registry: Registry, collect?: (instrument: AnyInstrument) => void | Promise<void>): AnyInstrument {
  const common = {
    name: spec.name,
    help: spec.help,
    labelNames: [...spec.labels],
    registers: [registry],
    ...(spec.aggregator === undefined ? {} : { aggregator: spec.aggregator }),
    // prom-client calls collect with the instrument as `this`.
    ...(collect === undefined
      ? {}
      : {
          collect(this: AnyInstrument): void | Promise<void> {
            return collect(this);
          },
        }),
  };
  switch (spec.type) {
    case 'counter':
      return new Counter(common);
    case 'gauge':
      return new Gauge(common);
    case 'histogram':
      return new Histogram({ ...common, buckets: [...(spec.buckets ?? [])] });
  }
}

/**
 * A fresh prom-client Registry with every catalogue metric of `app` registered (and, unless
 * `defaultMetrics: false`, prom-client's default process/Node.js metrics), plus typed accessors.
 * Each call builds an independent registry, so tests and several apps in one process never clash.
 */
export function createRegistry<A extends AppName>(app: A, options: RegistryOptions & { readonly collect?: CollectorsFor<A> } = {}): AppRegistry<A> {
  if (!(APPS as readonly string[]).includes(app)) {
    throw new TelemetryError('UNKNOWN_APP', `unknown app ${String(app)}; expected one of ${APPS.join(', ')}`);
  }
  const registry = new Registry();
  if (options.defaultLabels !== undefined) registry.setDefaultLabels({ ...options.defaultLabels });
  const metrics: Partial<Record<MetricKey, Counter<string> | Gauge<string> | Histogram<string>>> = {};
  const collectors = (options.collect ?? {}) as Partial<Record<MetricKey, (instrument: AnyInstrument) => void | Promise<void>>>;
  for (const key of metricKeysFor(app)) metrics[key] = instrument(CATALOGUE[key], registry, collectors[key]);
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return {
    app,
    registry,
    // Built from the same catalogue that defines AppMetrics<A>: one instrument per key of app A.
    metrics: metrics as unknown as AppMetrics<A>,
    metricsText: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
