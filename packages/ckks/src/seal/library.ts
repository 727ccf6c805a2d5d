/**
 * Loads node-seal 6.0.3 (SEAL 4.1.2 compiled to WebAssembly) once per process.
 *
 * The CommonJS/UMD Node build is used: it loads on Node 20 without ESM syntax detection.
 * node-seal 7 needs Node 22's WebAssembly features, hence the exact pin.
 */
import { createRequire } from 'node:module';
import type { SEALLibrary } from 'node-seal/implementation/seal.js';
import { CkksError } from '../errors.js';

export type { SEALLibrary };
export const NODE_SEAL_VERSION = '6.0.3';
/** The SEAL release node-seal 6.0.3 bundles (s0l0ist/SEAL fork at 4.1.2 plus WASM bindings). */
export const BUNDLED_SEAL_VERSION = '4.1.2';

let pending: Promise<SEALLibrary> | undefined;

/** The node-seal library (the build that throws on transparent ciphertexts). */
export function loadSealLibrary(): Promise<SEALLibrary> {
  pending ??= (async () => {
    try {
      const require = createRequire(import.meta.url);
      const factory = require('node-seal/throws_wasm_node_umd.js') as () => Promise<SEALLibrary>;
      return await factory();
    } catch (e) {
      pending = undefined;
      throw new CkksError('BACKEND_ERROR', `cannot load node-seal: ${(e as Error).message}`, undefined, { cause: e });
    }
  })();
  return pending;
}
