/**
 * Monthly review: trends of the gated key medians from the run history
 * (`baselines/history.jsonl`, exported by `hlp export`), the SLO targets over time, and the
 * gate's verdicts as annotations.
 */
import { AnnotationQueryBuilder, MappingType, type Dashboard, type DashboardBuilder, type ValueMapping } from '@grafana/grafana-foundation-sdk/dashboard';
import { DEFAULT_THRESHOLDS, SLO_TARGETS } from '@hlp/gate';
import { COLORS, DATASOURCE, Layout, dashboardBase, labelVariable, stat, timeseries } from './common.js';
import { HISTORY_FILTER, MACHINE_CLASS_VARIABLE, SUITE_VARIABLE, labSelector, perRun } from './lab-promql.js';
import { LAB_UNIT_FAMILIES, labMetric, toBaseUnit } from './lab-metrics.js';

export const MONTHLY_UID = 'hlp-monthly-review';
/** Step of the annotation queries (and their `last_over_time` window). */
export const ANNOTATION_STEP = '1h';
/** Grafana units of the SLO targets' own units (16 GB is decimal: decbytes). */
const TARGET_UNITS: Readonly<Record<string, string>> = { s: 's', 'req/s': 'reqps', ratio: 'percentunit', bytes: 'decbytes' };

function passFailMappings(): ValueMapping[] {
  return [
    {
      type: MappingType.ValueToText,
      options: { '0': { text: 'fail', color: COLORS.bad, index: 0 }, '1': { text: 'pass', color: COLORS.ok, index: 1 } },
    },
  ];
}

function metMappings(): ValueMapping[] {
  return [
    {
      type: MappingType.ValueToText,
      options: { '0': { text: 'missed', color: COLORS.bad, index: 0 }, '1': { text: 'met', color: COLORS.ok, index: 1 } },
    },
  ];
}

/** One annotation per gate run that had metrics with `verdict`. */
function verdictAnnotation(verdict: string, name: string, color: string): AnnotationQueryBuilder {
  const expr = `sum by (suite, machine_class, commit) (last_over_time(${labSelector(labMetric('gateVerdicts'), { ...HISTORY_FILTER, verdict: `=${verdict}` })}[${ANNOTATION_STEP}])) > 0`;
  return new AnnotationQueryBuilder()
    .name(name)
    .datasource(DATASOURCE)
    .enable(true)
    .iconColor(color)
    .expr(expr)
    .step(ANNOTATION_STEP)
    .titleFormat(`gate: ${verdict}`)
    .textFormat(`{{suite}} on {{machine_class}} at {{commit}}`)
    .tagKeys('suite,machine_class');
}

export function monthlyReview(): Dashboard {
  const d = monthlyReviewBase();
  const L = new Layout(d);
  // The order of the calls is the order of the panels on the grid.
  addGateRunPanels(L);
  addKeyMedianPanels(L);
  addSloTargetPanels(L);
  return d.build();
}

/** The dashboard with its suite and machine-class filters and the gate's verdicts as annotations. */
function monthlyReviewBase(): DashboardBuilder {
  const passed = labMetric('gatePassed');
  return dashboardBase(
    MONTHLY_UID,
    'HLP — monthly review',
    'Trends of the gated key medians and the SLO targets from the run history (baselines/history.jsonl, hlp export, backfilled), with the gate verdicts as annotations.',
    ['lab', 'review', 'history'],
    'now-90d',
  )
    .withVariable(labelVariable(SUITE_VARIABLE, 'suite', passed, 'Suite', 'Gated suite (kernels, ckks, load, …).'))
    .withVariable(labelVariable(MACHINE_CLASS_VARIABLE, 'machine_class', passed, 'Machine class', 'Machine class of the gated runs.'))
    .annotation(verdictAnnotation('regression', 'Gate: regressions', COLORS.bad))
    .annotation(verdictAnnotation('improvement', 'Gate: improvements', COLORS.ok))
    .annotation(
      new AnnotationQueryBuilder()
        .name('Gate: failed runs')
        .datasource(DATASOURCE)
        .enable(true)
        .iconColor('dark-red')
        .expr(`last_over_time(${labSelector(passed, HISTORY_FILTER)}[${ANNOTATION_STEP}]) == 0`)
        .step(ANNOTATION_STEP)
        .titleFormat('gate: fail')
        .textFormat('{{suite}} on {{machine_class}} at {{commit}} ({{branch}})')
        .tagKeys('suite,machine_class'),
    );
}

