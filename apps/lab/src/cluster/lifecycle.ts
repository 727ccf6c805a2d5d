/**
 * `up` and `down`. Up builds the network, then Redis, the inference services, the load balancer,
 * the proxies (the first alone: it makes and uploads the shared key set) and Prometheus, writing
 * the state after every step; any failure tears everything down again. Down stops the proxies
 * first (they drain), then the rest, and removes the network. Both first clean whatever a crashed
 * run of the same name left: processes of its state, processes in its namespaces or naming its
 * directory, namespaces and links named after it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freeLoopbackPort, isAlive, pidsMentioning, stopDetached as stopProc } from '@hlp/procs';
import { INFERENCE_LB_PORT, parseUpOptions, topology, type UpOptions } from './config.js';
import { ClusterError } from './errors.js';
import { haproxyConfig, parseStatsCsv, prometheusConfig, scrapeTargets } from './haproxy.js';
import { checkSubnetFree, createNetwork, destroyNetwork, netnsUnavailable } from './network.js';
import { spawnDetached, waitReady } from './procs.js';
import { startHost } from './services.js';
import { applyShaping } from './shaping.js';
import { clusterDir, readState, statePath, writeState, STATE_FORMAT, type ClusterState, type HostState, type Proc } from './state.js';
import { hasCommand, sh } from './sh.js';

export interface Log {
  (line: string): void;
}

const REQUIRED = ['ip', 'tc', 'haproxy', 'redis-server'] as const;

async function checkPrerequisites(opts: UpOptions): Promise<void> {
  const why = await netnsUnavailable();
  if (why) throw new ClusterError(why.startsWith('not root') ? 'NOT_ROOT' : 'NO_NETNS', why);
  const missing = [...REQUIRED, ...(opts.prometheus ? ['prometheus'] : [])].filter((c) => !hasCommand(c));
  if (missing.length > 0) throw new ClusterError('MISSING_COMMAND', `not installed: ${missing.join(', ')} (scripts/setup-system.sh installs them)`);
}

/** Everything a state lists, killed at once (a stale run's processes have nothing left to finish). */
async function killRecorded(state: ClusterState): Promise<number> {
  const procs = [...state.hosts.map((h) => h.proc), ...(state.shaping?.delayers ?? []).map((d) => d.proc), state.haproxy?.proc, state.prometheus?.proc].filter(
    (p): p is Proc => !!p && isAlive(p),
  );
  await Promise.all(procs.map((p) => stopProc(p, 'SIGKILL', 2000)));
  return procs.length;
}

/** Removes what a previous run of this name left behind; returns a line per kind of leftover. */
export async function cleanupStale(name: string, dir: string): Promise<string[]> {
  const removed: string[] = [];
  const state = await readState(dir).catch(() => null);
  if (state) {
    const n = await killRecorded(state);
    if (n > 0) removed.push(`${n} process(es) of the previous run`);
  }
  const strays = pidsMentioning(`${dir}/`);
  for (const pid of strays) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  if (strays.length > 0) removed.push(`${strays.length} stray process(es) naming ${dir}`);
  const net = await destroyNetwork(name);
  if (net.namespaces.length > 0) removed.push(`namespaces ${net.namespaces.join(', ')}`);
  if (net.links.length > 0) removed.push(`links ${net.links.join(', ')}`);
  await rm(statePath(dir), { force: true });
  return removed;
}

async function initialState(opts: UpOptions, dir: string): Promise<ClusterState> {
  const topo = topology(opts);
  const redis = topo.hosts.find((h) => h.role === 'redis')!;
  const clientPort = opts.port || (await freeLoopbackPort());
  const statsPort = await freeLoopbackPort();
  const hosts: HostState[] = topo.hosts.map((h) => ({ ...h, proc: null, restarts: 0 }));
  return {
    format: STATE_FORMAT,
    name: opts.name,
    dir,
    phase: 'starting',
    createdAt: new Date().toISOString(),
    subnet: opts.subnet,
    bridge: topo.bridge,
    gateway: topo.gateway,
    token: randomBytes(24).toString('base64url'),
    keyFile: join(dir, 'proxy-keys.bin'),
    options: { backend: opts.backend, workloads: opts.workloads, proxyWorkers: opts.proxyWorkers, startTimeout: opts.startTimeout },
    shaping: null,
    hosts,
    redisUrl: `redis://${redis.address}:${redis.port}`,
    upstreamUrl: `http://${topo.gateway}:${INFERENCE_LB_PORT}`,
    haproxy: {
      config: join(dir, 'haproxy.cfg'),
      clientUrl: `http://127.0.0.1:${clientPort}`,
      statsUrl: `http://127.0.0.1:${statsPort}`,
      socket: join(dir, 'haproxy.sock'),
      proc: null,
    },
    prometheus: null,
  };
}

