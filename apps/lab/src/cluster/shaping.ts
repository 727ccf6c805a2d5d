/**
 * Delay and loss on the inference hosts' links, both directions: netem on the root end of each
 * veth (traffic towards the host) and on eth0 inside the host (traffic from it). Proxy ↔
 * inference traffic crosses the load balancer in the root namespace, so each of its packets
 * meets exactly one shaped queue: a round trip gains 2 × delay.
 *
 * Kernels built without sch_netem (CONFIG_NET_SCH_NETEM) refuse the qdisc. Then loss falls back
 * to nftables (a random drop of the same share in the hosts' input and output hooks) and the
 * delay is reported as not applied; the state records which mechanism is in force.
 */
import type { HostPlan } from './config.js';
import { ClusterError } from './errors.js';
import { hasCommand, inNetns, sh } from './sh.js';

export type ShapingMode = 'netem' | 'nft' | 'none';

export interface Shaping {
  readonly delayMs: number;
  readonly lossPct: number;
  /** What carries the loss (and, for netem, the delay). */
  readonly mode: ShapingMode;
  /** Whether the kernel took the netem qdisc (null: not tried, nothing was asked for). */
  readonly netem: boolean | null;
  readonly delayApplied: boolean;
  /** Why something asked for is not applied, for the reader of the state and results. */
  readonly note: string | null;
}

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

/**
 * Shapes the inference hosts' links; returns what is in force. `previous` (a fault changing the
 * loss) keeps what was learnt about netem.
 */
export async function applyShaping(hosts: readonly HostPlan[], delayMs: number, lossPct: number, previous?: Shaping): Promise<Shaping> {
  const targets = hosts.filter((h) => h.role === 'inference');
  let netem = previous?.netem ?? null;
  if (netem !== false && (delayMs > 0 || lossPct > 0)) {
    let ok = true;
    for (const h of targets) ok = ok && (await netemOn(h, delayMs, lossPct));
    if (ok) return { delayMs, lossPct, netem: true, mode: 'netem', delayApplied: delayMs > 0, note: null };
    netem = false;
  }
  if (netem === true) {
    for (const h of targets) await netemOff(h);
    return { delayMs, lossPct, netem, mode: 'none', delayApplied: false, note: null };
  }
  if (lossPct > 0 && !hasCommand('nft'))
    throw new ClusterError('FAULT_FAILED', `cannot apply ${lossPct} % loss: ${NO_NETEM} and nft (Debian nftables) is not installed`);
  if (lossPct > 0 || previous?.mode === 'nft') for (const h of targets) await nftLoss(h, lossPct);
  const note = delayMs > 0 ? `delay of ${delayMs} ms not applied: ${NO_NETEM}` : null;
  return { delayMs, lossPct, netem, mode: lossPct > 0 ? 'nft' : 'none', delayApplied: false, note };
}
