/**
 * The cluster's processes outlive the `hlp cluster up` that starts them: each is spawned detached
 * (its own session), output to a log file, and known afterwards by PID plus start time.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { ClusterError } from './errors.js';
import type { Proc } from './state.js';

/** Start time of a process in clock ticks since boot, or null when it does not exist. */
export function startTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : null;
  } catch {
    return null;
  }
}

/** True while the recorded process (same PID, same start time) is alive and not a zombie. */
export function isAlive(p: Pick<Proc, 'pid' | 'startTicks'>): boolean {
  if (startTicks(p.pid) !== p.startTicks) return false;
  try {
    const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Starts `command` detached, stdout and stderr written to `log` (a new file); `netns` runs it inside a namespace. */
export function spawnDetached(command: readonly string[], log: string, env: NodeJS.ProcessEnv, netns?: string): Proc {
  const argv = netns ? ['ip', 'netns', 'exec', netns, ...command] : [...command];
  const fd = openSync(log, 'w', 0o600);
  try {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', fd, fd], env });
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new ClusterError('START_FAILED', `could not start ${command[0]} (see ${log})`);
    // `ip netns exec` execs the command in place, so the PID is the service's own.
    return { pid, startTicks: startTicks(pid) ?? 0, command: argv, log, startedAt: new Date().toISOString() };
  } finally {
    closeSync(fd);
  }
}

/** Last lines of a log, for an error message. */
export function logTail(log: string, lines = 8): string {
  try {
    return readFileSync(log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Signals the recorded process if it is still ours; resolves once it has gone (SIGKILL after graceMs). */
export async function stopProc(p: Proc, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
  if (!isAlive(p)) return;
  try {
    process.kill(p.pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(p)) {
    if (Date.now() > deadline) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await sleep(25);
  }
}

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
    if (Date.now() > deadline) throw new ClusterError('START_FAILED', `${what} not ready at ${url} within ${Math.round(timeoutMs / 1000)} s; last lines of ${p.log}:\n${logTail(p.log)}`);
    await sleep(100);
  }
}

/** Processes whose command line mentions `marker` (the cluster's directory): strays of a crashed run. */
export function pidsMentioning(marker: string): number[] {
  const found: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').some((a) => a.includes(marker))) found.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return found;
}

