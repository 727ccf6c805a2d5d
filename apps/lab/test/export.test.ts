/**
 * `hlp export`: the history and run medians as OpenMetrics; backfilled with
 * `promtool tsdb create-blocks-from openmetrics` into a fresh data dir, read back by a real
 * Prometheus (loopback, free port), where every query of the monthly-review and kernels
 * dashboards returns the history.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import {
  describeOutcomes,
  findExecutable,
  kernels,
  labMetric,
  monthlyReview,
  promtoolCreateBlocks,
  runDashboardQueries,
  startPrometheus,
  type PrometheusServer,
} from '@hlp/dashboards';
import { main } from '../src/main.js';
import { toOpenMetrics } from '../src/report/openmetrics.js';
import { historyEntries, kernelsRun, writeLabFixture, fixtureMonth, type LabFixture } from './report-fixtures.js';

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    }),
    text: () => chunks.join(''),
  };
}

async function hlp(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = sink();
  const err = sink();
  const code = await main(['node', 'hlp', ...args], {
    stdout: out.stream as unknown as NodeJS.WriteStream,
    stderr: err.stream as unknown as NodeJS.WriteStream,
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('OpenMetrics export', () => {
  const { at } = fixtureMonth();

  it('writes families in blocks, base units, timestamps in seconds, # EOF last', () => {
    const history = historyEntries(at);
    const run = kernelsRun(at(2), 7);
    const { text, stats } = toOpenMetrics({ history, runs: [run] });
    assert.ok(text.endsWith('# EOF\n'));
    const lines = text.trimEnd().split('\n');
    // each family: one TYPE, then HELP, then its samples, never interleaved with another
    const seen = new Set<string>();
    let current = '';
    for (const line of lines) {
      if (line === '# EOF') continue;
      const type = /^# TYPE (\S+) gauge$/.exec(line);
      if (type) {
        assert.ok(!seen.has(type[1]!), `family ${type[1]} appears twice`);
        seen.add(type[1]!);
        current = type[1]!;
        continue;
      }
      if (line.startsWith('# HELP ')) continue;
      assert.ok(line.startsWith(`${current}{`) || line.startsWith(`${current} `), `sample outside its family block: ${line}`);
      assert.match(line, / -?[\d.e+-]+ \d+\.\d{3}$/, line);
    }
    const median = labMetric('historyMedian', 'seconds');
    const avx512 = lines.filter((l) => l.startsWith(`${median}{`) && l.includes('variant="avx512"'));
    assert.equal(avx512.length, history.filter((e) => e.suite === 'kernels').length);
    const first = history[0]!.metrics.find((m) => m.labels['variant'] === 'avx512')!;
    assert.ok(avx512[0]!.includes(` ${first.median * 1e-9} ${(Date.parse(history[0]!.date) / 1000).toFixed(3)}`), avx512[0]);
    assert.ok(lines.some((l) => l.startsWith(`${labMetric('gateVerdicts')}{`) && l.includes('verdict="regression"') && / 1 \d/.test(l)));
    assert.ok(lines.some((l) => l.startsWith(`${labMetric('targetValue', 'per_second')}{`) && l.includes('target="throughput"')));
    assert.ok(lines.some((l) => l.startsWith(`${labMetric('runMedian', 'seconds')}{`) && l.includes('metric="alloc.churn"') && l.includes('allocator="pool"')));
    assert.equal(stats.gateRuns, history.length);
    assert.equal(stats.runs, 1);
  });

  it('keeps each series in time order and escapes label values', () => {
    const h = historyEntries(at);
    const odd = { ...h[0]!, branch: 'feat/"quoted"\\path', date: at(5).toISOString() };
    const { text } = toOpenMetrics({ history: [h[3]!, odd, h[1]!] });
    assert.ok(
      text.includes('branch="feat/\\"quoted\\"\\\\path"'),
      text.split('\n').find((l) => l.includes('quoted')),
    );
    const passed = text.split('\n').filter((l) => l.startsWith(`${labMetric('gatePassed')}{`));
    const times = passed.map((l) => Number(l.split(' ').pop()));
    assert.equal(times.length, 3);
    const targets = text
      .split('\n')
      .filter((l) => l.startsWith(`${labMetric('targetMet')}{`) && l.includes('target="cpu-efficiency"'))
      .map((l) => Number(l.split(' ').pop()));
    assert.deepEqual(
      targets,
      [...targets].sort((a, b) => a - b),
    );
  });
});

describe('hlp export → promtool backfill → Prometheus → monthly and kernels dashboards', () => {
  let dir = '';
  let fixture: LabFixture;
  let prom: PrometheusServer | undefined;
  let file = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hlp-export-test-'));
    fixture = await writeLabFixture(dir);
    file = join(dir, 'history.om');
  });

  after(async () => {
    await prom?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('hlp export writes OpenMetrics from the history and the runs', async () => {
    const r = await hlp(['export', '--history', fixture.historyFile, '--runs', fixture.runsDir, '--out', file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`exported ${fixture.history.length} gate run\\(s\\).* and ${fixture.runs.length} run\\(s\\)`));
    const text = await readFile(file, 'utf8');
    assert.ok(text.endsWith('# EOF\n'));
    const stdout = await hlp(['export', '--history', fixture.historyFile, '--no-runs']);
    assert.equal(stdout.code, 0);
    assert.ok(stdout.stdout.endsWith('# EOF\n'));
    assert.ok(!stdout.stdout.includes(labMetric('runMedian', 'seconds')));
  });

  it('backfills with promtool and every query of the monthly review and kernels dashboards returns the history', async (t) => {
    assert.ok(
      findExecutable('promtool') && findExecutable('prometheus'),
      'prometheus/promtool missing: run scripts/setup-system.sh (Debian package prometheus)',
    );
    const data = join(dir, 'tsdb');
    const out = await promtoolCreateBlocks(file, data);
    t.diagnostic(out.trim().split('\n').slice(-1)[0] ?? '');
    prom = await startPrometheus({ dataDir: data });

    const times = [...fixture.history.map((e) => Date.parse(e.date)), ...fixture.runs.map((r) => Date.parse(r.startedAt))];
    // steps half an hour off the fixture's whole hours: Prometheus 2.x range selectors include both ends,
    // so a sample exactly on a step would be seen by two steps' [$__interval] windows
    const window = { start: Math.floor(Math.min(...times) / 1000) - 5400, end: Math.ceil(Math.max(...times) / 1000) + 5400, step: 3600 };
    const vars = { suite: '.*', machine_class: '.*', n: '.*', bits: '.*' };

    const monthly = await runDashboardQueries(prom, monthlyReview(), vars, window);
    for (const line of describeOutcomes(monthly).split('\n')) t.diagnostic(`monthly ${line}`);
    assert.deepEqual(
      monthly.filter((o) => o.series === 0).map((o) => `${o.query.panel} [${o.query.refId}]: ${o.expr}`),
      [],
      'monthly-review queries without data',
    );

    // the trend panel returns exactly the history's medians, one point per gate run
    const trend = monthly.find((o) => o.query.panel === 'Key medians (times)' && o.query.refId === 'A')!;
    const avx = trend.result.result.find((s) => s.metric['variant'] === 'avx512')!;
    const points = (avx.values ?? []).map(([, v]) => Number(v));
    const expected = fixture.history.filter((e) => e.suite === 'kernels').map((e) => e.metrics.find((m) => m.labels['variant'] === 'avx512')!.median * 1e-9);
    assert.equal(points.length, expected.length);
    points.forEach((p, i) => assert.ok(Math.abs(p - expected[i]!) < 1e-15, `${p} vs ${expected[i]}`));
    // the regression is an annotation
    const regression = monthly.find((o) => o.query.panel === 'annotation: Gate: regressions')!;
    assert.equal(regression.result.result.length, 1);
    const failed = monthly.find((o) => o.query.panel === 'Failed gate runs')!;
    assert.equal(failed.result.result[0]?.value?.[1], '1');

    const kern = await runDashboardQueries(prom, kernels(), vars, window);
    for (const line of describeOutcomes(kern).split('\n')) t.diagnostic(`kernels ${line}`);
    assert.deepEqual(
      kern.filter((o) => o.series === 0).map((o) => `${o.query.panel} [${o.query.refId}]: ${o.expr}`),
      [],
      'kernels queries without data',
    );
    const speedup = kern.find((o) => o.query.panel === 'Speed-up over scalar')!;
    const avxSpeed = speedup.result.result.find((s) => s.metric['variant'] === 'avx512' && s.metric['metric'] === 'ntt.forward' && s.metric['n'] === '8192');
    assert.ok(avxSpeed && Number(avxSpeed.value![1]) > 3, JSON.stringify(avxSpeed));
  });
});
