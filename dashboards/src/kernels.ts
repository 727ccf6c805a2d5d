/**
 * Kernels: per-variant timings of the native kernels and the CKKS backends, from the lab's run
 * documents (`hlp bench kernels|ckks`), exported by `hlp export --runs` and backfilled.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { CALIBRATION_PREFIX } from '@hlp/gate';
import type { RunMetricName } from '@hlp/results';
import { Layout, bars, dashboardBase, labelVariable, timeseries } from './common.js';
import { LAB_FILTER, MACHINE_CLASS_VARIABLE, labSelector, latest, oneOf, perRun, regexLiteral } from './lab-promql.js';
import { labMetric, toBaseUnit } from './lab-metrics.js';
import { sloTarget } from './slo-overview.js';

export const KERNELS_UID = 'hlp-kernels';

/** Run-document metric names (`@hlp/results`' RUN_METRICS) that this dashboard shows; they are label values here. */
export const KERNEL_METRICS = ['ntt.forward', 'ntt.inverse', 'eltwise.mul_mod'] as const satisfies readonly RunMetricName[];
export const ALLOC_METRIC: RunMetricName = 'alloc.churn';
export const CKKS_ENCRYPT_METRIC: RunMetricName = 'ckks.encode_encrypt';
export const PROMPT_METRIC: RunMetricName = 'ckks.prompt_encrypt';
export const CIPHERTEXT_BYTES_METRIC: RunMetricName = 'ckks.ciphertext_bytes';

export function kernels(): Dashboard {
  const median = labMetric('runMedian', 'seconds');
  const p95 = labMetric('runP95', 'seconds');
  const bytes = labMetric('runMedian', 'bytes');
  const d = dashboardBase(
    KERNELS_UID,
    'HLP — kernels',
    'Per-variant medians of the native kernels (scalar, AVX2, AVX-512, CUDA, pool vs malloc) and of the CKKS backends, one point per lab run (hlp export --runs, backfilled into Prometheus).',
    ['kernels', 'lab'],
    'now-30d',
  )
    .withVariable(
      labelVariable(
        MACHINE_CLASS_VARIABLE,
        'machine_class',
        median,
        'Machine class',
        'Machine class of the runs (the fingerprint slug: arch, ISA, cores, memory).',
      ),
    )
    .withVariable(
      labelVariable('n', 'n', labSelector(median, { metric: oneOf(KERNEL_METRICS) }), 'Ring degree n', 'Polynomial ring degree of the kernel cases.'),
    )
    .withVariable(
      labelVariable('bits', 'bits', labSelector(median, { metric: oneOf(KERNEL_METRICS) }), 'Prime bits', 'Size of the NTT-friendly prime in bits.'),
    );
  const L = new Layout(d);
  const kernelFilter = (metric: RunMetricName) => ({ ...LAB_FILTER, metric: `=${metric}`, n: '=~$n', bits: '=~$bits' });

  L.row('NTT and element-wise kernels, per variant');
  for (const metric of KERNEL_METRICS) {
    L.add(
      timeseries({
        title: `${metric} median per variant`,
        description: `Median time of one ${metric} call per kernel variant, one point per run (${median}).`,
        unit: 's',
        min: 0,
        sparse: true,
        queries: [{ expr: perRun(median, kernelFilter(metric)), legend: '{{variant}} n={{n}} {{bits}}-bit' }],
      }),
      8,
    );
  }
  const allKernels = { ...LAB_FILTER, metric: oneOf(KERNEL_METRICS), n: '=~$n', bits: '=~$bits' };
  L.add(
    bars({
      title: 'Latest medians, variants side by side',
      description: `The latest median per (kernel, variant, n) in the time range (${median}).`,
      unit: 's',
      min: 0,
      queries: [{ expr: latest(median, allKernels), legend: '{{metric}} {{variant}} n={{n}}' }],
    }),
  );
  L.add(
    bars({
      title: 'Speed-up over scalar',
      description: `Median of the scalar variant divided by the median of each variant at the same kernel, n and prime size (${median}).`,
      unit: 'suffix: ×',
      min: 0,
      decimals: 2,
      queries: [
        {
          expr:
            `max by (metric, n, bits) (${latest(median, { ...allKernels, variant: '=scalar' })}) / on (metric, n, bits) group_right ` +
            `max by (metric, n, bits, variant) (${latest(median, allKernels)})`,
          legend: '{{metric}} {{variant}} n={{n}}',
        },
      ],
    }),
  );

  L.row('Memory pool');
  L.add(
    timeseries({
      title: `${ALLOC_METRIC}: pool vs malloc`,
      description: `Median time of one allocation churn round with the kernels' memory pool and with malloc (${median}).`,
      unit: 's',
      min: 0,
      sparse: true,
      queries: [{ expr: perRun(median, { ...LAB_FILTER, metric: `=${ALLOC_METRIC}` }), legend: '{{allocator}}' }],
    }),
  );
  L.add(
    timeseries({
      title: 'Calibration benchmark',
      description: `The machine-speed calibration benchmark the gate normalises other machine classes with (${median}).`,
      unit: 's',
      min: 0,
      sparse: true,
      queries: [{ expr: perRun(median, { ...LAB_FILTER, metric: `=~${regexLiteral(CALIBRATION_PREFIX)}.*` }), legend: '{{metric}} {{machine_class}}' }],
    }),
  );

  L.row('CKKS backends');
  const enc = sloTarget('encryption-latency-p95');
  const encLine = toBaseUnit(enc.threshold, enc.unit);
  L.add(
    timeseries({
      title: `${PROMPT_METRIC} P95 (target < 2 s)`,
      description: `P95 time to encrypt one GPT-2-scale prompt (1024 tokens × 768) per backend and thread count (${p95}). Target: ${enc.title}.`,
      unit: 's',
      min: 0,
      sparse: true,
      slo: { op: enc.op, value: encLine.value },
      queries: [{ expr: perRun(p95, { ...LAB_FILTER, metric: `=${PROMPT_METRIC}` }), legend: '{{backend}} {{key}} {{threads}} threads' }],
    }),
  );
  L.add(
    timeseries({
      title: `${CKKS_ENCRYPT_METRIC} median per backend`,
      description: `Median time to encode and encrypt one ciphertext per backend, key kind and n (${median}).`,
      unit: 's',
      min: 0,
      sparse: true,
      queries: [{ expr: perRun(median, { ...LAB_FILTER, metric: `=${CKKS_ENCRYPT_METRIC}` }), legend: '{{backend}} {{key}} n={{n}}' }],
    }),
  );
  L.add(
    bars({
      title: 'CKKS operations, latest medians',
      description: `The latest median of every CKKS operation per backend and n (${median}, suite ckks).`,
      unit: 's',
      min: 0,
      queries: [{ expr: latest(median, { ...LAB_FILTER, suite: '=ckks' }), legend: '{{metric}} {{backend}} {{key}} n={{n}}' }],
    }),
  );
  L.add(
    bars({
      title: 'Ciphertext size',
      description: `Serialized ciphertext bytes per backend, key kind and n (${bytes}).`,
      unit: 'bytes',
      min: 0,
      queries: [{ expr: latest(bytes, { ...LAB_FILTER, metric: `=${CIPHERTEXT_BYTES_METRIC}` }), legend: '{{backend}} {{key}} n={{n}}' }],
    }),
  );

  return d.build();
}
