import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ADDON_PATH } from '@hlp/kernels';
import { readRun } from '@hlp/results';
import { PROFILES, SUITES_DIR, parseSuiteConfig, profilePath, readSuiteConfig } from '../src/suite/config.js';
import { hasRedisServer } from '@hlp/procs';
import { StepBar, renderBar } from '../src/suite/progress.js';
import { METRICS_DOC, metricsDoc } from '../src/suite/metrics-doc.js';
import { LabError } from '../src/errors.js';

const BIN = fileURLToPath(new URL('../../bin/hlp.js', import.meta.url));
const NO_ADDON = existsSync(ADDON_PATH) ? false : `native addon not built (${ADDON_PATH})`;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hlp-suite-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function hlp(args: readonly string[], opts: { interruptWhen?: RegExp; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, HLP_RUNS_DIR: join(dir, 'runs'), HLP_BASELINES_DIR: join(dir, 'baselines'), HLP_DEBUG: '', HLP_BENCH_SLOWDOWN: '', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const kill = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (opts.interruptWhen && !sent && opts.interruptWhen.test(stderr)) {
        sent = true;
        setTimeout(() => child.kill('SIGINT'), 300);
      }
    });
    child.on('close', (code) => {
      clearTimeout(kill);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('suite configuration', () => {
  it('the built-in profiles are valid', async () => {
    for (const p of PROFILES) {
      const c = await readSuiteConfig(profilePath(p));
      assert.equal(c.name, p);
      assert.ok(c.steps.length > 0);
    }
    // Every other file there (e.g. batching.json for issue 6's comparison) is a valid suite too.
    for (const f of (await readdir(SUITES_DIR)).filter((x) => x.endsWith('.json'))) {
      const c = await readSuiteConfig(join(SUITES_DIR, f));
      assert.equal(`${c.name}.json`, f);
    }
    const batching = await readSuiteConfig(join(SUITES_DIR, 'batching.json'));
    assert.deepEqual(
      batching.steps.map((st) => (st.kind === 'load' ? [st.rate, st.proxy?.batching ?? true] : null)),
      [
        [100, true],
        [100, false],
      ],
    );
  });

  it('a bad configuration is refused with the path of the field', () => {
    const bad = {
      name: 'x',
      steps: [
        { kind: 'kernels', ns: [8192], bits: [50] },
        { kind: 'load', scenario: 'short', rate: -5, durationS: 10 },
      ],
    };
    assert.throws(
      () => parseSuiteConfig(bad, 'bad.json'),
      (e: unknown) => e instanceof LabError && e.code === 'USAGE' && /bad\.json/.test(e.message) && /steps\.1\.rate/.test(e.message),
    );
    assert.throws(() => parseSuiteConfig({ name: 'x', steps: [{ kind: 'kernels', ns: [1000], bits: [50] }] }), /steps\.0\.ns\.0: must be a power of two/);
    assert.throws(() => parseSuiteConfig({ name: 'x', steps: [{ kind: 'bogus' }] }), /steps\.0\.kind/);
    assert.throws(() => parseSuiteConfig({ name: 'x', steps: [], colour: 1 }), /steps: needs at least one step/);
    assert.throws(
      () => parseSuiteConfig({ name: 'x', steps: [{ kind: 'ckks', backends: ['native'], ns: [8192], typo: true }] }),
      /steps\.0: Unrecognized key.*typo/,
    );
    assert.throws(
      () => parseSuiteConfig({ name: 'x', steps: [{ kind: 'load', scenario: 'short', rate: 5, durationS: 5, proxy: { batching: 'no' } }] }),
      /steps\.0\.proxy\.batching/,
    );
    assert.throws(
      () => parseSuiteConfig({ name: 'x', steps: [{ kind: 'load', scenario: 'short', rate: 5, durationS: 5, proxy: { window: 5 } }] }),
      /steps\.0\.proxy: Unrecognized key.*window/,
    );
  });

  it('hlp suite --config with a bad file exits 2 and names the field', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ name: 'bad', steps: [{ kind: 'load', scenario: 'huge', rate: 10, durationS: 5 }] }));
    const r = await hlp(['suite', '--config', file]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /steps\.0\.scenario/);
  });
});

describe('progress bar', () => {
  it('renders step i/n, elapsed and ETA', () => {
    assert.equal(renderBar(0.5, 10), '[#####-----]  50%');
    let out = '';
    const bar = new StepBar({ write: (s: string) => (out += s) });
    bar.start(2, 5, 'ckks', 10);
    bar.update(0.5, 'x');
    assert.match(bar.line(), /\[step 2\/5\] ckks .*50% {2}elapsed 0:00 {2}ETA 0:00 {2}x/);
    assert.match(out, /\[step 2\/5\]/);
  });
});

