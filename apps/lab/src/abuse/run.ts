/**
 * The abuse suite: each class of hostile client replayed with generated cases against a running
 * proxy (and its inference service), while `/healthz` is probed and the services' memory is
 * sampled. A class fails on any answer its contract forbids (a 5xx above all), a dropped
 * request, a process that died, `/healthz` slower than its bound, or memory past its bound.
 */
import type { Agent } from 'node:http';
import { embeddingsBodies, embeddingsHeaders, parseTarget, runLoad, scenarioPrompts } from '@hlp/loadgen';
import { DEFAULT_LIMITS, GENERATORS, HTTP_CLASSES, violation, type HttpCase, type HttpClass } from './cases.js';
import { createAgent, send, type Sent } from './http.js';
import { AbuseRandom } from './random.js';
import { holdSlow, slowConnections, type SlowOutcome } from './slow.js';
import { getPriority, setPriority } from 'node:os';
import { alive, probeHealth, rssOf, type HealthSummary } from './watch.js';

export const ABUSE_CLASSES = [...HTTP_CLASSES, 'readiness', 'slow-connections', 'slow-load', 'upstream-down'] as const;
export type AbuseClass = (typeof ABUSE_CLASSES)[number];

/** Cases per class by default: thousands where a case is cheap; fewer where each one is encrypted for real. */
export const DEFAULT_COUNTS: Readonly<Record<HttpClass, number>> = {
  'long-input': 2000,
  'token-batches': 120,
  'malformed-url': 3000,
  'malformed-body': 3000,
};

export interface WatchedProcess {
  readonly name: string;
  readonly pid: number;
}

