/** The checks of encoding's arguments: values that fit the slots, a level and a scale. */
import type { EncodeOptions } from '../backend.js';
import { CkksError } from '../errors.js';
import type { CkksParams } from '../params.js';

/** `values` as doubles, at most `slotCount` of them, every one finite. */
export function checkedValues(values: ArrayLike<number>, slotCount: number): Float64Array {
  if (values.length > slotCount) {
    throw new CkksError('INVALID_ARGUMENT', `${values.length} values do not fit ${slotCount} slots`);
  }
  const out = values instanceof Float64Array ? values : Float64Array.from(values);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i]!)) throw new CkksError('INVALID_ARGUMENT', `value ${i} is not a finite number`);
  }
  return out;
}

/** The scale and data level an encoding uses: the options', else the parameters' defaults. */
export function encodeArgs(options: EncodeOptions, params: CkksParams): { scale: number; level: number } {
  const scale = options.scale ?? params.scale;
  const level = options.level ?? params.maxLevel;
  if (!Number.isInteger(level) || level < 0 || level > params.maxLevel) {
    throw new CkksError('LEVEL_MISMATCH', `level must be an integer in [0, ${params.maxLevel}], got ${level}`);
  }
  if (!(scale > 0) || !Number.isFinite(scale)) throw new CkksError('SCALE_MISMATCH', `scale must be positive and finite, got ${scale}`);
  return { scale, level };
}
