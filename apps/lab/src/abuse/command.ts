/**
 * `hlp abuse`: the abuse suite run against the embedded services (or a running proxy with
 * --target) and its report; commands/abuse.ts declares the options. Exit 1 on any violation.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { DEFAULT_MODEL, parseTarget } from '@hlp/loadgen';
import { ABUSE_CLASSES, DEFAULT_COUNTS, runAbuse, type AbuseClass, type AbuseReport, type WatchedProcess } from './run.js';
import { HTTP_CLASSES, type HttpClass } from './cases.js';
import { AbuseRandom } from './random.js';
import { LabError } from '../errors.js';
import { startEmbedded } from '../services/embedded.js';
import type { Io } from '../io.js';

/** The suite's sending thread's niceness by default (see AbuseOptions.senderNice). */
export const DEFAULT_SENDER_NICE = 10;

export const QUICK_COUNTS: Readonly<Record<HttpClass, number>> = { 'long-input': 60, 'token-batches': 13, 'malformed-url': 200, 'malformed-body': 200 };

const intIn = (lo: number, hi: number) => z.coerce.number().int().min(lo).max(hi);

const AbuseCliOptions = z.object({
  classes: z.string().optional(),
  cases: intIn(7, 1_000_000).optional(),
  quick: z.boolean().optional(),
  seed: intIn(0, 2 ** 32 - 1).optional(),
  concurrency: intIn(1, 256).default(8),
  slowConnections: intIn(1, 1000).optional(),
  healthzMs: intIn(1, 60_000).default(50),
  senderNice: intIn(0, 19).default(DEFAULT_SENDER_NICE),
  maxRssMb: intIn(64, 1_048_576).default(2048),
  loadRate: intIn(1, 1000).default(30),
  loadWindow: intIn(2, 600).default(10),
  loadPairs: intIn(1, 50).default(3),
  target: z.string().optional(),
  service: z.string().optional(),
  token: z.string().optional(),
  model: z.string().default(DEFAULT_MODEL),
  json: z.boolean().optional(),
  out: z.string().optional(),
});

export function parseClasses(spec: string | undefined): AbuseClass[] {
  if (spec === undefined) return [...ABUSE_CLASSES];
  const list = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = list.filter((c) => !(ABUSE_CLASSES as readonly string[]).includes(c));
  if (unknown.length > 0 || list.length === 0)
    throw new LabError('USAGE', `--classes: unknown class(es) ${unknown.join(', ') || '(none given)'}; the classes are ${ABUSE_CLASSES.join(', ')}`);
  return list as AbuseClass[];
}

function mib(b: number | undefined): string {
  return b === undefined ? '—' : `${(b / 2 ** 20).toFixed(0)} MiB`;
}

export function renderAbuse(r: AbuseReport): string {
  const out: string[] = [];
  // a column never runs into the next: at least one space after each
  const pad = (s: string, n: number): string => (s.length >= n ? `${s} ` : s.padEnd(n));
  out.push(
    `${pad('class', 18)}${pad('cases', 8)}${pad('answers', 40)}${pad('5xx', 5)}${pad('bad', 5)}${pad('/healthz max', 14)}${pad('RSS peak (proxy / service)', 28)}time`,
  );
  for (const c of r.classes) {
    if (c.skipped) {
      out.push(`${pad(c.cls, 18)}skipped: ${c.skipped}`);
      continue;
    }
    const answers = Object.entries(c.statuses)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([s, n]) => `${s === '0' ? 'none' : s}×${n}`)
      .join(' ');
    out.push(
      `${pad(c.cls, 18)}${pad(String(c.cases), 8)}${pad(answers, 40)}${pad(String(c.serverErrors), 5)}${pad(String(c.violations), 5)}${pad(`${c.health.maxMs.toFixed(1)} ms`, 14)}${pad(`${mib(c.rssPeak['proxy'])} / ${mib(c.rssPeak['inference'])}`, 28)}${c.seconds.toFixed(1)} s`,
    );
  }
  for (const c of r.classes) {
    if (c.facts.length === 0 && c.examples.length === 0) continue;
    out.push('', `${c.cls}:`);
    for (const f of c.facts) out.push(`  ${f}`);
    for (const e of c.examples) out.push(`  VIOLATION ${e}`);
  }
  out.push('');
  if (r.crashes.length > 0) out.push(`CRASHED: ${r.crashes.join(', ')}`);
  const total = r.classes.reduce((a, c) => a + c.cases, 0);
  const bad = r.classes.reduce((a, c) => a + c.violations, 0);
  const fivexx = r.classes.reduce((a, c) => a + c.serverErrors, 0);
  out.push(
    `abuse ${r.ok ? 'PASS' : 'FAIL'}: ${total} cases, ${bad} violation(s), ${fivexx} server error(s), ${r.crashes.length} crash(es); /healthz bound ${r.healthzBoundMs} ms, RSS bound ${mib(r.maxRssBytes)}; seed ${r.seed} (--seed ${r.seed} generates the same cases)`,
  );
  return out.join('\n');
}

