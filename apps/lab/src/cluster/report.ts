/** `hlp cluster run`'s summary in words. */
import type { ClusterRunSummary } from './run.js';
import { describeShaping } from './lifecycle.js';

function ms(v: number): string {
  return v < 1000 ? `${v.toFixed(0)} ms` : `${(v / 1000).toFixed(2)} s`;
}

function counts(r: Record<string, number>): string {
  const e = Object.entries(r);
  return e.length === 0 ? '0' : e.map(([k, v]) => `${k} ${v}`).join(', ');
}

export function renderRunSummary(s: ClusterRunSummary & { path?: string }): string {
  const r = s.requests;
  const lines = [
    `cluster '${s.cluster}': ${s.topology.proxies} proxies + ${s.topology.inference} inference; links ${describeShaping(s.topology.links)}`,
    `load ${s.scenario} at ${s.rate} req/s open loop, ${s.protocol}, ${s.durationS} s after ${s.warmupS} s warm-up → ${s.target}`,
    `load average before ${s.loadAverage.before.map((x) => x.toFixed(2)).join(' ')}, after ${s.loadAverage.after.map((x) => x.toFixed(2)).join(' ')}`,
    `requests: sent ${r.sent}, accepted ${r.accepted}, 2xx ${r.ok2xx} (${(r.successRatio * 100).toFixed(2)} %), other status ${counts(r.non2xx)}, errors ${counts(r.errors)}; unanswered at the drain deadline ${r.unfinished}, lost ${r.lost}`,
    ...Object.entries(r.why).map(([status, bodies]) => `  why ${status}: ${bodies[0] ?? ''}`),
    s.latencyMs
      ? `latency of 2xx: P50 ${ms(s.latencyMs.p50)}, P95 ${ms(s.latencyMs.p95)}, P99 ${ms(s.latencyMs.p99)}, max ${ms(s.latencyMs.max)}`
      : 'latency: no 2xx',
  ];
  for (const f of s.faults) {
    if (f.error) lines.push(`fault ${f.kind} at ${f.atS.toFixed(1)} s FAILED: ${f.error}`);
    else {
      const ready = f.readyAtS === null ? ', not restarted' : `, ready again at ${f.readyAtS.toFixed(1)} s`;
      const last = f.lastFailureS === null ? 'no failed request after it' : `last failure in the second ending at ${f.lastFailureS.toFixed(0)} s`;
      const back = f.full2xxAfterRestartS === null ? '' : `; full 2xx ${f.full2xxAfterRestartS.toFixed(1)} s after the restart`;
      lines.push(`fault ${f.kind} ${f.target} at ${f.atS.toFixed(1)} s${ready}; ${last}${back}`);
    }
  }
  const k = s.keys.after;
  lines.push(
    `key uploads (proxies' hlp_key_uploads_total, now): ${k
      .filter((h) => h.role === 'proxy')
      .map((h) => `${h.id} ${h.keyUploads ?? '?'}`)
      .join(', ')}; during the run ${s.keys.uploadsDuringRun ?? '?'}`,
  );
  lines.push(
    `key cache hits l1/l2/l3 (inference): ${k
      .filter((h) => h.role === 'inference')
      .map((h) => `${h.id} ${h.keyHits ? `${h.keyHits.l1}/${h.keyHits.l2}/${h.keyHits.l3}` : '?'}`)
      .join(', ')}`,
  );
  for (const b of s.loadBalancer.after) {
    const was = s.loadBalancer.before.find((x) => x.backend === b.backend);
    lines.push(
      `haproxy ${b.backend}: retries +${b.retries - (was?.retries ?? 0)}, redispatches +${b.redispatches - (was?.redispatches ?? 0)}, connection errors +${b.connectionErrors - (was?.connectionErrors ?? 0)}, response errors +${b.responseErrors - (was?.responseErrors ?? 0)}`,
    );
  }
  if (s.path) lines.push(`summary ${s.path}`, `load run ${s.loadRun}`);
  return lines.join('\n');
}