export interface AbuseOptions {
  readonly proxyUrl: URL;
  readonly serviceUrl: URL | null;
  /** A client token the proxy accepts (any, without client tokens). */
  readonly token: string;
  /** Whether the proxy was started with client tokens (the readiness class checks what it hides). */
  readonly clientAuth: boolean;
  readonly model: string;
  readonly classes: readonly AbuseClass[];
  readonly counts: Readonly<Record<HttpClass, number>>;
  readonly seed: number;
  /** Requests (or groups) in flight at once. */
  readonly concurrency: number;
  readonly slowConnections: number;
  readonly healthzBoundMs: number;
  readonly maxRssBytes: number;
  readonly processes: readonly WatchedProcess[];
  /** Kills the inference service (the upstream-down class; embedded services only). */
  readonly killService: (() => Promise<void>) | null;
  readonly slowLoad: { readonly rate: number; readonly windowS: number; readonly pairs: number };
  /**
   * Niceness for the suite's own sending (its main thread), 0 to leave it: on a small machine
   * the suite's clients, which stand for hosts of their own, would otherwise take the service's
   * cores. The /healthz probe keeps its thread's priority.
   */
  readonly senderNice?: number;
  readonly progress: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface ClassReport {
  readonly cls: AbuseClass;
  readonly cases: number;
  /** Answers by status ("0": no answer). */
  readonly statuses: Readonly<Record<string, number>>;
  readonly violations: number;
  readonly serverErrors: number;
  /** A few violations, to reproduce (with the seed). */
  readonly examples: readonly string[];
  readonly seconds: number;
  readonly health: HealthSummary;
  /** Peak RSS of each watched process during the class, bytes. */
  readonly rssPeak: Readonly<Record<string, number>>;
  /** Measured facts of the class beyond the counts (the 1 MB prompt's answer time, the paired P95 ratio, …). */
  readonly facts: readonly string[];
  readonly skipped: string | null;
}

export interface AbuseReport {
  readonly seed: number;
  readonly classes: readonly ClassReport[];
  /** Watched processes that died (other than the service the upstream-down class kills). */
  readonly crashes: readonly string[];
  readonly healthzBoundMs: number;
  readonly maxRssBytes: number;
  readonly ok: boolean;
}

interface Tally {
  cases: number;
  statuses: Record<string, number>;
  violations: number;
  serverErrors: number;
  examples: string[];
  facts: string[];
}

function newTally(): Tally {
  return { cases: 0, statuses: {}, violations: 0, serverErrors: 0, examples: [], facts: [] };
}

function record(t: Tally, c: { label: string }, r: Sent, why: string | null): void {
  t.cases++;
  t.statuses[String(r.status)] = (t.statuses[String(r.status)] ?? 0) + 1;
  if (r.status >= 500) t.serverErrors++;
  if (why !== null) {
    t.violations++;
    if (t.examples.length < 5) t.examples.push(`${c.label}: ${why}`);
  }
}

/** Sends a class's cases: groups of cases at once, up to `concurrency` groups in flight; a case marked alone waits for the others. */
async function runHttpClass(cls: HttpClass, o: AbuseOptions, agents: { proxy: Agent; service: Agent }, t: Tally): Promise<void> {
  const rng = new AbuseRandom(o.seed ^ ((HTTP_CLASSES.indexOf(cls) + 1) * 0x9e3779b1));
  const ctx = { rng, limits: DEFAULT_LIMITS, model: o.model, token: o.token, count: o.counts[cls] };
  const inFlight = new Set<Promise<void>>();
  const sendCase = async (c: HttpCase): Promise<void> => {
    const base = c.target === 'proxy' ? o.proxyUrl : o.serviceUrl;
    if (base === null) return;
    const r = await send(base, c.target === 'proxy' ? agents.proxy : agents.service, c.method, c.path, c.headers, c.body, 60_000);
    // Node refuses to send some targets at all (control characters): not a case the server saw
    if (r.error?.startsWith('not sent')) return;
    let why = r.error !== null ? `no answer: ${r.error}` : violation(c, r);
    if (why === null && c.expect.withinMs !== undefined && r.ms > c.expect.withinMs)
      why = `answered in ${r.ms.toFixed(1)} ms, more than ${c.expect.withinMs} ms`;
    record(t, c, r, why);
    if (c.expect.withinMs !== undefined) t.facts.push(`${c.label}: ${r.status} ${r.code ?? ''} in ${r.ms.toFixed(1)} ms`);
  };
  let group: HttpCase[] = [];
  const flush = async (): Promise<void> => {
    if (group.length === 0) return;
    const g = group;
    group = [];
    if (g.some((c) => c.alone)) {
      await Promise.all(inFlight);
      for (const c of g) await sendCase(c);
      return;
    }
    const p = Promise.all(g.map(sendCase)).then(() => undefined);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= o.concurrency) await Promise.race(inFlight);
  };
  let lastGroup: number | null = null;
  let n = 0;
  for (const c of GENERATORS[cls](ctx)) {
    if (o.signal?.aborted) break;
    if (lastGroup !== null && c.group !== lastGroup) await flush();
    lastGroup = c.group;
    group.push(c);
    if (++n % 250 === 0) o.progress(`${cls}: ${n} / ${ctx.count} cases sent`);
  }
  await flush();
  await Promise.all(inFlight);
}

