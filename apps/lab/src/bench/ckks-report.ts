/** The terminal report of a `hlp bench ckks` run: headline speed-ups and the table of every case. */
import { isMetric, type Labels, type Metric, type RunMetricName, type RunResult } from '@hlp/results';
import { formatBytes, formatLabels, formatNs, table } from '../format.js';
import { CKKS_METRIC_ORDER, PROMPT_DIM, PROMPT_TOKENS } from './ckks-cases.js';

/** A value in its unit, readable: ns and ms as times, bytes in KiB/MiB. */
export function formatValue(value: number, unit: string): string {
  if (unit === 'ns') return formatNs(value);
  if (unit === 'ms') return formatNs(value * 1e6);
  if (unit === 'bytes') return formatBytes(value);
  return `${value} ${unit}`;
}

const BACKEND_ORDER = ['seal', 'native'];
const KEY_ORDER = ['public', 'secret'];

function rank(list: readonly string[], value: unknown): number {
  const i = list.indexOf(String(value));
  return i < 0 ? list.length : i;
}
function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

export function sortCkksMetrics(metrics: readonly Metric[]): Metric[] {
  return [...metrics].sort(
    (a, b) =>
      rank(CKKS_METRIC_ORDER, a.name) - rank(CKKS_METRIC_ORDER, b.name) ||
      num(a.labels['n']) - num(b.labels['n']) ||
      rank(KEY_ORDER, a.labels['key']) - rank(KEY_ORDER, b.labels['key']) ||
      num(a.labels['threads']) - num(b.labels['threads']) ||
      rank(BACKEND_ORDER, a.labels['backend']) - rank(BACKEND_ORDER, b.labels['backend']),
  );
}

/** The metric with exactly these labels (no more). */
function findExact(all: readonly Metric[], name: string, labels: Labels): Metric | undefined {
  return all.find(
    (m) => m.name === name && Object.keys(m.labels).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => m.labels[k] === v),
  );
}

function findMetric(all: readonly Metric[], name: RunMetricName, labels: Labels): Metric | undefined {
  return findExact(all, name, labels);
}

/** seal's median at the same name and labels divided by this metric's median (native rows). */
export function speedupVsSeal(metric: Metric, all: readonly Metric[]): number | null {
  if (metric.labels['backend'] !== 'native' || metric.summary.median <= 0) return null;
  const seal = findExact(all, metric.name, { ...metric.labels, backend: 'seal' });
  return seal ? seal.summary.median / metric.summary.median : null;
}

/** The headline comparisons: native vs seal encode_encrypt, prompt figures, worker-pool speed-up. */
export function ckksHeadline(result: RunResult): string[] {
  const metrics = result.metrics;
  const out: string[] = [];
  const ns = [...new Set(metrics.map((m) => m.labels['n']).filter((n): n is number => typeof n === 'number'))].sort((a, b) => a - b);

  out.push('native vs seal, ckks.encode_encrypt key=public (one vector of n/2 values):');
  for (const n of ns) {
    const seal = findMetric(metrics, 'ckks.encode_encrypt', { backend: 'seal', n, key: 'public' });
    const native = findMetric(metrics, 'ckks.encode_encrypt', { backend: 'native', n, key: 'public' });
    const parts = [seal ? `seal ${formatNs(seal.summary.median)}` : 'seal not run', native ? `native ${formatNs(native.summary.median)}` : 'native not run'];
    const ratio = seal && native && native.summary.median > 0 ? `  → native ×${(seal.summary.median / native.summary.median).toFixed(2)}` : '';
    out.push(`  n=${String(n).padEnd(5)}  ${parts.join('  ')}${ratio}`);
  }

  const sizes = metrics.filter(isMetric('ckks.ciphertext_bytes'));
  if (sizes.length > 0) {
    out.push('');
    out.push('one serialized ciphertext (public key vs seeded secret key):');
    for (const backend of BACKEND_ORDER) {
      for (const n of ns) {
        const pub = findMetric(sizes, 'ckks.ciphertext_bytes', { backend, n, key: 'public' });
        const sec = findMetric(sizes, 'ckks.ciphertext_bytes', { backend, n, key: 'secret' });
        if (!pub || !sec) continue;
        out.push(
          `  ${backend.padEnd(6)} n=${String(n).padEnd(5)}  public ${pub.summary.median} B (${formatBytes(pub.summary.median)})  ` +
            `secret ${sec.summary.median} B (${formatBytes(sec.summary.median)})  ×${(pub.summary.median / sec.summary.median).toFixed(2)} smaller`,
        );
      }
    }
  }

  const prompts = sortCkksMetrics(metrics.filter(isMetric('ckks.prompt_encrypt')));
  const promptCfg = result.config['prompt'];
  const pn = typeof promptCfg === 'object' && promptCfg !== null && 'n' in promptCfg ? String(promptCfg.n) : '?';
  const pv = typeof promptCfg === 'object' && promptCfg !== null && 'vectors' in promptCfg ? String(promptCfg.vectors) : '?';
  out.push('');
  if (prompts.length === 0) {
    out.push('ckks.prompt_encrypt: not run');
  } else {
    out.push(
      `ckks.prompt_encrypt: one GPT-2 prompt, ${PROMPT_TOKENS} tokens × ${PROMPT_DIM} values = ${pv} ciphertexts at n=${pn}, encode + encrypt + serialize:`,
    );
    for (const m of [...prompts].sort((a, b) => rank(BACKEND_ORDER, a.labels['backend']) - rank(BACKEND_ORDER, b.labels['backend']))) {
      const ms = m.summary.median;
      out.push(
        `  ${String(m.labels['backend']).padEnd(6)} key=${String(m.labels['key']).padEnd(6)} threads=${String(m.labels['threads']).padEnd(2)}${m.labels['device'] === 'cuda' ? ' GPU' : ''}  ` +
          `${formatValue(ms, 'ms').padStart(9)} per prompt  (${Math.round((PROMPT_TOKENS * 1000) / ms)} tokens/s, ${m.summary.n} runs)`,
      );
    }
    for (const key of KEY_ORDER) {
      const seal = findMetric(prompts, 'ckks.prompt_encrypt', { backend: 'seal', tokens: PROMPT_TOKENS, threads: 1, key });
      const native = findMetric(prompts, 'ckks.prompt_encrypt', { backend: 'native', tokens: PROMPT_TOKENS, threads: 1, key });
      if (seal && native) out.push(`  native vs seal (threads 1, key=${key}): ×${(seal.summary.median / native.summary.median).toFixed(2)}`);
    }
    const poolLines: string[] = [];
    for (const key of KEY_ORDER) {
      const native = prompts.filter((m) => m.labels['backend'] === 'native' && m.labels['key'] === key && m.labels['device'] === undefined);
      const one = native.find((m) => m.labels['threads'] === 1);
      if (!one) continue;
      for (const m of native) {
        if (m === one) continue;
        poolLines.push(`  key=${key.padEnd(6)} threads ${String(m.labels['threads'])} vs 1: ×${(one.summary.median / m.summary.median).toFixed(2)}`);
      }
    }
    out.push('');
    if (poolLines.length > 0) out.push('worker-pool speed-up (native ckks.prompt_encrypt):', ...poolLines);
    else out.push('worker-pool speed-up: needs native with threads 1 and more than 1 in the run');
  }
  return out;
}