export async function abuseCommand(raw: unknown, io: Io): Promise<void> {
  const parsed = AbuseCliOptions.safeParse(raw);
  if (!parsed.success)
    throw new LabError(
      'USAGE',
      `hlp abuse: ${parsed.error.issues.map((i) => `--${String(i.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${i.message}`).join('; ')}`,
    );
  const o = parsed.data;
  const classes = parseClasses(o.classes);
  const counts = Object.fromEntries(HTTP_CLASSES.map((c) => [c, o.cases ?? (o.quick ? QUICK_COUNTS : DEFAULT_COUNTS)[c]])) as Record<HttpClass, number>;
  const seed = o.seed ?? AbuseRandom.freshSeed();
  if (o.service !== undefined && o.target === undefined) throw new LabError('USAGE', '--service needs --target (the embedded services are found on their own)');
  const progress = (line: string): void => void io.stderr.write(`[abuse] ${line}\n`);

  let proxyUrl: URL;
  let serviceUrl: URL | null = null;
  let token: string;
  let clientAuth = false;
  let processes: WatchedProcess[] = [];
  let killService: (() => Promise<void>) | null = null;
  let stop: () => Promise<void> = async () => {};
  if (o.target !== undefined) {
    try {
      proxyUrl = new URL(parseTarget(o.target).origin);
      serviceUrl = o.service === undefined ? null : new URL(parseTarget(o.service).origin);
    } catch (e) {
      throw new LabError('USAGE', `hlp abuse: ${(e as Error).message}`);
    }
    token = o.token ?? 'abuse-client';
    clientAuth = o.token !== undefined;
    progress(
      `against ${proxyUrl.origin}${serviceUrl ? ` and ${serviceUrl.origin}` : ''}: memory is not sampled and upstream-down is skipped (it kills the service)`,
    );
  } else {
    token = `abuse-${randomBytes(12).toString('hex')}`;
    clientAuth = true;
    progress('starting the embedded services (the proxy with a client token, so that /readyz has something to hide) …');
    const services = await startEmbedded(io, { clientTokens: [token] });
    proxyUrl = new URL(services.proxyUrl);
    serviceUrl = new URL(services.inferenceUrl);
    processes = services.processes.map((p) => ({ name: p.name, pid: p.pid }));
    const inference = processes.find((p) => p.name === 'inference');
    killService = inference
      ? async () => {
          process.kill(inference.pid, 'SIGKILL');
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
      : null;
    stop = () => services.stop();
  }
  const controller = new AbortController();
  const onSignal = (): void => {
    progress('interrupted: stopping …');
    controller.abort();
  };
  process.once('SIGINT', onSignal);
  let report: AbuseReport;
  try {
    report = await runAbuse({
      proxyUrl,
      serviceUrl,
      token,
      clientAuth,
      model: o.model,
      classes,
      counts,
      seed,
      concurrency: o.concurrency,
      slowConnections: o.slowConnections ?? (o.quick ? 24 : 200),
      healthzBoundMs: o.healthzMs,
      maxRssBytes: o.maxRssMb * 2 ** 20,
      processes,
      killService,
      slowLoad: o.quick ? { rate: Math.min(o.loadRate, 10), windowS: 3, pairs: 1 } : { rate: o.loadRate, windowS: o.loadWindow, pairs: o.loadPairs },
      progress,
      signal: controller.signal,
      senderNice: o.senderNice,
    });
  } finally {
    process.removeListener('SIGINT', onSignal);
    await stop();
  }
  if (o.out) await writeFile(o.out, `${JSON.stringify(report, null, 2)}\n`);
  if (o.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout.write(`${renderAbuse(report)}\n`);
  if (controller.signal.aborted) throw new LabError('USAGE', 'interrupted');
  if (!report.ok) throw new LabError('ABUSE', 'abuse suite failed: see the violations above');
}