/** Runs, failures, regressions and improvements in the range; verdicts and outcome per run. */
function addGateRunPanels(L: Layout): void {
  const passed = labMetric('gatePassed');
  const verdicts = labMetric('gateVerdicts');
  L.row('Gate runs');
  L.add(
    stat({
      title: 'Gate runs',
      description: `Gate runs in the time range (${passed}).`,
      unit: 'suffix: runs',
      queries: [{ expr: `sum (count_over_time(${labSelector(passed, HISTORY_FILTER)}[$__range]))` }],
    }),
    6,
    4,
  );
  L.add(
    stat({
      title: 'Failed gate runs',
      description: `Gate runs that failed (a confirmed regression or a missed SLO target) in the time range (${passed}); 0 when none.`,
      unit: 'suffix: runs',
      slo: { op: '<', value: 1 },
      queries: [{ expr: `sum (count_over_time(${labSelector(passed, { ...HISTORY_FILTER, outcome: '=fail' })}[$__range])) or vector(0)` }],
    }),
    6,
    4,
  );
  L.add(
    stat({
      title: 'Regressions found',
      description: `Gated metrics with a regression verdict, summed over the gate runs in the time range (${verdicts}).`,
      unit: 'suffix: metrics',
      slo: { op: '<', value: 1 },
      queries: [{ expr: `sum (sum_over_time(${labSelector(verdicts, { ...HISTORY_FILTER, verdict: '=regression' })}[$__range])) or vector(0)` }],
    }),
    6,
    4,
  );
  L.add(
    stat({
      title: 'Improvements found',
      description: `Gated metrics with an improvement verdict, summed over the gate runs in the time range (${verdicts}).`,
      unit: 'suffix: metrics',
      queries: [{ expr: `sum (sum_over_time(${labSelector(verdicts, { ...HISTORY_FILTER, verdict: '=improvement' })}[$__range])) or vector(0)` }],
    }),
    6,
    4,
  );
  L.add(
    timeseries({
      title: 'Verdicts per gate run',
      description: `Gated metrics per verdict in each gate run (${verdicts}).`,
      unit: 'suffix: metrics',
      min: 0,
      bars: true,
      stack: true,
      sparse: true,
      queries: [{ expr: `sum by (verdict) (${perRun(verdicts, HISTORY_FILTER)})`, legend: '{{verdict}}' }],
    }),
  );
  L.add(
    timeseries({
      title: 'Gate outcome',
      description: `1 pass, 0 fail, per gate run (${passed}).`,
      unit: 'none',
      min: 0,
      max: 1,
      decimals: 0,
      sparse: true,
      mappings: passFailMappings(),
      queries: [{ expr: perRun(passed, HISTORY_FILTER), legend: '{{suite}} {{machine_class}}' }],
    }),
  );
}

/** The gated medians per run against their baselines, and the ratio with the gate's band. */
function addKeyMedianPanels(L: Layout): void {
  L.row('Key medians');
  const times = labMetric('historyMedian', 'seconds');
  L.add(
    timeseries({
      title: 'Key medians (times)',
      description: `Median of every gated time metric per gate run, and the baseline it was compared with (${times}, ${labMetric('historyBaselineMedian', 'seconds')}).`,
      unit: 's',
      min: 0,
      sparse: true,
      queries: [
        { expr: perRun(times, HISTORY_FILTER), legend: '{{metric}} {{variant}}{{backend}} n={{n}}' },
        { expr: perRun(labMetric('historyBaselineMedian', 'seconds'), HISTORY_FILTER), legend: 'baseline {{metric}} {{variant}}{{backend}} n={{n}}' },
      ],
    }),
  );
  const band = [1 - DEFAULT_THRESHOLDS.improve, 1 + DEFAULT_THRESHOLDS.regress] as const;
  L.add(
    timeseries({
      title: 'Current / baseline',
      description: `Ratio of medians current / baseline per gated metric (${labMetric('historyRatio')}); dashed lines: the gate's default band [${band[0]}, ${band[1]}] for lower-is-better metrics.`,
      unit: 'suffix: ×',
      decimals: 3,
      sparse: true,
      band,
      queries: [{ expr: perRun(labMetric('historyRatio'), HISTORY_FILTER), legend: '{{metric}} {{variant}}{{backend}} n={{n}}' }],
    }),
  );
  for (const [family, what] of [
    ['per_second', 'rates'],
    ['bytes', 'sizes'],
  ] as const) {
    const name = labMetric('historyMedian', family);
    L.add(
      timeseries({
        title: `Key medians (${what})`,
        description: `Median of every gated metric measured in ${LAB_UNIT_FAMILIES[family].base} per gate run (${name}).`,
        unit: LAB_UNIT_FAMILIES[family].grafanaUnit,
        min: 0,
        sparse: true,
        queries: [{ expr: perRun(name, HISTORY_FILTER), legend: '{{metric}} {{route}}{{backend}}{{process}}' }],
      }),
    );
  }
}

/** Each SLO target's value per gate run with its threshold line, and which targets were met. */
function addSloTargetPanels(L: Layout): void {
  L.row('SLO targets over time (DESIGN §2)');
  for (const t of SLO_TARGETS) {
    const line = toBaseUnit(t.threshold, t.unit);
    const name = labMetric('targetValue', line.family);
    L.add(
      timeseries({
        title: t.title,
        description: `Value of target ${t.id} in each gate run (${name}{target="${t.id}"}).`,
        unit: TARGET_UNITS[t.unit] ?? LAB_UNIT_FAMILIES[line.family].grafanaUnit,
        min: 0,
        sparse: true,
        slo: { op: t.op, value: line.value },
        queries: [{ expr: perRun(name, { ...HISTORY_FILTER, target: `=${t.id}` }), legend: '{{suite}} {{machine_class}}' }],
      }),
      8,
    );
  }
  L.add(
    timeseries({
      title: 'Targets met',
      description: `1 met, 0 missed, per target and gate run (${labMetric('targetMet')}); not-applicable targets have no point.`,
      unit: 'none',
      min: 0,
      max: 1,
      decimals: 0,
      sparse: true,
      mappings: metMappings(),
      queries: [{ expr: `max by (target) (${perRun(labMetric('targetMet'), HISTORY_FILTER)})`, legend: '{{target}}' }],
    }),
    16,
  );
}
