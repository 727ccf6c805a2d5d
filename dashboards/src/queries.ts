/**
 * A walk over a dashboard's panels and their PromQL (for the staleness check, promtool and the
 * Prometheus tests), and the substitution of dashboard variables.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';

export interface PanelQuery {
  readonly dashboard: string;
  /** Panel title, or `annotation: <name>`. */
  readonly panel: string;
  readonly panelType: string;
  readonly unit: string | null;
  readonly refId: string;
  readonly expr: string;
  readonly instant: boolean;
}

interface LoosePanel {
  type?: string;
  title?: string;
  panels?: LoosePanel[];
  targets?: { expr?: string; refId?: string; instant?: boolean }[];
  fieldConfig?: { defaults?: { unit?: string } };
}

/** Panels (rows flattened, rows themselves left out). */
export function panelsOf(d: Dashboard): LoosePanel[] {
  const out: LoosePanel[] = [];
  const walk = (panels: LoosePanel[] | undefined): void => {
    for (const p of panels ?? []) {
      if (p.type === 'row') walk(p.panels);
      else out.push(p);
    }
  };
  walk(d.panels as LoosePanel[] | undefined);
  return out;
}

/** Every PromQL expression of a dashboard: panel targets, then annotations. */
export function queriesOf(d: Dashboard): PanelQuery[] {
  const name = d.uid ?? d.title ?? 'dashboard';
  const out: PanelQuery[] = [];
  for (const p of panelsOf(d)) {
    for (const t of p.targets ?? []) {
      if (typeof t.expr !== 'string') continue;
      out.push({
        dashboard: name,
        panel: p.title ?? '',
        panelType: p.type ?? '',
        unit: p.fieldConfig?.defaults?.unit ?? null,
        refId: t.refId ?? 'A',
        expr: t.expr,
        instant: t.instant === true,
      });
    }
  }
  for (const a of (d.annotations?.list ?? []) as { name?: string; expr?: string }[]) {
    if (typeof a.expr === 'string')
      out.push({ dashboard: name, panel: `annotation: ${a.name ?? ''}`, panelType: 'annotation', unit: null, refId: 'A', expr: a.expr, instant: false });
  }
  return out;
}

/**
 * Replaces dashboard variables (`$name`, `${name}`, `[[name]]`) in an expression, longest name
 * first so that `$__rate_interval` is not read as `$__rate` + `_interval`. Throws on a variable
 * left unresolved, so a test cannot silently send `$instance` to Prometheus.
 */
export function substitute(expr: string, values: Readonly<Record<string, string>>): string {
  const names = Object.keys(values).sort((a, b) => b.length - a.length);
  let out = expr;
  for (const n of names) {
    const v = values[n]!;
    out = out.replaceAll(`\${${n}}`, v).replaceAll(`[[${n}]]`, v);
    out = out.replace(new RegExp(`\\$${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_])`, 'g'), () => v);
  }
  const left = /\$\{?[A-Za-z_][A-Za-z0-9_]*/.exec(out);
  if (left) throw new Error(`unresolved dashboard variable ${left[0]} in ${out}`);
  return out;
}
