/**
 * `hlp cluster run`: the lab's open-loop load through HAProxy while faults fire on a schedule,
 * then one summary: requests accepted, answered 2xx, answered otherwise and errored (with why),
 * per fault when the restarted instance was ready and when the last failure happened, key
 * uploads and key-cache lookups per instance, HAProxy's retries. The load itself is also written
 * as an ordinary hlp.run/1 load run.
 */
import { loadavg } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import {
  DEFAULT_MODEL,
  DEFAULT_PROMPTS,
  SCENARIO_NAMES,
  buildLoadResult,
  embeddingsBodies,
  embeddingsHeaders,
  parseTarget,
  runLoad,
  scenarioPrompts,
  type LoadRun,
} from '@hlp/loadgen';
import { defaultRunsDir, parseRun, writeRun } from '@hlp/results';
import type { Io } from '../io.js';
import { progressPrinter } from '../load/report.js';
import { ClusterError } from './errors.js';
import { FAULT_KINDS, applyFault, type FaultEvent } from './faults.js';
import { hostCounters, lbCounters, uploadsBetween, type HostCounters, type LbCounters } from './metrics.js';
import type { ClusterState } from './state.js';

export const RUN_FORMAT = 'hlp.cluster-run/1';

const ScheduledFault = z.object({
  kind: z.enum(FAULT_KINDS),
  host: z.string().optional(),
  pct: z.number().min(0).max(100).optional(),
  /** Seconds after the end of the warm-up. */
  atS: z.number().min(0),
});
export type ScheduledFault = z.infer<typeof ScheduledFault>;

const RunOptions = z.object({
  scenario: z.enum(SCENARIO_NAMES as [string, ...string[]]),
  rate: z.coerce.number().positive().max(10_000),
  durationS: z.coerce.number().int().min(1).max(3600),
  warmupS: z.coerce.number().min(0).max(600),
  http2: z.boolean(),
  faults: z.array(ScheduledFault),
  restartAfterS: z.coerce.number().min(0).max(600),
  out: z.string().optional(),
});

const SPEC = /^(kill-proxy|kill-inference|restart-redis|loss)(?::([pi]\d+))?(?:=(\d+(?:\.\d+)?))?@(\d+(?:\.\d+)?)s?$/;

/** `kill-proxy@20s`, `kill-inference:i2@20s`, `restart-redis@30`, `loss=1@10s`. */
export function parseFaultSpec(text: string): ScheduledFault {
  const m = SPEC.exec(text.trim());
  if (!m) throw new ClusterError('BAD_OPTION', `--fault '${text}': expected KIND[:HOST][=PCT]@SECONDS, e.g. kill-proxy@20s, kill-inference:i2@20s, loss=1@10s`);
  const kind = m[1] as ScheduledFault['kind'];
  if (kind === 'loss' && m[3] === undefined) throw new ClusterError('BAD_OPTION', `--fault '${text}': loss needs a percentage (loss=1@10s)`);
  if (kind !== 'loss' && m[3] !== undefined) throw new ClusterError('BAD_OPTION', `--fault '${text}': only loss takes =PCT`);
  if (m[2] !== undefined && !((kind === 'kill-proxy' && m[2].startsWith('p')) || (kind === 'kill-inference' && m[2].startsWith('i')))) {
    throw new ClusterError('BAD_OPTION', `--fault '${text}': ${kind} names a ${kind === 'kill-proxy' ? 'p' : 'i'}N host`);
  }
  return { kind, ...(m[2] ? { host: m[2] } : {}), ...(m[3] ? { pct: Number(m[3]) } : {}), atS: Number(m[4]) };
}

export interface FaultOutcome {
  readonly kind: string;
  readonly target: string;
  readonly detail: string;
  /** Seconds into the measured window. */
  readonly atS: number;
  readonly readyAtS: number | null;
  /** End of the last second with a non-2xx or an error at or after the fault (null: none). */
  readonly lastFailureS: number | null;
  /** From the restarted instance's readiness to the last failing second's end; 0 when failures stopped before. */
  readonly full2xxAfterRestartS: number | null;
  readonly error?: string;
}

