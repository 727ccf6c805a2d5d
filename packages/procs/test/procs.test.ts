import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  LocalRedisError,
  freeLoopbackPort,
  hasCommand,
  hasRedisServer,
  redisCommand,
  startChild,
  startLocalRedis,
  startProcess,
  waitForPort,
} from '../src/index.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hlp-procs-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ports and commands', () => {
  it('a free loopback port nobody listens on; sh is on PATH, a made-up command is not', async () => {
    const port = await freeLoopbackPort();
    assert.ok(port > 0 && port < 65536);
    assert.equal(await waitForPort(port, null, 200), false);
    assert.equal(hasCommand('sh'), true);
    assert.equal(hasCommand('hlp-no-such-command-xyz'), false);
    // a name is looked up, never run: a shell fragment in it finds nothing and does nothing
    const marker = join(tmpdir(), `hlp-hascommand-${process.pid}`);
    assert.equal(hasCommand(`sh; touch ${marker}`), false);
    assert.equal(existsSync(marker), false);
  });
});

describe('service children', () => {
  it('waits for the listening event, collects events, and stops with the exit code', async () => {
    const script = join(dir, 'svc.mjs');
    await writeFile(
      script,
      [
        "import { createServer } from 'node:http';",
        "const s = createServer((_q, r) => r.end('ok')).listen(0, '127.0.0.1', () => {",
        "  console.log('not an event');",
        "  console.log(JSON.stringify({ event: 'listening', url: `http://127.0.0.1:${s.address().port}` }));",
        "  setTimeout(() => console.log(JSON.stringify({ event: 'ready' })), 50);",
        '});',
        "process.on('SIGTERM', () => s.close(() => process.exit(0)));",
      ].join('\n'),
    );
    const svc = await startProcess(script, []);
    assert.match(svc.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(await (await fetch(svc.url)).text(), 'ok');
    assert.equal((await svc.waitFor('ready', 5000))['event'], 'ready');
    assert.deepEqual(
      svc.events.map((e) => e['event']),
      ['listening', 'ready'],
    );
    assert.equal(await svc.stop('SIGTERM'), 0);
  });

  it('a child that exits before listening is an error naming the event and its stderr', async () => {
    const script = join(dir, 'dies.mjs');
    await writeFile(script, "console.error('cannot start: bad flag'); process.exit(3);\n");
    await assert.rejects(startProcess(script, [], {}, 5000), /exited \(3\) before 'listening': cannot start: bad flag/);
  });
});

describe('worker children', () => {
  it('take JSON commands on stdin, report events on stdout, and keep only the retained ones', async () => {
    const script = join(dir, 'worker.mjs');
    await writeFile(
      script,
      [
        "import { createInterface } from 'node:readline';",
        "console.log(JSON.stringify({ event: 'ready' }));",
        "createInterface({ input: process.stdin }).on('line', (l) => {",
        '  const m = JSON.parse(l);',
        "  for (let i = 0; i < 3; i++) console.log(JSON.stringify({ event: 'tick', i }));",
        "  console.log(JSON.stringify({ event: 'done', twice: m.n * 2 }));",
        '  process.exit(0);',
        '});',
      ].join('\n'),
    );
    const ticks: number[] = [];
    const child = startChild(script, [], { onEvent: (e) => e.event === 'tick' && ticks.push(Number(e['i'])), retain: (e) => e.event !== 'tick' });
    await child.waitFor('ready', 5000);
    child.send({ n: 21 });
    assert.equal((await child.waitFor('done', 5000))['twice'], 42);
    assert.deepEqual(ticks, [0, 1, 2]);
    assert.deepEqual(
      child.events.map((e) => e.event),
      ['ready', 'done'],
    );
    assert.equal(await child.exited, 0);
    child.send({ n: 1 }); // after exit: ignored, no EPIPE
  });
});

describe('a private redis-server', () => {
  it(
    'starts on loopback, answers RESP, and is gone after stop',
    { skip: hasRedisServer() ? false : 'redis-server is not installed (scripts/setup-system.sh installs it)' },
    async () => {
      const redis = await startLocalRedis();
      assert.equal(redis.url, `redis://127.0.0.1:${redis.port}`);
      assert.equal(await redisCommand(redis.port, 'PING'), '+PONG\r\n');
      assert.equal(await redisCommand(redis.port, 'SET', 'k', 'v'), '+OK\r\n');
      assert.equal(await redisCommand(redis.port, 'DBSIZE'), ':1\r\n');
      await redis.stop();
      await assert.rejects(redisCommand(redis.port, 'PING'));
    },
  );

  it('a missing binary is a typed error, not a crash', async () => {
    await assert.rejects(startLocalRedis({ binary: 'hlp-no-such-redis' }), (e: unknown) => e instanceof LocalRedisError && e.code === 'REDIS_MISSING');
  });
});
