export { main } from './main.js';
export { createProgram } from './program.js';
export { EXIT_CODES, LabError, toLabError, type LabErrorCode } from './errors.js';
export {
  ALLOC_LIVE,
  ALLOC_ROUNDS,
  ALLOC_SIZES,
  DEFAULT_BITS,
  DEFAULT_NS,
  DEFAULT_TIME_MS,
  QUICK_TIME_MS,
  SAMPLES_CAP,
  runKernelsBench,
  type BenchCase,
  type KernelsBenchOptions,
  type KernelsBenchOutcome,
  type ProgressEvent,
} from './bench/kernels.js';
export { renderReport, scalingChecks, speedupVsScalar, type ScalingCheck } from './bench/report.js';
export { measure, type MeasureOptions } from './bench/measure.js';
