/** `hlp cluster status`: what the state says, checked against the machine. */
import { isAlive } from '@hlp/procs';
import { describeShaping } from './lifecycle.js';
import { hostUrl } from './services.js';
import type { ClusterState, Proc } from './state.js';

export interface InstanceStatus {
  readonly id: string;
  readonly role: string;
  readonly address: string;
  readonly pid: number | null;
  readonly alive: boolean;
  /** /readyz (proxy) or /healthz (inference) answered 200; null where not probed. */
  readonly ready: boolean | null;
  readonly restarts: number;
}

async function probe(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

function alive(p: Proc | null | undefined): boolean {
  return !!p && isAlive(p);
}

export async function clusterStatus(state: ClusterState): Promise<{ instances: InstanceStatus[]; lines: string[] }> {
  const instances = await Promise.all(
    state.hosts.map(async (h): Promise<InstanceStatus> => {
      const path = h.role === 'proxy' ? '/readyz' : h.role === 'inference' ? '/healthz' : null;
      return {
        id: h.id,
        role: h.role,
        address: `${h.address}:${h.port}`,
        pid: h.proc?.pid ?? null,
        alive: alive(h.proc),
        ready: path ? await probe(`${hostUrl(h)}${path}`) : null,
        restarts: h.restarts,
      };
    }),
  );
  const lines = [
    `cluster '${state.name}' (${state.phase}) since ${state.createdAt}; bridge ${state.bridge} ${state.gateway}/24`,
    `haproxy     ${state.haproxy?.clientUrl ?? '–'}  ${alive(state.haproxy?.proc) ? 'alive' : 'DOWN'}  (stats ${state.haproxy?.statsUrl ?? '–'}/stats)`,
    `prometheus  ${state.prometheus?.url ?? 'not started'}  ${state.prometheus ? (alive(state.prometheus.proc) ? 'alive' : 'DOWN') : ''}`,
    `links       ${describeShaping(state.shaping)}`,
    ...(state.shaping?.delayers ?? []).map(
      (d) => `delay       ${d.host.padEnd(3)} pid ${String(d.proc.pid).padEnd(7)} ${alive(d.proc) ? 'alive' : 'DOWN (packets pass undelayed)'}`,
    ),
    ...instances.map(
      (i) =>
        `${i.role.padEnd(10)}  ${i.id.padEnd(3)} ${i.address.padEnd(18)} pid ${String(i.pid ?? '–').padEnd(7)} ${i.alive ? 'alive' : 'DOWN '} ${i.ready === null ? '' : i.ready ? 'ready' : 'not ready'}${i.restarts ? `  restarts ${i.restarts}` : ''}`,
    ),
  ];
  return { instances, lines };
}
