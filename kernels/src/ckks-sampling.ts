/** Sampling of the CKKS core's distributions on their own, for tests of the native sampler. */
import { ckksNative } from './ckks-native.js';
import { guarded } from './errors.js';

/** `count` noise samples (rounded normal, sigma 3.2, clipped at 6 sigma) from 8·count random bytes; for tests. */
export function ckksSampleNoise(randomness: Uint8Array, count: number): Int8Array {
  return guarded(() => ckksNative().ckksSample('noise', randomness, count));
}

/** `count` ternary samples in {-1, 0, 1} from 8·count random bytes; for tests. */
export function ckksSampleTernary(randomness: Uint8Array, count: number): Int8Array {
  return guarded(() => ckksNative().ckksSample('ternary', randomness, count));
}
