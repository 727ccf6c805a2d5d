import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { hasRedisServer, redisCommand as resp } from '@hlp/procs';

const BIN = fileURLToPath(new URL('../../bin/hlp.js', import.meta.url));

interface Serving {
  readonly child: ChildProcess;
  /** The first stdout line, `{"event":"serving",…}`, parsed. */
  readonly event: { event: string; inference: string; proxy: string; redis: string | null };
  readonly exit: Promise<number | null>;
  stderr(): string;
  /** Kills the whole process group when the test failed before stopping it. */
  cleanup(): void;
}

/** `hlp serve … --json --quiet` in its own process group, once it prints its serving line. */
async function serve(args: readonly string[]): Promise<Serving> {
  const child = spawn(process.execPath, [BIN, 'serve', ...args, '--json', '--quiet'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HLP_SERVICE_TOKEN: '' },
    // Its own process group, so that a failing test can kill the services along with it.
    detached: true,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const cleanup = (): void => {
    if (child.exitCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  };
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      void exit.then((code) => reject(new Error(`hlp serve exited with ${code}: ${stderr}`)));
    });
    return { child, event: JSON.parse(line) as Serving['event'], exit, stderr: () => stderr, cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}

describe('hlp serve', () => {
  it('starts inference then proxy on free loopback ports, serves embeddings, and stops both on SIGTERM', { timeout: 90_000 }, async () => {
    const s = await serve(['--workloads', 'affine']);
    try {
      const ev = s.event;
      assert.equal(ev.event, 'serving');
      assert.match(ev.inference, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(ev.proxy, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(ev.inference, ev.proxy);
      assert.equal(ev.redis, null);
      assert.equal((await fetch(`${ev.proxy}/readyz`)).status, 200);
      assert.equal((await fetch(`${ev.inference}/healthz`)).status, 200);
      // The service token was generated and shared: the service refuses an unauthenticated caller.
      assert.equal((await fetch(`${ev.inference}/v1/info`)).status, 401);
      const r = await fetch(`${ev.proxy}/v1/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'hlp-affine', input: 'hello' }),
      });
      assert.equal(r.status, 200);
      const body = (await r.json()) as { data: { embedding: number[] }[] };
      assert.equal(body.data[0]!.embedding.length, 768);

      s.child.kill('SIGTERM');
      assert.equal(await s.exit, 0, s.stderr());
      for (const url of [ev.proxy, ev.inference]) await assert.rejects(fetch(`${url}/healthz`), 'both services are down');
    } finally {
      s.cleanup();
    }
  });

  it(
    '--redis local starts a private redis-server, the service keeps the uploaded keys there, and it stops with the services',
    { skip: hasRedisServer() ? false : 'redis-server is not installed (scripts/setup-system.sh installs it)', timeout: 90_000 },
    async () => {
      const s = await serve(['--workloads', 'affine', '--redis', 'local']);
      try {
        const ev = s.event;
        assert.match(ev.redis ?? '', /^redis:\/\/127\.0\.0\.1:\d+$/);
        const port = Number(new URL(ev.redis!).port);
        const r = await fetch(`${ev.proxy}/v1/embeddings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'hlp-affine', input: 'hello' }),
        });
        assert.equal(r.status, 200);
        // The proxy's key upload went through the L2 cache: Redis holds at least one key.
        const dbsize = await resp(port, 'DBSIZE');
        assert.match(dbsize, /^:[1-9]\d*\r\n$/, dbsize);
        s.child.kill('SIGTERM');
        assert.equal(await s.exit, 0, s.stderr());
        await assert.rejects(resp(port, 'PING'), 'redis-server is stopped with the services');
      } finally {
        s.cleanup();
      }
    },
  );

  it('rejects bad options with exit code 2', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--workloads', 'transformer'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 2);
    assert.match(stderr, /--workloads/);
    const redis = spawn(process.execPath, [BIN, 'serve', '--redis', 'localhost:6379'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let redisErr = '';
    redis.stderr.setEncoding('utf8').on('data', (d: string) => (redisErr += d));
    assert.equal(await new Promise<number | null>((resolve) => redis.once('exit', resolve)), 2);
    assert.match(redisErr, /a redis:\/\/ URL, or 'local'/);
  });
});
