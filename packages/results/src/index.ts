export { ResultsError, type ResultsErrorCode, type ResultsIssue } from './errors.js';
export { SCHEMA_VERSION, GitInfo, GpuInfo, LabelValue, Labels, MachineFingerprint, Metric, RunResult, SeriesPoint, Summary, Verdict } from './schema.js';
export { medianCiRanks, quantileSorted, summarize } from './stats.js';
export {
  RELEVANT_CPU_FLAGS,
  cpuLine,
  fingerprint,
  gitInfo,
  machineClass,
  parseCpuinfo,
  parseNvidiaSmi,
  type FingerprintOptions,
  type MachineFacts,
} from './fingerprint.js';
export {
  compactUtc,
  defaultRunsDir,
  findRepoRoot,
  formatIssues,
  listRuns,
  parseRun,
  readRun,
  stringifyRun,
  writeRun,
  writeRunFile,
  type ListRunsOptions,
} from './storage.js';
export { makeMetric, type MakeMetricOptions } from './metric.js';
export {
  RUN_METRICS,
  RUN_METRIC_NAMES,
  isMetric,
  isRunMetricName,
  makeRunMetric,
  runMetricSpec,
  type MakeRunMetricOptions,
  type RunMetricName,
  type RunMetricProducer,
  type RunMetricSpec,
} from './run-metrics.js';
