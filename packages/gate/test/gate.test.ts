import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeBaseline } from '../src/baseline.js';
import { runGate } from '../src/gate.js';
import { renderJson, renderMarkdown, renderText } from '../src/report.js';
import { lognormal, metric, run } from './helpers.js';

const base = () =>
  makeBaseline([
    run([
      { name: 'ntt.forward', labels: { n: 8192 }, samples: lognormal(500, 100, 0.04, 1) },
      { name: 'ntt.inverse', labels: { n: 8192 }, samples: lognormal(500, 100, 0.04, 2) },
    ]),
  ]);

const slowRun = (factor: number, seed = 10) =>
  run([
    { name: 'ntt.forward', labels: { n: 8192 }, samples: lognormal(500, 100 * factor, 0.04, seed) },
    { name: 'ntt.inverse', labels: { n: 8192 }, samples: lognormal(500, 100, 0.04, seed + 1) },
  ]);

describe('runGate', () => {
  it('passes unchanged code', async () => {
    const r = await runGate({ current: slowRun(1), baseline: base(), targets: false });
    assert.equal(r.outcome, 'pass');
    assert.equal(r.counts.unchanged, 2);
    assert.deepEqual(r.failures, []);
  });
});

describe('runGate: re-measuring suspected regressions', () => {
  it('re-measures a suspected regression and fails only when the re-measurement confirms it', async () => {
    let asked: string[] = [];
    const confirmed = await runGate({
      current: slowRun(1.2),
      baseline: base(),
      targets: false,
      remeasure: (suspects) => {
        asked = suspects.map((m) => m.name);
        return Promise.resolve({ current: [metric({ name: 'ntt.forward', labels: { n: 8192 }, samples: lognormal(500, 121, 0.04, 77) })] });
      },
    });
    assert.deepEqual(asked, ['ntt.forward'], 'only the suspect is re-measured');
    assert.equal(confirmed.outcome, 'fail');
    const c = confirmed.comparisons.find((x) => x.name === 'ntt.forward')!;
    assert.equal(c.verdict, 'regression');
    assert.equal(c.remeasure, 'confirmed');
    assert.equal(c.first?.verdict, 'regression');
    assert.match(confirmed.failures[0]!, /regression: ntt\.forward n=8192 ×1\.2\d\d .*confirmed by re-measurement/);

    const refuted = await runGate({
      current: slowRun(1.2),
      baseline: base(),
      targets: false,
      remeasure: () => Promise.resolve({ current: [metric({ name: 'ntt.forward', labels: { n: 8192 }, samples: lognormal(500, 100, 0.04, 78) })] }),
    });
    assert.equal(refuted.outcome, 'pass');
    const f = refuted.comparisons.find((x) => x.name === 'ntt.forward')!;
    assert.equal(f.verdict, 'inconclusive');
    assert.equal(f.remeasure, 'not-confirmed');
    assert.match(f.reason, /not confirmed/);
    assert.ok(
      refuted.warnings.some((w) => /inconclusive/.test(w)),
      'inconclusive is reported, never a silent pass',
    );
  });

  it('a re-measurement on a machine that is itself much slower now (calibration) confirms nothing', async () => {
    const cal = (median: number, seed: number) => metric({ name: 'calibration.js_ntt', samples: lognormal(300, median, 0.02, seed) });
    const b = makeBaseline([slowRun(1, 3)], { calibration: cal(50, 1) });
    const again = [metric({ name: 'ntt.forward', labels: { n: 8192 }, samples: lognormal(500, 125, 0.04, 79) })];
    const busy = await runGate({
      current: slowRun(1.2),
      baseline: b,
      targets: false,
      remeasure: () => Promise.resolve({ current: again, calibration: cal(65, 2) }),
    });
    const f = busy.comparisons.find((x) => x.name === 'ntt.forward')!;
    assert.equal(f.verdict, 'inconclusive');
    assert.equal(f.remeasure, 'machine-busy');
    assert.equal(busy.outcome, 'pass');
    assert.ok(busy.machineState?.busy);
    assert.ok(busy.warnings.some((w) => /much slower now than then/.test(w)));
    const quiet = await runGate({
      current: slowRun(1.2),
      baseline: b,
      targets: false,
      remeasure: () => Promise.resolve({ current: again, calibration: cal(51, 2) }),
    });
    assert.equal(quiet.outcome, 'fail');
    assert.equal(quiet.comparisons.find((x) => x.name === 'ntt.forward')!.remeasure, 'confirmed');
    assert.equal(quiet.machineState?.busy, false);
    // ×3 on a machine ×1.3 slower: the machine cannot explain it, so it is still confirmed
    const far = [metric({ name: 'ntt.forward', labels: { n: 8192 }, samples: lognormal(500, 300, 0.04, 80) })];
    const beyond = await runGate({
      current: slowRun(3),
      baseline: b,
      targets: false,
      remeasure: () => Promise.resolve({ current: far, calibration: cal(65, 2) }),
    });
    const g = beyond.comparisons.find((x) => x.name === 'ntt.forward')!;
    assert.ok(beyond.machineState?.busy);
    assert.equal(g.remeasure, 'confirmed');
    assert.match(g.remeasureNote ?? '', /beyond the busy machine's own ×1\.3/);
    assert.equal(beyond.outcome, 'fail');
  });

  it('without a re-measurement the regression stands, with the reason', async () => {
    const r = await runGate({ current: slowRun(1.2), baseline: base(), targets: false, remeasure: { unavailable: '--no-remeasure' } });
    assert.equal(r.outcome, 'fail');
    assert.equal(r.comparisons.find((c) => c.name === 'ntt.forward')!.remeasure, 'skipped');
    assert.ok(r.notes.some((n) => /--no-remeasure/.test(n)));
  });
});

describe('runGate: strictness, targets, other machines and the reports', () => {
  it('--strict fails on inconclusive', async () => {
    const noisy = run([{ name: 'ntt.forward', labels: { n: 8192 }, samples: lognormal(12, 110, 0.8, 3) }]);
    const b = makeBaseline([run([{ name: 'ntt.forward', labels: { n: 8192 }, samples: lognormal(12, 100, 0.8, 4) }])]);
    assert.equal((await runGate({ current: noisy, baseline: b, targets: false })).outcome, 'pass');
    const strict = await runGate({ current: noisy, baseline: b, targets: false, strict: true });
    assert.equal(strict.outcome, 'fail');
    assert.match(strict.failures[0]!, /inconclusive \(strict\)/);
  });

  it('a missed SLO target fails the gate; absent ones are not applicable', async () => {
    const r = await runGate({
      current: run([{ name: 'ckks.prompt_encrypt', labels: { backend: 'seal' }, unit: 'ms', samples: lognormal(20, 2500, 0.05, 1) }]),
      baseline: base(),
    });
    assert.equal(r.outcome, 'fail');
    assert.equal(r.counts.targetsMissed, 1);
    assert.match(r.failures.join('\n'), /missed target: encryption latency P95/);
    assert.equal(r.targets.find((t) => t.id === 'throughput')!.status, 'not-applicable');
  });

  it('another machine class: normalised by the calibration benchmark, with a warning', async () => {
    const cal = (median: number, seed: number) => metric({ name: 'calibration.js_ntt', samples: lognormal(300, median, 0.02, seed) });
    const b = makeBaseline(
      [
        run(
          [
            { name: 'op', samples: lognormal(500, 100, 0.03, 1) },
            { name: 'rss', unit: 'bytes', samples: lognormal(50, 1e9, 0.01, 2) },
          ],
          { machineClass: 'x86_64-avx2-8c-32g' },
        ),
      ],
      {
        calibration: cal(50, 3),
      },
    );
    // this machine is 2× slower: op takes 200, calibration takes 100
    const cur = run(
      [
        { name: 'op', samples: lognormal(500, 200, 0.03, 4) },
        { name: 'rss', unit: 'bytes', samples: lognormal(50, 1e9, 0.01, 5) },
      ],
      { machineClass: 'x86_64-avx2-2c-8g' },
    );
    const r = await runGate({ current: cur, baseline: b, calibration: cal(100, 6), targets: false });
    const op = r.comparisons.find((c) => c.name === 'op')!;
    assert.equal(op.verdict, 'unchanged');
    assert.equal(op.normalised, true);
    assert.equal(r.comparisons.find((c) => c.name === 'rss')!.normalised, false, 'bytes are not a speed');
    assert.ok(r.normalisation && Math.abs(r.normalisation.factor - 2) < 0.05);
    assert.ok(r.warnings.some((w) => /normalised by the calibration benchmark/.test(w)));

    const without = await runGate({
      current: cur,
      baseline: makeBaseline([run([{ name: 'op', samples: lognormal(500, 100, 0.03, 1) }], { machineClass: 'x86_64-avx2-8c-32g' })]),
      targets: false,
    });
    assert.equal(without.unmatched[0]!.status, 'incomparable');
    assert.ok(without.warnings.some((w) => /not compared/.test(w)));
    assert.equal(without.outcome, 'pass');
  });

  it('renders a terminal table, Markdown and JSON', async () => {
    const r = await runGate({ current: slowRun(1.2), baseline: base(), remeasure: { unavailable: 'test' } });
    const text = renderText(r);
    assert.match(text, /^gate FAIL: 1 regression, 0 missed targets/);
    assert.match(text, /REGRESSION\s+ntt\.forward\s+n=8192/);
    assert.match(text, /SLO targets/);
    const md = renderMarkdown(r);
    assert.match(md, /^## ❌ hlp gate: fail — synth/);
    assert.match(md, /\| 🔴 regression \| `ntt\.forward` \|/);
    assert.match(md, /<details><summary>1 unchanged<\/summary>/);
    // The fields the assertions read; the document's full shape is the gate's JSON schema.
    const json = JSON.parse(renderJson(r)) as { schema: unknown; outcome: unknown };
    assert.equal(json.schema, 'hlp.gate/1');
    assert.equal(json.outcome, 'fail');
  });
});