async function startHaproxy(state: ClusterState, log: Log): Promise<void> {
  const hp = state.haproxy!;
  const plan = {
    clientPort: Number(new URL(hp.clientUrl).port),
    statsPort: Number(new URL(hp.statsUrl).port),
    gateway: state.gateway,
    inferenceLbPort: INFERENCE_LB_PORT,
    socket: hp.socket,
    hosts: state.hosts,
  };
  await writeFile(hp.config, haproxyConfig(plan), { mode: 0o600 });
  await sh('haproxy', ['-c', '-q', '-f', hp.config]);
  hp.proc = spawnDetached(['haproxy', '-db', '-f', hp.config], join(state.dir, 'haproxy.log'), process.env);
  await waitReady('haproxy', `${hp.statsUrl}/stats`, hp.proc, 10_000);
  log(`haproxy     ${hp.clientUrl} → ${state.hosts.filter((h) => h.role === 'proxy').length} proxies; ${state.upstreamUrl} → inference`);
}

async function startPrometheus(state: ClusterState, port: number, log: Log): Promise<void> {
  const url = `http://127.0.0.1:${port || (await freeLoopbackPort())}`;
  const targetsFile = join(state.dir, 'prometheus-targets.json');
  const config = join(state.dir, 'prometheus.yml');
  const targets = scrapeTargets(state.name, state.hosts, new URL(state.haproxy!.statsUrl).host, new URL(url).host);
  await writeFile(targetsFile, `${JSON.stringify(targets, null, 2)}\n`);
  await writeFile(config, prometheusConfig(targetsFile));
  const data = join(state.dir, 'prometheus-data');
  await mkdir(data, { recursive: true });
  const command = [
    'prometheus',
    `--config.file=${config}`,
    `--storage.tsdb.path=${data}`,
    `--web.listen-address=${new URL(url).host}`,
    '--storage.tsdb.retention.time=2d',
  ];
  const proc = spawnDetached(command, join(state.dir, 'prometheus.log'), process.env);
  state.prometheus = { url, config, targetsFile, proc };
  await waitReady('prometheus', `${url}/-/ready`, proc, 30_000);
  log(`prometheus  ${url} (file SD: ${targetsFile}, ${targets.length} targets)`);
}

async function startHosts(state: ClusterState, role: HostState['role'], log: Log): Promise<void> {
  const hosts = state.hosts.filter((h) => h.role === role);
  await Promise.all(
    hosts.map(async (h) => {
      h.proc = await startHost(state, h);
      log(`${role.padEnd(10)}  ${h.id} ${h.address}:${h.port} in ${h.netns} (pid ${h.proc.pid})`);
    }),
  );
  await writeState(state);
}

async function bringUp(state: ClusterState, opts: UpOptions, log: Log): Promise<void> {
  await createNetwork(topology(opts));
  state.shaping = await applyShaping(state.hosts, opts.delayMs, opts.lossPct, state.dir);
  log(`network     ${state.bridge} ${state.gateway}/24, ${state.hosts.length} namespaces; inference links: ${describeShaping(state.shaping)}`);
  await writeState(state);
  await startHosts(state, 'redis', log);
  await startHosts(state, 'inference', log);
  await startHaproxy(state, log);
  await writeState(state);
  // The first proxy makes the key set and uploads it; the others load the same file.
  const [first, ...rest] = state.hosts.filter((h) => h.role === 'proxy');
  first!.proc = await startHost(state, first!);
  log(`proxy       ${first!.id} ${first!.address}:${first!.port} in ${first!.netns} (pid ${first!.proc.pid}; made the key set)`);
  await writeState(state);
  await Promise.all(
    rest.map(async (h) => {
      h.proc = await startHost(state, h);
      log(`proxy       ${h.id} ${h.address}:${h.port} in ${h.netns} (pid ${h.proc.pid})`);
    }),
  );
  await writeState(state);
  if (opts.prometheus) await startPrometheus(state, opts.prometheusPort, log);
  await waitBalanced(state);
}

