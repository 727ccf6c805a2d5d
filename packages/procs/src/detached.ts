/**
 * Processes that outlive the command that starts them (the cluster's services): each is spawned
 * detached (its own session), output to a log file, and known afterwards by PID plus start
 * time, so that a PID the kernel has since reused is never taken for ours.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';

export interface DetachedProcess {
  readonly pid: number;
  /** Start time in clock ticks since boot (/proc/PID/stat field 22). */
  readonly startTicks: number;
  /** argv[0] and the rest, to start it again the same way. */
  readonly command: string[];
  readonly log: string;
  readonly startedAt: string;
}

export class DetachedStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DetachedStartError';
  }
}

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
export function isAlive(p: Pick<DetachedProcess, 'pid' | 'startTicks'>): boolean {
  if (startTicks(p.pid) !== p.startTicks) return false;
  try {
    const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Starts `command` detached, stdout and stderr written to `log` (a new file); `netns` runs it inside a namespace. */
export function spawnDetached(command: readonly string[], log: string, env: NodeJS.ProcessEnv, netns?: string): DetachedProcess {
  const argv = netns ? ['ip', 'netns', 'exec', netns, ...command] : [...command];
  const fd = openSync(log, 'w', 0o600);
  try {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', fd, fd], env });
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new DetachedStartError(`could not start ${command[0]} (see ${log})`);
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
export async function stopDetached(p: Pick<DetachedProcess, 'pid' | 'startTicks'>, signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
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

/** Processes whose command line mentions `marker` (e.g. a cluster's directory): strays of a crashed run. */
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
      if (
        readFileSync(`/proc/${e}/cmdline`, 'utf8')
          .split('\0')
          .some((a) => a.includes(marker))
      )
        found.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return found;
}