export interface ClusterRunSummary {
  readonly format: typeof RUN_FORMAT;
  readonly cluster: string;
  readonly startedAt: string;
  readonly scenario: string;
  readonly rate: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly protocol: 'http1' | 'h2';
  readonly target: string;
  readonly topology: { proxies: number; inference: number; links: ClusterState['shaping'] };
  readonly loadAverage: { before: number[]; after: number[] };
  readonly loadRun: string;
  readonly requests: {
    /** Scheduled in the window (every one has an outcome). */
    sent: number;
    /** Minus those the generator could not send and those the load balancer refused. */
    accepted: number;
    ok2xx: number;
    non2xx: Record<string, number>;
    errors: Record<string, number>;
    /** Queued or in flight when the drain deadline passed (overload). */
    unfinished: number;
    /** Accepted, then cut off without an answer (reset, hang-up, timeout). */
    lost: number;
    why: Record<string, readonly string[]>;
    successRatio: number;
  };
  readonly latencyMs: { p50: number; p95: number; p99: number; max: number } | null;
  readonly faults: FaultOutcome[];
  /** Seconds of the window (by completion) with a failure: when, how many, of which outcome. */
  readonly failureSeconds: { t: number; sent: number; ok: number; non2xx: number; errors: number }[];
  /** uploadsDuringRun: key sets the proxies uploaded during the run (restarts included). */
  readonly keys: { before: HostCounters[]; after: HostCounters[]; uploadsDuringRun: number | null };
  readonly loadBalancer: { before: LbCounters[]; after: LbCounters[] };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function faultOutcome(ev: FaultEvent | { error: string; kind: string; at: number }, run: LoadRun, windowStartWall: number): FaultOutcome {
  const atS = (ev.at - windowStartWall) / 1000;
  const bad = run.measurement.seconds.filter((b) => b.non2xx + b.errors > 0 && b.t / 1000 + 1 >= atS);
  const lastFailureS = bad.length > 0 ? bad[bad.length - 1]!.t / 1000 + 1 : null;
  if ('error' in ev) return { kind: ev.kind, target: '', detail: 'failed', atS, readyAtS: null, lastFailureS, full2xxAfterRestartS: null, error: ev.error };
  const readyAtS = ev.readyAt === null ? null : (ev.readyAt - windowStartWall) / 1000;
  const after = readyAtS === null ? null : lastFailureS === null ? 0 : Math.max(0, lastFailureS - readyAtS);
  return { kind: ev.kind, target: ev.target, detail: ev.detail, atS, readyAtS, lastFailureS, full2xxAfterRestartS: after };
}

/**
 * Every request of the window has one outcome. Errors split by where they happened: never sent
 * (the generator's own queue was full), refused by the load balancer, still queued or in flight
 * when the drain deadline passed (`unfinished`: overload, not a fault), or lost — accepted and
 * then cut off without an answer (reset, hang-up, timeout).
 */
function requestCounts(run: LoadRun): ClusterRunSummary['requests'] {
  const m = run.measurement;
  const kinds = m.errorKinds;
  const notSent = Object.entries(kinds)
    .filter(([k]) => k.startsWith('client-'))
    .reduce((a, [, v]) => a + v, 0);
  const refused = kinds['ECONNREFUSED'] ?? 0;
  const unfinished = kinds['unfinished'] ?? 0;
  const sent = m.ok + m.non2xx + m.errors;
  return {
    sent,
    accepted: sent - notSent - refused,
    ok2xx: m.ok,
    non2xx: { ...m.statusCodes },
    errors: { ...kinds },
    unfinished,
    lost: m.errors - notSent - refused - unfinished,
    why: Object.fromEntries(Object.entries(m.statusDetails).map(([k, v]) => [k, v.map((d) => d.replace(/\s+/g, ' ').slice(0, 300))])),
    successRatio: sent > 0 ? m.ok / sent : 0,
  };
}

/** Runs the load with the faults; writes the load run and the summary; returns the summary. */
export async function runWithFaults(state: ClusterState, raw: unknown, io: Io): Promise<ClusterRunSummary & { path: string }> {
  const parsed = RunOptions.safeParse(raw);
  if (!parsed.success) throw new ClusterError('BAD_OPTION', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const o = parsed.data;
  for (const f of o.faults) if (f.atS >= o.durationS) throw new ClusterError('BAD_OPTION', `fault ${f.kind}@${f.atS}s lies past the ${o.durationS} s run`);
  if (!state.haproxy) throw new ClusterError('BAD_STATE', 'the state has no load balancer');
  const target = parseTarget(state.haproxy.clientUrl);
  const scenario = o.scenario as (typeof SCENARIO_NAMES)[number];
  const bodies = embeddingsBodies(scenarioPrompts(scenario, { count: DEFAULT_PROMPTS }), { model: DEFAULT_MODEL });
  const before = { hosts: await hostCounters(state), lb: await lbCounters(state), load: loadavg() };
  const startedAt = new Date();
  const windowStartWall = Date.now() + o.warmupS * 1000;
  const faultsDone = o.faults.map(async (f) => {
    await sleep(Math.max(0, windowStartWall + f.atS * 1000 - Date.now()));
    io.stderr.write(`fault ${f.kind}${f.host ? `:${f.host}` : ''}${f.pct !== undefined ? `=${f.pct}` : ''} at ${f.atS} s\n`);
    try {
      return await applyFault(state, { kind: f.kind, host: f.host, pct: f.pct, restartAfterS: o.restartAfterS });
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e), kind: f.kind, at: Date.now() };
    }
  });
  const progress = progressPrinter(io);
  const run = await runLoad({
    target,
    protocol: o.http2 ? 'h2' : 'http1',
    mode: { kind: 'open', rate: o.rate },
    headers: embeddingsHeaders({ model: DEFAULT_MODEL }),
    bodies,
    warmupMs: Math.round(o.warmupS * 1000),
    durationMs: o.durationS * 1000,
    onTick: progress.tick,
  }).finally(() => progress.done());
  const events = await Promise.all(faultsDone);
  const after = { hosts: await hostCounters(state), lb: await lbCounters(state), load: loadavg() };
  const document = parseRun(
    await buildLoadResult({
      run,
      scenario,
      startedAt,
      finishedAt: new Date(),
      config: { scenario, model: DEFAULT_MODEL, target: target.url, embedded: false, cluster: state.name, faults: o.faults },
    }),
    'the cluster run produced an invalid load document',
  );
  const loadRun = await writeRun(document);
  const summary: ClusterRunSummary = {
    format: RUN_FORMAT,
    cluster: state.name,
    startedAt: startedAt.toISOString(),
    scenario,
    rate: o.rate,
    durationS: o.durationS,
    warmupS: o.warmupS,
    protocol: o.http2 ? 'h2' : 'http1',
    target: target.url,
    topology: {
      proxies: state.hosts.filter((h) => h.role === 'proxy').length,
      inference: state.hosts.filter((h) => h.role === 'inference').length,
      links: state.shaping,
    },
    loadAverage: { before: before.load, after: after.load },
    loadRun,
    requests: requestCounts(run),
    latencyMs: run.measurement.hdr ? { p50: run.measurement.hdr.p50, p95: hdrP95(run), p99: run.measurement.hdr.p99, max: run.measurement.hdr.max } : null,
    faults: events.map((ev) => faultOutcome(ev, run, windowStartWall)),
    failureSeconds: run.measurement.seconds
      .filter((b) => b.non2xx + b.errors > 0)
      .map((b) => ({ t: b.t / 1000, sent: b.sent, ok: b.ok, non2xx: b.non2xx, errors: b.errors })),
    keys: { before: before.hosts, after: after.hosts, uploadsDuringRun: uploadsBetween(before.hosts, after.hosts) },
    loadBalancer: { before: before.lb, after: after.lb },
  };
  const path = o.out
    ? resolve(o.out)
    : join(
        defaultRunsDir(),
        `cluster-run-${startedAt
          .toISOString()
          .replace(/[-:]/g, '')
          .replace(/\.\d+Z$/, 'Z')}.json`,
      );
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(summary, null, 2)}\n`);
  io.stderr.write(`wrote ${loadRun}\nwrote ${path}\n`);
  return { ...summary, path };
}

/** P95 of the counted 2xx latencies (the HDR summary keeps p90 and p99 only). */
function hdrP95(run: LoadRun): number {
  const sorted = [...run.measurement.latencies].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!;
}
