import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { baselinePath, findBaseline, makeBaseline, readBaseline, writeBaseline } from '../src/baseline.js';
import { GateError } from '../src/errors.js';
import { poolRuns, runsOf } from '../src/pool.js';
import { lognormal, run } from './helpers.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hlp-gate-baseline-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('baselines', () => {
  it('pools several runs, keeping which run each sample came from', () => {
    const runs = [1, 2, 3].map((i) =>
      run([
        { name: 'op', labels: { n: 1 }, samples: lognormal(100 * i, 100, 0.05, i) },
        { name: 'calibration.js_ntt', samples: [1, 2, 3] },
      ]),
    );
    const b = makeBaseline(runs);
    assert.equal(b.schema, 'hlp.baseline/1');
    assert.equal(b.sources.length, 3);
    assert.equal(b.metrics.length, 1, 'calibration metrics are not gated');
    const m = b.metrics[0]!;
    assert.deepEqual(m['sampleRuns'], [100, 200, 300]);
    assert.equal(m.samples.length, 600);
    assert.equal(m.summary.n, 600);
    assert.deepEqual(
      runsOf(m).map((r) => r.length),
      [100, 200, 300],
    );
  });

  it('thins pooled runs in proportion to the cap', () => {
    const runs = [1, 2].map((i) => run([{ name: 'op', samples: lognormal(3000, 100, 0.05, i) }]));
    const b = makeBaseline(runs, { cap: 1000 });
    assert.deepEqual(b.metrics[0]!['sampleRuns'], [500, 500]);
  });

  it('refuses to pool runs of different machine classes or suites', () => {
    assert.throws(
      () => poolRuns([run([], { machineClass: 'a-1' }), run([], { machineClass: 'b-2' })]),
      (e: unknown) => e instanceof GateError && e.code === 'INCOMPATIBLE',
    );
    assert.throws(
      () => poolRuns([run([], { suite: 'a' }), run([], { suite: 'b' })]),
      (e: unknown) => e instanceof GateError && e.code === 'INCOMPATIBLE',
    );
  });

  it('round-trips through baselines/<suite>/<machine class>.json', async () => {
    const b = makeBaseline([run([{ name: 'op', samples: lognormal(50, 100, 0.05, 1) }])]);
    const path = baselinePath(dir, 'synth', b.machineClass);
    assert.equal(path, join(dir, 'synth', 'x86_64-avx2-2c-8g.json'));
    await writeBaseline(b, path);
    assert.deepEqual(await readBaseline(path), b);
    assert.deepEqual(await findBaseline(dir, 'synth', 'x86_64-avx2-2c-8g'), { path, exact: true });
    assert.deepEqual(await findBaseline(dir, 'synth', 'x86_64-avx512f-16c-64g'), { path, exact: false });
    assert.equal(await findBaseline(dir, 'nothing', 'x'), null);
  });

  it('an invalid baseline file is rejected naming the fields', async () => {
    const b = makeBaseline([run([{ name: 'op', samples: [1, 2, 3] }])]);
    const broken = JSON.parse(JSON.stringify(b)) as Record<string, unknown> & { metrics: Record<string, unknown>[] };
    broken.metrics[0]!['better'] = 'faster';
    delete broken['machineClass'];
    await mkdir(join(dir, 'bad'), { recursive: true });
    const path = join(dir, 'bad', 'x.json');
    await writeFile(path, JSON.stringify(broken));
    await assert.rejects(readBaseline(path), (e: unknown) => {
      assert.ok(e instanceof GateError);
      assert.equal(e.code, 'INVALID_BASELINE');
      assert.match(e.message, /metrics\.0\.better/);
      assert.match(e.message, /machineClass/);
      assert.ok(e.issues.some((i) => i.path === 'metrics.0.better'));
      return true;
    });
    await writeFile(path, '{ not json');
    await assert.rejects(readBaseline(path), (e: unknown) => e instanceof GateError && e.code === 'INVALID_BASELINE' && /not JSON/.test(e.message));
    await assert.rejects(readBaseline(join(dir, 'missing.json')), (e: unknown) => e instanceof GateError && e.code === 'BASELINE_NOT_FOUND');
    assert.match(await readFile(baselinePath(dir, 'synth', 'x86_64-avx2-2c-8g'), 'utf8'), /"schema": "hlp\.baseline\/1"/);
  });
});
