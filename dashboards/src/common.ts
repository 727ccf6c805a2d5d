/**
 * Shared pieces of the dashboards: the datasource variable, panel factories that always carry a
 * unit, SLO threshold lines, and a layout that numbers panels and places them on the grid.
 */
import {
  GraphDrawStyle,
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  StackingConfigBuilder,
  StackingMode,
  VisibilityMode,
  VizLegendOptionsBuilder,
  BarGaugeDisplayMode,
  VizOrientation,
} from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type Dashboard,
  type ValueMapping,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as BarGaugePanelBuilder } from '@grafana/grafana-foundation-sdk/bargauge';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

export const DATASOURCE_VARIABLE = 'datasource';
/** Every query of every panel goes through the datasource variable. */
export const DATASOURCE = { type: 'prometheus', uid: `\${${DATASOURCE_VARIABLE}}` } as const;

export const COLORS = { ok: 'green', bad: 'red', warn: 'orange', info: 'blue', neutral: 'text' } as const;

/** `$datasource`: any Prometheus datasource. */
export function datasourceVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder(DATASOURCE_VARIABLE)
    .label('Prometheus')
    .type('prometheus')
    .description('The Prometheus that scrapes (or was backfilled with) the lab.');
}

/** A multi-value query variable over `label_values(<selector>, <label>)`, "All" = `.*`. */
export function labelVariable(name: string, label: string, selector: string, title: string, description: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(title)
    .description(description)
    .datasource(DATASOURCE)
    .query(`label_values(${selector}, ${label})`)
    .definition(`label_values(${selector}, ${label})`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ selected: true, text: 'All', value: '$__all' });
}

export interface Query {
  readonly expr: string;
  readonly legend?: string;
  /** One value per series (stat and bar panels). */
  readonly instant?: boolean;
}

export function target(q: Query, refId: string): DataqueryBuilder {
  const b = new DataqueryBuilder()
    .datasource(DATASOURCE)
    .expr(q.expr)
    .refId(refId)
    .legendFormat(q.legend ?? '__auto');
  return q.instant ? b.instant() : b.range();
}

const refId = (i: number): string => String.fromCharCode(65 + i);

/** An SLO target: `value` is the threshold, `op` the side that meets it. */
export interface SloLine {
  readonly op: '<' | '>';
  readonly value: number;
}

/** Green where the target is met, red past the line. */
export function sloThresholds(line: SloLine): ThresholdsConfigBuilder {
  const steps =
    line.op === '<'
      ? [
          { value: null, color: COLORS.ok },
          { value: line.value, color: COLORS.bad },
        ]
      : [
          { value: null, color: COLORS.bad },
          { value: line.value, color: COLORS.ok },
        ];
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps);
}

/** Plain thresholds at given values (a band: [low, high] drawn as lines). */
export function bandThresholds(low: number, high: number): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
    { value: null, color: COLORS.ok },
    { value: low, color: COLORS.info },
    { value: high, color: COLORS.bad },
  ]);
}

function neutralThresholds(): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([{ value: null, color: COLORS.ok }]);
}

export interface PanelOptions {
  readonly title: string;
  readonly description: string;
  /** Grafana unit id (`s`, `bytes`, `reqps`, `percentunit`, `suffix: tokens`, …). Required on every panel. */
  readonly unit: string;
  readonly queries: readonly Query[];
  readonly slo?: SloLine;
  readonly band?: readonly [number, number];
  readonly min?: number;
  readonly max?: number;
  readonly decimals?: number;
  readonly mappings?: ValueMapping[];
  /** Stack the series (stacked area / bars). */
  readonly stack?: boolean;
  readonly bars?: boolean;
  /** Sparse data (one point per lab run): draw points and join them. */
  readonly sparse?: boolean;
  readonly width?: number;
  readonly height?: number;
}

export function timeseries(o: PanelOptions): TimeseriesPanelBuilder {
  const b = new TimeseriesPanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(DATASOURCE)
    .unit(o.unit)
    .legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom).calcs([]))
    .lineWidth(1)
    .fillOpacity(o.stack ? 30 : 10)
    .showPoints(o.sparse ? VisibilityMode.Always : VisibilityMode.Never)
    .pointSize(o.sparse ? 6 : 4)
    .spanNulls(o.sparse ?? false);
  if (o.bars) b.drawStyle(GraphDrawStyle.Bars);
  if (o.stack) b.stacking(new StackingConfigBuilder().mode(StackingMode.Normal).group('A'));
  if (o.slo) b.thresholds(sloThresholds(o.slo)).thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.DashedAndArea));
  else if (o.band)
    b.thresholds(bandThresholds(o.band[0], o.band[1])).thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed));
  else b.thresholds(neutralThresholds());
  common(b, o);
  o.queries.forEach((q, i) => b.withTarget(target(q, refId(i))));
  return b;
}

export function stat(o: PanelOptions): StatPanelBuilder {
  const b = new StatPanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(DATASOURCE)
    .unit(o.unit)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(o.slo ? sloThresholds(o.slo) : neutralThresholds());
  common(b, o);
  o.queries.forEach((q, i) => b.withTarget(target({ ...q, instant: true }, refId(i))));
  return b;
}

/** Horizontal bars, one per series: medians side by side. */
export function bars(o: PanelOptions): BarGaugePanelBuilder {
  const b = new BarGaugePanelBuilder()
    .title(o.title)
    .description(o.description)
    .datasource(DATASOURCE)
    .unit(o.unit)
    .displayMode(BarGaugeDisplayMode.Basic)
    .orientation(VizOrientation.Horizontal)
    .showUnfilled(true)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(o.slo ? sloThresholds(o.slo) : neutralThresholds());
  common(b, o);
  o.queries.forEach((q, i) => b.withTarget(target({ ...q, instant: true }, refId(i))));
  return b;
}

function common(b: TimeseriesPanelBuilder | StatPanelBuilder | BarGaugePanelBuilder, o: PanelOptions): void {
  if (o.min !== undefined) b.min(o.min);
  if (o.max !== undefined) b.max(o.max);
  if (o.decimals !== undefined) b.decimals(o.decimals);
  if (o.mappings) b.mappings(o.mappings);
}

type AnyPanel = TimeseriesPanelBuilder | StatPanelBuilder | BarGaugePanelBuilder;

/**
 * Lays panels out left to right in rows of 24 columns, numbering them (stable ids keep the
 * generated JSON stable), with collapsible-looking row headers between groups.
 */
export class Layout {
  private nextId = 1;
  private x = 0;
  private y = 0;
  private rowHeight = 0;

  constructor(private readonly dashboard: DashboardBuilder) {}

  row(title: string): this {
    this.newLine();
    this.dashboard.withRow(new RowBuilder(title).id(this.nextId++).gridPos({ x: 0, y: this.y, w: 24, h: 1 }));
    this.y += 1;
    return this;
  }

  add(panel: AnyPanel, width = 12, height = 8): this {
    if (this.x + width > 24) this.newLine();
    panel.id(this.nextId++).gridPos({ x: this.x, y: this.y, w: width, h: height });
    this.dashboard.withPanel(panel);
    this.x += width;
    this.rowHeight = Math.max(this.rowHeight, height);
    return this;
  }

  private newLine(): void {
    if (this.x > 0) this.y += this.rowHeight;
    this.x = 0;
    this.rowHeight = 0;
  }
}

export function dashboardBase(uid: string, title: string, description: string, tags: readonly string[], from: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['hlp', ...tags])
    .editable()
    .timezone('browser')
    .time({ from, to: 'now' })
    .refresh('')
    .withVariable(datasourceVariable());
}

export type { Dashboard };
