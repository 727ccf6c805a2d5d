export { DASHBOARDS, panelsOf, queriesOf, renderAll, renderDashboard, substitute, type DashboardFile, type PanelQuery } from './dashboards.js';
export { GENERATED_DIR, checkGenerated, writeGenerated, type Staleness } from './generate.js';
export {
  LAB_LABELS,
  LAB_METRICS,
  LAB_UNIT_FAMILIES,
  LAB_UNIT_FAMILY_NAMES,
  RESERVED_LABELS,
  labFamilies,
  labMetric,
  labelName,
  toBaseUnit,
  type LabMetricKey,
  type LabMetricSpec,
  type LabUnitFamily,
} from './lab-metrics.js';
export { HISTORY_FILTER, LAB_FILTER, MACHINE_CLASS_VARIABLE, SUITE_VARIABLE } from './lab-promql.js';
export { CLIENT_ROUTES, CORES_VARIABLE, INSTANCE_VARIABLE, SLO_OVERVIEW_UID, genericPanel, panelTitle, sloOverview, sloTarget } from './slo-overview.js';
export { KERNELS_UID, KERNEL_METRICS, kernels } from './kernels.js';
export { ANNOTATION_STEP, MONTHLY_UID, monthlyReview } from './monthly.js';
export { defaultMetric, matcherText } from '@hlp/telemetry';
export { RATE_WINDOW } from './live-promql.js';
export {
  PrometheusServer,
  freePort,
  promtoolCheckRules,
  promtoolCreateBlocks,
  rulesFileFor,
  startPrometheus,
  type PromResult,
  type PrometheusOptions,
} from './prometheus.js';
export { describeOutcomes, runDashboardQueries, type QueryOutcome, type RangeWindow } from './check.js';
export { findExecutable, type PromSeries, type ScrapeJob } from './prometheus.js';
