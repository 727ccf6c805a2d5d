import { CATALOGUE, DEFAULT_METRICS, type AppName, type MetricKey, type MetricType } from './catalogue.js';

export interface GlossaryRow {
  readonly name: string;
  readonly type: MetricType;
  readonly unit: string;
  readonly labels: readonly string[];
  readonly help: string;
  readonly panel: string;
  /** Apps that expose it (prom-client defaults: both). */
  readonly apps: readonly AppName[];
  /** `catalogue` for hlp_ metrics, `prom-client` for the default process / Node.js metrics. */
  readonly source: 'catalogue' | 'prom-client';
}

/** One row per metric, catalogue first, then the prom-client defaults; filtered to `app` when given. */
export function glossary(app?: AppName): GlossaryRow[] {
  const rows: GlossaryRow[] = (Object.keys(CATALOGUE) as MetricKey[]).map((k) => {
    const s = CATALOGUE[k];
    return {
      name: s.name,
      type: s.type,
      unit: s.unit,
      labels: s.labels,
      help: s.help,
      panel: s.panel,
      apps: s.apps,
      source: 'catalogue',
    };
  });
  for (const d of DEFAULT_METRICS) {
    rows.push({ ...d, labels: [], apps: ['proxy', 'inference'], source: 'prom-client' });
  }
  return app === undefined ? rows : rows.filter((r) => r.apps.includes(app));
}

/** The glossary as a Markdown table (for docs). */
export function glossaryMarkdown(app?: AppName): string {
  const esc = (s: string): string => s.replaceAll('|', '\\|');
  const lines = ['| metric | type | unit | labels | panel | help |', '|---|---|---|---|---|---|'];
  for (const r of glossary(app)) {
    lines.push(`| \`${r.name}\` | ${r.type} | ${r.unit} | ${r.labels.join(', ')} | ${esc(r.panel)} | ${esc(r.help)} |`);
  }
  return lines.join('\n') + '\n';
}
