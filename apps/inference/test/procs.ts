/**
 * Real processes for the tests: Redis (Debian's redis-server on a free loopback port, in a
 * temporary directory, no persistence) and the services' own binaries.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freeLoopbackPort, hasRedisServer, startLocalRedis, type LocalRedis } from '../src/local-redis.js';

export const freePort = freeLoopbackPort;

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export type RedisProcess = LocalRedis;

/** redis-server on a free loopback port; undefined when the binary is missing. */
export async function startRedis(): Promise<RedisProcess | undefined> {
  if (!hasRedisServer()) return undefined;
  return startLocalRedis();
}

/** A redis-cli-free command: one RESP command over a fresh connection, the raw reply. */
export async function redisCommand(port: number, ...args: string[]): Promise<string> {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let out = '';
    s.on('data', (c) => {
      out += c.toString('latin1');
      if (out.endsWith('\r\n')) {
        s.end();
        resolve(out);
      }
    });
    s.on('error', reject);
    s.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}

const here = dirname(fileURLToPath(import.meta.url));
/** The inference service's binary (apps/inference/bin). */
export const INFERENCE_BIN = join(here, '..', '..', 'bin', 'hlp-inference.js');

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

/** Start a service binary and wait for its 'listening' event. */
export async function startProcess(bin: string, args: readonly string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<ServiceProcess> {
  const proc = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
