/**
 * Starting each kind of process of the cluster, detached, and waiting until it serves. The
 * command line is kept in the state so a fault can start the same process again.
 */
import { join } from 'node:path';
import { connect } from 'node:net';
import { isAlive, logTail } from '@hlp/procs';
import { SERVICE_NODE_FLAGS, serviceProcessEnv } from '@hlp/service-runtime';
import { serviceBin } from '../services/children.js';
import { ClusterError } from './errors.js';
import { spawnDetached, waitReady } from './procs.js';
import type { ClusterState, HostState, Proc } from './state.js';

/** The services' environment (their allocator tunables too): the service token travels here, never on a command line. */
export function serviceEnv(state: ClusterState): NodeJS.ProcessEnv {
  return serviceProcessEnv({ ...process.env, HLP_SERVICE_TOKEN: state.token });
}

export function hostUrl(h: Pick<HostState, 'address' | 'port'>): string {
  return `http://${h.address}:${h.port}`;
}

/** The command line of a host's service. */
export function hostCommand(state: ClusterState, h: HostState): string[] {
  const { backend, workloads, proxyWorkers } = state.options;
  if (h.role === 'redis') {
    return [
      'redis-server',
      '--bind',
      h.address,
      '--port',
      String(h.port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      state.dir,
      '--protected-mode',
      'no',
      '--loglevel',
      'warning',
    ];
  }
  const node = [process.execPath, ...SERVICE_NODE_FLAGS];
  const common = ['--host', h.address, '--port', String(h.port), '--backend', backend, '--quiet'];
  if (h.role === 'inference') return [...node, serviceBin('@hlp/inference', 'hlp-inference'), ...common, '--workloads', workloads, '--redis', state.redisUrl];
  const workers = proxyWorkers > 1 ? ['--workers', String(proxyWorkers)] : [];
  return [...node, serviceBin('@hlp/proxy', 'hlp-proxy'), ...common, '--upstream', state.upstreamUrl, '--key-file', state.keyFile, ...workers];
}

/** Resolves once something accepts TCP connections on host:port. */
async function waitTcp(what: string, host: string, port: number, p: Proc, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive(p)) throw new ClusterError('START_FAILED', `${what} exited while starting; last lines of ${p.log}:\n${logTail(p.log)}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, host);
      const done = (ok: boolean): void => {
        s.destroy();
        resolve(ok);
      };
      s.once('connect', () => done(true));
      s.once('error', () => done(false));
      s.setTimeout(1000, () => done(false));
    }).catch(() => false);
    if (ok) return;
    if (Date.now() > deadline)
      throw new ClusterError('START_FAILED', `${what} not accepting on ${host}:${port} within ${Math.round(timeoutMs / 1000)} s; see ${p.log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts a host's service in its namespace (the command from the state) and waits until it serves. */
export async function startHost(state: ClusterState, h: HostState, logSuffix = ''): Promise<Proc> {
  const log = join(state.dir, `${h.id}${logSuffix}.log`);
  const proc = spawnDetached(hostCommand(state, h), log, serviceEnv(state), h.netns);
  const timeoutMs = state.options.startTimeout * 1000;
  if (h.role === 'redis') await waitTcp(`redis-server on ${h.id}`, h.address, h.port, proc, timeoutMs);
  else await waitReady(`${h.role} ${h.id}`, `${hostUrl(h)}${h.role === 'proxy' ? '/readyz' : '/healthz'}`, proc, timeoutMs);
  return proc;
}
