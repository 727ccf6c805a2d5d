export { CountingEvaluator, addInto, hasFusedAffine, rescaledScale, zeroCounts } from './ops.js';
export { AffineRunner, MaskStore, PlaintextCache, ProjectionRunner, type Runner, type RunnerInfo } from './workloads.js';
