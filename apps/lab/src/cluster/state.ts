/**
 * The state file of a running cluster, `<runs dir>/cluster-<name>/state.json` (mode 0600: it holds
 * the service token): every process with its PID and start time, addresses, ports, the shaping in
 * force. `down`, the faults and `run` find the cluster through it; `up` reads a stale one to clean
 * up after a crashed run.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { defaultRunsDir } from '@hlp/results';
import { ClusterError } from './errors.js';

export const STATE_FORMAT = 'hlp.cluster/1';

const Proc = z.object({
  pid: z.number().int().positive(),
  /** Start time in clock ticks since boot (/proc/PID/stat field 22): a reused PID is not ours. */
  startTicks: z.number().int().nonnegative(),
  /** argv[0] and the rest, to restart it the same way. */
  command: z.array(z.string()).min(1),
  log: z.string(),
  startedAt: z.string(),
});
export type Proc = z.infer<typeof Proc>;

const Host = z.object({
  id: z.string(),
  role: z.enum(['proxy', 'inference', 'redis']),
  netns: z.string(),
  address: z.string(),
  port: z.number().int(),
  proc: Proc.nullable(),
  restarts: z.number().int().nonnegative(),
});
export type HostState = z.infer<typeof Host>;

const Shaping = z.object({
  delayMs: z.number(),
  lossPct: z.number(),
  mode: z.enum(['netem', 'nft', 'none']),
  netem: z.boolean().nullable(),
  delayApplied: z.boolean(),
  delayVia: z.enum(['netem', 'nfqueue']).nullable().default(null),
  delayers: z.array(z.object({ host: z.string(), proc: Proc })).default([]),
  note: z.string().nullable(),
});

export const ClusterState = z.object({
  format: z.literal(STATE_FORMAT),
  name: z.string(),
  dir: z.string(),
  phase: z.enum(['starting', 'up', 'stopping']),
  createdAt: z.string(),
  subnet: z.string(),
  bridge: z.string(),
  gateway: z.string(),
  token: z.string(),
  keyFile: z.string(),
  options: z.object({ backend: z.enum(['native', 'seal']), workloads: z.string(), proxyWorkers: z.number().int(), startTimeout: z.number().int() }),
  shaping: Shaping.nullable(),
  hosts: z.array(Host),
  redisUrl: z.string(),
  /** Where the proxies send their upstream calls: the inference frontend of the load balancer. */
  upstreamUrl: z.string(),
  haproxy: z.object({ config: z.string(), clientUrl: z.string(), statsUrl: z.string(), socket: z.string(), proc: Proc.nullable() }).nullable(),
  prometheus: z.object({ url: z.string(), config: z.string(), targetsFile: z.string(), proc: Proc.nullable() }).nullable(),
});
export type ClusterState = z.infer<typeof ClusterState>;

export function clusterDir(name: string, runsDir: string = defaultRunsDir()): string {
  return join(runsDir, `cluster-${name}`);
}

export function statePath(dir: string): string {
  return join(dir, 'state.json');
}

/** The state, or null when there is no state file. BAD_STATE for a file that is not one. */
export async function readState(dir: string): Promise<ClusterState | null> {
  let text: string;
  try {
    text = await readFile(statePath(dir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ClusterError('BAD_STATE', `cannot read ${statePath(dir)}: ${(e as Error).message}`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ClusterError('BAD_STATE', `${statePath(dir)} is not JSON (${(e as Error).message}); remove it after checking nothing of the cluster runs`, {
      cause: e,
    });
  }
  const parsed = ClusterState.safeParse(json);
  if (!parsed.success)
    throw new ClusterError(
      'BAD_STATE',
      `${statePath(dir)} is not a ${STATE_FORMAT} state: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`,
    );
  return parsed.data;
}

/** The state of a cluster that must be up (NOT_UP otherwise). */
export async function requireState(name: string, runsDir?: string): Promise<ClusterState> {
  const dir = clusterDir(name, runsDir);
  const state = await readState(dir);
  if (!state)
    throw new ClusterError(
      'NOT_UP',
      `no cluster '${name}' is up (no ${statePath(dir)}); start one with hlp cluster up${name === 'hlpc' ? '' : ` --name ${name}`}`,
    );
  return state;
}

let writes = 0;

/** Written whole to a temporary file and renamed, so a reader never sees half a state. */
export async function writeState(state: ClusterState): Promise<void> {
  await mkdir(state.dir, { recursive: true, mode: 0o700 });
  // One temporary name per write: faults applied concurrently write the state concurrently.
  const tmp = `${statePath(state.dir)}.${process.pid}.${++writes}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, statePath(state.dir));
}
