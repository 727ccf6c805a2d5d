/**
 * Choosing a backend by name for the services: `native` when the kernels addon loads,
 * otherwise `seal` with the reason, so a machine without the addon still serves.
 */
import type { CkksBackend } from './backend.js';
import type { CkksParams } from './params.js';
import { createNativeBackend } from './native/index.js';
import type { NativeBackendOptions } from './native/options.js';
import { createSealBackend } from './seal/index.js';

export type BackendChoice = 'seal' | 'native';

export interface BackendResult {
  readonly backend: CkksBackend;
  /** The backend actually created. */
  readonly name: BackendChoice;
  /** Why the requested backend was not used (absent when it was). */
  readonly fallback?: string;
}

/** `native` options apply to the native backend only (node-seal has its own). */
export async function openBackend(choice: BackendChoice, params: CkksParams, native: NativeBackendOptions = {}): Promise<BackendResult> {
  if (choice === 'native') {
    try {
      return { backend: await createNativeBackend(params, native), name: 'native' };
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      return { backend: await createSealBackend(params), name: 'seal', fallback: `the native backend failed to load: ${why}` };
    }
  }
  return { backend: await createSealBackend(params), name: 'seal' };
}
