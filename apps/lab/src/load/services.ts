/**
 * The embedded system under test for `hlp load` without --target: the inference service and
 * the proxy started the way `hlp serve` starts them (commands/serve.ts, one process each on free
 * loopback ports), plus their PIDs for the /proc samplers.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { parseTarget, type ProcessToWatch } from '@hlp/loadgen';
import type { Io } from '../commands/bench-kernels.js';
import { startServices } from '../commands/serve.js';

export interface EmbeddedServices {
  readonly proxyUrl: string;
  readonly inferenceUrl: string;
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

export async function startEmbedded(io: Io): Promise<EmbeddedServices> {
  const handle = await startServices({ host: '127.0.0.1', port: 0, inferencePort: 0, backend: 'native', startTimeout: 180, quiet: true }, io);
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
  return { proxyUrl: handle.proxyUrl, inferenceUrl: handle.inferenceUrl, processes, stop: () => handle.stop() };
}
