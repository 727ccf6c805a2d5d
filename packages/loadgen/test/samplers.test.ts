import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  EVENTLOOP_P99_METRIC,
  EventLoopSampler,
  GpuSampler,
  ProcSampler,
  parseGpuLine,
  parseProcStat,
  parsePromValue,
  parseRssBytes,
  startSamplers,
  startStubServer,
} from '@hlp/loadgen';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LINUX = process.platform === 'linux' ? false : 'needs /proc (Linux)';

describe('/proc sampler', () => {
  it('parses stat lines whose command name holds spaces and parentheses', () => {
    const rest = 'S 1 1 1 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 1 0 100 1000 10';
    assert.equal(parseProcStat(`4242 (node) ${rest}`).cpuTicks, 325);
    assert.equal(parseProcStat(`4242 (my (odd) proc) x) ${rest}`).cpuTicks, 325);
    assert.throws(() => parseProcStat('garbage'));
    assert.equal(parseRssBytes('Name:\tnode\nVmRSS:\t  123456 kB\n'), 123456 * 1024);
    assert.equal(parseRssBytes('Name:\tkthreadd\n'), null);
  });

  it('reads CPU share and RSS of this process at 4 Hz; the shares add up to the CPU time the process used', { skip: LINUX }, async () => {
    const sampler = new ProcSampler([{ name: 'test', pid: process.pid }], { intervalMs: 250 });
    const cpu0 = process.cpuUsage();
    sampler.start();
    await sleep(300);
    const until = performance.now() + 600;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1); // keep a core busy (as far as the machine lets us)
    await sleep(600);
    const [series] = sampler.stop();
    const used = process.cpuUsage(cpu0);
    assert.ok(x > 0);
    assert.equal(series!.error, null);
    assert.ok(series!.points.length >= 3, `points ${series!.points.length}`);
    const cores = availableParallelism();
    // Share of the whole machine × cores × seconds = CPU seconds, summed over the intervals.
    let integral = 0;
    let prev = 0;
    for (const p of series!.points) {
      integral += p.cpu * cores * ((p.t - prev) / 1000);
      prev = p.t;
    }
    const cpuSeconds = (used.user + used.system) / 1e6;
    assert.ok(cpuSeconds > 0.05, `the busy loop used ${cpuSeconds} s`);
    // /proc counts in clock ticks (10 ms): allow a few ticks and 15 %.
    assert.ok(Math.abs(integral - cpuSeconds) <= 0.04 + 0.15 * cpuSeconds, `sampled ${integral.toFixed(3)} s vs cpuUsage ${cpuSeconds.toFixed(3)} s`);
    assert.ok(
      series!.points.every((p) => p.cpu >= 0 && p.cpu <= 1.05),
      'a share of the whole machine',
    );
    assert.ok(series!.points.every((p) => p.rss > 10 * 1024 * 1024));
  });

  it('a joined process adds its CPU to the series; the series goes on when it exits', { skip: LINUX }, async () => {
    const own0 = process.cpuUsage();
    const sampler = new ProcSampler([{ name: 'loadgen', pid: process.pid }], { intervalMs: 100 });
    sampler.start();
    // A child that keeps a core busy for 700 ms, then says how much CPU it used in all.
    const child = spawn(
      process.execPath,
      ['-e', 'const t = Date.now() + 700; while (Date.now() < t); const u = process.cpuUsage(); process.stdout.write(String(u.user + u.system));'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let said = '';
    child.stdout.on('data', (c: Buffer) => (said += c.toString()));
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    sampler.join('loadgen', child.pid!);
    sampler.join('loadgen', child.pid!); // joining twice counts it once
    await exited;
    await sleep(350);
    const [series] = sampler.stop();
    const own = process.cpuUsage(own0);
    assert.equal(series!.error, null, 'the child leaving is not an error of the series');
    assert.deepEqual(series!.pids, [process.pid, child.pid]);
    const last = series!.points.at(-1)!.t;
    assert.ok(series!.points.filter((p) => p.t > last - 300).length >= 2, 'points go on after the child exits');
    const sampledMs = series!.points.reduce((a, p) => a + p.cpuMs, 0);
    const childMs = Number(said) / 1000;
    const ownMs = (own.user + own.system) / 1000;
    assert.ok(childMs >= 300, `the child used ${childMs} ms`);
    // Both processes' CPU, less the child's before its first reading (its start-up and at most
    // one 100 ms interval), in 10 ms clock ticks.
    assert.ok(sampledMs >= childMs - 250, `sampled ${sampledMs.toFixed(0)} ms, child ${childMs.toFixed(0)} ms, this process ${ownMs.toFixed(0)} ms`);
    assert.ok(sampledMs <= childMs + ownMs + 50, `sampled ${sampledMs.toFixed(0)} ms, child ${childMs.toFixed(0)} ms, this process ${ownMs.toFixed(0)} ms`);
  });

  it('stops sampling a process that is gone, with the reason', { skip: LINUX }, () => {
    const sampler = new ProcSampler([{ name: 'ghost', pid: 2 ** 22 + 12345 }]);
    sampler.start();
    const [series] = sampler.stop();
    assert.match(series!.error ?? '', /ENOENT/);
    assert.equal(series!.points.length, 0);
  });
});

describe('event-loop sampler', () => {
  it("reads prom-client's p99 gauge from /metrics", async () => {
    assert.equal(EVENTLOOP_P99_METRIC, 'nodejs_eventloop_lag_p99_seconds');
    assert.equal(parsePromValue('# HELP x\nnodejs_eventloop_lag_p99_seconds 0.0123\n', EVENTLOOP_P99_METRIC), 0.0123);
    assert.equal(parsePromValue('nodejs_eventloop_lag_p99_seconds{app="proxy"} 0.5 1700000000\n', EVENTLOOP_P99_METRIC), 0.5);
    assert.equal(parsePromValue('nodejs_eventloop_lag_p99_seconds_x 1\n', EVENTLOOP_P99_METRIC), null);
    const server = await startStubServer();
    try {
      const sampler = new EventLoopSampler([{ name: 'stub', metricsUrl: `${server.url}/metrics` }], { intervalMs: 200 });
      sampler.start();
      await sleep(750);
      const [series] = await sampler.stop();
      assert.ok(series!.points.length >= 2);
      assert.ok(series!.points.every((p) => p.value >= 0 && p.value < 10_000));
      assert.equal(series!.error, null);
    } finally {
      await server.close();
    }
  });

  it('refuses a non-loopback /metrics URL', () => {
    assert.throws(() => new EventLoopSampler([{ name: 'x', metricsUrl: 'http://192.168.0.1/metrics' }]), /loopback/);
  });
});

describe('GPU sampler', () => {
  it('parses nvidia-smi CSV lines', () => {
    assert.deepEqual(parseGpuLine('0, 45, 1024, 81559'), { gpu: 0, utilization: 0.45, memoryUsedBytes: 1024 * 2 ** 20, memoryTotalBytes: 81559 * 2 ** 20 });
    assert.equal(parseGpuLine('0, [N/A], 1, 2'), null);
    assert.equal(parseGpuLine(''), null);
  });

  it('is not applicable without nvidia-smi', async () => {
    const s = new GpuSampler({ binary: null });
    assert.equal(s.applicable, false);
    s.start();
    assert.deepEqual(await s.stop(), { status: 'not-applicable', reason: 'nvidia-smi is not on PATH' });
  });

  it('samples a running nvidia-smi -lms and stops it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hlp-fake-smi-'));
    try {
      const fake = join(dir, 'nvidia-smi');
      await writeFile(fake, '#!/bin/sh\ncase "$*" in *-lms*) ;; *) exit 3;; esac\nwhile true; do echo "0, 37, 2048, 81559"; sleep 0.05; done\n');
      await chmod(fake, 0o755);
      const s = new GpuSampler({ binary: fake, intervalMs: 50 });
      s.start();
      await sleep(400);
      const out = await s.stop();
      assert.equal(out.status, 'ok');
      assert.ok(out.points.length >= 2);
      assert.equal(out.points[0]!.utilization, 0.37);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("keeps a failing nvidia-smi's complaint and reports the sampling failed", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hlp-fake-smi-'));
    try {
      const fake = join(dir, 'nvidia-smi');
      await writeFile(fake, '#!/bin/sh\necho "NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver" >&2\nexit 9\n');
      await chmod(fake, 0o755);
      const s = new GpuSampler({ binary: fake, intervalMs: 50 });
      s.start();
      await sleep(300);
      const out = await s.stop();
      assert.equal(out.status, 'failed');
      assert.ok(out.status === 'failed' && /could not communicate/.test(out.error ?? ''), JSON.stringify(out));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('startSamplers reports GPU not applicable where nvidia-smi is absent', { skip: LINUX }, async () => {
    const running = startSamplers({ processes: [{ name: 'self', pid: process.pid }], gpu: true, intervalMs: 100 });
    await sleep(350);
    const r = await running.stop();
    assert.ok(r.processes[0]!.points.length >= 2);
    if (r.gpu.status === 'not-applicable') assert.match(r.gpu.reason, /nvidia-smi/);
  });
});
