/**
 * `hlp abuse`: the abuse suite (src/abuse). Hostile clients of each class the probe of issue
 * #19 found — megabyte prompts without a space, batches of mixed sizes, malformed URLs and
 * bodies, /readyz without a token, slow and idle connections (alone, and paired beside normal
 * traffic), the inference service killed — replayed with generated cases against the embedded
 * services (or a running proxy with --target), while /healthz is probed and memory sampled.
 * Exit 1 on any violation.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_MODEL, parseTarget } from '@hlp/loadgen';
import { ABUSE_CLASSES, DEFAULT_COUNTS, runAbuse, type AbuseClass, type AbuseReport, type WatchedProcess } from '../abuse/run.js';
import { HTTP_CLASSES, type HttpClass } from '../abuse/cases.js';
import { AbuseRandom } from '../abuse/random.js';
import { LabError } from '../errors.js';
import { startEmbedded } from '../load/services.js';
import type { Io } from './bench-kernels.js';

/** The suite's sending thread's niceness by default (see AbuseOptions.senderNice). */
const DEFAULT_SENDER_NICE = 10;

const QUICK_COUNTS: Readonly<Record<HttpClass, number>> = { 'long-input': 60, 'token-batches': 13, 'malformed-url': 200, 'malformed-body': 200 };

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
  const list = spec.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = list.filter((c) => !(ABUSE_CLASSES as readonly string[]).includes(c));
  if (unknown.length > 0 || list.length === 0) throw new LabError('USAGE', `--classes: unknown class(es) ${unknown.join(', ') || '(none given)'}; the classes are ${ABUSE_CLASSES.join(', ')}`);
  return list as AbuseClass[];
}

function mib(b: number | undefined): string {
  return b === undefined ? '—' : `${(b / 2 ** 20).toFixed(0)} MiB`;
}

export function renderAbuse(r: AbuseReport): string {
  const out: string[] = [];
  // a column never runs into the next: at least one space after each
  const pad = (s: string, n: number): string => (s.length >= n ? `${s} ` : s.padEnd(n));
  out.push(`${pad('class', 18)}${pad('cases', 8)}${pad('answers', 40)}${pad('5xx', 5)}${pad('bad', 5)}${pad('/healthz max', 14)}${pad('RSS peak (proxy / service)', 28)}time`);
  for (const c of r.classes) {
    if (c.skipped) {
      out.push(`${pad(c.cls, 18)}skipped: ${c.skipped}`);
      continue;
    }
    const answers = Object.entries(c.statuses).sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s === '0' ? 'none' : s}×${n}`).join(' ');
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

async function abuseCommand(raw: unknown, io: Io): Promise<void> {
  const parsed = AbuseCliOptions.safeParse(raw);
  if (!parsed.success) throw new LabError('USAGE', `hlp abuse: ${parsed.error.issues.map((i) => `--${String(i.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${i.message}`).join('; ')}`);
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
    progress(`against ${proxyUrl.origin}${serviceUrl ? ` and ${serviceUrl.origin}` : ''}: memory is not sampled and upstream-down is skipped (it kills the service)`);
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

export function registerAbuseCommand(program: Command, io: Io): void {
  program
    .command('abuse')
    .description(
      'the abuse suite: hostile clients of every known class (megabyte prompts without spaces, mixed-size batches, malformed URLs and bodies, ' +
        '/readyz without a token, slow and idle connections alone and beside 30 req/s of normal traffic, the inference service killed) replayed ' +
        'with generated cases while /healthz is probed and memory sampled; exit 1 on any 5xx, wrong 4xx, dropped request, crash, slow /healthz or RSS past its bound',
    )
    .option('--classes <list>', `classes to run, comma-separated (default all: ${ABUSE_CLASSES.join(', ')})`)
    .option('--cases <n>', `generated cases of each request class (default ${HTTP_CLASSES.map((c) => `${c} ${DEFAULT_COUNTS[c]}`).join(', ')}: fewer where each case is encrypted for real)`)
    .option('--quick', `a short run (${HTTP_CLASSES.map((c) => `${c} ${QUICK_COUNTS[c]}`).join(', ')}; 24 slow connections; one 3 s pair of load windows at ≤ 10 req/s)`)
    .option('--seed <n>', 'seed of the case generator (default a fresh one, printed)')
    .option('--concurrency <n>', 'request groups in flight at once', '8')
    .option('--slow-connections <n>', 'slow and idle connections opened to each service, and held beside the paired load (default 200; --quick 24)')
    .option('--healthz-ms <ms>', 'bound on every /healthz answer while the suite runs', '50')
    .option(
      '--sender-nice <n>',
      `niceness (0-19) of the suite's own sending thread once the services run, so that the clients it stands in for do not take the services' cores (0: leave it; the /healthz probe keeps its priority)`,
      String(DEFAULT_SENDER_NICE),
    )
    .option('--max-rss-mb <MiB>', 'bound on each service process\'s RSS (default 2048: the proxy idles near 0.9 GiB with its keys, and its in-flight ciphertexts are bounded by --max-inflight-ciphertexts, 2048 ≈ 0.5 GiB a copy)', '2048')
    .option('--load-rate <req/s>', 'slow-load: normal traffic, open loop', '30')
    .option('--load-window <s>', 'slow-load: seconds of each window', '10')
    .option('--load-pairs <n>', 'slow-load: pairs of windows (without, with; then with, without; …)', '3')
    .addOption(new Option('--target <url>', 'loopback URL of a running proxy (default: start the embedded services)'))
    .option('--service <url>', 'with --target: loopback URL of its inference service (for its URL and slow-connection classes)')
    .option('--token <token>', 'with --target: a client token of the proxy')
    .option('--model <id>', 'model of the requests', DEFAULT_MODEL)
    .option('--json', 'print the report as JSON on stdout')
    .option('--out <file>', 'also write the report as JSON to this file')
    .action(async (_o: unknown, command: Command) => {
      await abuseCommand(command.opts(), io);
    });
}
