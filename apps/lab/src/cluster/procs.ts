/**
 * The cluster's processes outlive the `hlp cluster up` that starts them: @hlp/procs starts them
 * detached and tracks them by PID plus start time; what is the cluster's own is its error code
 * and how it waits for a service to answer.
 */
import { DetachedStartError, isAlive, logTail, spawnDetached as spawnDetachedProcess } from '@hlp/procs';
import { ClusterError } from './errors.js';
import type { Proc } from './state.js';

/** Starts `command` detached, output to `log`; START_FAILED when it cannot be spawned. */
export function spawnDetached(command: readonly string[], log: string, env: NodeJS.ProcessEnv, netns?: string): Proc {
  try {
    return spawnDetachedProcess(command, log, env, netns);
  } catch (error) {
    if (error instanceof DetachedStartError) throw new ClusterError('START_FAILED', error.message);
    throw error;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `url` until it answers 200; START_FAILED when the process dies or time runs out. */
export async function waitReady(what: string, url: string, p: Proc, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive(p)) throw new ClusterError('START_FAILED', `${what} exited while starting; last lines of ${p.log}:\n${logTail(p.log)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline)
      throw new ClusterError(
        'START_FAILED',
        `${what} not ready at ${url} within ${Math.round(timeoutMs / 1000)} s; last lines of ${p.log}:\n${logTail(p.log)}`,
      );
    await sleep(100);
  }
}
