/**
 * `hlp report`: the self-contained HTML report of runs and of a month, opened in headless
 * Chromium (Debian `chromium`, driven by playwright-core with `executablePath`): no console
 * error, no network request, every `<svg class="chart">` has a data mark; screenshots beside
 * the reports (report.png, report-month.png) under apps/lab/dist/test-output/report-html/.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Writable } from 'node:stream';
import { makeBaseline, runGate } from '@hlp/gate';
import { main } from '../src/main.js';
import { buildReport, monthRange } from '../src/report/build.js';
import { renderReport } from '../src/report/html.js';
import { barChart, histogram, lineChart } from '../src/report/svg.js';
import { writeLabFixture, type LabFixture } from './report-fixtures.js';

/** Where the reports and their screenshots stay after the test, for a person to look at. */
export const OUTPUT_DIR = fileURLToPath(new URL('../test-output/report-html/', import.meta.url));
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? null;

/** The little of the DOM the browser check uses (the lab compiles without the DOM library). */
interface BrowserGlobals {
  document: {
    querySelectorAll(selector: string): Iterable<{
      getAttribute(name: string): string | null;
      querySelectorAll(selector: string): { length: number };
      getBoundingClientRect(): { width: number };
    }>;
  };
}

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

async function hlp(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = sink();
  const err = sink();
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const code = await main(['node', 'hlp', ...args], {
      stdout: out.stream as unknown as NodeJS.WriteStream,
      stderr: err.stream as unknown as NodeJS.WriteStream,
    });
    return { code, stdout: out.text(), stderr: err.text() };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Nothing in the document may reach out: no scripts or styles by URL, no fonts, no images. */
function assertSelfContained(html: string): void {
  const withoutNs = html.replaceAll('xmlns="http://www.w3.org/2000/svg"', '');
  assert.doesNotMatch(withoutNs, /https?:\/\//, 'an http(s) URL in the report');
  assert.doesNotMatch(html, /<script[^>]*\bsrc=|<link\b|@import|url\(|<img\b|<iframe\b/i, 'an external resource in the report');
}

describe('SVG charts', () => {
  it('draw one mark per non-empty bin, bar and line, and say when there is no data', () => {
    const h = histogram([1, 2, 2, 3, 3, 3, 4, 4, 5, 9], { title: 'x', unit: 'ms' });
    assert.match(h, /^<svg class="chart" data-kind="histogram"/);
    assert.ok((h.match(/class="mark bar"/g) ?? []).length >= 5);
    const l = lineChart(
      [
        {
          name: 'a',
          points: [
            { x: 1, y: 1 },
            { x: 2, y: 3 },
          ],
        },
      ],
      { title: 'l', xUnit: 's', yUnit: 'req/s', threshold: { label: 'SLO', value: 2 } },
    );
    assert.match(l, /class="mark line"/);
    assert.match(l, /class="threshold"/);
    const b = barChart(
      [
        {
          category: 'n=8192',
          bars: [
            { series: 'avx512', value: 1 },
            { series: 'scalar', value: 5 },
          ],
        },
      ],
      { title: 'b', unit: 'ns' },
    );
    assert.equal((b.match(/class="mark bar"/g) ?? []).length, 2);
    assert.doesNotMatch(histogram([], { title: 'e', unit: 'ms' }), /class="mark/);
    assert.match(lineChart([], { title: 'e', xUnit: 's', yUnit: 's' }), /no data points/);
  });

  it('escapes text', () => {
    const html = renderReport({ title: '<script>alert(1)</script>', runs: [] });
    assert.ok(!html.includes('<script>alert'));
    assert.ok(html.includes('&lt;script&gt;'));
  });
});

describe('hlp report', () => {
  let dir = '';
  let fixture: LabFixture;
  let runReport = '';
  let monthReport = '';
  let gateFile = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hlp-report-test-'));
    fixture = await writeLabFixture(dir);
    await mkdir(OUTPUT_DIR, { recursive: true });
    // the gate's comparison of the newest kernels run with a baseline of the first one
    const gate = await runGate({ current: fixture.runs[5]!, baseline: fixture.baseline, remeasure: { unavailable: 'test' }, targets: false });
    gateFile = join(dir, 'gate.json');
    await writeFile(gateFile, JSON.stringify(gate));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a report of several runs with every section', async () => {
    runReport = join(OUTPUT_DIR, 'report.html');
    const files = [fixture.runFiles[2]!, fixture.runFiles[4]!, fixture.runFiles[5]!]; // ckks, load, kernels
    const r = await hlp(['report', ...files, '--gate', gateFile, '--out', runReport, '--title', 'HLP run report (test fixture)']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), runReport);
    const html = await readFile(runReport, 'utf8');
    assertSelfContained(html);
    for (const id of ['runs', 'slo', 'distribution', 'over-time', 'stages', 'variants', 'deltas'])
      assert.match(html, new RegExp(`<section id="${id}">`), `section ${id}`);
    assert.match(html, /ntt\.forward/);
    assert.match(html, /pipeline\.stage/);
    assert.match(html, /badge met/);
    // the SLO table: throughput and CPU met by the load run; the GPU target not applicable on a GPU-less machine
    assert.match(html, /throughput &gt; 100 RPS[\s\S]*?badge met/);
    assert.match(html, /GPU memory efficiency[\s\S]*?badge not-applicable/);
  });

  it('compares with the stored baseline when no gate report is given', async () => {
    const baselines = join(dir, 'baselines');
    await mkdir(join(baselines, 'kernels'), { recursive: true });
    await writeFile(join(baselines, 'kernels', `${fixture.baseline.machineClass}.json`), JSON.stringify(fixture.baseline));
    const built = await buildReport([fixture.runFiles[3]!], { baselines, history: false });
    assert.match(built.html, /vs baseline/);
    assert.match(built.html, /<table class="deltas">/);
    const none = await buildReport([fixture.runFiles[2]!], { baselines });
    assert.ok(
      none.notes.some((n) => /no baseline for suite ckks/.test(n)),
      none.notes.join('\n'),
    );
  });

  it('load runs of two workloads: the one of the baseline workload is compared, the other is a note, not a failure', async () => {
    const baselines = join(dir, 'baselines-load');
    const load = fixture.runs.find((r) => r.suite === 'load')!;
    const short = { ...load, config: { ...load.config, workload: 'short open 30/s http1' } };
    const medium = {
      ...load,
      startedAt: new Date(Date.parse(load.startedAt) + 60_000).toISOString(),
      config: { ...load.config, workload: 'medium open 10/s http1' },
    };
    const shortFile = join(dir, 'load-short.json');
    const mediumFile = join(dir, 'load-medium.json');
    await writeFile(shortFile, JSON.stringify(short));
    await writeFile(mediumFile, JSON.stringify(medium));
    await mkdir(join(baselines, 'load'), { recursive: true });
    await writeFile(join(baselines, 'load', `${load.machine.machineClass}.json`), JSON.stringify(makeBaseline([short])));
    const built = await buildReport([shortFile, mediumFile], { baselines, history: false });
    assert.match(built.html, /<table class="deltas">/);
    assert.ok(
      built.notes.some((n) => /workload \(medium open 10\/s http1\) is not the baseline's \(short open 30\/s http1\)/.test(n)),
      built.notes.join('\n'),
    );
  });

  it('writes a month report from the runs and the gate history of that month', async () => {
    monthReport = join(OUTPUT_DIR, 'report-month.html');
    const r = await hlp(['report', '--month', fixture.month, '--runs', fixture.runsDir, '--history', fixture.historyFile, '--out', monthReport]);
    assert.equal(r.code, 0, r.stderr);
    const html = await readFile(monthReport, 'utf8');
    assertSelfContained(html);
    assert.match(html, /<section id="history">/);
    assert.match(html, /<section id="trends">/);
    assert.match(html, new RegExp(`HLP monthly report ${fixture.month}`));
    assert.match(html, /badge regression/);
    const [from, to] = monthRange(fixture.month);
    assert.ok(fixture.runs.every((run) => Date.parse(run.startedAt) >= from && Date.parse(run.startedAt) < to));
    const empty = await hlp(['report', '--month', '1999-01', '--runs', fixture.runsDir, '--history', fixture.historyFile, '--out', join(dir, 'x.html')]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /no runs/);
    assert.equal((await hlp(['report', '--month', '2024-13'])).code, 2);
  });

  it('opens in headless Chromium without console errors or requests, every chart has data, and a screenshot is written', async (t) => {
    if (!CHROMIUM) {
      t.skip('chromium is not installed (Debian package chromium; scripts/setup-system.sh installs it): browser check skipped');
      return;
    }
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      for (const [file, png] of [
        [runReport, join(OUTPUT_DIR, 'report.png')],
        [monthReport, join(OUTPUT_DIR, 'report-month.png')],
      ] as const) {
        const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
        const problems: string[] = [];
        const requests: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
        });
        page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
        page.on('request', (req) => {
          if (req.url() !== pathToFileURL(file).href) requests.push(req.url());
        });
        await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
        const charts = await page.evaluate(() =>
          [...(globalThis as unknown as BrowserGlobals).document.querySelectorAll('svg.chart')].map((svg) => ({
            label: svg.getAttribute('aria-label') ?? '',
            marks: svg.querySelectorAll('.mark').length,
            width: svg.getBoundingClientRect().width,
          })),
        );
        t.diagnostic(`${file}: ${charts.length} charts, ${charts.reduce((s, c) => s + c.marks, 0)} marks`);
        assert.ok(charts.length >= 8, `${file}: only ${charts.length} charts`);
        const empty = charts.filter((c) => c.marks === 0 || c.width < 50);
        assert.deepEqual(empty, [], `${file}: empty charts`);
        await page.screenshot({ path: png, fullPage: true });
        await page.close();
        assert.deepEqual(problems, [], `${file}: console errors`);
        assert.deepEqual(requests, [], `${file}: network requests`);
        assert.ok((await stat(png)).size > 10_000, `${png} is written`);
        t.diagnostic(`screenshot ${png}`);
      }
    } finally {
      await browser.close();
    }
  });
});
