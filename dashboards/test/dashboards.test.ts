import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { VariableType, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { SLO_TARGETS } from '@hlp/gate';
import { RUN_METRIC_NAMES, isRunMetricName } from '@hlp/results';
import { CATALOGUE, DEFAULT_METRICS, type MetricKey } from '@hlp/telemetry';
import {
  DASHBOARDS,
  GENERATED_DIR,
  genericPanel,
  checkGenerated,
  labFamilies,
  labelName,
  panelsOf,
  promtoolCheckRules,
  queriesOf,
  renderAll,
  substitute,
  toBaseUnit,
  type PanelQuery,
} from '../src/index.js';
import { findExecutable } from '../src/prometheus.js';

const SRC_DIR = fileURLToPath(new URL('../../src/', import.meta.url));
/** The generator that `npm run dashboards` runs. */
const GENERATE_JS = fileURLToPath(new URL('../src/generate.js', import.meta.url));

/** Values for every dashboard variable, as a test substitutes them. */
export const TEST_VARIABLES = {
  datasource: 'prometheus',
  instance: '.*',
  cores: String(cpus().length),
  machine_class: '.*',
  suite: '.*',
  n: '.*',
  bits: '.*',
  __rate_interval: '10s',
  __interval: '1m',
  __range: '1h',
};

const allQueries = (): PanelQuery[] => DASHBOARDS.flatMap((d) => queriesOf(d.build()));

/** Metric names an expression reads (histogram suffixes stripped). */
function metricsRead(expr: string): string[] {
  const names = expr.match(/\b(?:hlp_[a-z0-9_]+|process_[a-z_]+|nodejs_[a-z_0-9]+)\b/g) ?? [];
  return [...new Set(names.map((n) => n.replace(/_(bucket|sum|count)$/, '')))];
}

/** The `metric` label matchers of an expression (run-document names, as the lab export writes them). */
function metricMatchers(expr: string): { op: '=' | '=~'; value: string }[] {
  const found = [...expr.matchAll(/\bmetric(=~|=)"((?:[^"\\]|\\.)*)"/g)];
  return found.map((m) => ({ op: m[1] as '=' | '=~', value: m[2]!.replace(/\\(.)/g, '$1') }));
}

/** Catalogued run-metric names a `=~` alternative matches (PromQL regexes are anchored). */
function namesMatching(alternative: string): string[] {
  const re = new RegExp(`^(?:${alternative})$`);
  return RUN_METRIC_NAMES.filter((n) => re.test(n));
}

// The suite's tests, grouped by what they check; registered in this order, under one describe.
describe('generated dashboards', () => {
  committedJsonTests();
  for (const { file, build } of DASHBOARDS) describe(file, () => dashboardTests(file, build));
  metricNameTests();
  sloAndReviewTests();
  promtoolTests();
});

