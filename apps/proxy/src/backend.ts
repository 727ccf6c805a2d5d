/**
 * Choosing a CKKS backend: `native` (@hlp/kernels through @hlp/ckks's createNativeBackend, when
 * that export exists and loads) or `seal` (node-seal). Asking for native where it is missing
 * falls back to seal with a logged note, so a machine without the addon still serves.
 */
import * as ckks from '@hlp/ckks';
import type { CkksBackend, CkksParams } from '@hlp/ckks';

export type BackendChoice = 'seal' | 'native';

export interface BackendResult {
  readonly backend: CkksBackend;
  /** The backend actually created. */
  readonly name: BackendChoice;
  /** Why the requested backend was not used (absent when it was). */
  readonly fallback?: string;
}

type NativeFactory = (params: CkksParams) => CkksBackend | Promise<CkksBackend>;

/** @hlp/ckks's createNativeBackend, when this build exports it. */
export function nativeFactory(): NativeFactory | undefined {
  const fn = (ckks as unknown as Record<string, unknown>)['createNativeBackend'];
  return typeof fn === 'function' ? (fn as NativeFactory) : undefined;
}

export async function createBackend(choice: BackendChoice, params: CkksParams): Promise<BackendResult> {
  if (choice === 'native') {
    const factory = nativeFactory();
    if (!factory) {
      return { backend: await ckks.createSealBackend(params), name: 'seal', fallback: '@hlp/ckks has no createNativeBackend in this build' };
    }
    try {
      return { backend: await factory(params), name: 'native' };
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      return { backend: await ckks.createSealBackend(params), name: 'seal', fallback: `the native backend failed to load: ${why}` };
    }
  }
  return { backend: await ckks.createSealBackend(params), name: 'seal' };
}
