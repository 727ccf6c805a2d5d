/**
 * Delay and loss on the inference hosts' links, both directions: netem on the root end of each
 * veth (traffic towards the host) and on eth0 inside the host (traffic from it). Proxy ↔
 * inference traffic crosses the load balancer in the root namespace, so each of its packets
 * meets exactly one shaped queue: a round trip gains 2 × delay.
 *
 * Kernels built without sch_netem (CONFIG_NET_SCH_NETEM) refuse the qdisc. Then the delay is
 * made in the same place by a netfilter queue: iptables sends every packet of the host's eth0
 * (input and output hooks) to queue 0, where hlp-packet-delay (apps/lab/native) holds each for
 * the delay and accepts it, in arrival order. Loss falls back to nftables (a random drop of the
 * same share in the hosts' input and output hooks). The state records which mechanism carries
 * what, and why anything asked for is not applied.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isAlive, logTail, stopDetached } from '@hlp/procs';
import type { HostPlan } from './config.js';
import { ClusterError } from './errors.js';
import { spawnDetached } from './procs.js';
import { hasCommand, inNetns, sh } from './sh.js';
import type { Proc } from './state.js';

export type ShapingMode = 'netem' | 'nft' | 'none';

/** One host's packet-delay process (nfqueue mode). */
export interface Delayer {
  readonly host: string;
  readonly proc: Proc;
}

export interface Shaping {
  readonly delayMs: number;
  readonly lossPct: number;
  /** What carries the loss (and, for netem, the delay). */
  readonly mode: ShapingMode;
  /** Whether the kernel took the netem qdisc (null: not tried, nothing was asked for). */
  readonly netem: boolean | null;
  readonly delayApplied: boolean;
  /** What carries the delay when it is applied. */
  readonly delayVia: 'netem' | 'nfqueue' | null;
  /** The packet-delay processes, one per inference host, when the delay is made by nfqueue. */
  readonly delayers: Delayer[];
  /** Why something asked for is not applied, for the reader of the state and results. */
  readonly note: string | null;
}

/** The packet-delay helper built by the lab's build (build/hlp-packet-delay). */
export const PACKET_DELAY_BIN = fileURLToPath(new URL('../../../build/hlp-packet-delay', import.meta.url));
const DELAY_QUEUE = '0';

const NFT_TABLE = 'hlp_cluster_loss';

function netemArgs(delayMs: number, lossPct: number): string[] {
  const args = ['netem', 'delay', `${delayMs}ms`];
  if (lossPct > 0) args.push('loss', `${lossPct}%`);
  return args;
}

/** Applies netem on both ends of one host's link; false when the kernel has no netem. */
async function netemOn(host: HostPlan, delayMs: number, lossPct: number): Promise<boolean> {
  const outside = await sh('tc', ['qdisc', 'replace', 'dev', host.netns, 'root', ...netemArgs(delayMs, lossPct)], { allowFail: true });
  if (outside.code !== 0) {
    if (/unknown|not supported|No such file/i.test(outside.stderr)) return false;
    throw new ClusterError('COMMAND_FAILED', `tc qdisc replace dev ${host.netns} … netem: ${outside.stderr.trim()}`);
  }
  await inNetns(host.netns, 'tc', ['qdisc', 'replace', 'dev', 'eth0', 'root', ...netemArgs(delayMs, lossPct)]);
  return true;
}

async function netemOff(host: HostPlan): Promise<void> {
  await sh('tc', ['qdisc', 'del', 'dev', host.netns, 'root'], { allowFail: true });
  await inNetns(host.netns, 'tc', ['qdisc', 'del', 'dev', 'eth0', 'root'], { allowFail: true });
}

/** Random drop of `lossPct` % of the host's packets, each direction, with nftables' numgen. */
async function nftLoss(host: HostPlan, lossPct: number): Promise<void> {
  await inNetns(host.netns, 'nft', ['delete', 'table', 'inet', NFT_TABLE], { allowFail: true });
  if (lossPct <= 0) return;
  // Hundredths of a percent: numgen draws 0…9999.
  const below = String(Math.round(lossPct * 100));
  await inNetns(host.netns, 'nft', ['add', 'table', 'inet', NFT_TABLE]);
  for (const [chain, hook] of [
    ['in', 'input'],
    ['out', 'output'],
  ] as const) {
    await inNetns(host.netns, 'nft', ['add', 'chain', 'inet', NFT_TABLE, chain, `{ type filter hook ${hook} priority 0; }`]);
    await inNetns(host.netns, 'nft', ['add', 'rule', 'inet', NFT_TABLE, chain, 'numgen', 'random', 'mod', '10000', '<', below, 'drop']);
  }
}

const NO_NETEM = 'this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM)';

