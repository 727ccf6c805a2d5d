/**
 * A Node child process that reports JSON events on stdout (`{"event":"listening", "url":…}`,
 * `{"event":"ready"}`, …) and, when it reads them, takes JSON commands on stdin: how the services
 * announce themselves to `hlp serve` and to the tests that start them, and how `hlp load
 * --drivers` talks to its driver processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export type ChildEvent = Record<string, unknown> & { readonly event: string };

/** Where a child's plain output lines go, each as `[name] line`. */
export interface ChildLog {
  readonly name: string;
  write(text: string): void;
  /** Sees every plain line first; returning false keeps that line out of the log. */
  readonly onLine?: (line: string) => boolean;
}

export interface ChildOptions {
  readonly env?: Record<string, string | undefined>;
  /** Node flags before the bin (launch 'node' only), e.g. the services' heap flags or --cpu-prof. */
  readonly nodeArgs?: readonly string[];
  readonly cwd?: string;
  /** Plain (non-event) stdout lines and stderr lines, prefixed with the child's name. */
  readonly log?: ChildLog;
  /** 'shebang' executes the bin itself, so that the Node flags on its `#!` line apply, as when a user runs it. */
  readonly launch?: 'node' | 'shebang';
  /** Called for every event as it arrives (e.g. progress ticks). */
  readonly onEvent?: (event: ChildEvent) => void;
  /** Which events to keep in `events` for waitFor (default all); frequent ones need not pile up. */
  readonly retain?: (event: ChildEvent) => boolean;
}

export interface ChildProcessHandle {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** JSON events printed on stdout so far (those retained). */
  readonly events: ChildEvent[];
  /** stderr so far. */
  stderr(): string;
  /** One JSON line on the child's stdin. */
  send(message: unknown): void;
  /** The first retained event of that name (waits for it); rejects when the child exits first or time runs out. */
  waitFor(event: string, timeoutMs?: number): Promise<ChildEvent>;
  /** Signal it and resolve with its exit code (SIGKILL after timeoutMs). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  /** The exit code (null when a signal ended it, or when it could not be spawned). */
  readonly exited: Promise<number | null>;
}

/** Why waitFor gave up: the callers word their own messages from these facts. */
export class ChildWaitError extends Error {
  constructor(
    message: string,
    readonly reason: 'spawn-failed' | 'exited' | 'timeout',
    readonly event: string,
    readonly exitCode: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly spawnError: Error | null,
  ) {
    super(message);
    this.name = 'ChildWaitError';
  }
}

/** Keeps a long-running child's stderr from growing without bound: error messages use the tail. */
const STDERR_KEPT = 1 << 20;

export interface ServiceProcess extends ChildProcessHandle {
  /** The URL from the 'listening' event. */
  readonly url: string;
}

function parseEvent(line: string): ChildEvent | null {
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)['event'] === 'string') return value as ChildEvent;
  } catch {
    /* not an event: a plain line of output */
  }
  return null;
}

/** Starts `node <bin> …args` (stdin, stdout and stderr piped) and reads its events; does not wait for any. */
export function startChild(bin: string, args: readonly string[], options: ChildOptions = {}, defaultTimeoutMs = 60_000): ChildProcessHandle {
  const spawnOptions = { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] as ['pipe', 'pipe', 'pipe'] };
  const proc =
    options.launch === 'shebang' ? spawn(bin, [...args], spawnOptions) : spawn(process.execPath, [...(options.nodeArgs ?? []), bin, ...args], spawnOptions);
  const events: ChildEvent[] = [];
  const waiters: (() => void)[] = [];
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  let err = '';
  let spawnError: Error | null = null;
  const log = options.log;
  const logLine = (line: string): void => {
    if (log && log.onLine?.(line) !== false) log.write(`[${log.name}] ${line}\n`);
  };
  proc.stderr.on('data', (c: Buffer) => {
    err += c.toString();
    if (err.length > 2 * STDERR_KEPT) err = err.slice(-STDERR_KEPT);
  });
  if (log) createInterface({ input: proc.stderr }).on('line', logLine);
  // A child that exits while we still write must not crash the parent with EPIPE.
  proc.stdin.on('error', () => undefined);
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const ev = parseEvent(line);
    if (!ev) return logLine(line);
    options.onEvent?.(ev);
    if (options.retain && !options.retain(ev)) return;
    events.push(ev);
    wake();
  });
  // 'exit' can come before the last lines of stdout are read (a report larger than the pipe's
  // buffer, on a busy machine): a waiter gives up only once the output has closed as well.
  // (A grandchild holding the pipe open must not keep a waiter for long: two seconds after the
  // exit it gives up all the same.)
  let outputClosed = false;
  let exitedAt = 0;
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => resolve(code));
    // A bin that cannot be spawned emits 'error' and never 'exit'.
    proc.once('error', (e) => {
      spawnError = e;
      exitedAt = Date.now();
      resolve(null);
      wake();
    });
  });
  proc.once('exit', () => {
    exitedAt = Date.now();
    wake();
  });
  proc.once('close', () => {
    outputClosed = true;
    wake();
  });
  const waitFor = async (event: string, ms = defaultTimeoutMs): Promise<ChildEvent> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = events.find((e) => e.event === event);
      if (found) return found;
      const failure = spawnError;
      if (failure) throw new ChildWaitError(`${bin} could not start: ${failure.message}`, 'spawn-failed', event, null, null, failure);
      if (outputClosed || (exitedAt > 0 && Date.now() - exitedAt > 2000)) {
        const message = `${bin} exited (${proc.exitCode ?? proc.signalCode}) before '${event}': ${err.slice(-2000)}`;
        throw new ChildWaitError(message, 'exited', event, proc.exitCode, proc.signalCode, null);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new ChildWaitError(`${bin}: no '${event}' within ${ms} ms: ${err.slice(-2000)}`, 'timeout', event, null, null, null);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  };
  return {
    proc,
    pid: proc.pid ?? 0,
    events,
    stderr: () => err,
    send(message) {
      if (proc.stdin.writable) proc.stdin.write(`${JSON.stringify(message)}\n`);
    },
    waitFor,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM', ms = 30_000) {
      if (proc.exitCode !== null || proc.signalCode !== null || spawnError) return proc.exitCode;
      proc.kill(signal);
      const t = setTimeout(() => proc.kill('SIGKILL'), ms);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

/**
 * Starts `node <bin> …args` and waits for its 'listening' event. `launch: 'shebang'` executes
 * the bin itself, so that the Node flags on its `#!` line apply, as when a user runs it.
 */
export async function startProcess(
  bin: string,
  args: readonly string[],
  env: Record<string, string> = {},
  timeoutMs = 60_000,
  launch: 'node' | 'shebang' = 'node',
): Promise<ServiceProcess> {
  const child = startChild(bin, args, { env, launch }, timeoutMs);
  // The services never read stdin; closing it keeps their behaviour as it was ('ignore').
  child.proc.stdin?.end();
  const listening = await child.waitFor('listening');
  return { ...child, url: String(listening['url']) };
}
