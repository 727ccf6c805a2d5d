/**
 * @hlp/kernels — the JS face of the native kernels. Thin on purpose: argument checks that
 * need JS types happen here, everything else in the C ABI, which reports failures as
 * status codes that surface as KernelError with a stable `code`.
 *
 * One module per binding file of native/binding (addon, functions with aligned, ntt-context, allocator,
 * ckks-core with ckks-options, ckks-sampling and ckks-compact, cuda-encryptor); this one only gathers their exports.
 */
export { ADDON_PATH, VARIANTS, type Variant, type VariantInfo } from './addon.js';
export { KernelError, type KernelErrorCode } from './errors.js';
export {
  MAX_WORKER_NICE,
  availableVariants,
  cpuFeatures,
  defaultVariant,
  generateNttPrimes,
  invMod,
  isPrime,
  minimalPrimitiveRoot,
  mulModBarrett,
  mulModShoup,
  powMod,
  setWorkerNice,
  SHAKE_BLOCK_BYTES,
  SHAKE_SEED_BYTES,
  shake256Blocks,
  aes256ctrStream,
  blake2xbBlocks,
  variants,
} from './functions.js';
export { WORD_ALIGNMENT, alignedCopy, alignedSharedWords, alignedWords, byteAlignment } from './aligned.js';
export { NttContext, type KernelCallOptions } from './ntt-context.js';
export { Allocator, type AllocatorKind, type AllocatorStats } from './allocator.js';
export { CkksCore } from './ckks-core.js';
export { MAX_PLAIN_REPEAT, compactPlain, expandPlain, plainRepeat } from './ckks-compact.js';
export type {
  CkksCallOptions,
  CkksRandomnessKind,
  KeySwitchCallOptions,
  ResultCallOptions,
  ResultsCallOptions,
  SeedStream,
  SeededCallOptions,
} from './ckks-options.js';
export { ckksSampleNoise, ckksSampleTernary } from './ckks-sampling.js';
export { CudaEncryptor, cudaAvailable, cudaPoolStats, cudaPoolTrim, cudaUnavailableReason, type CudaPoolStats } from './cuda-encryptor.js';