/** The committed generated/*.json against what the sources generate. */
function committedJsonTests(): void {
  it('the committed JSON is what the sources generate (run `npm run dashboards` when this fails)', async () => {
    const results = await checkGenerated();
    const bad = results.filter((r) => r.status !== 'ok');
    assert.deepEqual(bad, [], `stale or missing in ${GENERATED_DIR}: ${bad.map((b) => `${b.file} (${b.status})`).join(', ')}; run \`npm run dashboards\``);
    const files = (await readdir(GENERATED_DIR)).filter((f) => f.endsWith('.json')).sort();
    assert.deepEqual(files, [...renderAll().keys()].sort(), 'generated/ holds exactly the generated dashboards');
  });

  it('generation is deterministic: a fresh process writes the committed files byte for byte', async () => {
    // A process of its own: two renders in this one share module state, so they would agree
    // even if the output depended on something that differs from run to run.
    const dir = await mkdtemp(join(tmpdir(), 'hlp-dashboards-'));
    try {
      await promisify(execFile)(process.execPath, [GENERATE_JS, '--out', dir]);
      const written = (await readdir(dir)).sort();
      assert.deepEqual(written, [...renderAll().keys()].sort());
      for (const file of written) {
        const fresh = await readFile(join(dir, file), 'utf8');
        const committed = await readFile(join(GENERATED_DIR, file), 'utf8');
        assert.ok(fresh === committed, `${file}: a fresh generation differs from ${join(GENERATED_DIR, file)}; run \`npm run dashboards\``);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

/** What every dashboard must have: uid, title, variables, units, descriptions, datasources. */
function dashboardTests(file: string, build: () => Dashboard): void {
  const d = build();
  it('has a unique uid, a title, and $datasource as a variable', () => {
    assert.match(d.uid ?? '', /^hlp-/);
    assert.ok(d.title);
    const vars = (d.templating?.list ?? []).map((v) => ({ name: v.name, type: v.type }));
    assert.ok(
      vars.some((v) => v.name === 'datasource' && v.type === VariableType.Datasource),
      JSON.stringify(vars),
    );
  });

  it('has an instance-like filter variable used by every query', () => {
    const names = (d.templating?.list ?? []).map((v) => v.name);
    const filter = names.includes('instance') ? 'instance' : 'machine_class';
    assert.ok(names.includes(filter), `${file}: variables ${names.join(', ')}`);
    for (const q of queriesOf(d)) assert.ok(q.expr.includes(`$${filter}`), `${q.panel}: ${q.expr} does not filter by $${filter}`);
  });

  it('every panel has a unit, a description, a datasource and at least one query', () => {
    const panels = panelsOf(d);
    assert.ok(panels.length >= 6);
    const ids = new Set<number>();
    for (const p of panels as {
      id?: number;
      title?: string;
      description?: string;
      fieldConfig?: { defaults?: { unit?: string } };
      datasource?: { uid?: string };
      targets?: { datasource?: { uid?: string } }[];
    }[]) {
      assert.ok(p.fieldConfig?.defaults?.unit, `panel ${p.title} has no unit`);
      assert.ok(p.description, `panel ${p.title} has no description`);
      assert.equal(p.datasource?.uid, '${datasource}', `panel ${p.title}`);
      assert.ok((p.targets ?? []).length > 0, `panel ${p.title} has no query`);
      for (const t of p.targets ?? []) assert.equal(t.datasource?.uid, '${datasource}');
      assert.ok(p.id !== undefined && !ids.has(p.id), `panel ${p.title}: duplicate or missing id`);
      ids.add(p.id);
    }
  });
}

/** Every metric name a query reads comes from the catalogue, the lab names or RUN_METRICS. */
function metricNameTests(): void {
  it('every metric a query reads is in @hlp/telemetry (application metrics) or in the lab export names', () => {
    const known = new Set<string>([...Object.values(CATALOGUE).map((s) => s.name), ...DEFAULT_METRICS.map((m) => m.name), ...labFamilies().map((f) => f.name)]);
    for (const q of allQueries()) {
      const read = metricsRead(q.expr);
      assert.ok(read.length > 0, `${q.dashboard} › ${q.panel}: reads no metric`);
      for (const name of read) assert.ok(known.has(name), `${q.dashboard} › ${q.panel}: ${name} is not a catalogue metric`);
    }
  });

  it("every run-document metric a query selects is in @hlp/results' RUN_METRICS", () => {
    let selected = 0;
    for (const q of allQueries()) {
      for (const m of metricMatchers(q.expr)) {
        selected++;
        const where = `${q.dashboard} › ${q.panel}: metric${m.op}"${m.value}"`;
        if (m.op === '=') assert.ok(isRunMetricName(m.value), `${where} is not in RUN_METRICS`);
        // every alternative must select something, so one misspelt name in a list is caught too
        else for (const alt of m.value.split('|')) assert.ok(namesMatching(alt).length > 0, `${where}: ${alt} matches no RUN_METRICS name`);
      }
    }
    assert.ok(selected > 0, 'no query selects a run-document metric: the matcher pattern is stale');
  });

  it('no source file types an hlp_ metric name (they come from the catalogue; lab names from lab-metrics.ts)', async () => {
    for (const f of await readdir(SRC_DIR)) {
      if (!f.endsWith('.ts') || f === 'lab-metrics.ts') continue;
      const text = await readFile(`${SRC_DIR}${f}`, 'utf8');
      assert.doesNotMatch(text, /['"`]hlp_[a-z]/, `${f} spells out a metric name`);
    }
  });
}

/** The SLO overview's catalogue panels and target lines, the monthly review's annotations. */
function sloAndReviewTests(): void {
  it('every catalogue metric is on the panel its `panel` field names, in the SLO overview', () => {
    const d = DASHBOARDS.find((x) => x.file === 'slo-overview.json')!.build();
    const queries = queriesOf(d);
    const entries: { name: string; panel: string }[] = [
      ...(Object.keys(CATALOGUE) as MetricKey[]).map((k) => ({ name: CATALOGUE[k].name, panel: CATALOGUE[k].panel })),
      ...DEFAULT_METRICS.map((m) => ({ name: m.name, panel: m.panel })),
    ];
    for (const e of entries) {
      const title = e.panel.split('›').pop()!.trim();
      const onPanel = queries.filter((q) => q.panel === title);
      assert.ok(onPanel.length > 0, `no panel titled "${title}" (for ${e.name})`);
      assert.ok(
        onPanel.some((q) => metricsRead(q.expr).includes(e.name)),
        `panel "${title}" does not read ${e.name}: ${onPanel.map((q) => q.expr).join(' ; ')}`,
      );
    }
  });

  it('the SLO overview draws the five targets of DESIGN §2 as thresholds', () => {
    const d = DASHBOARDS.find((x) => x.file === 'slo-overview.json')!.build();
    const panels = panelsOf(d) as {
      type?: string;
      title?: string;
      fieldConfig?: { defaults?: { thresholds?: { steps?: { value: number | null }[] }; custom?: { thresholdsStyle?: { mode?: string } } } };
    }[];
    assert.equal(SLO_TARGETS.length, 5);
    for (const t of SLO_TARGETS) {
      const line = toBaseUnit(t.threshold, t.unit).value;
      const withLine = panels.filter(
        (p) =>
          p.type === 'timeseries' &&
          p.fieldConfig?.defaults?.thresholds?.steps?.some((s) => s.value === line) &&
          p.fieldConfig.defaults.custom?.thresholdsStyle?.mode !== 'off',
      );
      assert.ok(withLine.length >= 1, `no threshold line at ${line} for ${t.id}`);
    }
  });

  it('the monthly review has the gate verdicts as annotations', () => {
    const d = DASHBOARDS.find((x) => x.file === 'monthly-review.json')!.build();
    const names = (d.annotations?.list ?? []).map((a) => a.name);
    assert.ok(
      names.some((n) => /regression/i.test(n ?? '')),
      names.join(', '),
    );
    assert.ok(
      names.some((n) => /improvement/i.test(n ?? '')),
      names.join(', '),
    );
  });
}

/** Generic panels, variable substitution, label names, and promtool over every expression. */
function promtoolTests(): void {
  it('a catalogue metric without a hand-made panel gets a generic one (every type), which promtool accepts', async () => {
    const panels = (Object.keys(CATALOGUE) as MetricKey[]).map((k) => ({ key: k, panel: genericPanel(k).build() }));
    for (const { key, panel } of panels) {
      assert.equal(panel.title, CATALOGUE[key].panel.split('›').pop()!.trim());
      assert.ok(panel.fieldConfig?.defaults?.unit, `${key}: no unit`);
      const expr = (panel.targets?.[0] as { expr?: string } | undefined)?.expr ?? '';
      assert.ok(metricsRead(expr).includes(CATALOGUE[key].name), `${key}: ${expr}`);
    }
    const queries = panels.map(({ key, panel }) => ({
      dashboard: 'generic',
      panel: key,
      refId: 'A',
      expr: substitute((panel.targets?.[0] as { expr?: string } | undefined)?.expr ?? '', TEST_VARIABLES),
    }));
    assert.match(await promtoolCheckRules(queries), new RegExp(`SUCCESS: ${queries.length} rules found`));
  });

  it('substitute() replaces every variable and refuses leftovers', () => {
    assert.equal(substitute('rate(x{a=~"$instance"}[$__rate_interval]) / $cores', TEST_VARIABLES), `rate(x{a=~".*"}[10s]) / ${cpus().length}`);
    assert.equal(substitute('x[${__interval}]', TEST_VARIABLES), 'x[1m]');
    assert.throws(() => substitute('x{a="$nope"}', TEST_VARIABLES), /unresolved dashboard variable \$nope/);
  });

  it('labelName() keeps lab labels valid and clear of the exporter’s own', () => {
    assert.equal(labelName('variant'), 'variant');
    assert.equal(labelName('suite'), 'label_suite');
    assert.equal(labelName('key-kind'), 'key_kind');
    assert.equal(labelName('9x'), '_9x');
    assert.equal(labelName('__name__'), 'label_name__');
  });

  it('promtool check rules accepts every expression of every dashboard', async (t) => {
    const promtool = findExecutable('promtool');
    assert.ok(promtool, 'promtool is missing: run scripts/setup-system.sh (Debian package prometheus)');
    const queries = allQueries().map((q) => ({ ...q, expr: substitute(q.expr, TEST_VARIABLES) }));
    const out = await promtoolCheckRules(queries, promtool);
    t.diagnostic(out.trim().split('\n').pop() ?? '');
    assert.match(out, new RegExp(`SUCCESS: ${queries.length} rules found`));
  });
}
