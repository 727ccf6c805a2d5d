import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { findOnPath, startStubServer, type StubServer } from '@hlp/loadgen';
import { RunResult, findRepoRoot, parseRun } from '@hlp/results';
import { LADDER_WARMUP_MS } from '../src/load/ladder.js';
import { COLD_START_WARMUP_MS, firstWarmupMs } from '../src/load/run.js';
import { HLP_BIN, runHlp, type HlpRun } from './hlp-child.js';

let dir: string;

function hlp(args: readonly string[], timeout = 120_000): Promise<HlpRun> {
  return runHlp(args, { env: { HLP_RUNS_DIR: dir, HLP_DEBUG: '' }, timeoutMs: timeout });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hlp-load-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('hlp load: the first warm-up against services started cold', () => {
  it('is COLD_START_WARMUP_MS unless --warmup was given or the services were already running', () => {
    assert.equal(firstWarmupMs(5000, { startedCold: true, warmupGiven: false }), COLD_START_WARMUP_MS);
    assert.equal(firstWarmupMs(60_000, { startedCold: true, warmupGiven: false }), 60_000, 'never shorter than asked');
    assert.equal(firstWarmupMs(1000, { startedCold: true, warmupGiven: true }), 1000, '--warmup is taken as given');
    assert.equal(firstWarmupMs(5000, { startedCold: false, warmupGiven: false }), 5000, 'a --target is not assumed cold');
  });
});

describe('hlp load: usage errors exit 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['no scenario', ['load', '--rate', '10'], /name a scenario/],
    ['unknown scenario', ['load', 'huge', '--rate', '10'], /unknown scenario 'huge'/],
    ['no loop', ['load', 'short'], /--rate .* or --connections/],
    ['zero rate', ['load', 'short', '--rate', '0'], /rate must be/],
    ['rate not a number', ['load', 'short', '--rate', 'fast'], /rate must be a positive number/],
    ['connections not whole', ['load', 'short', '--connections', '1.5'], /connections must be a whole number/],
    ['streams without --http2', ['load', 'short', '--connections', '2', '--streams', '4'], /HTTP\/2 only/],
    ['bad duration', ['load', 'short', '--rate', '1', '--duration', '-3'], /duration/],
    ['duration too long', ['load', 'short', '--rate', '1', '--duration', '99999'], /at most 3600 s/],
    ['non-loopback target', ['load', 'short', '--rate', '1', '--target', 'http://10.0.0.1:8080'], /only loopback addresses/],
    ['public target', ['load', 'short', '--rate', '1', '--target', 'http://example.com'], /only loopback addresses/],
    ['https target', ['load', 'short', '--rate', '1', '--target', 'https://127.0.0.1:1'], /only http:\/\//],
    ['bad pid', ['load', 'short', '--rate', '1', '--target', 'http://127.0.0.1:1', '--pid', 'proxy'], /name=pid/],
    ['pid named loadgen', ['load', 'short', '--rate', '1', '--target', 'http://127.0.0.1:1', '--pid', 'loadgen=1'], /the load generator's own series/],
    ['pid name twice', ['load', 'short', '--rate', '1', '--target', 'http://127.0.0.1:1', '--pid', 'proxy=1', '--pid', 'proxy=2'], /named twice/],
    ['--verify with --rate', ['load', '--verify', '--rate', '10'], /--verify compares closed loops/],
    ['unknown option', ['load', 'short', '--rate', '1', '--bogus'], /unknown option/],
    ['rates not a list', ['load', 'short', '--rates', '100;200'], /comma-separated list/],
    ['rates repeat', ['load', 'short', '--rates', '100,100'], /must not repeat/],
    ['rates and rate', ['load', 'short', '--rates', '10,20', '--rate', '10'], /not both/],
    ['rates and out', ['load', 'short', '--rates', '10,20', '--out', 'x.json'], /one per step/],
    ['slo without rates', ['load', 'short', '--rate', '10', '--slo-p95', '100'], /judge the steps of --rates/],
    ['slo-success above 1', ['load', 'short', '--rates', '10', '--slo-success', '1.5'], /share from 0 to 1/],
    ['drivers zero', ['load', 'short', '--rate', '10', '--drivers', '0'], /drivers must be at least 1/],
    ['drivers not whole', ['load', 'short', '--rate', '10', '--drivers', '2.5'], /drivers must be a whole number/],
    ['drivers negative', ['load', 'short', '--rate', '10', '--drivers', '-2'], /drivers must be a whole number/],
    ['drivers too many', ['load', 'short', '--rate', '10', '--drivers', '65'], /drivers must be at most 64/],
    ['drivers on a closed loop', ['load', 'short', '--connections', '4', '--drivers', '2'], /--drivers splits an open-loop schedule/],
    ['ramp on a closed loop', ['load', 'short', '--connections', '4', '--ramp'], /--ramp and --no-ramp shape an open loop/],
    ['verify drivers with connections', ['load', '--verify', '--drivers', '2', '--connections', '4'], /--verify --drivers sets the connections/],
    ['rss growth on a short window', ['load', 'short', '--rate', '10', '--duration', '60', '--max-rss-growth', '0.1'], /needs --duration 420 or more/],
    ['rss growth on a ladder', ['load', 'short', '--rates', '10,20', '--duration', '600', '--max-rss-growth', '0.1'], /not --rates/],
    ['rss growth not a share', ['load', 'short', '--rate', '10', '--duration', '600', '--max-rss-growth', 'ten'], /is a share, e\.g\. 0\.1/],
    ['rss growth with --verify', ['load', '--verify', '--max-rss-growth', '0.1'], /judges a scenario run/],
    ['verify drivers with a target', ['load', '--verify', '--drivers', '2', '--target', 'http://127.0.0.1:1'], /drop --target/],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const r = await hlp(args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    });
  }
});