const KSWITCH_VS_SEAL = ['ckks.relinearize', 'ckks.rotate', 'ckks.mul_relin_rescale'] as const;

/**
 * The key-switching headline: per backend and n, a hoisted rotation (per rotation, each batch
 * size) as a share of an unhoisted `ckks.rotate` of the same run, which is what hoisting saves;
 * and native against seal for the single key switches. Empty when the run has no rotations.
 */
export function kswitchHeadline(result: RunResult): string[] {
  const metrics = result.metrics;
  const rotates = sortCkksMetrics(metrics.filter(isMetric('ckks.rotate')));
  if (rotates.length === 0) return [];
  const out = ['key switching: a hoisted rotation (ckks.rotate_hoisted, per rotation) against one ckks.rotate of this run:'];
  for (const rotate of rotates) {
    const { backend, n } = rotate.labels;
    const hoisted = metrics
      .filter(isMetric('ckks.rotate_hoisted'))
      .filter((m) => m.labels['backend'] === backend && m.labels['n'] === n)
      .sort((a, b) => num(a.labels['rotations']) - num(b.labels['rotations']));
    const shares = hoisted.map(
      (m) => `${String(m.labels['rotations'])} → ${formatNs(m.summary.median)} (${(m.summary.median / rotate.summary.median).toFixed(2)})`,
    );
    out.push(
      `  ${String(backend).padEnd(6)} n=${String(n).padEnd(5)}  rotate ${formatNs(rotate.summary.median)}  ${shares.length > 0 ? `hoisted ${shares.join('  ')}` : 'hoisted not run'}`,
    );
  }
  for (const n of [...new Set(rotates.map((m) => m.labels['n']))]) {
    const parts: string[] = [];
    for (const name of KSWITCH_VS_SEAL) {
      const native = findMetric(metrics, name, { backend: 'native', n: n as number });
      const ratio = native ? speedupVsSeal(native, metrics) : null;
      if (ratio !== null) parts.push(`${name.slice('ckks.'.length)} ×${ratio.toFixed(2)}`);
    }
    if (parts.length > 0) out.push(`  native vs seal at n=${String(n)}: ${parts.join(', ')}`);
  }
  return out;
}

/** The human report: results table, then the headline comparisons. */
export function renderCkksReport(result: RunResult): string {
  const metrics = sortCkksMetrics(result.metrics);
  const rows = metrics.map((m) => {
    const s = m.summary;
    const speedup = speedupVsSeal(m, metrics);
    return [
      m.name,
      formatLabels(m.labels),
      formatValue(s.median, m.unit),
      formatValue(s.p95, m.unit),
      `[${formatValue(s.ci95[0], m.unit)}, ${formatValue(s.ci95[1], m.unit)}]`,
      String(s.n),
      speedup === null ? '' : `×${speedup.toFixed(2)}`,
    ];
  });
  const out: string[] = [];
  out.push(table(['metric', 'labels', 'median', 'p95', 'ci95 (median)', 'samples', 'vs seal'], rows, [false, false, true, true, false, true, true]));
  out.push('');
  out.push(...ckksHeadline(result));
  const kswitch = kswitchHeadline(result);
  if (kswitch.length > 0) out.push('', ...kswitch);
  return out.join('\n');
}
