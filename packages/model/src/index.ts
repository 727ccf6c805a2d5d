export { ModelError, isModelError, type ModelErrorCode } from './errors.js';
export { DEFAULT_SEED, GPT2, SLOTS_N8192 } from './constants.js';
export { MAX_PRETOKEN_CHARS, assertTokenLimit, countTokens, detokenize, tokenize, tokenizeWithin, tooManyTokens } from './tokenizer.js';
export { CounterRng, RNG_TABLE, mix32 } from './rng.js';
export { RowEmbeddings, SeededEmbeddings, type EmbedOptions, type EmbeddingShape, type EmbeddingSource, type SeededEmbeddingsOptions } from './embeddings.js';
export {
  DTYPE_BYTES,
  MAX_HEADER_BYTES,
  bf16ToNumber,
  encodeSafetensors,
  halfToNumber,
  numberToBf16,
  numberToHalf,
  parseSafetensors,
  type SafetensorsDtype,
  type SafetensorsHeader,
  type TensorInfo,
  type TensorToWrite,
} from './safetensors.js';
export { POSITION_TENSOR_NAMES, SafetensorsEmbeddings, TOKEN_TENSOR_NAMES, type SafetensorsEmbeddingsOptions } from './safetensors-embeddings.js';
export {
  blockSizeFor,
  PACKING_LAYOUTS,
  ciphertextCount,
  locate,
  pack,
  packBatch,
  parsePackingPlan,
  planPacking,
  slotRanges,
  unpack,
  unpackBatch,
  type BatchPlan,
  type BlockedPlan,
  type DensePlan,
  type DimensionMajorPlan,
  type PackOptions,
  type PackRequest,
  type Packed,
  type PackingLayout,
  type PackingPlan,
  type RequestPlacement,
  type SlotRange,
} from './packing.js';
export { bsgsMask, bsgsPlan, type BsgsPlan, type FoldStep } from './bsgs.js';
export { GELU_CUBIC_LSQ, erf, evaluatePolynomial, gelu, polynomialDegree, type PolynomialActivation } from './gelu.js';
export {
  AffineWorkload,
  MlpWorkload,
  ProjectionWorkload,
  WORKLOAD_NAMES,
  createWorkload,
  type AnyWorkloadOptions,
  type DescribeOptions,
  type MlpOptions,
  type ProjectionOptions,
  type Workload,
  type WorkloadCost,
  type WorkloadName,
  type WorkloadOptions,
} from './workloads.js';
