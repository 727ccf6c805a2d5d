import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  BinError,
  ChildWaitError,
  binOf,
  isAlive,
  logTail,
  pidsMentioning,
  runCommand,
  spawnDetached,
  startChild,
  startTicks,
  stopDetached,
} from '../src/index.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hlp-procs-runner-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('child output and failures', () => {
  it("prefixes the child's plain lines with its name, lets onLine drop some, and passes Node flags and the working directory", async () => {
    const script = join(dir, 'chatty.mjs');
    await writeFile(
      script,
      [
        "console.log('plain out');",
        "console.log('secret line');",
        "console.error('plain err');",
        "console.log(JSON.stringify({ event: 'ready', cwd: process.cwd(), flags: process.execArgv }));",
      ].join('\n'),
    );
    const lines: string[] = [];
    const child = startChild(script, [], {
      cwd: dir,
      nodeArgs: ['--max-old-space-size=64'],
      log: { name: 'chatty', write: (text) => lines.push(text), onLine: (line) => line !== 'secret line' },
    });
    const ready = await child.waitFor('ready', 5000);
    assert.equal(await child.exited, 0);
    assert.equal(ready['cwd'], dir);
    assert.deepEqual(ready['flags'], ['--max-old-space-size=64']);
    // stdout and stderr are read separately: only each stream's order is certain.
    assert.deepEqual(
      lines.filter((l) => l.includes('out') || l.includes('secret')),
      ['[chatty] plain out\n'],
    );
    assert.ok(lines.includes('[chatty] plain err\n'));
  });

  it('tells why waitFor gave up: exited, timed out, or could not be spawned', async () => {
    const quiet = join(dir, 'quiet.mjs');
    await writeFile(quiet, 'setTimeout(() => undefined, 10_000);\n');
    const waiting = startChild(quiet, []);
    await assert.rejects(waiting.waitFor('listening', 200), (e: unknown) => e instanceof ChildWaitError && e.reason === 'timeout' && e.event === 'listening');
    assert.equal(await waiting.stop('SIGTERM', 1000), null, 'a signal ended it');

    const dies = join(dir, 'exits.mjs');
    await writeFile(dies, 'process.exit(4);\n');
    const exited = startChild(dies, []);
    await assert.rejects(exited.waitFor('ready', 5000), (e: unknown) => e instanceof ChildWaitError && e.reason === 'exited' && e.exitCode === 4);

    const missing = startChild(join(dir, 'no-such-bin'), [], { launch: 'shebang' });
    await assert.rejects(missing.waitFor('ready', 5000), (e: unknown) => e instanceof ChildWaitError && e.reason === 'spawn-failed' && e.spawnError !== null);
    assert.equal(await missing.exited, null);
  });
});

describe('commands run to their end', () => {
  it('returns the exit code and the tail of the output; streams stderr lines as they come', async () => {
    const seen: string[] = [];
    const r = await runCommand('sh', ['-c', 'echo out; echo err1 >&2; echo err2 >&2; exit 3'], { onStderrLine: (l) => seen.push(l) });
    assert.equal(r.code, 3);
    assert.match(r.output, /out/);
    assert.deepEqual(seen, ['err1', 'err2']);
    assert.equal((await runCommand('sh', ['-c', 'printf 0123456789'], { keepBytes: 4 })).output, '6789');
  });

  it('keeps stdout and stderr apart as well, each to its own tail, megabytes without loss', async () => {
    const r = await runCommand('sh', ['-c', 'printf abc; printf XYZ >&2; printf def'], { keepBytes: 4 });
    assert.equal(r.stdout, 'cdef');
    assert.equal(r.stderr, 'XYZ');
    const big = await runCommand(process.execPath, ['-e', 'process.stdout.write("x".repeat(5 << 20) + "end")'], { keepBytes: 8 << 20 });
    assert.equal(big.stdout.length, (5 << 20) + 3);
    assert.ok(big.stdout.endsWith('xend'));
  });

  it('a timeout or an abort ends the command with a signal (128)', async () => {
    assert.equal((await runCommand('sleep', ['10'], { timeoutMs: 100 })).code, 128);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    assert.equal((await runCommand('sleep', ['10'], { signal: abort.signal, killAfterMs: 1000 })).code, 128);
  });

  it('rejects when the command cannot be spawned', async () => {
    await assert.rejects(runCommand('hlp-no-such-command-xyz', []));
  });
});

describe('bins of workspace packages', () => {
  it("resolves a package's bin from its package.json without importing it", () => {
    const bin = binOf('@hlp/inference', 'hlp-inference');
    assert.match(bin, /apps\/inference\/bin\/hlp-inference\.js$/);
    assert.ok(existsSync(bin));
  });

  it('a missing package or bin is a typed error', () => {
    assert.throws(
      () => binOf('@hlp/no-such-package', 'x'),
      (e: unknown) => e instanceof BinError && e.code === 'PACKAGE_MISSING',
    );
    assert.throws(
      () => binOf('@hlp/inference', 'no-such-bin'),
      (e: unknown) => e instanceof BinError && e.code === 'BIN_MISSING' && /has no bin no-such-bin/.test(e.message),
    );
  });
});

describe('detached processes', () => {
  it('outlive nothing of ours: tracked by PID and start time, found by a marker, stopped', async () => {
    const marker = join(dir, 'detached-marker');
    const log = join(dir, 'detached.log');
    const p = spawnDetached([process.execPath, '-e', "console.log('started'); setTimeout(() => undefined, 30_000);", marker], log, process.env);
    assert.equal(startTicks(p.pid), p.startTicks);
    assert.ok(isAlive(p));
    const deadline = Date.now() + 5000;
    while (!(await readFile(log, 'utf8')).includes('started') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(logTail(log), 'started');
    assert.ok(pidsMentioning(marker).includes(p.pid));
    assert.equal(isAlive({ pid: p.pid, startTicks: p.startTicks + 1 }), false, 'another start time is another process');
    await stopDetached(p, 'SIGTERM', 2000);
    assert.equal(isAlive(p), false);
    assert.equal(logTail(join(dir, 'no-such.log')), '(no log)');
  });
});