async function runReadiness(o: AbuseOptions, t: Tally): Promise<string | null> {
  if (!o.clientAuth) return 'the proxy has no client tokens (nothing for /readyz to hide)';
  const checks: { label: string; headers: Record<string, string>; path: string; ok: (r: Sent, body: string) => string | null }[] = [
    {
      label: 'GET /readyz without a token',
      headers: {},
      path: '/readyz',
      ok: (_r, b) => (/keyId|backend|"pid"/.test(b) ? 'shows the key id, backend or pid to anyone' : null),
    },
    {
      label: 'GET /readyz with a wrong token',
      headers: { authorization: 'Bearer not-a-client-token' },
      path: '/readyz',
      ok: (_r, b) => (/keyId|backend|"pid"/.test(b) ? 'shows the key id, backend or pid to a wrong token' : null),
    },
    {
      label: 'GET /readyz with the token',
      headers: { authorization: `Bearer ${o.token}` },
      path: '/readyz',
      ok: (r, b) => (r.status === 200 && !/keyId/.test(b) ? 'hides the key id from a valid token' : null),
    },
    {
      label: 'GET /v1/models without a token',
      headers: {},
      path: '/v1/models',
      ok: (r) => (r.status === 401 && r.code === 'UNAUTHORIZED' ? null : `status ${r.status} ${r.code}, expected 401 UNAUTHORIZED`),
    },
    {
      label: 'GET /v1/models with a wrong token',
      headers: { authorization: 'Bearer not-a-client-token' },
      path: '/v1/models',
      ok: (r) => (r.status === 403 && r.code === 'INVALID_API_KEY' ? null : `status ${r.status} ${r.code}, expected 403 INVALID_API_KEY`),
    },
  ];
  for (const c of checks) {
    const r = await sendWithBody(o.proxyUrl, c.path, c.headers);
    record(t, c, r.sent, r.sent.error ?? c.ok(r.sent, r.body));
  }
  return null;
}

/** A GET whose body is read back (the readiness checks look into it). */
async function sendWithBody(base: URL, path: string, headers: Record<string, string>): Promise<{ sent: Sent; body: string }> {
  const t0 = performance.now();
  const res = await fetch(new URL(path, base), { headers }).catch((e: unknown) => e as Error);
  if (res instanceof Error) return { sent: { status: 0, code: null, ms: 0, error: res.message }, body: '' };
  const body = await res.text();
  let code: string | null = null;
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } };
    code = typeof parsed.error?.code === 'string' ? parsed.error.code : null;
  } catch {
    code = null;
  }
  return { sent: { status: res.status, code, ms: performance.now() - t0, error: null }, body };
}

function slowFacts(side: string, outcomes: readonly SlowOutcome[], t: Tally): void {
  for (const s of outcomes) {
    t.cases += s.opened;
    t.statuses['closed'] = (t.statuses['closed'] ?? 0) + s.closedInTime;
    if (s.late > 0) {
      t.violations += s.late;
      if (t.examples.length < 5) t.examples.push(`${side} ${s.kind}: ${s.late} of ${s.opened} not closed in time`);
    }
    t.facts.push(
      `${side} ${s.kind}: ${s.closedInTime}/${s.opened} closed by the server, the last after ${s.maxCloseMs === null ? '—' : `${(s.maxCloseMs / 1000).toFixed(1)} s`}`,
    );
  }
}

async function runSlowConnections(o: AbuseOptions, t: Tally): Promise<void> {
  const sides: [string, URL][] = [['proxy', o.proxyUrl], ...(o.serviceUrl ? ([['service', o.serviceUrl]] as [string, URL][]) : [])];
  const results = await Promise.all(
    sides.map(
      async ([side, url]) =>
        [
          side,
          await slowConnections(
            url.hostname,
            Number(url.port),
            o.slowConnections,
            side === 'proxy'
              ? (s, open) => {
                  if (Math.abs(s - Math.round(s)) < 0.13 && Math.round(s) % 5 === 0)
                    o.progress(`slow-connections: ${open} of ${o.slowConnections * sides.length} still open after ${Math.round(s)} s`);
                }
              : undefined,
          ),
        ] as const,
    ),
  );
  for (const [side, outcomes] of results) slowFacts(side, outcomes, t);
}

function p95(latencies: readonly number[]): number {
  const s = latencies.slice().sort((a, b) => a - b);
  return s[Math.floor(0.95 * (s.length - 1))] ?? Number.NaN;
}

/**
 * Normal traffic beside slow connections, paired: windows of load without and with
 * `slowConnections` held open (re-opened as the server closes them), A B, B A, …; each pair's
 * P95 ratio (with / without), and their median, which must stay within 10 %.
 */
