/**
 * Faults applied to a running cluster: kill -9 of a proxy or an inference instance (restarted
 * after a pause, as a supervisor would), a Redis restart, and loss on the inference links.
 */
import { stopDetached as stopProc } from '@hlp/procs';
import { z } from 'zod';
import { ClusterError } from './errors.js';
import { waitBalanced } from './lifecycle.js';
import { startHost } from './services.js';
import { applyShaping } from './shaping.js';
import { writeState, type ClusterState, type HostState } from './state.js';

export const FAULT_KINDS = ['kill-proxy', 'kill-inference', 'restart-redis', 'loss'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const Fault = z.object({
  kind: z.enum(FAULT_KINDS),
  /** kill-*: which instance (p1, i2, …; default the first of its role). */
  host: z
    .string()
    .regex(/^[pi]\d+$/)
    .optional(),
  /** loss: percent of packets dropped on the inference links (0 turns it off). */
  pct: z.number().min(0).max(100).optional(),
  /** kill-*, restart-redis: seconds before the restart; null: not restarted. */
  restartAfterS: z.number().min(0).max(600).nullable().default(1),
});
export type Fault = z.infer<typeof Fault>;

/** What happened, with times on the wall clock (ms since the epoch) so a run can place them. */
export interface FaultEvent {
  readonly kind: FaultKind;
  readonly target: string;
  readonly at: number;
  /** When the restarted instance answered its readiness probe (null: not restarted). */
  readonly readyAt: number | null;
  readonly detail: string;
}

function pick(state: ClusterState, role: HostState['role'], id: string | undefined): HostState {
  const hosts = state.hosts.filter((h) => h.role === role);
  const host = id === undefined ? hosts[0] : hosts.find((h) => h.id === id);
  if (!host)
    throw new ClusterError('BAD_OPTION', `no ${role} host ${id ?? ''} in cluster '${state.name}' (it has ${hosts.map((h) => h.id).join(', ') || 'none'})`);
  return host;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function restart(state: ClusterState, h: HostState, afterS: number | null): Promise<number | null> {
  if (afterS === null) return null;
  await sleep(afterS * 1000);
  h.restarts += 1;
  h.proc = await startHost(state, h, `.restart${h.restarts}`);
  await writeState(state);
  const ready = Date.now();
  // Back in rotation only once the load balancer's checks pass (not the case for Redis, behind none).
  if (h.role !== 'redis') await waitBalanced(state);
  return ready;
}

async function killHost(state: ClusterState, h: HostState, signal: NodeJS.Signals, f: Fault): Promise<FaultEvent> {
  if (!h.proc) throw new ClusterError('FAULT_FAILED', `${h.id} has no process recorded`);
  const at = Date.now();
  await stopProc(h.proc, signal, 5000);
  h.proc = null;
  await writeState(state);
  const readyAt = await restart(state, h, f.restartAfterS);
  const again = readyAt === null ? 'not restarted' : `ready again after ${((readyAt - at) / 1000).toFixed(1)} s`;
  return { kind: f.kind, target: h.id, at, readyAt, detail: `${signal} ${h.role} ${h.id}; ${again}` };
}

/** Applies one fault; the state file follows (new PIDs, restarts, shaping). */
export async function applyFault(state: ClusterState, raw: unknown): Promise<FaultEvent> {
  const parsed = Fault.safeParse(raw);
  if (!parsed.success) throw new ClusterError('BAD_OPTION', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const f = parsed.data;
  switch (f.kind) {
    case 'kill-proxy':
      return killHost(state, pick(state, 'proxy', f.host), 'SIGKILL', f);
    case 'kill-inference':
      return killHost(state, pick(state, 'inference', f.host), 'SIGKILL', f);
    case 'restart-redis':
      return killHost(state, pick(state, 'redis', undefined), 'SIGTERM', f);
    case 'loss': {
      if (f.pct === undefined) throw new ClusterError('BAD_OPTION', 'loss needs a percentage, e.g. loss 1');
      const at = Date.now();
      state.shaping = await applyShaping(state.hosts, state.shaping?.delayMs ?? 0, f.pct, state.dir, state.shaping ?? undefined);
      await writeState(state);
      return {
        kind: f.kind,
        target: 'inference links',
        at,
        readyAt: null,
        detail: `loss ${f.pct} % via ${state.shaping.mode}${state.shaping.note ? ` (${state.shaping.note})` : ''}`,
      };
    }
  }
}
