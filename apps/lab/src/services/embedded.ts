/**
 * The embedded system under test for `hlp load` without --target: the inference service and
 * the proxy started the way `hlp serve` starts them (pair.ts, one process each on free
 * loopback ports), plus their PIDs for the /proc samplers.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { parseTarget, type ProcessToWatch } from '@hlp/loadgen';
import type { Io } from '../io.js';
import { startServices } from './pair.js';

/** How the embedded services are configured (defaults: the services' own). */
export interface EmbeddedSettings {
  /** CKKS backend of both services (default native). */
  readonly backend?: 'native' | 'seal';
  /** false: every request on its own (the proxy's --no-batching). */
  readonly batching?: boolean;
  readonly batchWindowMs?: number;
  readonly maxBatch?: number;
  /** Proxy processes sharing the port. */
  readonly workers?: number;
  /** Start a private redis-server for the inference service's L2 key cache. */
  readonly redis?: boolean;
  /** Client API keys of the proxy (then every /v1 route needs one). */
  readonly clientTokens?: readonly string[];
}

export interface EmbeddedServices {
  readonly proxyUrl: string;
  readonly inferenceUrl: string;
  readonly redisUrl?: string;
  readonly settings: EmbeddedSettings;
  /** proxy and inference, when their processes could be found */
  readonly processes: ProcessToWatch[];
  stop(): Promise<void>;
}

/** Children of this process whose command line names `script` (the services' bin scripts). */
export function childPids(parent: number = process.pid): { pid: number; cmdline: string }[] {
  const out: { pid: number; cmdline: string }[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      out.push({ pid: Number(e), cmdline: readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ') });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** A stable key of the settings: equal keys, interchangeable services. */
export function settingsKey(s: EmbeddedSettings): string {
  return JSON.stringify([
    s.backend ?? 'native',
    s.batching ?? true,
    s.batchWindowMs ?? null,
    s.maxBatch ?? null,
    s.workers ?? 1,
    s.redis ?? false,
    s.clientTokens ?? [],
  ]);
}

export async function startEmbedded(io: Io, settings: EmbeddedSettings = {}): Promise<EmbeddedServices> {
  const handle = await startServices(
    {
      host: '127.0.0.1',
      port: 0,
      inferencePort: 0,
      backend: settings.backend ?? 'native',
      startTimeout: 180,
      quiet: true,
      ...(settings.batching === false ? { batching: false } : {}),
      ...(settings.batchWindowMs === undefined ? {} : { batchWindow: settings.batchWindowMs }),
      ...(settings.maxBatch === undefined ? {} : { maxBatch: settings.maxBatch }),
      ...(settings.workers === undefined ? {} : { workers: settings.workers }),
      ...(settings.redis ? { redis: 'local' } : {}),
      ...(settings.clientTokens && settings.clientTokens.length > 0 ? { clientTokens: settings.clientTokens.join(',') } : {}),
    },
    io,
  );
  // Both listen on loopback; parseTarget checks it again before any load is sent.
  parseTarget(handle.proxyUrl);
  parseTarget(handle.inferenceUrl);
  const children = childPids();
  const processes: ProcessToWatch[] = [];
  for (const [name, bin] of [
    ['proxy', 'hlp-proxy'],
    ['inference', 'hlp-inference'],
  ] as const) {
    const c = children.find((x) => x.cmdline.includes(bin));
    if (c) processes.push({ name, pid: c.pid });
    else io.stderr.write(`note: cannot find the ${name} process; its CPU and RSS are not sampled\n`);
  }
  return {
    proxyUrl: handle.proxyUrl,
    inferenceUrl: handle.inferenceUrl,
    ...(handle.redisUrl === undefined ? {} : { redisUrl: handle.redisUrl }),
    settings,
    processes,
    stop: () => handle.stop(),
  };
}