describe('docs/metrics.md', () => {
  it('is up to date with @hlp/telemetry and the lab metric names (regenerate: node apps/lab/dist/src/suite/metrics-doc.js --write)', () => {
    assert.equal(readFileSync(METRICS_DOC, 'utf8'), metricsDoc());
  });
});

describe('hlp suite end to end', () => {
  it('a tiny suite (kernels at one n, no load) writes the run, the report and the summary', { skip: NO_ADDON, timeout: 180_000 }, async () => {
    const file = join(dir, 'tiny.json');
    await writeFile(file, JSON.stringify({ name: 'tiny', steps: [{ kind: 'kernels', ns: [1024], bits: [50], timeMs: 20, quick: true }], dashboards: false }));
    const r = await hlp(['suite', '--config', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\[step 1\/2\] kernels n=1024/);
    assert.match(r.stdout, /hlp suite tiny: finished/);
    assert.match(r.stdout, /no baseline for kernels\/[^;]+; record one with hlp baseline record kernels/);
    assert.match(r.stdout, /n\/a\s+throughput/); // targets listed, not applicable without load
    const runs = (await readdir(join(dir, 'runs'))).filter((f) => f.endsWith('-kernels.json'));
    assert.equal(runs.length, 1);
    const run = await readRun(join(dir, 'runs', runs[0]!));
    assert.ok(run.metrics.some((m) => m.name === 'ntt.forward' && m.labels['n'] === 1024));
    const folder = (await readdir(join(dir, 'runs'))).find((f) => f.startsWith('suite-') && f.endsWith('-tiny'));
    assert.ok(folder);
    const html = readFileSync(join(dir, 'runs', folder, 'report.html'), 'utf8');
    assert.match(html, /<html/i);
    const summary = JSON.parse(readFileSync(join(dir, 'runs', folder, 'summary.json'), 'utf8')) as { schema: string; interrupted: boolean };
    assert.equal(summary.schema, 'hlp.suite/1');
    assert.equal(summary.interrupted, false);
  });

  it('Ctrl-C keeps the finished steps, writes the summary and exits 130', { skip: NO_ADDON, timeout: 180_000 }, async () => {
    const file = join(dir, 'long.json');
    await writeFile(
      file,
      JSON.stringify({
        name: 'long',
        steps: [
          { kind: 'kernels', ns: [1024], bits: [50], timeMs: 20 },
          { kind: 'kernels', ns: [4096, 8192, 16384, 32768], bits: [50, 60], timeMs: 3000, quick: false },
        ],
        gate: false,
        dashboards: false,
      }),
    );
    const r = await hlp(['suite', '--config', file], { interruptWhen: /\[step 2\/3\]/ });
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /SIGINT: stopping/);
    assert.match(r.stdout, /INTERRUPTED \(partial results kept\)/);
    assert.match(r.stdout, /done\s+kernels n=1024/);
    assert.match(r.stdout, /interrupted\s+kernels n=4096/);
    const folder = (await readdir(join(dir, 'runs'))).find((f) => f.startsWith('suite-') && f.endsWith('-long'));
    assert.ok(folder);
    assert.ok(existsSync(join(dir, 'runs', folder, 'summary.json')));
    assert.ok(existsSync(join(dir, 'runs', folder, 'report.html')));
  });
});

