/**
 * The binding of the CKKS core (native/binding/ckks-core*.cpp) as the addon exposes it:
 * the native context's methods, unchecked beyond what the native side checks. CkksCore
 * (ckks-core.ts) wraps it with argument checks and errors.
 */
import { native } from './addon.js';
import type { CkksRandomnessKind } from './ckks-options.js';

export interface NativeCkksCore {
  randomnessBytes(kind: CkksRandomnessKind, level: number): number;
  encode(values: Float64Array, scale: number, level: number, complex: boolean, out?: BigUint64Array): BigUint64Array;
  decode(plain: BigUint64Array, level: number, scale: number, count: number, complex: boolean, flags: number): Float64Array;
  keygenSecret(randomness: Uint8Array): BigUint64Array;
  sampleUniform(randomness: Uint8Array, level: number, out?: BigUint64Array): BigUint64Array;
  keygenPublic(secretKey: BigUint64Array, uniform: Uint8Array, noise: Uint8Array, flags: number): BigUint64Array;
  encryptPublic(
    pk: BigUint64Array,
    plains: BigUint64Array | null,
    count: number,
    level: number,
    randomness: Uint8Array,
    flags: number,
    out?: BigUint64Array,
  ): BigUint64Array;
  encryptPublicAsync(
    pk: BigUint64Array,
    plains: BigUint64Array | null,
    count: number,
    level: number,
    randomness: Uint8Array,
    flags: number,
  ): Promise<BigUint64Array>;
  encodeEncryptPublic(
    pk: BigUint64Array,
    values: Float64Array,
    valuesPerPlain: number,
    count: number,
    scale: number,
    level: number,
    randomness: Uint8Array,
    flags: number,
  ): BigUint64Array;
  encodeEncryptPublicAsync(
    pk: BigUint64Array,
    values: Float64Array,
    valuesPerPlain: number,
    count: number,
    scale: number,
    level: number,
    randomness: Uint8Array,
    flags: number,
    out?: BigUint64Array,
  ): Promise<BigUint64Array>;
  encodeEncryptSeeded(
    sk: BigUint64Array,
    values: Float64Array,
    valuesPerPlain: number,
    count: number,
    scale: number,
    level: number,
    seeds: Uint8Array,
    noise: Uint8Array,
    flags: number,
  ): BigUint64Array;
  encodeEncryptSeededAsync(
    sk: BigUint64Array,
    values: Float64Array,
    valuesPerPlain: number,
    count: number,
    scale: number,
    level: number,
    seeds: Uint8Array,
    noise: Uint8Array,
    flags: number,
    out?: BigUint64Array,
  ): Promise<BigUint64Array>;
  encryptSymmetric(
    sk: BigUint64Array,
    plains: BigUint64Array,
    count: number,
    level: number,
    uniform: Uint8Array,
    noise: Uint8Array,
    flags: number,
    out?: BigUint64Array,
  ): BigUint64Array;
  decrypt(sk: BigUint64Array, ct: BigUint64Array, size: number, level: number, flags: number, out?: BigUint64Array): BigUint64Array;
  decryptDecodeAsync(
    sk: BigUint64Array,
    cts: BigUint64Array | readonly Uint8Array[],
    count: number,
    size: number,
    level: number,
    scale: number,
    valuesPerCiphertext: number,
    flags: number,
  ): Promise<Float64Array>;
  addSub(
    op: 'add' | 'sub',
    a: BigUint64Array,
    aSize: number,
    b: BigUint64Array,
    bSize: number,
    level: number,
    flags: number,
    out?: BigUint64Array,
  ): BigUint64Array;
  negate(a: BigUint64Array, size: number, level: number, flags: number, out?: BigUint64Array): BigUint64Array;
  plainOp(op: 'add' | 'multiply', ct: BigUint64Array, size: number, plain: BigUint64Array, level: number, flags: number, out?: BigUint64Array): BigUint64Array;
  multiplyPlainAccumulate(
    cts: readonly BigUint64Array[],
    plains: readonly BigUint64Array[],
    level: number,
    flags: number,
    out?: BigUint64Array,
  ): BigUint64Array;
  multiplyPlainAccumulateGroups(
    cts: readonly BigUint64Array[],
    plains: readonly (BigUint64Array | null)[],
    groups: number,
    level: number,
    plainRepeat: number,
    flags: number,
    outs?: readonly BigUint64Array[],
  ): BigUint64Array[];
  plainRepeat(plain: BigUint64Array, level: number): number;
  multiply(a: BigUint64Array, b: BigUint64Array, level: number, flags: number, out?: BigUint64Array): BigUint64Array;
  dropLevel(op: 'rescale' | 'modSwitch', ct: BigUint64Array, size: number, level: number, flags: number, out?: BigUint64Array): BigUint64Array;
  multiplyPlainRescale(
    ct: BigUint64Array,
    size: number,
    plain: BigUint64Array,
    addend: BigUint64Array | null,
    level: number,
    flags: number,
    out?: BigUint64Array,
  ): BigUint64Array;
  galoisElement(steps: number): number;
  checkKswitchKey(key: BigUint64Array): void;
  keygenKswitch(sk: BigUint64Array, galoisElt: number, uniform: Uint8Array, noise: Uint8Array, flags: number): BigUint64Array;
  relinearize(key: BigUint64Array, ct: BigUint64Array, level: number, flags: number, out?: BigUint64Array): BigUint64Array;
  applyGalois(
    keys: readonly BigUint64Array[],
    elts: readonly number[],
    ct: BigUint64Array,
    level: number,
    flags: number,
    outs?: readonly BigUint64Array[],
  ): BigUint64Array[];
  hoistingKey(galoisKey: BigUint64Array, galoisElt: number): BigUint64Array;
  rotateSum(
    keys: readonly BigUint64Array[],
    elts: readonly number[],
    cts: readonly BigUint64Array[],
    level: number,
    flags: number,
    out?: BigUint64Array,
  ): BigUint64Array;
  multiplyRelinRescale(key: BigUint64Array, a: BigUint64Array, b: BigUint64Array, level: number, flags: number, out?: BigUint64Array): BigUint64Array;
  dispose(): void;
}

export interface NativeCkksAddon {
  CkksCore: new (n: number, moduli: BigUint64Array) => NativeCkksCore;
  ckksSample(kind: 'noise' | 'ternary', randomness: Uint8Array, count: number): Int8Array;
}

export function ckksNative(): NativeCkksAddon {
  return native() as unknown as NativeCkksAddon;
}
