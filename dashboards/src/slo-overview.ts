/**
 * SLO overview: the five targets of DESIGN §2 (thresholds from `@hlp/gate`'s SLO_TARGETS) as
 * stat panels and as threshold lines over time, then every application metric of the
 * `@hlp/telemetry` catalogue on the panel its `panel` field names (`Group › Title`).
 */
import { MappingType, type Dashboard, type DashboardBuilder, type ValueMapping } from '@grafana/grafana-foundation-sdk/dashboard';
import { CustomVariableBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { SLO_TARGETS, type SloTarget } from '@hlp/gate';
import { BREAKER_STATES, CATALOGUE, defaultMetric, type DefaultMetricName, type MetricKey, type MetricSpec } from '@hlp/telemetry';
import { queriesOf } from './queries.js';
import { COLORS, Layout, dashboardBase, labelVariable, stat, timeseries, type SloLine } from './common.js';
import { INSTANCE, RATE_WINDOW, defaultSeries, gauge, hitRatio, histogramRate, quantile, rate, series } from './live-promql.js';

export const SLO_OVERVIEW_UID = 'hlp-slo-overview';
export const CORES_VARIABLE = 'cores';
export const INSTANCE_VARIABLE = 'instance';

/**
 * The proxy's client routes (DESIGN §7): throughput counts these, 2xx only. The inference
 * service's routes (`/v1/evaluate`, `/v1/keys`, …) are proxy-internal traffic and never counted.
 */
export const CLIENT_ROUTES = ['/v1/embeddings', '/v1/fhe/encrypt'] as const;

/** Title of the panel a catalogue entry names (`SLO overview › Errors by code` → `Errors by code`). */
export function panelTitle(key: MetricKey): string {
  return titleOf(CATALOGUE[key].panel);
}

export function defaultPanelTitle(name: DefaultMetricName): string {
  return titleOf(defaultMetric(name).panel);
}

function titleOf(panel: string): string {
  const parts = panel.split('›');
  return (parts[parts.length - 1] ?? panel).trim();
}

/** An SLO target of the gate by id, as a threshold line. */
export function sloTarget(id: string): SloTarget & SloLine {
  const t = SLO_TARGETS.find((x) => x.id === id);
  if (!t) throw new Error(`SLO target ${id} is not in @hlp/gate's SLO_TARGETS`);
  return { ...t, value: t.threshold };
}

function breakerMappings(): ValueMapping[] {
  const colors: Record<string, string> = { closed: COLORS.ok, 'half-open': COLORS.warn, open: COLORS.bad };
  const options: Record<string, { text: string; color: string; index: number }> = {};
  Object.entries(BREAKER_STATES).forEach(([state, value], index) => {
    options[String(value)] = { text: state, color: colors[state] ?? COLORS.neutral, index };
  });
  return [{ type: MappingType.ValueToText, options }];
}

const routeMatch = `=~${CLIENT_ROUTES.map((r) => r.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')}`;
const twoXX = '=~2..';

export function sloOverview(): Dashboard {
  const d = sloOverviewBase();
  const L = new Layout(d);
  // The order of the calls is the order of the panels on the grid.
  addSloTargetPanels(L);
  addRequestPanels(L);
  addUpstreamPanels(L);
  addInferencePanels(L);
  addProcessPanels(L);
  addGenericPanels(d, L);
  return d.build();
}

/** The dashboard with its variables: the instance filter and the machine's cores (the CPU target's denominator). */
function sloOverviewBase(): DashboardBuilder {
  return dashboardBase(
    SLO_OVERVIEW_UID,
    'HLP — SLO overview',
    'The five targets of DESIGN §2 with their thresholds, and every metric of the proxy and the inference service (names from @hlp/telemetry).',
    ['slo', 'proxy', 'inference'],
    'now-1h',
  )
    .withVariable(
      labelVariable(
        INSTANCE_VARIABLE,
        'instance',
        series('httpRequestsInFlight', {}),
        'Instance',
        'Scraped proxy and inference instances (every one exposes the requests-in-flight gauge).',
      ),
    )
    .withVariable(
      new CustomVariableBuilder(CORES_VARIABLE)
        .label('Cores')
        .description('Logical cores of the machine the proxy runs on: the CPU target is a share of the whole machine.')
        .values('1,2,4,8,16,32,64,128')
        .current({ selected: true, text: '16', value: '16' }),
    );
}

/** The five targets as stat panels, then each over time with its threshold line. */
function addSloTargetPanels(L: Layout): void {
  const enc = sloTarget('encryption-latency-p95');
  const thr = sloTarget('throughput');
  const cpu = sloTarget('cpu-efficiency');
  const mem = sloTarget('memory-per-instance');
  const gpu = sloTarget('gpu-memory-efficiency');

  const throughputExpr = histogramRate('httpRequestDuration', [], { ...INSTANCE, route: routeMatch, status: twoXX });
  const cpuExpr = (q = 'sum by (job, instance)'): string => `${q} (rate(${defaultSeries('process_cpu_seconds_total')}[${RATE_WINDOW}])) / $${CORES_VARIABLE}`;
  const memExpr = `max by (job, instance) (${defaultSeries('process_resident_memory_bytes')})`;
  const gpuRatioExpr = `${gauge('gpuPoolInUse', ['instance', 'gpu'])} / ${gauge('gpuPoolReserved', ['instance', 'gpu'])}`;

  L.row('SLO targets (DESIGN §2)');
  L.add(stat({ title: 'Encryption P95 now', description: enc.title, unit: 's', slo: enc, queries: [{ expr: quantile('encryptionDuration', 0.95) }] }), 5, 4);
  L.add(stat({ title: 'Throughput now', description: thr.title, unit: 'reqps', slo: thr, queries: [{ expr: throughputExpr }] }), 5, 4);
  L.add(
    stat({
      title: 'CPU share now (busiest process)',
      description: cpu.title,
      unit: 'percentunit',
      slo: cpu,
      queries: [{ expr: cpuExpr('max'), legend: 'max over instances' }],
    }),
    5,
    4,
  );
  L.add(
    stat({
      title: 'Peak RSS now',
      description: mem.title,
      unit: 'decbytes',
      slo: mem,
      queries: [{ expr: `max (${defaultSeries('process_resident_memory_bytes')})` }],
    }),
    5,
    4,
  );
  L.add(
    stat({
      title: 'GPU memory efficiency now',
      description: gpu.title,
      unit: 'percentunit',
      slo: gpu,
      queries: [{ expr: `min (${gauge('gpuPoolEfficiency', ['instance', 'gpu'])})` }],
    }),
    4,
    4,
  );

  L.add(
    timeseries({
      title: panelTitle('encryptionDuration'),
      description: `${CATALOGUE.encryptionDuration.help} Target: ${enc.title}.`,
      unit: 's',
      slo: enc,
      min: 0,
      queries: [{ expr: quantile('encryptionDuration', 0.95, ['backend', 'layout']), legend: 'P95 {{backend}} {{layout}}' }],
    }),
  );
  L.add(
    timeseries({
      title: 'Throughput, 2xx (target > 100 RPS)',
      description: `Client requests answered 2xx per second (${CLIENT_ROUTES.join(', ')}), from ${CATALOGUE.httpRequestDuration.name}. Target: ${thr.title}.`,
      unit: 'reqps',
      slo: thr,
      min: 0,
      queries: [
        { expr: throughputExpr, legend: '2xx total' },
        { expr: histogramRate('httpRequestDuration', ['route', 'status'], { ...INSTANCE, route: routeMatch }), legend: '{{route}} {{status}}' },
      ],
    }),
  );
  L.add(
    timeseries({
      title: defaultPanelTitle('process_cpu_seconds_total'),
      description: `CPU seconds per second of each process divided by $${CORES_VARIABLE} (the machine's cores). Target: ${cpu.title}.`,
      unit: 'percentunit',
      slo: cpu,
      min: 0,
      queries: [{ expr: cpuExpr(), legend: '{{job}} {{instance}}' }],
    }),
  );
  L.add(
    timeseries({
      title: defaultPanelTitle('process_resident_memory_bytes'),
      description: `Resident memory of each process. Target: ${mem.title}.`,
      unit: 'decbytes',
      slo: mem,
      min: 0,
      queries: [{ expr: memExpr, legend: '{{job}} {{instance}}' }],
    }),
  );
  L.add(
    timeseries({
      title: panelTitle('gpuPoolEfficiency'),
      description: `${CATALOGUE.gpuPoolEfficiency.help} Target: ${gpu.title}. Empty on a machine without a GPU.`,
      unit: 'percentunit',
      slo: gpu,
      min: 0,
      max: 1,
      queries: [
        { expr: gauge('gpuPoolEfficiency', ['instance', 'gpu'], INSTANCE, 'avg'), legend: 'reported {{instance}} gpu {{gpu}}' },
        { expr: gpuRatioExpr, legend: 'in use / reserved {{instance}} gpu {{gpu}}' },
      ],
    }),
    24,
  );
}

/** Request latency, errors, in-flight requests, decryption; the pipeline's stages; traffic. */
function addRequestPanels(L: Layout): void {
  L.row('SLO overview');
  L.add(
    timeseries({
      title: panelTitle('httpRequestDuration'),
      description: CATALOGUE.httpRequestDuration.help,
      unit: 's',
      min: 0,
      queries: [{ expr: quantile('httpRequestDuration', 0.95, ['job', 'route']), legend: '{{job}} {{route}}' }],
    }),
  );
  L.add(
    timeseries({
      title: panelTitle('errors'),
      description: CATALOGUE.errors.help,
      unit: 'suffix: errors/s',
      min: 0,
      stack: true,
      queries: [{ expr: rate('errors', ['code']), legend: '{{code}}' }],
    }),
  );
  L.add(
    timeseries({
      title: panelTitle('httpRequestsInFlight'),
      description: CATALOGUE.httpRequestsInFlight.help,
      unit: 'suffix: requests',
      min: 0,
      queries: [{ expr: gauge('httpRequestsInFlight', ['job', 'instance']), legend: '{{job}} {{instance}}' }],
    }),
  );
  L.add(
    timeseries({
      title: panelTitle('decryptionDuration'),
      description: CATALOGUE.decryptionDuration.help,
      unit: 's',
      min: 0,
      queries: [{ expr: quantile('decryptionDuration', 0.95, ['backend']), legend: 'P95 {{backend}}' }],
    }),
  );

  L.row('Pipeline');
  L.add(
    timeseries({
      title: panelTitle('stageDuration'),
      description: `Mean time per request in each pipeline stage, stacked (sum/count of ${CATALOGUE.stageDuration.name}). ${CATALOGUE.stageDuration.help}`,
      unit: 's',
      min: 0,
      stack: true,
      queries: [
        {
          expr: `sum by (stage) (rate(${series('stageDuration', INSTANCE, '_sum')}[${RATE_WINDOW}])) / sum by (stage) (rate(${series('stageDuration', INSTANCE, '_count')}[${RATE_WINDOW}]))`,
          legend: '{{stage}}',
        },
      ],
    }),
  );
  L.add(
    timeseries({
      title: 'Stage latency P95',
      description: `P95 of each pipeline stage (${CATALOGUE.stageDuration.name}).`,
      unit: 's',
      min: 0,
      queries: [{ expr: quantile('stageDuration', 0.95, ['stage']), legend: '{{stage}}' }],
    }),
  );

  L.row('Traffic');
  L.add(
    timeseries({
      title: panelTitle('ciphertextsSent'),
      description: `${CATALOGUE.ciphertextsSent.help} ${CATALOGUE.ciphertextsReceived.help}`,
      unit: 'suffix: ciphertexts/s',
      min: 0,
      queries: [
        { expr: rate('ciphertextsSent', ['job', 'peer']), legend: '{{job}} sent to {{peer}}' },
        { expr: rate('ciphertextsReceived', ['job', 'peer']), legend: '{{job}} received from {{peer}}' },
      ],
    }),
    8,
  );
  L.add(
    timeseries({
      title: panelTitle('bytesSent'),
      description: `${CATALOGUE.bytesSent.help} ${CATALOGUE.bytesReceived.help}`,
      unit: 'Bps',
      min: 0,
      queries: [
        { expr: rate('bytesSent', ['job', 'peer']), legend: '{{job}} sent to {{peer}}' },
        { expr: rate('bytesReceived', ['job', 'peer']), legend: '{{job}} received from {{peer}}' },
      ],
    }),
    8,
  );
  L.add(
    timeseries({
      title: panelTitle('promptTokens'),
      description: CATALOGUE.promptTokens.help,
      unit: 'suffix: tokens',
      min: 0,
      queries: [
        { expr: quantile('promptTokens', 0.5), legend: 'P50' },
        { expr: quantile('promptTokens', 0.95), legend: 'P95' },
      ],
    }),
    8,
  );
}

/** The proxy's upstream and circuit breaker, its queues and batches, the key cache. */
function addUpstreamPanels(L: Layout): void {
  L.row('Upstream');
  L.add(
    timeseries({
      title: panelTitle('upstreamDuration'),
      description: CATALOGUE.upstreamDuration.help,
      unit: 's',
      min: 0,
      queries: [{ expr: quantile('upstreamDuration', 0.95, ['operation']), legend: 'P95 {{operation}}' }],
    }),
  );
  L.add(
    timeseries({
      title: panelTitle('circuitBreakerState'),
      description: CATALOGUE.circuitBreakerState.help,
      unit: 'none',
      min: 0,
      max: 2,
      decimals: 0,
      mappings: breakerMappings(),
      queries: [{ expr: gauge('circuitBreakerState', ['instance', 'upstream'], INSTANCE, 'max'), legend: '{{instance}} → {{upstream}}' }],
    }),
  );

  L.row('Backpressure');
  L.add(
    timeseries({
      title: panelTitle('queueDepth'),
      description: CATALOGUE.queueDepth.help,
      unit: 'suffix: requests',
      min: 0,
      queries: [{ expr: gauge('queueDepth', ['job', 'queue']), legend: '{{job}} {{queue}}' }],
    }),
  );
  L.add(
    timeseries({
      title: panelTitle('batchSize'),
      description: CATALOGUE.batchSize.help,
      unit: 'suffix: requests',
      min: 0,
      queries: [
        { expr: quantile('batchSize', 0.5), legend: 'P50' },
        { expr: quantile('batchSize', 0.95), legend: 'P95' },
      ],
    }),
  );

  L.row('Key cache');
  L.add(
    timeseries({
      title: panelTitle('keyCacheHits'),
      description: `${CATALOGUE.keyCacheHits.help} Ratio hits / (hits + misses) per level.`,
      unit: 'percentunit',
      min: 0,
      max: 1,
      queries: [{ expr: hitRatio('keyCacheHits', 'keyCacheMisses', ['level']), legend: '{{level}}' }],
    }),
    8,
  );
  L.add(
    timeseries({
      title: panelTitle('keyCacheSize'),
      description: CATALOGUE.keyCacheSize.help,
      unit: 'bytes',
      min: 0,
      queries: [{ expr: gauge('keyCacheSize', ['level']), legend: '{{level}}' }],
    }),
    8,
  );
  L.add(
    timeseries({
      title: panelTitle('keyUploads'),
      description: CATALOGUE.keyUploads.help,
      unit: 'suffix: uploads/s',
      min: 0,
      queries: [{ expr: rate('keyUploads', ['reason']), legend: '{{reason}}' }],
    }),
    8,
  );
}

/** The inference service's workloads and the GPU. */
function addInferencePanels(L: Layout): void {
  L.row('Inference');
  L.add(
    timeseries({
      title: panelTitle('workloadEvaluationDuration'),
      description: CATALOGUE.workloadEvaluationDuration.help,
      unit: 's',
      min: 0,
      queries: [{ expr: quantile('workloadEvaluationDuration', 0.95, ['workload', 'layout']), legend: 'P95 {{workload}} {{layout}}' }],
    }),
    24,
  );

  L.add(
    timeseries({
      title: panelTitle('workloadOperations'),
      description: CATALOGUE.workloadOperations.help,
      unit: 'ops',
      min: 0,
      stack: true,
      queries: [{ expr: rate('workloadOperations', ['workload', 'op']), legend: '{{workload}} {{op}}' }],
    }),
    24,
  );

  L.row('GPU');
  L.add(
    timeseries({
      title: panelTitle('gpuUtilization'),
      description: `${CATALOGUE.gpuUtilization.help} Empty on a machine without a GPU.`,
      unit: 'percentunit',
      min: 0,
      max: 1,
      queries: [{ expr: gauge('gpuUtilization', ['instance', 'gpu'], INSTANCE, 'max'), legend: '{{instance}} gpu {{gpu}}' }],
    }),
  );
  L.add(
    timeseries({
      title: panelTitle('gpuMemoryUsed'),
      description: `${CATALOGUE.gpuMemoryUsed.help} ${CATALOGUE.gpuMemoryTotal.help} Empty on a machine without a GPU.`,
      unit: 'bytes',
      min: 0,
      queries: [
        { expr: gauge('gpuMemoryUsed', ['gpu'], INSTANCE, 'max'), legend: 'used gpu {{gpu}}' },
        { expr: gauge('gpuMemoryTotal', ['gpu'], INSTANCE, 'max'), legend: 'total gpu {{gpu}}' },
      ],
    }),
  );
}

/** Node's process metrics: CPU, heap, event-loop lag, garbage collection. */
function addProcessPanels(L: Layout): void {
  L.row('Process');
  L.add(
    timeseries({
      title: defaultPanelTitle('process_cpu_user_seconds_total'),
      description: 'User and system CPU seconds per second of each process (1 = one core busy).',
      unit: 'percentunit',
      min: 0,
      stack: true,
      queries: [
        { expr: `sum by (job, instance) (rate(${defaultSeries('process_cpu_user_seconds_total')}[${RATE_WINDOW}]))`, legend: 'user {{job}} {{instance}}' },
        { expr: `sum by (job, instance) (rate(${defaultSeries('process_cpu_system_seconds_total')}[${RATE_WINDOW}]))`, legend: 'system {{job}} {{instance}}' },
      ],
    }),
  );
  L.add(
    timeseries({
      title: defaultPanelTitle('nodejs_heap_size_used_bytes'),
      description: defaultMetric('nodejs_heap_size_used_bytes').help,
      unit: 'bytes',
      min: 0,
      queries: [{ expr: `sum by (job, instance) (${defaultSeries('nodejs_heap_size_used_bytes')})`, legend: '{{job}} {{instance}}' }],
    }),
  );
  L.add(
    timeseries({
      title: defaultPanelTitle('nodejs_eventloop_lag_p99_seconds'),
      description: defaultMetric('nodejs_eventloop_lag_p99_seconds').help,
      unit: 's',
      min: 0,
      queries: [{ expr: `max by (job, instance) (${defaultSeries('nodejs_eventloop_lag_p99_seconds')})`, legend: '{{job}} {{instance}}' }],
    }),
  );
  L.add(
    timeseries({
      title: defaultPanelTitle('nodejs_gc_duration_seconds'),
      description: 'Share of wall time spent in garbage collection, by kind (seconds of GC per second).',
      unit: 'percentunit',
      min: 0,
      stack: true,
      queries: [
        { expr: `sum by (job, kind) (rate(${defaultSeries('nodejs_gc_duration_seconds', INSTANCE, '_sum')}[${RATE_WINDOW}]))`, legend: '{{job}} {{kind}}' },
      ],
    }),
  );
}

/**
 * Any catalogue metric without a hand-made panel still gets one (generic, by type), on the
 * panel its catalogue entry names, so the dashboard never lags the catalogue.
 */
function addGenericPanels(d: DashboardBuilder, L: Layout): void {
  const covered = new Set(
    queriesOf(d.build())
      .flatMap((q) => q.expr.match(/\bhlp_[a-z0-9_]+\b/g) ?? [])
      .map((n) => n.replace(/_(bucket|sum|count)$/, '')),
  );
  const missing = (Object.keys(CATALOGUE) as MetricKey[]).filter((k) => !covered.has(CATALOGUE[k].name));
  if (missing.length > 0) {
    L.row('More (generic panels from the catalogue)');
    for (const key of missing) L.add(genericPanel(key));
  }
}

const UNIT_OF: Record<string, string> = { seconds: 's', bytes: 'bytes', ratio: 'percentunit' };

/** A panel for any catalogue metric: P95 of a histogram, rate of a counter, sum of a gauge, by its labels. */
export function genericPanel(key: MetricKey): ReturnType<typeof timeseries> {
  const spec: MetricSpec = CATALOGUE[key];
  const labels = [...spec.labels];
  const legend = labels.map((l) => `{{${l}}}`).join(' ') || spec.name;
  const base = UNIT_OF[spec.unit];
  switch (spec.type) {
    case 'histogram':
      return timeseries({
        title: panelTitle(key),
        description: `${spec.help} (P95, generic panel)`,
        unit: base ?? `suffix: ${spec.unit}`,
        min: 0,
        queries: [
          {
            expr: `histogram_quantile(0.95, sum by (${['le', ...labels].join(', ')}) (rate(${series(key, INSTANCE, '_bucket')}[${RATE_WINDOW}])))`,
            legend: `P95 ${legend}`,
          },
        ],
      });
    case 'counter':
      return timeseries({
        title: panelTitle(key),
        description: `${spec.help} (per second, generic panel)`,
        unit: base === 's' ? 'percentunit' : base === 'bytes' ? 'Bps' : `suffix: ${spec.unit}/s`,
        min: 0,
        queries: [{ expr: `sum${labels.length ? ` by (${labels.join(', ')})` : ''} (rate(${series(key)}[${RATE_WINDOW}]))`, legend }],
      });
    case 'gauge':
      return timeseries({
        title: panelTitle(key),
        description: `${spec.help} (generic panel)`,
        unit: base ?? `suffix: ${spec.unit}`,
        queries: [{ expr: `sum by (${['instance', ...labels].join(', ')}) (${series(key)})`, legend: `{{instance}} ${legend}` }],
      });
  }
}
