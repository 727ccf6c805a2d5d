/**
 * The hosts' network: a private bridge in the root namespace (the gateway address: load balancer,
 * Redis, Prometheus), one namespace per host joined to it by a veth pair, and the impairment of
 * the inference hosts' links (delay, loss). Every name starts with the cluster's name, so a
 * crashed run's leftovers are found by name and removed.
 */
import { ClusterError } from './errors.js';
import type { Topology } from './config.js';
import { hasCommand, isRoot, sh } from './sh.js';

/** Why namespaces cannot be used here, or null when they can (probed by making one). */
export async function netnsUnavailable(probeName = 'hlpprobe'): Promise<string | null> {
  if (!isRoot()) return 'not root (network namespaces, bridges and qdiscs need CAP_NET_ADMIN)';
  if (!hasCommand('ip')) return "'ip' (iproute2) is not installed";
  await sh('ip', ['netns', 'del', probeName], { allowFail: true });
  const made = await sh('ip', ['netns', 'add', probeName], { allowFail: true });
  if (made.code !== 0) return `ip netns add failed: ${made.stderr.trim()}`;
  await sh('ip', ['netns', 'del', probeName], { allowFail: true });
  return null;
}

/** SUBNET_IN_USE when an address or route of this machine already lies in the /24. */
export async function checkSubnetFree(subnet: string): Promise<void> {
  const base = `${subnet.split('/')[0]!.split('.').slice(0, 3).join('.')}.`;
  const [addrs, routes] = await Promise.all([sh('ip', ['-o', '-4', 'addr', 'show']), sh('ip', ['-o', '-4', 'route', 'show'])]);
  const clash = [...addrs.stdout.split('\n'), ...routes.stdout.split('\n')].find((l) => l.includes(` ${base}`) || l.startsWith(base));
  if (clash) throw new ClusterError('SUBNET_IN_USE', `${subnet} is already in use on this machine (${clash.trim().slice(0, 120)}); pick another with --subnet`);
}

/** Namespaces of this cluster, by name: NAME-p1, NAME-i2, NAME-r1, … */
export async function listNamespaces(name: string): Promise<string[]> {
  const out = await sh('ip', ['netns', 'list'], { allowFail: true });
  const re = new RegExp(`^${name}-[pir]\\d+$`);
  return out.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => re.test(n));
}

/** Links in the root namespace whose name starts with NAME- (the bridge and the veth ends). */
export async function listLinks(name: string): Promise<string[]> {
  const out = await sh('ip', ['-o', 'link', 'show'], { allowFail: true });
  const names = out.stdout.split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '');
  return names.filter((n) => n.startsWith(`${name}-`));
}

/** PIDs of every process inside a namespace. */
export async function netnsPids(netns: string): Promise<number[]> {
  const out = await sh('ip', ['netns', 'pids', netns], { allowFail: true });
  return out.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

export async function createNetwork(topo: Topology): Promise<void> {
  const br = topo.bridge;
  await sh('ip', ['link', 'add', br, 'type', 'bridge']);
  await sh('ip', ['addr', 'add', `${topo.gateway}/${topo.prefixLength}`, 'dev', br]);
  await sh('ip', ['link', 'set', br, 'up']);
  for (const h of topo.hosts) {
    await sh('ip', ['netns', 'add', h.netns]);
    // The root end keeps the namespace's name; the other end becomes eth0 inside the host.
    await sh('ip', ['link', 'add', h.netns, 'type', 'veth', 'peer', 'name', `${h.netns}n`, 'netns', h.netns]);
    await sh('ip', ['link', 'set', h.netns, 'master', br, 'up']);
    await sh('ip', ['-n', h.netns, 'link', 'set', `${h.netns}n`, 'name', 'eth0']);
    await sh('ip', ['-n', h.netns, 'addr', 'add', `${h.address}/${topo.prefixLength}`, 'dev', 'eth0']);
    await sh('ip', ['-n', h.netns, 'link', 'set', 'eth0', 'up']);
    await sh('ip', ['-n', h.netns, 'link', 'set', 'lo', 'up']);
  }
}

/** Kills whatever still runs in the cluster's namespaces, then removes them and its links. */
export async function destroyNetwork(name: string): Promise<{ namespaces: string[]; links: string[] }> {
  const namespaces = await listNamespaces(name);
  for (const ns of namespaces) {
    for (const pid of await netnsPids(ns)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone meanwhile */
      }
    }
  }
  for (const ns of namespaces) await sh('ip', ['netns', 'del', ns], { allowFail: true });
  // Deleting a namespace takes its veth pair along; what is left is the bridge (and strays).
  const links = await listLinks(name);
  for (const l of links) await sh('ip', ['link', 'del', l], { allowFail: true });
  return { namespaces, links };
}
