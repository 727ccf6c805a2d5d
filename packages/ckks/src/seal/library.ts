/**
 * Loads node-seal 6.0.3 (SEAL 4.1.2 compiled to WebAssembly) once per process.
 *
 * The CommonJS/UMD Node build is used: it loads on Node 20 without ESM syntax detection.
 * node-seal 7 needs Node 22's WebAssembly features, hence the exact pin.
 */
import { createRequire } from 'node:module';
import type { SchemeType } from 'node-seal/implementation/scheme-type.js';
import type { SEALLibrary } from 'node-seal/implementation/seal.js';
import type { SecurityLevel } from 'node-seal/implementation/security-level.js';
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

// node-seal types its enum values as `any`, and the parameters that take them as the enum's
// interface (SchemeType, SecurityLevel): these give a value the type those parameters declare.

/** The CKKS scheme, for EncryptionParameters. */
export function ckksScheme(seal: SEALLibrary): SchemeType {
  return seal.SchemeType.ckks as SchemeType;
}

/** The security level a context is checked against: none for insecure parameters, else 128-bit. */
export function securityLevel(seal: SEALLibrary, insecure: boolean): SecurityLevel {
  return (insecure ? seal.SecurityLevel.none : seal.SecurityLevel.tc128) as SecurityLevel;
}