describe('hlp suite gating', () => {
  // Each verdict below rests on a 3× margin, not on unchanged code measuring the same: this
  // test runs beside the rest of CI's tests, and whether the gate stays quiet on unchanged code
  // under noise is a statistical property, measured by the gate's self-test (docs/gate.md).
  // The slowdown names the kernel cases (variant=scalar) and spares the calibration benchmark,
  // which the gate uses to tell a slower machine from slower code.
  const SLOW_SCALAR = { HLP_BENCH_SLOWDOWN: '*{variant=scalar}:3' };
  it(
    'baseline record --config; the gated suite passes against a slower baseline, and a 3× slower kernel is re-measured and fails --fail-on-regression',
    { skip: NO_ADDON, timeout: 300_000 },
    async () => {
      const file = join(dir, 'gated.json');
      await writeFile(
        file,
        JSON.stringify({
          name: 'gated',
          steps: [{ kind: 'kernels', variants: ['scalar'], ns: [1024], bits: [50], timeMs: 100, quick: true }],
          report: false,
          dashboards: false,
        }),
      );
      const slowRec = await hlp(['baseline', 'record', '--config', file, '--repeat', '2', '--quick'], { env: SLOW_SCALAR });
      assert.equal(slowRec.code, 0, slowRec.stderr);
      assert.match(slowRec.stdout, /wrote .*baselines\/kernels\/[^ ]+\.json: suite kernels, .* 2 run\(s\) pooled, calibration/);

      const faster = await hlp(['suite', '--config', file, '--fail-on-regression']);
      assert.equal(faster.code, 0, faster.stdout + faster.stderr);
      assert.match(faster.stdout, /\n\s+pass\s+kernels n=1024: vs .*: 0 regression\(s\), [1-9]\d* improvement/);
      assert.match(faster.stdout, /improvement\s+\S+ \{[^}]*variant=scalar[^}]*\} ×0\.[1-6]\d*/);

      const rec = await hlp(['baseline', 'record', '--config', file, '--repeat', '2', '--quick']);
      assert.equal(rec.code, 0, rec.stderr);
      const slow = await hlp(['suite', '--config', file, '--fail-on-regression'], { env: SLOW_SCALAR });
      assert.equal(slow.code, 1, slow.stdout + slow.stderr);
      // Which of the slowed kernels the first pass suspects depends on the noise beside it (a
      // single run against two pooled ones can leave one inconclusive); that at least one is
      // suspected, re-measured, and confirmed does not. The ratio is taken against a baseline
      // recorded minutes earlier, so CI's other work can move it well away from ×3 either way
      // (×5.0 once): the bounds below say only that it is a real, several-fold slowdown, the
      // same width in log terms as the faster half's ×0.1–0.6 around ×0.33.
      assert.match(slow.stderr, /suspected regression\(s\) \([^)]*variant=scalar/);
      assert.match(slow.stderr, /measuring \d+ more times/);
      assert.match(slow.stdout, /\n\s+fail\s+kernels n=1024: .*[1-9]\d* regression/);
      const confirmed = [...slow.stdout.matchAll(/regression\s+\S+ \{[^}]*variant=scalar[^}]*\} ×(\d+\.\d+)/g)].map((m) => Number(m[1]));
      assert.ok(confirmed.length >= 1, slow.stdout);
      for (const ratio of confirmed) assert.ok(ratio >= 1.8 && ratio <= 10, `a 3× slowdown confirmed at ×${ratio}`);
      // every gated run left a line for the monthly review
      const history = readFileSync(join(dir, 'baselines', 'history.jsonl'), 'utf8')
        .trim()
        .split('\n');
      assert.ok(history.length >= 2);
    },
  );
});

describe('hlp suite load steps', () => {
  const skip = NO_ADDON || (hasRedisServer() ? false : 'redis-server is not installed (scripts/setup-system.sh installs it)');
  it('per-step proxy settings restart the services (batching on, then off), Redis as L2, and one load table for both', { skip, timeout: 180_000 }, async () => {
    const file = join(dir, 'ab.json');
    await writeFile(
      file,
      JSON.stringify({
        name: 'ab',
        steps: [
          { kind: 'load', label: 'with-batching', scenario: 'short', rate: 8, durationS: 2, warmupS: 0.5 },
          { kind: 'load', label: 'without-batching', scenario: 'short', rate: 8, durationS: 2, warmupS: 0.5, proxy: { batching: false } },
        ],
        services: { backend: 'native', redis: true },
        gate: false,
        report: false,
        dashboards: false,
      }),
    );
    const r = await hlp(['suite', '--config', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /redis-server redis:\/\/127\.0\.0\.1:\d+/);
    assert.match(r.stderr, /restarting the embedded services with the next step's proxy settings/);
    // the summary's load table has a row per step, each with its throughput and latency filled in
    const rows = r.stdout.split('\n').filter((l) => /^\s+with(out)?-batching\s/.test(l));
    assert.equal(rows.length, 2, r.stdout);
    for (const row of rows) assert.match(row, /^\s+\S+\s+8\s+\d+\.\d\s+\d+\.\d\d\s+\d+\s+\d+\s+\d+\s+\d+\.\d %$/, row);
    const runs = (await readdir(join(dir, 'runs'))).filter((f) => f.endsWith('-load.json')).sort();
    const docs = await Promise.all(runs.map((f) => readRun(join(dir, 'runs', f))));
    const configs = docs.map((d) => d.config as { label: string; proxy: { batching: boolean }; redis: boolean }).filter((c) => c.label.endsWith('batching'));
    assert.deepEqual(
      configs.map((c) => [c.label, c.proxy.batching, c.redis]),
      [
        ['with-batching', true, true],
        ['without-batching', false, true],
      ],
    );
    for (const d of docs) {
      const ok = d.metrics.find((m) => m.name === 'http.success_ratio');
      assert.equal(ok?.value, 1, 'every request answered 2xx');
    }
  });
});
