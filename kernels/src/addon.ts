/** Loading the native addon (native/binding/addon.cpp) and the shapes of what it exports at the top level. */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAllocator } from './allocator.js';
import { KernelError } from './errors.js';
import type { NativeNttContext } from './ntt-context.js';

export type Variant = 'scalar' | 'avx2' | 'avx512' | 'cuda';
export const VARIANTS: readonly Variant[] = ['scalar', 'avx2', 'avx512', 'cuda'];

export interface VariantInfo {
  readonly name: Variant;
  /** Compiled into this build. */
  readonly compiled: boolean;
  /** Runnable in this process (CPU features present, or a CUDA device). */
  readonly available: boolean;
}

export interface NativeAddon {
  cpuFeatures(): string;
  alignedWords(words: number, zeroed: boolean): BigUint64Array;
  byteAlignment(view: ArrayBufferView): number;
  setWorkerNice(nice: number): number;
  shake256Blocks(seed: Uint8Array, firstBlock: number, out: Uint8Array, variant?: Variant): Uint8Array;
  blake2xbBlocks(seed: Uint8Array, firstBlock: number, out: Uint8Array, variant?: Variant): Uint8Array;
  aes256ctrStream(seed: Uint8Array, out: Uint8Array, variant?: Variant): Uint8Array;
  variants(): VariantInfo[];
  defaultVariant(): Variant;
  isPrime(q: bigint): boolean;
  generateNttPrimes(bits: number, n: number, count: number): BigUint64Array;
  minimalPrimitiveRoot(q: bigint, order: bigint): bigint;
  mulModBarrett(a: bigint, b: bigint, q: bigint): bigint;
  mulModShoup(a: bigint, w: bigint, q: bigint): bigint;
  powMod(base: bigint, exponent: bigint, q: bigint): bigint;
  invMod(a: bigint, q: bigint): bigint;
  NttContext: new (n: number, moduli: BigUint64Array) => NativeNttContext;
  Allocator: new (kind: 'pool' | 'malloc') => NativeAllocator;
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ADDON_PATH = join(packageRoot, 'build', 'Release', 'hlp_kernels.node');

let addon: NativeAddon | undefined;
export function native(): NativeAddon {
  if (addon) return addon;
  if (!existsSync(ADDON_PATH)) {
    throw new KernelError('ADDON_NOT_BUILT', `native addon missing at ${ADDON_PATH}: run \`npm run build -w @hlp/kernels\``);
  }
  addon = createRequire(import.meta.url)(ADDON_PATH) as NativeAddon;
  return addon;
}

/** The binding's `flags` bit that asks it to range-check inputs. */
export const FLAG_CHECK_INPUT = 1;
/** applyGalois: the keys are hoisting keys (HLP_FLAG_HOISTING_KEYS). */
export const FLAG_HOISTING_KEYS = 2;
/** encodeEncryptSeeded: the seeds expand with AES-256-CTR (HLP_FLAG_SEED_AES256CTR). */
export const FLAG_SEED_AES256CTR = 4;
