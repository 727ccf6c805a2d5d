/**
 * A service binary as a child process that reports JSON events on stdout (`{"event":"listening",
 * "url":…}`, `{"event":"ready"}`, …): how the services announce themselves to `hlp serve` and to
 * the tests that start them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ServiceProcess {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** The URL from the 'listening' event. */
  readonly url: string;
  /** JSON events printed on stdout so far. */
  readonly events: Record<string, unknown>[];
  /** stderr so far (JSON log lines). */
  stderr(): string;
  waitFor(event: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Signal it and resolve with its exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  readonly exited: Promise<number | null>;
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
  const options = { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'] };
  const proc = launch === 'shebang' ? spawn(bin, [...args], options) : spawn(process.execPath, [bin, ...args], options);
  const events: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    try {
      const ev = JSON.parse(line) as Record<string, unknown>;
      if (typeof ev['event'] === 'string') {
        events.push(ev);
        for (const w of waiters.splice(0)) w();
      }
    } catch {
      /* not an event */
    }
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  exited.then(() => {
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = async (event: string, ms = timeoutMs): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = events.find((e) => e['event'] === event);
      if (found) return found;
      if (proc.exitCode !== null) throw new Error(`${bin} exited (${proc.exitCode}) before '${event}': ${err.slice(-2000)}`);
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
  const listening = await waitFor('listening');
  return {
    proc,
    pid: proc.pid!,
    url: String(listening['url']),
    events,
    stderr: () => err,
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