async function runSlowLoad(o: AbuseOptions, t: Tally): Promise<void> {
  const target = parseTarget(o.proxyUrl.href);
  const bodies = embeddingsBodies(scenarioPrompts('short'), { model: o.model });
  const headers = embeddingsHeaders({ token: o.token });
  const ratios: number[] = [];
  const window = async (withSlow: boolean): Promise<{ p95: number; ok: number; sent: number }> => {
    const hold = withSlow ? holdSlow(o.proxyUrl.hostname, Number(o.proxyUrl.port), o.slowConnections) : null;
    try {
      if (hold) await new Promise((resolve) => setTimeout(resolve, 1_000));
      const r = await runLoad({
        target,
        protocol: 'http1',
        mode: { kind: 'open', rate: o.slowLoad.rate },
        bodies,
        headers,
        warmupMs: 1_000,
        durationMs: o.slowLoad.windowS * 1000,
        ...(o.signal ? { signal: o.signal } : {}),
      });
      return { p95: p95(r.measurement.latencies), ok: r.measurement.ok, sent: r.measurement.sent };
    } finally {
      hold?.stop();
    }
  };
  for (let p = 0; p < o.slowLoad.pairs && !o.signal?.aborted; p++) {
    const order = p % 2 === 0 ? [false, true] : [true, false];
    const got: Record<string, { p95: number; ok: number; sent: number }> = {};
    for (const withSlow of order) got[String(withSlow)] = await window(withSlow);
    const a = got['false']!;
    const b = got['true']!;
    ratios.push(b.p95 / a.p95);
    t.cases += b.sent + a.sent;
    t.statuses['200'] = (t.statuses['200'] ?? 0) + a.ok + b.ok;
    const lost = a.sent - a.ok + (b.sent - b.ok);
    if (lost > 0) {
      t.violations += lost;
      if (t.examples.length < 5) t.examples.push(`pair ${p + 1}: ${lost} request(s) without a 2xx`);
    }
    t.facts.push(
      `pair ${p + 1} (${order.map((w) => (w ? 'with' : 'without')).join(', ')}): P95 ${a.p95.toFixed(1)} ms without, ${b.p95.toFixed(1)} ms with ${o.slowConnections} slow connections: ×${(b.p95 / a.p95).toFixed(3)}`,
    );
    o.progress(t.facts.at(-1)!);
  }
  const sorted = ratios.slice().sort((x, y) => x - y);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  t.facts.push(`median P95 ratio with / without: ×${median.toFixed(3)} over ${ratios.length} pair(s) at ${o.slowLoad.rate} req/s (bound ×1.10)`);
  if (!(median <= 1.1)) {
    t.violations++;
    t.examples.push(`P95 with slow connections ×${median.toFixed(3)} of without, more than ×1.10`);
  }
}

async function runUpstreamDown(o: AbuseOptions, agent: Agent, t: Tally): Promise<string | null> {
  if (!o.killService) return 'needs the embedded services (it kills the inference service)';
  await o.killService();
  const body = Buffer.from(JSON.stringify({ model: o.model, input: 'the service is gone' }));
  for (let i = 0; i < 20; i++) {
    const r = await send(o.proxyUrl, agent, 'POST', '/v1/embeddings', { 'content-type': 'application/json', authorization: `Bearer ${o.token}` }, body, 30_000);
    const c = { label: `request ${i + 1} after the service was killed` };
    record(
      t,
      c,
      r,
      r.error ? `no answer: ${r.error}` : r.status === 503 && r.code === 'UPSTREAM_DOWN' ? null : `status ${r.status} ${r.code}, expected 503 UPSTREAM_DOWN`,
    );
  }
  // the one 5xx the contract asks for here
  t.serverErrors -= t.statuses['503'] ?? 0;
  t.facts.push(`${t.statuses['503'] ?? 0} of ${t.cases} answered 503 UPSTREAM_DOWN, the first one included`);
  return null;
}

