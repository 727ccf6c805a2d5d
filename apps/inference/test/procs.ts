/**
 * Real processes for the tests: Redis (Debian's redis-server on a free loopback port, in a
 * temporary directory, no persistence) and the services' own binaries.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeLoopbackPort, hasRedisServer, startLocalRedis, type LocalRedis } from '@hlp/procs';

export { hasCommand, redisCommand, startProcess, type ServiceProcess } from '@hlp/procs';

export const freePort = freeLoopbackPort;

export type RedisProcess = LocalRedis;

/** redis-server on a free loopback port; undefined when the binary is missing. */
export async function startRedis(): Promise<RedisProcess | undefined> {
  if (!hasRedisServer()) return undefined;
  return startLocalRedis();
}

const here = dirname(fileURLToPath(import.meta.url));
/** The inference service's binary (apps/inference/bin). */
export const INFERENCE_BIN = join(here, '..', '..', 'bin', 'hlp-inference.js');
