/** Matching metrics across documents (name + labels) and pooling the samples of several runs. */
import { makeMetric, type Labels, type Metric, type RunResult } from '@hlp/results';
import { GateError } from './errors.js';

/** `name{k=v,…}` with the labels sorted by key and values as text: the identity of a series. */
export function metricKey(m: { readonly name: string; readonly labels: Labels }): string {
  const labels = Object.keys(m.labels)
    .sort()
    .map((k) => `${k}=${String(m.labels[k])}`)
    .join(',');
  return `${m.name}{${labels}}`;
}

/**
 * At most `cap` values of `samples`, every k-th in measurement order (deterministic; keeps
 * the order and, approximately, the distribution).
 */
export function thinInOrder(samples: readonly number[], cap: number): number[] {
  if (samples.length <= cap) return [...samples];
  const out: number[] = [];
  const step = samples.length / cap;
  for (let i = 0; i < cap; i++) out.push(samples[Math.floor(i * step)]!);
  return out;
}

/**
 * The samples of `m` split into the runs (processes) they were measured in: the segments
 * listed in `m.sampleRuns` (lengths, in order) when the metric was pooled from several runs
 * and the lengths add up, else one run of every sample.
 */
export function runsOf(m: Pick<Metric, 'samples'> & { readonly sampleRuns?: unknown }): number[][] {
  const lengths = m.sampleRuns;
  if (
    Array.isArray(lengths) &&
    lengths.length > 0 &&
    lengths.every((l) => Number.isInteger(l) && l > 0) &&
    (lengths as number[]).reduce((a, b) => a + b, 0) === m.samples.length
  ) {
    const out: number[][] = [];
    let at = 0;
    for (const l of lengths as number[]) {
      out.push(m.samples.slice(at, at + l));
      at += l;
    }
    return out;
  }
  return m.samples.length > 0 ? [[...m.samples]] : [];
}

/**
 * One metric per series (name + labels) holding the samples of every input metric of that
 * series, run after run, with `sampleRuns` listing how many samples each run contributed (so
 * the gate can tell within-run from between-run noise). With `cap`, each run is thinned in
 * proportion (every k-th sample). The summary is recomputed from the pooled samples. Metrics
 * without raw samples keep the first summary. Units and directions must agree.
 */
export function poolMetrics(lists: readonly (readonly Metric[])[], cap?: number): Metric[] {
  const groups = new Map<string, Metric[]>();
  for (const list of lists)
    for (const m of list) {
      const key = metricKey(m);
      const group = groups.get(key);
      if (group) group.push(m);
      else groups.set(key, [m]);
    }
  const pooled: Metric[] = [];
  for (const [key, group] of groups) {
    const first = group[0]!;
    for (const m of group)
      if (m.unit !== first.unit || m.better !== first.better)
        throw new GateError('INCOMPATIBLE', `cannot pool ${key}: unit/direction ${m.unit}/${m.better} vs ${first.unit}/${first.better}`);
    const runs = group.flatMap((m) => runsOf(m));
    const total = runs.reduce((a, r) => a + r.length, 0);
    if (total === 0) {
      pooled.push(first);
      continue;
    }
    const kept = cap === undefined || total <= cap ? runs : runs.map((r) => thinInOrder(r, Math.max(1, Math.floor((cap * r.length) / total))));
    const samples = kept.flat();
    const { summary: _s, samples: _x, sampleRuns: _r, ...rest } = first;
    pooled.push({
      ...rest,
      ...makeMetric({ name: first.name, unit: first.unit, better: first.better, labels: first.labels, samples }),
      ...(kept.length > 1 ? { sampleRuns: kept.map((r) => r.length) } : {}),
    });
  }
  return pooled;
}

/**
 * Several runs of one suite on one machine class as one document: the first run's identity
 * (machine, git, config) with `config.pooledFrom` and pooled metrics.
 */
export function poolRuns(runs: readonly RunResult[], cap?: number): RunResult {
  const first = runs[0];
  if (!first) throw new GateError('INVALID_INPUT', 'no runs to pool');
  for (const r of runs) {
    if (r.suite !== first.suite) throw new GateError('INCOMPATIBLE', `cannot pool runs of suites ${first.suite} and ${r.suite}`);
    if (r.machine.machineClass !== first.machine.machineClass)
      throw new GateError('INCOMPATIBLE', `cannot pool runs of machine classes ${first.machine.machineClass} and ${r.machine.machineClass}`);
  }
  if (runs.length === 1) return first;
  const last = runs[runs.length - 1]!;
  return {
    ...first,
    finishedAt: last.finishedAt,
    config: { ...first.config, pooledFrom: runs.length },
    metrics: poolMetrics(
      runs.map((r) => r.metrics),
      cap,
    ),
  };
}