export function describeShaping(s: ClusterState['shaping']): string {
  if (!s) return 'none';
  const delay = s.delayApplied ? `${s.delayMs} ms each way (${s.delayVia ?? s.mode})` : 'none';
  const loss = s.lossPct > 0 ? `${s.lossPct} % (${s.mode})` : '0 %';
  return `delay ${delay}, loss ${loss}${s.note ? ` (${s.note})` : ''}`;
}

/** `hlp cluster up`: returns the state of the running cluster. */
export async function up(raw: unknown, log: Log, runsDir?: string): Promise<ClusterState> {
  const opts = parseUpOptions(raw);
  await checkPrerequisites(opts);
  const dir = clusterDir(opts.name, runsDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const removed = await cleanupStale(opts.name, dir);
  if (removed.length > 0) log(`removed leftovers of an earlier run: ${removed.join('; ')}`);
  await checkSubnetFree(opts.subnet);
  const state = await initialState(opts, dir);
  await rm(state.keyFile, { force: true });
  await writeState(state);
  try {
    await bringUp(state, opts, log);
  } catch (e) {
    log('start failed; removing what was started …');
    await cleanupStale(opts.name, dir);
    throw e;
  }
  state.phase = 'up';
  await writeState(state);
  return state;
}

/** Graceful where possible: proxies drain first, then the load balancer, Prometheus, inference, Redis. */
async function stopInOrder(state: ClusterState): Promise<void> {
  const byRole = (role: HostState['role']): Proc[] => state.hosts.filter((h) => h.role === role && h.proc).map((h) => h.proc!);
  await Promise.all(byRole('proxy').map((p) => stopProc(p, 'SIGTERM', 10_000)));
  const rest = [state.haproxy?.proc, state.prometheus?.proc].filter((p): p is Proc => !!p);
  await Promise.all(rest.map((p) => stopProc(p, 'SIGTERM', 5000)));
  await Promise.all(byRole('inference').map((p) => stopProc(p, 'SIGTERM', 10_000)));
  await Promise.all(byRole('redis').map((p) => stopProc(p, 'SIGTERM', 5000)));
  // Last: each delayer logs what it delayed as it exits.
  await Promise.all((state.shaping?.delayers ?? []).map((d) => stopProc(d.proc, 'SIGTERM', 2000)));
}

/** `hlp cluster down`: lines saying what was stopped and removed. */
export async function down(name: string, runsDir?: string): Promise<string[]> {
  const dir = clusterDir(name, runsDir);
  const state = await readState(dir).catch(() => null);
  if (state) {
    state.phase = 'stopping';
    await writeState(state);
    await stopInOrder(state);
  }
  const removed = await cleanupStale(name, dir);
  return [
    ...(state ? [`stopped cluster '${name}' (${state.hosts.length} hosts, load balancer, ${state.prometheus ? 'Prometheus' : 'no Prometheus'})`] : []),
    ...removed,
  ];
}

/**
 * Waits until HAProxy's checks see every server of both backends UP: a proxy answers /readyz a
 * moment before the load balancer's next check does, and a client in between would get a 503.
 */
export async function waitBalanced(state: ClusterState, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const res = await fetch(`${state.haproxy!.statsUrl}/stats;csv`, { signal: AbortSignal.timeout(2000) });
      const servers = parseStatsCsv(await res.text()).filter((s) => s.backend === 'proxies' || s.backend === 'inference');
      const down = servers.filter((s) => !s.status.startsWith('UP'));
      if (servers.length > 0 && down.length === 0) return;
      last = down.map((s) => `${s.backend}/${s.server} ${s.status}`).join(', ');
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) throw new ClusterError('START_FAILED', `HAProxy does not see every server up within ${timeoutMs / 1000} s: ${last}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