function rssSampler(processes: readonly WatchedProcess[]): { peakSince(): Record<string, number>; stop(): void } {
  let peak: Record<string, number> = {};
  const sample = (): void => {
    for (const p of processes) {
      const rss = rssOf(p.pid);
      if (rss !== null) peak[p.name] = Math.max(peak[p.name] ?? 0, rss);
    }
  };
  sample();
  const timer = setInterval(sample, 250);
  return {
    peakSince() {
      sample();
      const out = peak;
      peak = {};
      sample();
      return out;
    },
    stop: () => clearInterval(timer),
  };
}

/**
 * Lowers the calling thread's priority (Linux applies setpriority to one thread; threads it
 * starts later inherit it). Nothing fatal when refused: the run is then only less isolated.
 */
function lowerThisThread(nice: number): void {
  try {
    setPriority(0, Math.max(getPriority(0), nice));
  } catch {
    /* not permitted here: the suite sends at its usual priority */
  }
}

export async function runAbuse(o: AbuseOptions): Promise<AbuseReport> {
  const health = probeHealth(o.proxyUrl, 20, o.healthzBoundMs);
  if (o.senderNice) {
    await health.online;
    lowerThisThread(o.senderNice);
  }
  const rss = rssSampler(o.processes);
  const agents = { proxy: createAgent(o.concurrency * 8), service: createAgent(o.concurrency) };
  const classes: ClassReport[] = [];
  const crashes: string[] = [];
  let serviceKilled = false;
  // upstream-down last: nothing can run after it
  const order = [...o.classes].sort((a, b) => Number(a === 'upstream-down') - Number(b === 'upstream-down'));
  try {
    health.window();
    rss.peakSince();
    for (const cls of order) {
      if (o.signal?.aborted) break;
      o.progress(`${cls} …`);
      const t0 = performance.now();
      const t = newTally();
      let skipped: string | null = null;
      if ((HTTP_CLASSES as readonly string[]).includes(cls)) await runHttpClass(cls as HttpClass, o, agents, t);
      else if (cls === 'readiness') skipped = await runReadiness(o, t);
      else if (cls === 'slow-connections') await runSlowConnections(o, t);
      else if (cls === 'slow-load') await runSlowLoad(o, t);
      else {
        skipped = await runUpstreamDown(o, agents.proxy, t);
        serviceKilled = skipped === null;
      }
      const h = health.window();
      const peaks = rss.peakSince();
      for (const p of o.processes) {
        if (serviceKilled && p.name === 'inference') continue;
        if (!alive(p.pid) && !crashes.includes(p.name)) crashes.push(p.name);
      }
      const overMemory = Object.entries(peaks).filter(([, b]) => b > o.maxRssBytes);
      for (const [name, b] of overMemory) {
        t.violations++;
        t.examples.push(`${name} RSS ${(b / 2 ** 20).toFixed(0)} MiB, past the bound ${(o.maxRssBytes / 2 ** 20).toFixed(0)} MiB`);
      }
      if (h.slow > 0 || h.failures > 0) {
        t.violations += h.slow + h.failures;
        t.examples.push(`/healthz: ${h.slow} of ${h.probes} probes slower than ${o.healthzBoundMs} ms (max ${h.maxMs.toFixed(1)} ms), ${h.failures} failed`);
      }
      classes.push({
        cls,
        cases: t.cases,
        statuses: t.statuses,
        violations: t.violations,
        serverErrors: t.serverErrors,
        examples: t.examples,
        seconds: (performance.now() - t0) / 1000,
        health: h,
        rssPeak: peaks,
        facts: t.facts,
        skipped,
      });
    }
  } finally {
    await health.stop();
    rss.stop();
    agents.proxy.destroy();
    agents.service.destroy();
  }
  const ok = crashes.length === 0 && classes.every((c) => c.violations === 0 && c.serverErrors === 0);
  return { seed: o.seed, classes, crashes, healthzBoundMs: o.healthzBoundMs, maxRssBytes: o.maxRssBytes, ok };
}
