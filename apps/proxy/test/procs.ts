/**
 * Real processes for the tests: the services' own binaries on loopback (the process helpers are
 * @hlp/procs, shared with the inference service's tests and `hlp serve`).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { freeLoopbackPort as freePort, hasCommand, startProcess, type ServiceProcess } from '@hlp/procs';

const here = dirname(fileURLToPath(import.meta.url));
/** The proxy's binary (apps/proxy/bin). */
export const PROXY_BIN = join(here, '..', '..', 'bin', 'hlp-proxy.js');
/** The inference service's binary, from its package. */
export const INFERENCE_BIN = join(dirname(createRequire(import.meta.url).resolve('@hlp/inference/package.json')), 'bin', 'hlp-inference.js');
