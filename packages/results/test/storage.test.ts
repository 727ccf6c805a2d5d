import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ResultsError, RunResult, defaultRunsDir, findRepoRoot, listRuns, makeMetric, readRun, writeRun, writeRunFile } from '../src/index.js';

function sampleRun(overrides: Partial<RunResult> = {}): RunResult {
  return {
    schema: 'hlp.run/1',
    suite: 'kernels',
    startedAt: '2025-11-26T13:50:12.345Z',
    finishedAt: '2025-11-26T13:51:00.000Z',
    machine: {
      arch: 'x86_64',
      cpuModel: 'Test CPU',
      cpuFlags: ['avx2', 'avx512f', 'avx512ifma'],
      logicalCores: 2,
      memoryBytes: 25_276_518_400,
      os: { platform: 'linux', release: '6.1.0', version: '#1 SMP', distro: 'Debian GNU/Linux 12 (bookworm)' },
      node: 'v20.20.2',
      gpu: null,
      machineClass: 'x86_64-avx512ifma-2c-24g',
    },
    git: { commit: 'abc123', dirty: false, branch: 'main' },
    config: { quick: true, n: [1024] },
    metrics: [
      makeMetric({
        name: 'ntt.forward',
        unit: 'ns',
        better: 'lower',
        labels: { variant: 'avx512', n: 8192, bits: 50 },
        samples: [11_500, 11_400, 11_600, 12_100, 11_450],
      }),
    ],
    verdicts: [{ name: 'slo.p95', status: 'pass', detail: 'fine' }],
    ...overrides,
  };
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hlp-results-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function isInvalidRun(fieldPath: string, fragment?: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof ResultsError, `expected ResultsError, got ${String(e)}`);
    assert.equal(e.code, 'INVALID_RUN');
    assert.match(e.message, new RegExp(fieldPath.replace(/\./g, '\\.')));
    if (fragment) assert.match(e.message, new RegExp(`${fieldPath.replace(/\./g, '\\.')}: ${fragment}`));
    assert.ok(
      e.issues.some((i) => i.path === fieldPath),
      `issues ${JSON.stringify(e.issues)} lack ${fieldPath}`,
    );
    return true;
  };
}