/** Why the nfqueue delay cannot be made here, or null when it can. */
export function nfqueueUnavailable(bin: string = PACKET_DELAY_BIN): string | null {
  if (!existsSync(bin)) return `${bin} is not built (the lab's build compiles it with a C compiler)`;
  if (!hasCommand('iptables')) return 'iptables (Debian iptables) is not installed';
  return null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts one host's delayer and waits for it to bind its queue; START_FAILED when it cannot. */
async function startDelayer(host: HostPlan, delayMs: number, dir: string): Promise<Delayer> {
  const log = join(dir, `${host.id}.delay.log`);
  const command = [PACKET_DELAY_BIN, '--queue', DELAY_QUEUE, '--delay-us', String(Math.round(delayMs * 1000))];
  const proc = spawnDetached(command, log, process.env, host.netns);
  const deadline = Date.now() + 5000;
  while (!/^ready /m.test(logTail(log))) {
    if (!isAlive(proc) || Date.now() > deadline) {
      if (isAlive(proc)) await stopDetached(proc, 'SIGKILL', 1000);
      throw new ClusterError('START_FAILED', `hlp-packet-delay in ${host.netns} did not bind its queue; last lines of ${log}:\n${logTail(log)}`);
    }
    await sleep(20);
  }
  // Both directions of the host's link; --queue-bypass lets packets through if the queue loses its reader.
  for (const [chain, dirFlag] of [
    ['INPUT', '-i'],
    ['OUTPUT', '-o'],
  ] as const) {
    await inNetns(host.netns, 'iptables', ['-w', '-A', chain, dirFlag, 'eth0', '-j', 'NFQUEUE', '--queue-num', DELAY_QUEUE, '--queue-bypass']);
  }
  return { host: host.id, proc };
}

/** Removes the queue rules first (traffic then flows undelayed), then stops the delayers. */
async function stopDelayers(hosts: readonly HostPlan[], delayers: readonly Delayer[]): Promise<void> {
  for (const d of delayers) {
    const h = hosts.find((x) => x.id === d.host);
    if (h) for (const chain of ['INPUT', 'OUTPUT']) await inNetns(h.netns, 'iptables', ['-w', '-F', chain], { allowFail: true });
  }
  await Promise.all(delayers.filter((d) => isAlive(d.proc)).map((d) => stopDetached(d.proc, 'SIGTERM', 2000)));
}

/** The nfqueue delay in force for `delayMs` on every target: the previous one when it still holds, else new. */
async function nfqueueDelay(targets: readonly HostPlan[], delayMs: number, dir: string, previous?: Shaping): Promise<Delayer[]> {
  const kept = previous?.delayVia === 'nfqueue' && previous.delayMs === delayMs ? previous.delayers : [];
  if (kept.length === targets.length && kept.every((d) => isAlive(d.proc))) return kept;
  await stopDelayers(targets, previous?.delayers ?? []);
  const started: Delayer[] = [];
  try {
    for (const h of targets) started.push(await startDelayer(h, delayMs, dir));
  } catch (e) {
    await stopDelayers(targets, started);
    throw e;
  }
  return started;
}

/**
 * Shapes the inference hosts' links; returns what is in force. `previous` (a fault changing the
 * loss) keeps what was learnt about netem and the delayers already running; `dir` holds the
 * delayers' logs.
 */
export async function applyShaping(hosts: readonly HostPlan[], delayMs: number, lossPct: number, dir: string, previous?: Shaping): Promise<Shaping> {
  const targets = hosts.filter((h) => h.role === 'inference');
  let netem = previous?.netem ?? null;
  if (netem !== false && (delayMs > 0 || lossPct > 0)) {
    let ok = true;
    for (const h of targets) ok = ok && (await netemOn(h, delayMs, lossPct));
    if (ok)
      return { delayMs, lossPct, netem: true, mode: 'netem', delayApplied: delayMs > 0, delayVia: delayMs > 0 ? 'netem' : null, delayers: [], note: null };
    netem = false;
  }
  if (netem === true) {
    for (const h of targets) await netemOff(h);
    return { delayMs, lossPct, netem, mode: 'none', delayApplied: false, delayVia: null, delayers: [], note: null };
  }
  if (lossPct > 0 && !hasCommand('nft'))
    throw new ClusterError('FAULT_FAILED', `cannot apply ${lossPct} % loss: ${NO_NETEM} and nft (Debian nftables) is not installed`);
  if (lossPct > 0 || previous?.mode === 'nft') for (const h of targets) await nftLoss(h, lossPct);
  const mode = lossPct > 0 ? 'nft' : 'none';
  if (delayMs <= 0) {
    await stopDelayers(targets, previous?.delayers ?? []);
    return { delayMs, lossPct, netem, mode, delayApplied: false, delayVia: null, delayers: [], note: null };
  }
  const why = nfqueueUnavailable();
  if (why)
    return {
      delayMs,
      lossPct,
      netem,
      mode,
      delayApplied: false,
      delayVia: null,
      delayers: [],
      note: `delay of ${delayMs} ms not applied: ${NO_NETEM}, and ${why}`,
    };
  const delayers = await nfqueueDelay(targets, delayMs, dir, previous);
  return { delayMs, lossPct, netem, mode, delayApplied: true, delayVia: 'nfqueue', delayers, note: `delay by netfilter queue: ${NO_NETEM}` };
}
