/**
 * The optional parts of @hlp/ckks: the `native` backend, its batch API `encryptBatch` and the GPU
 * hooks are looked up on the module namespace at run time, so that the suite builds and runs
 * whether or not this build has them.
 */
import * as ckks from '@hlp/ckks';
import { createSealBackend, type CkksBackend, type CkksParams } from '@hlp/ckks';
import { LabError } from '../errors.js';
import type { CkksBackendName } from '../options.js';

export type NativeFactory = (params: CkksParams, options?: { readonly symmetricPrng?: 'shake256' | 'aes256ctr' }) => CkksBackend | Promise<CkksBackend>;
export type BatchEncrypt = (
  backend: CkksBackend,
  values: Float64Array[],
  options: { readonly symmetric?: boolean; readonly threads?: number; readonly device?: 'cpu' | 'cuda' },
) => Promise<Uint8Array[]>;

/** The GPU hooks of @hlp/ckks, when this build (or `mod`) has them. */
export interface GpuHooks {
  readonly status: () => { readonly usable: boolean; readonly reason: string };
  readonly poolStats: () => { readonly peakBytesInUse: number; readonly peakBytesReserved: number };
  readonly poolTrim: () => void;
}

export function gpuHooks(mod: object = ckks): GpuHooks | undefined {
  if (
    'cudaStatus' in mod &&
    typeof mod.cudaStatus === 'function' &&
    'gpuPoolStats' in mod &&
    typeof mod.gpuPoolStats === 'function' &&
    'gpuPoolTrim' in mod &&
    typeof mod.gpuPoolTrim === 'function'
  ) {
    return {
      status: mod.cudaStatus as GpuHooks['status'],
      poolStats: mod.gpuPoolStats as GpuHooks['poolStats'],
      poolTrim: mod.gpuPoolTrim as GpuHooks['poolTrim'],
    };
  }
  return undefined;
}

/** `createNativeBackend` when this build of @hlp/ckks (or `mod`) exports it. */
export function nativeBackendFactory(mod: object = ckks): NativeFactory | undefined {
  if ('createNativeBackend' in mod && typeof mod.createNativeBackend === 'function') return mod.createNativeBackend as NativeFactory;
  return undefined;
}

/** `encryptBatch` when this build of @hlp/ckks (or `mod`) exports it. */
export function batchEncryptFn(mod: object = ckks): BatchEncrypt | undefined {
  if ('encryptBatch' in mod && typeof mod.encryptBatch === 'function') return mod.encryptBatch as BatchEncrypt;
  return undefined;
}

export async function createBackend(
  name: CkksBackendName,
  params: CkksParams,
  mod: object,
  symmetricPrng: 'shake256' | 'aes256ctr',
  seal: typeof createSealBackend = createSealBackend,
): Promise<CkksBackend> {
  if (name === 'seal') return seal(params);
  const factory = nativeBackendFactory(mod);
  if (!factory) throw new LabError('INFRA', '@hlp/ckks does not export createNativeBackend');
  return await factory(params, { symmetricPrng });
}