describe('storage', () => {
  it('round-trips a run through writeRun/readRun', async () => {
    const run = sampleRun();
    const path = await writeRun(run, dir);
    assert.equal(path, join(dir, '20251126T135012Z-kernels.json'));
    const back = await readRun(path);
    assert.deepEqual(back, run);
    // no temporary files left behind
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });

  it('never overwrites: a second run in the same second gets a suffix', async () => {
    const second = await writeRun(sampleRun({ config: { second: true } }), dir);
    assert.equal(second, join(dir, '20251126T135012Z-kernels~2.json'));
    assert.deepEqual((await readRun(second)).config, { second: true });
  });

  it('keeps extension fields (loose objects)', async () => {
    const run = { ...sampleRun({ suite: 'ext' }), extra: { note: 1 } };
    const back = await readRun(await writeRun(run, dir));
    assert.deepEqual((back as Record<string, unknown>)['extra'], { note: 1 });
  });

  it('lists runs oldest first, optionally by suite', async () => {
    await writeRun(sampleRun({ suite: 'load', startedAt: '2025-11-26T10:00:00Z' }), dir);
    await writeFile(join(dir, 'notes.txt'), 'not a run');
    const all = await listRuns(dir);
    assert.deepEqual(
      all.map((p) => p.slice(dir.length + 1)),
      ['20251126T100000Z-load.json', '20251126T135012Z-ext.json', '20251126T135012Z-kernels.json', '20251126T135012Z-kernels~2.json'],
    );
    assert.equal((await listRuns(dir, { suite: 'kernels' })).length, 2);
    assert.deepEqual(await listRuns(join(dir, 'missing')), []);
  });

  it('a corrupted file names the failing field', async () => {
    const path = join(dir, 'corrupt.json');
    const doc = JSON.parse(JSON.stringify(sampleRun())) as { metrics: { summary: Record<string, unknown> }[] };
    doc.metrics[0]!.summary['p95'] = 'fast';
    await writeFile(path, JSON.stringify(doc));
    await assert.rejects(readRun(path), isInvalidRun('metrics.0.summary.p95', 'expected number'));
  });

  it('names several fields and the schema literal', async () => {
    const path = join(dir, 'corrupt2.json');
    const doc = JSON.parse(JSON.stringify(sampleRun())) as Record<string, unknown>;
    doc['schema'] = 'hlp.run/0';
    delete (doc['machine'] as Record<string, unknown>)['cpuModel'];
    (doc['metrics'] as Record<string, unknown>[])[0]!['better'] = 'faster';
    await writeFile(path, JSON.stringify(doc));
    await assert.rejects(readRun(path), (e: unknown) => {
      assert.ok(e instanceof ResultsError && e.code === 'INVALID_RUN');
      const paths = e.issues.map((i) => i.path).sort();
      assert.deepEqual(paths, ['machine.cpuModel', 'metrics.0.better', 'schema']);
      for (const p of paths) assert.ok(e.message.includes(`${p}:`), e.message);
      return true;
    });
  });

  it('rejects a file that is not JSON with INVALID_RUN', async () => {
    const path = join(dir, 'garbage.json');
    await writeFile(path, '{"schema": "hlp.run/1", ');
    await assert.rejects(readRun(path), (e: unknown) => e instanceof ResultsError && e.code === 'INVALID_RUN' && /not JSON/.test(e.message));
  });

  it('a missing file is an IO error', async () => {
    await assert.rejects(readRun(join(dir, 'nope.json')), (e: unknown) => e instanceof ResultsError && e.code === 'IO');
  });

  it('refuses to write an invalid document', async () => {
    const bad = sampleRun();
    (bad.metrics[0]!.summary as Record<string, unknown>)['ci95'] = [1];
    await assert.rejects(writeRun(bad, dir), isInvalidRun('metrics.0.summary.ci95'));
    const before = await listRuns(dir);
    assert.ok(!before.some((p) => p.includes('kernels~3')));
  });

  it('writeRunFile writes exactly the given path', async () => {
    const path = await writeRunFile(sampleRun(), join(dir, 'sub', 'out.json'));
    assert.equal(path, join(dir, 'sub', 'out.json'));
    const parsed = RunResult.parse(JSON.parse(await readFile(path, 'utf8')));
    assert.equal(parsed.suite, 'kernels');
  });

  it('defaultRunsDir honours HLP_RUNS_DIR, else <repo root>/runs', () => {
    const saved = process.env['HLP_RUNS_DIR'];
    try {
      process.env['HLP_RUNS_DIR'] = dir;
      assert.equal(defaultRunsDir(), dir);
      delete process.env['HLP_RUNS_DIR'];
      const root = findRepoRoot();
      assert.ok(root, 'tests run inside the monorepo');
      assert.equal(defaultRunsDir(), join(root, 'runs'));
    } finally {
      if (saved === undefined) delete process.env['HLP_RUNS_DIR'];
      else process.env['HLP_RUNS_DIR'] = saved;
    }
  });
});

describe('stringifyRun', () => {
  it('puts number arrays on one line and parses back to the same document', async () => {
    const { stringifyRun } = await import('../src/index.js');
    const run = sampleRun();
    const text = stringifyRun(run);
    assert.ok(text.includes('"samples": [11500, 11400, 11600, 12100, 11450]'), text);
    assert.ok(text.includes('"ci95": [11400, 12100]'), text);
    assert.ok(text.includes('"cpuFlags": [\n'), 'string arrays stay one per line');
    assert.deepEqual(JSON.parse(text), run);
    const empty = stringifyRun({ ...run, metrics: [{ ...run.metrics[0]!, samples: [] }] });
    assert.ok(empty.includes('"samples": []'));
    assert.deepEqual(JSON.parse(stringifyRun({ ...run, config: { x: [1e-7, -2.5e21, 3] } })), { ...run, config: { x: [1e-7, -2.5e21, 3] } });
  });
});
