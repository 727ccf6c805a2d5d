/**
 * Suspected regressions measured again before they fail the gate: the fresh samples decide
 * each suspect again, with the calibration benchmark telling a busy machine from slower code.
 */
import type { Baseline } from './baseline.js';
import { measureOne, type CompareSettings, type Measurement, type MetricComparison } from './compare.js';
import type { GateConfig } from './config.js';
import type { GateInput, MachineState, RemeasureResult } from './gate.js';
import { metricKey } from './pool.js';
import { hashSeed } from './prng.js';
import { bootstrapRatio } from './stats.js';

export function labelText(m: { name: string; labels: Record<string, unknown> }): string {
  const l = Object.entries(m.labels)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
  return l ? `${m.name} ${l}` : m.name;
}

export const fmtRatio = (c: { ratio: number | null; ci: readonly [number, number] | null }): string =>
  `×${c.ratio?.toFixed(3) ?? '?'}${c.ci ? ` [${c.ci[0].toFixed(3)}, ${c.ci[1].toFixed(3)}]` : ''}`;

function firstOf(c: MetricComparison): MetricComparison['first'] {
  const { verdict, reason, ratio, ci, baselineMedian, currentMedian, nBaseline, nCurrent, runsBaseline, runsCurrent, betweenRunSd } = c;
  return { verdict, reason, ratio, ci, baselineMedian, currentMedian, nBaseline, nCurrent, runsBaseline, runsCurrent, betweenRunSd };
}

/**
 * The machine now against the machine when the baseline was recorded, from the calibration
 * benchmark measured with the re-measurement (same machine class, stored baseline side only).
 */
function machineStateOf(
  fresh: RemeasureResult,
  baseline: Baseline,
  runClass: string,
  config: GateConfig,
  warnings: string[],
  notes: string[],
): MachineState | null {
  const cal = fresh.calibration;
  if (!(
    cal &&
    baseline.calibration &&
    !fresh.baseline &&
    baseline.machineClass === runClass &&
    cal.name === baseline.calibration.name &&
    cal.samples.length > 1
  ))
    return null;
  const r = bootstrapRatio(baseline.calibration.samples, cal.samples, {
    resamples: config.resamples,
    confidence: config.confidence,
    maxPerSide: config.maxSamplesPerSide,
    seed: hashSeed(metricKey(cal), config.seed),
  });
  const machineState: MachineState = { factor: r.ratio, ci: [r.lower, r.upper], busy: r.lower > 1 + config.defaultThresholds.regress };
  const text = `the calibration benchmark measured with the re-measurement takes ×${r.ratio.toFixed(3)} [${r.lower.toFixed(3)}, ${r.upper.toFixed(3)}] its time when the baseline was recorded`;
  if (machineState.busy)
    warnings.push(
      `${text}: this machine is much slower now than then (busy or throttled), so regressions cannot be confirmed here — re-run on a quiet machine, or compare in the same job with --against`,
    );
  else notes.push(`${text}: the machine is in a comparable state`);
  return machineState;
}