describe('hlp load against a --target', () => {
  let server: StubServer;
  before(async () => {
    server = await startStubServer({ delayMs: 2 });
  });
  after(() => server.close());

  it('open loop: progress each second, summary, and a valid document on stdout and in --out', async () => {
    const out = join(dir, 'open.json');
    const r = await hlp(['load', 'short', '--target', server.url, '--rate', '40', '--duration', '2', '--warmup', '0.5', '--json', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const doc = parseRun(JSON.parse(r.stdout));
    assert.deepEqual(parseRun(JSON.parse(await readFile(out, 'utf8'))), doc);
    assert.equal(doc.suite, 'load');
    assert.equal(doc.scenario, 'short');
    assert.equal(doc.config['offeredRate'], 40);
    assert.equal(doc.config['driver'], 'open-loop-http1');
    assert.equal(doc.config['tokens'], 32);
    const latency = doc.metrics.find((m) => m.name === 'http.latency');
    assert.deepEqual(latency?.labels, { route: '/v1/embeddings', protocol: 'http1' });
    assert.equal(latency?.summary.n, 80);
    assert.equal(doc.metrics.find((m) => m.name === 'http.success_ratio')?.['value'], 1);
    assert.match(r.stderr, /\[\s+1 s measure\] sent \d+ {2}2xx \d+ {2}errors 0 {2}p50 [\d.]+ ms {2}p95 [\d.]+ ms/);
    assert.match(r.stderr, /http\.throughput/); // the summary table goes to stderr under --json
    assert.match(r.stderr, /GPU: not applicable|gpu\./);
  });

  it('--drivers 2: two driver processes share the open loop; the same document, summaries from merged histograms', async () => {
    const out = join(dir, 'drivers.json');
    const r = await hlp([
      'load',
      'short',
      '--target',
      server.url,
      '--rate',
      '60',
      '--duration',
      '2',
      '--warmup',
      '0.5',
      '--drivers',
      '2',
      '--json',
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const doc = parseRun(JSON.parse(r.stdout));
    assert.equal(doc.config['drivers'], 2);
    assert.equal(doc.config['offeredRate'], 60);
    const latency = doc.metrics.find((m) => m.name === 'http.latency');
    assert.equal(latency?.summary.n, 120);
    assert.equal(latency?.samples.length, 120);
    assert.match(String(latency?.['summaryFrom']), /HdrHistograms merged exactly/);
    assert.equal(doc.metrics.find((m) => m.name === 'http.success_ratio')?.['value'], 1);
    assert.match(r.stderr, /2 driver processes/);
    assert.match(r.stderr, /× 2 processes/);
    // The load generator's CPU: this run's lab process and its two driver processes.
    const sampled = (doc.config['samplers'] as { processes: { name: string; pids?: number[] }[] }).processes;
    assert.equal(sampled.find((p) => p.name === 'loadgen')?.pids?.length, 3, JSON.stringify(sampled));
    const loadgen = doc.metrics.find((m) => m.name === 'process.cpu_per_request' && m.labels['process'] === 'loadgen');
    assert.ok(loadgen && typeof loadgen['value'] === 'number' && loadgen['value'] > 0, 'process.cpu_per_request loadgen');
  });

  it('a rate ladder: one document per step, the table, and the highest rate meeting the SLO', async () => {
    const r = await hlp(['load', 'short', '--target', server.url, '--rates', '60,20,40', '--duration', '1', '--warmup', '1', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const ladder = JSON.parse(r.stdout) as {
      steps: { rate: number; met: boolean; path: string; throughput: number }[];
      highestMeeting: number | null;
      skipped: number[];
    };
    assert.deepEqual(
      ladder.steps.map((s) => s.rate),
      [20, 40, 60],
      'ascending',
    );
    assert.ok(
      ladder.steps.every((s) => s.met),
      r.stderr,
    );
    assert.equal(ladder.highestMeeting, 60);
    for (const step of ladder.steps) {
      const doc = parseRun(JSON.parse(await readFile(step.path, 'utf8')));
      assert.equal(doc.config['offeredRate'], step.rate);
      assert.equal(doc.config['warmupRamp'], true, 'a ladder ramps each warm-up by default');
      assert.ok(step.path.startsWith(dir));
    }
    assert.match(r.stderr, /rate ladder, SLO: 2xx ≥ 99\.90 % and P95 ≤ 250 ms/);
    assert.match(r.stderr, /highest rate meeting the SLO: 60 req\/s \(the highest offered: capacity may be higher\)/);
  });

  it('a rate ladder stops after the first step that misses the SLO; without --warmup a step warms up LADDER_WARMUP_MS', async () => {
    // The stub answers in ~2 ms: a P95 bound of 0.5 ms is missed at the first step.
    const r = await hlp(['load', 'short', '--target', server.url, '--rates', '10,20', '--duration', '1', '--slo-p95', '0.5', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const ladder = JSON.parse(r.stdout) as { steps: { path: string }[] };
    assert.equal(ladder.steps.length, 1);
    const doc = parseRun(JSON.parse(await readFile(ladder.steps[0]!.path, 'utf8')));
    assert.equal(doc.config['warmupMs'], LADDER_WARMUP_MS, 'a --target is not cold: the ladder default, not the cold-start one');
    assert.match(r.stderr, /MISSED: P95 \d+ ms > 0\.5 ms/);
    assert.match(r.stderr, /not run \(a lower rate missed the SLO\): 20 req\/s/);
    assert.match(r.stderr, /highest rate meeting the SLO: none of those offered/);
  });

  it('closed loop over HTTP/2 with streams, document in the runs directory', async () => {
    const r = await hlp(['load', 'medium', '--target', server.url, '--http2', '--connections', '2', '--streams', '3', '--duration', '1', '--warmup', '0']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /closed loop, 2 connections × 3 streams, HTTP\/2/);
    const path = /wrote (.*\.json)/.exec(r.stderr)?.[1];
    assert.ok(path !== undefined && path.startsWith(dir), r.stderr);
    const doc = RunResult.parse(JSON.parse(await readFile(path, 'utf8')));
    assert.equal(doc.config['driver'], 'closed-loop-h2');
    assert.equal(doc.metrics.find((m) => m.name === 'http.latency')?.labels['protocol'], 'h2');
  });
});

describe('hlp load with the embedded services', () => {
  it('starts proxy and inference, samples both, stops them', { timeout: 240_000 }, async () => {
    const out = join(dir, 'embedded.json');
    const r = await hlp(['load', 'short', '--rate', '4', '--duration', '3', '--warmup', '1', '--out', out], 230_000);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /CPU per 2xx \(whole window\): proxy [\d.]+ ms, inference [\d.]+ ms, loadgen [\d.]+ ms/);
    const doc = parseRun(JSON.parse(await readFile(out, 'utf8')));
    assert.equal(doc.config['embedded'], true);
    for (const p of ['proxy', 'inference', 'loadgen']) {
      const cpu = doc.metrics.find((m) => m.name === 'process.cpu' && m.labels['process'] === p);
      const rss = doc.metrics.find((m) => m.name === 'process.rss' && m.labels['process'] === p);
      assert.ok(cpu && cpu.summary.n >= 8 && cpu.series && cpu.summary.max <= 1.05, `process.cpu ${p}`);
      assert.ok(rss && rss.summary.min > 10 * 2 ** 20, `process.rss ${p}`);
      const perRequest = doc.metrics.find((m) => m.name === 'process.cpu_per_request' && m.labels['process'] === p);
      assert.ok(perRequest && typeof perRequest['value'] === 'number' && perRequest['value'] > 0, `process.cpu_per_request ${p}`);
    }
    assert.ok((doc.metrics.find((m) => m.name === 'http.success_ratio')?.['value'] as number) > 0, 'the proxy answered');
    const urls = [...r.stderr.matchAll(/(?:proxy|inference) (http:\/\/127\.0\.0\.1:\d+)/g)].map((m) => m[1]!);
    assert.equal(urls.length, 2, r.stderr);
    for (const url of urls) await assert.rejects(fetch(`${url}/healthz`), `${url} is stopped`);
  });

  it('Ctrl-C stops the load and the services', { timeout: 240_000 }, async () => {
    const child = spawn(process.execPath, [HLP_BIN, 'load', 'short', '--rate', '2', '--duration', '120', '--warmup', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HLP_RUNS_DIR: dir },
      detached: true,
    });
    let stderr = '';
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const urls = await new Promise<string[]>((resolve, reject) => {
        createInterface({ input: child.stderr }).on('line', (line) => {
          stderr += `${line}\n`;
          const m = /^proxy (http:\S+) {2}inference (http:\S+)$/.exec(line);
          if (m) resolve([m[1]!, m[2]!]);
        });
        void exit.then((code) => reject(new Error(`hlp load exited with ${code}: ${stderr}`)));
      });
      await new Promise((r) => setTimeout(r, 1500));
      child.kill('SIGINT');
      const code = await exit;
      assert.equal(code, 2, stderr);
      assert.match(stderr, /SIGINT: stopping the load/);
      assert.match(stderr, /interrupted \(SIGINT\)/);
      for (const url of urls) await assert.rejects(fetch(`${url}/healthz`), `${url} is stopped`);
    } finally {
      if (child.exitCode === null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
  });
});

/** wrk and h2load, installing them with the project's own script when missing; a reason to skip otherwise. */
function crossCheckTools(): string | false {
  const missing = () => ['wrk', 'h2load'].filter((t) => findOnPath(t) === null);
  if (missing().length === 0) return false;
  const root = findRepoRoot(fileURLToPath(new URL('.', import.meta.url)));
  if (root) spawnSync('bash', [join(root, 'scripts', 'setup-system.sh')], { stdio: 'ignore', timeout: 300_000 });
  const still = missing();
  return still.length === 0
    ? false
    : `${still.join(' and ')} missing and scripts/setup-system.sh could not install them (needs root or sudo and the Debian archive)`;
}

describe('hlp load --verify --drivers', () => {
  it('the multi-process open loop agrees with wrk and h2load --rps within 5 %', { timeout: 300_000, skip: crossCheckTools() }, async () => {
    const r = await hlp(['load', '--verify', '--drivers', '2', '--rate', '480', '--duration', '4', '--json'], 290_000);
    const doc = parseRun(JSON.parse(r.stdout || '{}'));
    const ratios = doc.metrics.filter((m) => m.name === 'loadgen.crosscheck_ratio');
    const shown = ratios.map((m) => `${String(m.labels['driver'])}/${String(m.labels['reference'])} ${m.summary.median.toFixed(3)}`).join(', ');
    assert.equal(r.code, 0, `${shown}\n${r.stderr}`);
    assert.equal(doc.config['drivers'], 2);
    assert.deepEqual(ratios.map((m) => m.labels['driver']).sort(), ['lab-drivers-h2', 'lab-drivers-http1']);
    for (const m of ratios) assert.ok(Math.abs(m.summary.median - 1) <= 0.05, shown);
    assert.match(r.stderr, /h2load: 8 clients × --rps 60/);
  });
});

describe('hlp load --verify', () => {
  it('agrees with wrk within 5 % and with h2load within 10 %', { timeout: 300_000, skip: crossCheckTools() }, async () => {
    const out = join(dir, 'crosscheck.json');
    const r = await hlp(['load', '--verify', '--duration', '4', '--json', '--out', out], 290_000);
    const doc = parseRun(JSON.parse(r.stdout || '{}'));
    const ratios = doc.metrics.filter((m) => m.name === 'loadgen.crosscheck_ratio');
    const shown = ratios.map((m) => `${String(m.labels['driver'])}/${String(m.labels['reference'])} ${m.summary.median.toFixed(3)}`).join(', ');
    assert.equal(r.code, 0, `${shown}\n${r.stderr}`);
    assert.equal(doc.suite, 'load-crosscheck');
    assert.equal(ratios.length, 2);
    const ac = ratios.find((m) => m.labels['reference'] === 'wrk')!;
    const h2 = ratios.find((m) => m.labels['reference'] === 'h2load')!;
    assert.ok(Math.abs(ac.summary.median - 1) <= 0.05, shown);
    assert.ok(Math.abs(h2.summary.median - 1) <= 0.1, shown);
    assert.equal(
      doc.verdicts?.every((v) => v.status === 'pass'),
      true,
    );
    for (const tool of ['autocannon', 'wrk', 'lab-h2', 'h2load']) {
      const t = doc.metrics.find((m) => m.name === 'http.throughput' && m.labels['tool'] === tool);
      assert.ok(t && t.summary.median > 50, `${tool} measured a rate`);
    }
    assert.match(r.stderr, /autocannon \d+\.\d .* wrk \d+\.\d/);
  });
});
