/**
 * A Node child process that reports JSON events on stdout (`{"event":"listening", "url":…}`,
 * `{"event":"ready"}`, …) and, when it reads them, takes JSON commands on stdin: how the services
 * announce themselves to `hlp serve` and to the tests that start them, and how `hlp load
 * --drivers` talks to its driver processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export type ChildEvent = Record<string, unknown> & { readonly event: string };

export interface ChildOptions {
  readonly env?: Record<string, string>;
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
  readonly exited: Promise<number | null>;
}

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
  const spawnOptions = { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] as ['pipe', 'pipe', 'pipe'] };
  const proc = options.launch === 'shebang' ? spawn(bin, [...args], spawnOptions) : spawn(process.execPath, [bin, ...args], spawnOptions);
  const events: ChildEvent[] = [];
  const waiters: (() => void)[] = [];
  let err = '';
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  // A child that exits while we still write must not crash the parent with EPIPE.
  proc.stdin.on('error', () => undefined);
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const ev = parseEvent(line);
    if (!ev) return;
    options.onEvent?.(ev);
    if (options.retain && !options.retain(ev)) return;
    events.push(ev);
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  // 'exit' can come before the last lines of stdout are read (a report larger than the pipe's
  // buffer, on a busy machine): a waiter gives up only once the output has closed as well.
  // (A grandchild holding the pipe open must not keep a waiter for long: two seconds after the
  // exit it gives up all the same.)
  let outputClosed = false;
  let exitedAt = 0;
  proc.once('exit', () => {
    exitedAt = Date.now();
    for (const w of waiters.splice(0)) w();
  });
  proc.once('close', () => {
    outputClosed = true;
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = async (event: string, ms = defaultTimeoutMs): Promise<ChildEvent> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = events.find((e) => e.event === event);
      if (found) return found;
      if (outputClosed || (exitedAt > 0 && Date.now() - exitedAt > 2000)) throw new Error(`${bin} exited (${proc.exitCode ?? proc.signalCode}) before '${event}': ${err.slice(-2000)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${bin}: no '${event}' within ${ms} ms: ${err.slice(-2000)}`);
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
    pid: proc.pid!,
    events,
    stderr: () => err,
    send(message) {
      if (proc.stdin.writable) proc.stdin.write(`${JSON.stringify(message)}\n`);
    },
    waitFor,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM', ms = 30_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
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
