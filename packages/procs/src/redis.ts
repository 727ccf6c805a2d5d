/**
 * A private redis-server for the L2 key cache: Debian's binary on a free loopback port, in a
 * temporary directory, with persistence off (the keys are a cache; L3 on disk is the durable
 * level). `hlp serve --redis local`, the suite's `services.redis` and the tests start one this
 * way and stop it with the services.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort, hasCommand, waitForPort } from './ports.js';

export class LocalRedisError extends Error {
  readonly code: 'REDIS_MISSING' | 'REDIS_START_FAILED';
  constructor(code: LocalRedisError['code'], message: string) {
    super(message);
    this.name = 'LocalRedisError';
    this.code = code;
  }
}

export function hasRedisServer(binary = 'redis-server'): boolean {
  return hasCommand(binary);
}

export interface LocalRedis {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Starts redis-server on loopback. The free port is found by binding and releasing it, so
 * another process can take it in between: a failed start is retried on a new port twice.
 */
export async function startLocalRedis(options: { binary?: string; timeoutMs?: number } = {}): Promise<LocalRedis> {
  const binary = options.binary ?? 'redis-server';
  if (!hasCommand(binary)) {
    throw new LocalRedisError('REDIS_MISSING', `${binary} is not installed (scripts/setup-system.sh installs Debian's redis-server)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'hlp-redis-'));
  let log = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeLoopbackPort();
    const proc = spawn(
      binary,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--daemonize',
        'no',
        '--protected-mode',
        'yes',
        '--loglevel',
        'warning',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    log = '';
    proc.stdout.on('data', (c: Buffer) => (log += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (log += c.toString()));
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.once('error', (e) => (log += e.message));
    if (!(await waitForPort(port, proc, options.timeoutMs ?? 10_000))) {
      proc.kill('SIGKILL');
      await exited;
      continue;
    }
    let stopped: Promise<void> | undefined;
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      pid: proc.pid ?? 0,
      stop() {
        stopped ??= (async () => {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
          const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(t);
          await rm(dir, { recursive: true, force: true });
        })();
        return stopped;
      },
    };
  }
  await rm(dir, { recursive: true, force: true });
  throw new LocalRedisError('REDIS_START_FAILED', `${binary} did not start on loopback after 3 attempts: ${log.trim().slice(-500) || 'no output'}`);
}
