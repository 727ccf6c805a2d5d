export { GateError, describeIssues, type GateErrorCode, type GateIssue } from './errors.js';
export { hashSeed, mulberry32 } from './prng.js';
export {
  bootstrapRatio,
  bootstrapRatioRuns,
  median,
  medianSorted,
  resampleMedian,
  sortedSample,
  thinSorted,
  type BootstrapOptions,
  type NormalisingPair,
  type RatioInterval,
} from './stats.js';
export { conversionFactor, formatValue, speedKind, unitInfo, type UnitFamily } from './units.js';
export {
  CONFIG_SCHEMA,
  DEFAULT_CONFIDENCE,
  DEFAULT_MAX_SAMPLES_PER_SIDE,
  DEFAULT_MIN_SAMPLES,
  DEFAULT_RESAMPLES,
  DEFAULT_SEED,
  DEFAULT_THRESHOLDS,
  GateConfigFile,
  ThresholdRule,
  isIgnored,
  labelsInclude,
  nameMatches,
  readConfig,
  resolveConfig,
  thresholdsFor,
  type GateConfig,
  type Thresholds,
} from './config.js';
export { VERDICTS, band, decide, type Band, type Decision, type Verdict } from './verdict.js';
export { metricKey, poolMetrics, poolRuns, runsOf, thinInOrder } from './pool.js';
export {
  BASELINE_SAMPLES_CAP,
  BASELINE_SCHEMA,
  Baseline,
  CALIBRATION_PREFIX,
  baselinePath,
  defaultBaselinesDir,
  findBaseline,
  makeBaseline,
  parseBaseline,
  readBaseline,
  writeBaseline,
  type FoundBaseline,
  type MakeBaselineOptions,
} from './baseline.js';
export {
  compareMetrics,
  measureOne,
  type Calibration,
  type CompareSettings,
  type Comparison,
  type Measurement,
  type MetricComparison,
  type RemeasureOutcome,
  type UnmatchedMetric,
  type UnmatchedStatus,
} from './compare.js';
export { SLO_TARGETS, evaluateTargets, type SloTarget, type TargetResult, type TargetStatistic, type TargetStatus } from './targets.js';
export {
  REPORT_SCHEMA,
  runGate,
  type GateCounts,
  type GateInput,
  type GateReport,
  type MachineState,
  type Normalisation,
  type Remeasure,
  type RemeasureResult,
} from './gate.js';
export {
  HISTORY_FILE,
  HISTORY_SCHEMA,
  HistoryEntry,
  appendHistory,
  defaultHistoryPath,
  historyEntry,
  readHistory,
  type History,
  type HistoryProblem,
} from './history.js';
export { headline, renderJson, renderMarkdown, renderText } from './report.js';
export { RANK_MIN_PAIRS, decidePaired, incompleteBeta, roundOrder, studentCdf, studentQuantile, type PairedDecision, type PairedStats } from './paired.js';
export { signedRankCdf, signedRankInterval, signedRankRank, type LocationInterval } from './signed-rank.js';
export { comparePairedRounds, type PairedRound } from './paired-compare.js';
export { pairedGateReport, undecidedNote, type PairedGateInput } from './paired-gate.js';
