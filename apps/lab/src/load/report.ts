/** Terminal output of `hlp load`: the live progress line, the summary table, the cross-check table. */
import type { CrossCheckResult, LoadRun, Tick } from '@hlp/loadgen';
import { isMetric, type Metric, type RunResult } from '@hlp/results';
import type { Io } from '../io.js';
import { formatBytes, formatLabels, table } from '../format.js';
import { renderRssGrowth, rssGrowths } from './soak.js';

function ms(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '–';
  return v < 10 ? `${v.toFixed(2)} ms` : v < 1000 ? `${v.toFixed(1)} ms` : `${(v / 1000).toFixed(2)} s`;
}

/** One line per second on stderr (rewritten in place on a terminal). */
export function progressPrinter(io: Io): { tick: (t: Tick) => void; done: () => void } {
  const tty = io.stderr.isTTY === true;
  let wrote = false;
  return {
    tick(t) {
      const line =
        `[${String(t.elapsedS).padStart(4)} s ${t.phase.padEnd(7)}] sent ${t.sent}  2xx ${t.ok}  errors ${t.errors + t.non2xx}` +
        `  p50 ${ms(t.p50)}  p95 ${ms(t.p95)}  in flight ${t.inFlight}`;
      io.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
      wrote = true;
    },
    done() {
      if (tty && wrote) io.stderr.write('\n');
    },
  };
}

function formatValue(m: Metric, v: number): string {
  switch (m.unit) {
    case 'ms':
      return ms(v);
    case 'bytes':
      return formatBytes(v);
    case 'ratio':
      return `${(v * 100).toFixed(isMetric('http.success_ratio')(m) ? 2 : 1)} %`;
    case 'req/s':
      return v.toFixed(1);
    default:
      return String(v);
  }
}

/** The run in words and a table of every metric (median, p95, p99, max, samples). */
export function renderLoadSummary(result: RunResult, run: LoadRun): string {
  const m = run.measurement;
  const c = result.config;
  const loop =
    run.mode === 'open' ? `open loop at ${run.rate} req/s (≤ ${run.connections * run.streams} in flight)` : `closed loop, ${run.connections} connections`;
  const streams = run.protocol === 'h2' ? ` × ${run.streams} streams` : '';
  const head = [
    `hlp load ${result.scenario ?? ''}: ${loop}${run.mode === 'closed' ? streams : ''}, ${run.protocol === 'h2' ? 'HTTP/2 (h2c)' : 'HTTP/1.1'}, driver ${run.driver}` +
      `${(run.drivers ?? 1) > 1 ? ` × ${run.drivers} processes (latency summaries from their merged HdrHistograms)` : ''}`,
    `target ${String(c['target'])}${c['embedded'] ? ' (embedded services)' : ''}; ${run.durationMs / 1000} s measured after ${run.warmupMs / 1000} s warm-up${run.warmupRamp ? ' (rate ramped up from 0)' : ''}` +
      `; latency from the ${run.mode === 'open' ? 'intended send time (coordinated-omission corrected)' : 'actual send'}`,
    `counted ${m.ok + m.non2xx + m.errors} requests: ${m.ok} 2xx, ${m.non2xx} other status${Object.keys(m.statusCodes).length ? ` ${JSON.stringify(m.statusCodes)}` : ''}, ${m.errors} errors${Object.keys(m.errorKinds).length ? ` ${JSON.stringify(m.errorKinds)}` : ''}` +
      `; throughput ${(m.ok / (m.windowMs / 1000)).toFixed(1)} req/s${m.aborted ? ' (stopped early)' : ''}`,
  ];
  for (const [status, bodies] of Object.entries(m.statusDetails)) head.push(`  ${status}: ${bodies[0]!.replace(/\s+/g, ' ').slice(0, 200)}`);
  const perRequest = result.metrics.filter(isMetric('process.cpu_per_request'));
  if (perRequest.length > 0) {
    head.push(
      `CPU per 2xx (whole window): ${perRequest.map((x) => `${String(x.labels['process'])} ${ms(typeof x['value'] === 'number' ? x['value'] : x.summary.median)}`).join(', ')}`,
    );
  }
  const growth = renderRssGrowth(rssGrowths(result));
  if (growth) head.push(growth);
  if (m.hdr) head.push(`HdrHistogram: p50 ${ms(m.hdr.p50)}  p90 ${ms(m.hdr.p90)}  p99 ${ms(m.hdr.p99)}  p99.9 ${ms(m.hdr.p999)}  max ${ms(m.hdr.max)}`);
  const rows = result.metrics.map((x) => [
    x.name,
    formatLabels(x.labels),
    formatValue(x, x.summary.median),
    formatValue(x, x.summary.p95),
    formatValue(x, x.summary.p99),
    formatValue(x, x.summary.max),
    String(x.summary.n),
  ]);
  const gpu = (c['samplers'] as { gpu?: { status?: string; reason?: string } } | undefined)?.gpu;
  const notes = gpu?.status === 'not-applicable' ? [`GPU: not applicable (${gpu.reason ?? 'no nvidia-smi'})`] : [];
  return [...head, '', table(['metric', 'labels', 'median', 'p95', 'p99', 'max', 'n'], rows, [false, false, true, true, true, true, true]), ...notes].join(
    '\n',
  );
}

export function renderCrossCheck(r: CrossCheckResult): string {
  const rows = r.comparisons.map((c) => [
    c.protocol === 'http1' ? 'HTTP/1.1' : 'HTTP/2',
    `${c.driver.tool} ${c.driver.rps.toFixed(1)}`,
    c.reference ? `${c.reference.tool} ${c.reference.rps.toFixed(1)}` : `– (${c.skipped ?? 'not run'})`,
    c.ratio === null ? '–' : c.ratio.toFixed(3),
    `±${(c.tolerance * 100).toFixed(0)} %`,
    c.pass === null ? 'skipped' : c.pass ? (c.retried ? 'agree (on rerun)' : 'agree') : 'DISAGREE',
  ]);
  const setup =
    r.drivers === undefined
      ? `${r.connections} connections (HTTP/2: × ${r.streams} streams)`
      : `${r.drivers} driver processes, open loop ${r.rate ?? '?'} req/s, 2xx completed per second of the window; wrk closed loop at rate × mean delay connections, h2load --rps`;
  return [
    `cross-check on ${r.target}${r.stub ? ` (stub server, ${r.stub.delayMs} ± ${r.stub.jitterMs} ms per answer, pid ${r.stub.pid})` : ''}: ` +
      `${setup}, ${r.durationS} s each after ${r.warmupS} s warm-up`,
    '',
    table(['protocol', 'lab driver req/s', 'reference req/s', 'ratio', 'tolerance', 'verdict'], rows, [false, true, true, true, true, false]),
  ].join('\n');
}