/** A suspect's final comparison, given what its re-measurement says and the machine's state. */
function judgeAgain(s: MetricComparison, m: Measurement, machineState: MachineState | null): MetricComparison {
  const first = firstOf(s);
  // A busy machine explains a slowdown up to its own factor; one well past it (lower end
  // of the ratio's interval beyond the machine's upper end times the threshold) still is
  // a regression of the code. Only for lower-is-better series, which the machine slows.
  const pastMachine = machineState?.busy === true && m.ci !== null && s.better === 'lower' && m.ci[0] > machineState.ci[1] * (1 + s.thresholds.regress);
  if (m.verdict === 'regression' && machineState?.busy && pastMachine) {
    return {
      ...s,
      ...m,
      first,
      remeasure: 'confirmed',
      remeasureNote: `confirmed by re-measurement: ${fmtRatio(m)}, beyond the busy machine's own ×${machineState.factor.toFixed(2)} [${machineState.ci[0].toFixed(3)}, ${machineState.ci[1].toFixed(3)}] (calibration)`,
    };
  }
  if (m.verdict === 'regression' && machineState?.busy) {
    return {
      ...s,
      ...m,
      verdict: 'inconclusive',
      reason: `the re-measurement ${fmtRatio(m)} also says regression, but the machine is ×${machineState.factor.toFixed(2)} slower than when the baseline was recorded (calibration): not a confirmation`,
      first,
      remeasure: 'machine-busy',
      remeasureNote: 'the machine is busy: the calibration benchmark is past the regression threshold too',
    };
  }
  if (m.verdict === 'regression') return { ...s, ...m, first, remeasure: 'confirmed', remeasureNote: `confirmed by re-measurement: ${fmtRatio(m)}` };
  return {
    ...s,
    ...m,
    verdict: 'inconclusive',
    reason: `first measurement ${fmtRatio(s)} said regression; the re-measurement ${fmtRatio(m)} says ${m.verdict}: not confirmed`,
    first,
    remeasure: 'not-confirmed',
    remeasureNote: `re-measurement: ${m.verdict} (${m.reason})`,
  };
}

/** The comparisons with every suspected regression decided again (or marked as not re-measured), and the machine's state. */
export async function remeasureSuspects(
  comparisons: readonly MetricComparison[],
  input: GateInput,
  settings: CompareSettings,
  warnings: string[],
  notes: string[],
): Promise<{ final: MetricComparison[]; machineState: MachineState | null }> {
  const { current, baseline } = input;
  const suspects = comparisons.filter((c) => c.verdict === 'regression');
  const final: MetricComparison[] = [...comparisons];
  if (suspects.length === 0) return { final, machineState: null };
  const remeasure = input.remeasure;
  if (typeof remeasure !== 'function') {
    const why = remeasure?.unavailable ?? 'no re-measurement hook';
    for (const s of suspects) final[final.indexOf(s)] = { ...s, remeasure: 'skipped', remeasureNote: `not re-measured: ${why}` };
    notes.push(`suspected regressions were not re-measured: ${why}`);
    return { final, machineState: null };
  }
  const currentByKey = new Map(current.metrics.map((m) => [metricKey(m), m]));
  const suspectMetrics = suspects.map((s) => currentByKey.get(s.key)!).filter((m) => m !== undefined);
  notes.push(`re-measuring ${suspects.length} suspected regression${suspects.length === 1 ? '' : 's'}: ${suspects.map(labelText).join('; ')}`);
  const fresh = await remeasure(suspectMetrics);
  const freshCur = new Map(fresh.current.map((m) => [metricKey(m), m]));
  const freshBase = fresh.baseline ? new Map(fresh.baseline.map((m) => [metricKey(m), m])) : null;
  const storedBase = new Map(baseline.metrics.map((m) => [metricKey(m), m]));
  const machineState = machineStateOf(fresh, baseline, current.machine.machineClass, settings.config, warnings, notes);
  for (const s of suspects) {
    const i = final.indexOf(s);
    const cur = freshCur.get(s.key);
    const base = freshBase ? freshBase.get(s.key) : storedBase.get(s.key);
    if (!cur || !base) {
      final[i] = {
        ...s,
        first: firstOf(s),
        remeasure: 'skipped',
        remeasureNote: 'the re-measurement returned no data for this series; the first measurement stands',
      };
      continue;
    }
    const again = measureOne(base, cur, s.thresholds, settings);
    if ('incomparable' in again) {
      final[i] = {
        ...s,
        first: firstOf(s),
        remeasure: 'skipped',
        remeasureNote: `re-measurement not comparable (${again.incomparable}); the first measurement stands`,
      };
      continue;
    }
    final[i] = judgeAgain(s, again.measurement, machineState);
  }
  return { final, machineState };
}
