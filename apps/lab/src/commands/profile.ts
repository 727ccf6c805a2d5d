/**
 * `hlp profile --tool doctor|flame|bubbleprof|cpuprof [scenario]`: profile the proxy under load.
 *
 * cpuprof (built in): the inference service starts as usual, the proxy starts under
 * `node --cpu-prof --cpu-prof-dir <run folder>`, the lab's open-loop driver loads it briefly,
 * then SIGTERM stops it (graceful shutdown: Node writes the .cpuprofile on exit); the profile's
 * path and its top self-time functions are printed.
 *
 * doctor / flame / bubbleprof: Clinic.js (npm `clinic` 13, a devDependency of the lab; the project
 * is no longer maintained) wraps the proxy, the same open-loop driver loads it, and SIGTERM stops
 * it; clinic then analyses the data and writes `<pid>.clinic-<tool>.html` into the run folder.
 * See docs/profiling.md for when to use which, and for what was exercised on which Node.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_MODEL, embeddingsBodies, embeddingsHeaders, parseTarget, runLoad, scenarioPrompts, type ScenarioName } from '@hlp/loadgen';
import { SERVICE_NODE_FLAGS } from '@hlp/service-runtime';
import { compactUtc, defaultRunsDir, findRepoRoot } from '@hlp/results';
import { LabError } from '../errors.js';
import type { Io } from './bench-kernels.js';

export const TOOLS = ['doctor', 'flame', 'bubbleprof', 'cpuprof'] as const;
export type Tool = (typeof TOOLS)[number];

export interface SelfTimeRow {
  readonly functionName: string;
  readonly url: string;
  readonly line: number;
  readonly selfMs: number;
  readonly share: number;
}

/** Top self-time functions of a V8 .cpuprofile (nodes + samples + timeDeltas). */
export function topSelfTime(profile: unknown, limit = 10): { rows: SelfTimeRow[]; totalMs: number } {
  const P = z.looseObject({
    nodes: z.array(z.looseObject({ id: z.number(), callFrame: z.looseObject({ functionName: z.string(), url: z.string(), lineNumber: z.number() }) })),
    samples: z.array(z.number()),
    timeDeltas: z.array(z.number()),
  });
  const p = P.parse(profile);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, { functionName: string; url: string; line: number; us: number }>();
  let totalUs = 0;
  for (let i = 0; i < p.samples.length; i++) {
    // the delta after sample i is the time it stood for; the last sample gets no time
    const dt = p.timeDeltas[i + 1] ?? 0;
    const node = byId.get(p.samples[i]!);
    if (!node || dt <= 0) continue;
    totalUs += dt;
    const cf = node.callFrame;
    const key = `${cf.functionName}\0${cf.url}\0${cf.lineNumber}`;
    const row = self.get(key) ?? { functionName: cf.functionName || '(anonymous)', url: cf.url, line: cf.lineNumber + 1, us: 0 };
    row.us += dt;
    self.set(key, row);
  }
  const rows = [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, limit)
    .map((r) => ({ functionName: r.functionName, url: r.url, line: r.line, selfMs: r.us / 1000, share: totalUs > 0 ? r.us / totalUs : 0 }));
  return { rows, totalMs: totalUs / 1000 };
}

export function renderTopSelfTime(top: { rows: SelfTimeRow[]; totalMs: number }): string {
  const lines = [`top ${top.rows.length} self-time functions of ${(top.totalMs / 1000).toFixed(1)} s sampled`, '  self ms   share  function (location)'];
  const root = findRepoRoot() ?? '';
  for (const r of top.rows) {
    const loc = r.url ? `${r.url.replace('file://', '').replace(`${root}/`, '')}:${r.line}` : '';
    lines.push(`  ${r.selfMs.toFixed(1).padStart(7)}  ${(r.share * 100).toFixed(1).padStart(5)} %  ${r.functionName}${loc ? ` (${loc})` : ''}`);
  }
  return lines.join('\n');
}

function binOf(pkg: string, bin: string): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const manifest = z.object({ bin: z.record(z.string(), z.string()) }).parse(JSON.parse(readFileSync(manifestPath, 'utf8')));
  const rel = manifest.bin[bin];
  if (!rel) throw new LabError('INFRA', `${pkg} has no bin ${bin}`);
  return join(dirname(manifestPath), rel);
}

interface Proc {
  readonly proc: ChildProcess;
  readonly exit: Promise<number | null>;
  waitFor(event: string, timeoutMs: number): Promise<Record<string, unknown>>;
}

/**
 * Follows a child's output. The services announce themselves with JSON lines (`{"event":"listening",…}`),
 * kept for waitFor; every other line goes to `onLine`, then to stderr under `name` unless onLine
 * returns false.
 */
function watch(name: string, proc: ChildProcess, io: Io, onLine?: (line: string) => boolean): Proc {
  const events: Record<string, unknown>[] = [];
  let spawnError: Error | null = null;
  const exit = new Promise<number | null>((r) => {
    proc.once('exit', (code) => r(code));
    proc.once('error', (e) => {
      spawnError = e;
      r(null);
    });
  });
  const text = (line: string): void => {
    if (onLine?.(line) !== false) io.stderr.write(`[${name}] ${line}\n`);
  };
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    try {
      const ev = JSON.parse(line) as Record<string, unknown>;
      if (ev && typeof ev['event'] === 'string') return void events.push(ev);
    } catch {
      /* not an event */
    }
    text(line);
  });
  createInterface({ input: proc.stderr! }).on('line', text);
  return {
    proc,
    exit,
    async waitFor(event, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const e = events.find((x) => x['event'] === event);
        if (e) return e;
        if (spawnError) throw new LabError('INFRA', `${name} could not start: ${(spawnError as Error).message}`);
        if (proc.exitCode !== null || proc.signalCode !== null) throw new LabError('INFRA', `${name} exited (${proc.signalCode ?? `code ${proc.exitCode}`}) before '${event}'`);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new LabError('INFRA', `${name} did not report '${event}' within ${timeoutMs / 1000} s`);
    },
  };
}

function start(name: string, nodeArgs: readonly string[], script: string, args: readonly string[], env: NodeJS.ProcessEnv, io: Io): Proc {
  return watch(name, spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...nodeArgs, script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }), io);
}

async function stop(p: Proc, signal: NodeJS.Signals, graceMs = 20_000): Promise<number | null> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return p.proc.exitCode;
  p.proc.kill(signal);
  const t = setTimeout(() => p.proc.kill('SIGKILL'), graceMs);
  const code = await p.exit;
  clearTimeout(t);
  return code;
}

const ProfileOptions = z.object({
  tool: z.enum(TOOLS).default('cpuprof'),
  rate: z.coerce.number().positive().max(10_000).default(20),
  duration: z.coerce.number().positive().max(600).default(10),
  out: z.string().optional(),
  top: z.coerce.number().int().positive().max(100).default(10),
  clinicTimeout: z.coerce.number().positive().max(3600).default(300),
});
type ProfileOpts = z.infer<typeof ProfileOptions>;

export interface ProfileOutcome {
  readonly folder: string;
  /** The .cpuprofile (cpuprof) or clinic's HTML report (doctor, flame, bubbleprof). */
  readonly profile: string | null;
  readonly top: { rows: SelfTimeRow[]; totalMs: number } | null;
  /** clinic doctor's verdict (`issueCategory`: none, gc, event-loop, io, data, unknown); null for the other tools. */
  readonly diagnosis: string | null;
}

/** Starts inference + proxy (the proxy under `nodeArgs` or a wrapper) and returns both. */
async function startPair(io: Io, proxyNodeArgs: readonly string[]): Promise<{ inference: Proc; proxy: Proc; proxyUrl: string }> {
  const env = { ...process.env, HLP_SERVICE_TOKEN: randomBytes(24).toString('base64url') };
  const inference = start('inference', [], binOf('@hlp/inference', 'hlp-inference'), ['--host', '127.0.0.1', '--port', '0', '--quiet'], env, io);
  try {
    const infUrl = String((await inference.waitFor('listening', 120_000))['url']);
    const proxy = start('proxy', proxyNodeArgs, binOf('@hlp/proxy', 'hlp-proxy'), ['--host', '127.0.0.1', '--port', '0', '--upstream', infUrl, '--quiet'], env, io);
    try {
      const proxyUrl = String((await proxy.waitFor('listening', 120_000))['url']);
      await proxy.waitFor('ready', 120_000);
      return { inference, proxy, proxyUrl };
    } catch (e) {
      await stop(proxy, 'SIGKILL');
      throw e;
    }
  } catch (e) {
    await stop(inference, 'SIGKILL');
    throw e;
  }
}

/** The lab's open-loop driver against the proxy: the same load for every tool. */
async function driveLoad(scenario: ScenarioName, o: ProfileOpts, proxyUrl: string, io: Io): Promise<void> {
  const prompts = scenarioPrompts(scenario, { count: 16 });
  const req = { model: DEFAULT_MODEL };
  io.stderr.write(`load ${scenario} at ${o.rate} req/s for ${o.duration} s → ${proxyUrl}\n`);
  const run = await runLoad({
    target: parseTarget(proxyUrl),
    protocol: 'http1',
    mode: { kind: 'open', rate: o.rate },
    headers: embeddingsHeaders(req),
    bodies: embeddingsBodies(prompts, req),
    warmupMs: 1000,
    durationMs: o.duration * 1000,
  });
  io.stderr.write(`load: ${run.measurement.ok} 2xx, ${run.measurement.errors} errors, ${run.measurement.non2xx} non-2xx\n`);
}

export async function profileCommand(scenarioText: string | undefined, raw: unknown, io: Io): Promise<ProfileOutcome> {
  const parsed = ProfileOptions.safeParse(raw);
  if (!parsed.success) throw new LabError('USAGE', `invalid options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const o = parsed.data;
  const scenario = (scenarioText ?? 'short') as ScenarioName;
  if (!['short', 'medium', 'full'].includes(scenario)) throw new LabError('USAGE', `unknown scenario ${scenario} (short, medium, full)`);
  const folder = resolve(o.out ?? join(defaultRunsDir(), `profile-${compactUtc(new Date())}-${o.tool}`));
  await mkdir(folder, { recursive: true });

  if (o.tool !== 'cpuprof') return clinic(o.tool, scenario, o, folder, io);

  io.stderr.write(`profile cpuprof: proxy under node --cpu-prof --cpu-prof-dir ${folder}\n`);
  const pair = await startPair(io, ['--cpu-prof', '--cpu-prof-dir', folder]);
  let proxyExit: number | null = null;
  try {
    await driveLoad(scenario, o, pair.proxyUrl, io);
  } finally {
    // SIGTERM: the proxy drains and exits normally, and Node writes the profile on exit.
    proxyExit = await stop(pair.proxy, 'SIGTERM');
    await stop(pair.inference, 'SIGTERM');
  }
  const files = (await readdir(folder)).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new LabError('INFRA', `the proxy exited (code ${String(proxyExit)}) without writing a .cpuprofile in ${folder}`);
  const profile = join(folder, files.sort().at(-1)!);
  const top = topSelfTime(JSON.parse(await readFile(profile, 'utf8')), o.top);
  io.stdout.write(`${renderTopSelfTime(top)}\n\nprofile ${profile}\n(open it in Chrome DevTools → Performance, or speedscope)\n`);
  return { folder, profile, top, diagnosis: null };
}

type ClinicTool = Exclude<Tool, 'cpuprof'>;

/** How long the proxy may take to drain and exit after SIGTERM before it is killed (clinic then lacks its data). */
const PROXY_EXIT_MS = 30_000;

export interface ClinicInstall {
  /** clinic's CLI script (bin.js), run with this Node. */
  readonly script: string;
  readonly version: string;
}

/** The `clinic` package as the lab resolves it (a devDependency); null when it is not installed. */
export function findClinic(): ClinicInstall | null {
  const require = createRequire(import.meta.url);
  let manifestPath: string;
  try {
    manifestPath = require.resolve('clinic/package.json');
  } catch {
    return null;
  }
  const manifest = z.object({ version: z.string(), bin: z.record(z.string(), z.string()) }).parse(JSON.parse(readFileSync(manifestPath, 'utf8')));
  const rel = manifest.bin['clinic'];
  if (!rel) throw new LabError('INFRA', `the clinic package at ${dirname(manifestPath)} has no clinic bin`);
  return { script: join(dirname(manifestPath), rel), version: manifest.version };
}

/** What each of clinic doctor's verdicts means and which tool looks further. */
const DOCTOR_HINTS: Readonly<Record<string, string>> = {
  none: 'no issue detected at this load',
  'event-loop': 'the event loop is blocked by synchronous work: look with --tool flame (or cpuprof)',
  io: 'time goes to waiting on I/O or asynchronous work: look with --tool bubbleprof',
  gc: 'memory/GC pressure: look with a heap profile (node --inspect, or clinic heapprofiler)',
  data: 'too little data to judge: profile longer (--duration)',
  unknown: 'a mix that doctor does not classify: the HTML shows each graph',
};

const ClinicFooter = z.looseObject({ tool: z.string(), toolVersion: z.string() });

/** clinic's own footer comment, `<!-- {"tool":…,"toolVersion":…,"hash":…} -->`, which it appends once the report is complete. */
export function clinicFooter(html: string): z.infer<typeof ClinicFooter> | null {
  const m = /<!-- (\{"tool":[^\n]*\}) -->\s*$/.exec(html);
  if (!m) return null;
  try {
    const parsed = ClinicFooter.safeParse(JSON.parse(m[1]!));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

const TIMED_OUT = Symbol('timed out');

async function within<T>(p: Promise<T>, timeoutMs: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((r) => (timer = setTimeout(() => r(TIMED_OUT), timeoutMs)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const Listening = z.looseObject({ url: z.string(), pid: z.number().int().positive() });

async function clinic(tool: ClinicTool, scenario: ScenarioName, o: ProfileOpts, folder: string, io: Io): Promise<ProfileOutcome> {
  const install = findClinic();
  if (!install)
    throw new LabError(
      'INFRA',
      'clinic is not installed: it is a devDependency of @hlp/lab, so run `npm ci` at the repository root (a production install, --omit=dev, leaves it out), ' +
        'or use `hlp profile --tool cpuprof`, which needs nothing but Node (see docs/profiling.md)',
    );
  // clinic refuses a command whose program is not literally named node (its checkArgs).
  if (!/^node(\.exe)?$/.test(basename(process.execPath)))
    throw new LabError('INFRA', `clinic only runs a program named \`node\`, and this Node is ${process.execPath}: run hlp with a Node binary named node`);

  io.stderr.write(`profile ${tool}: clinic ${install.version} wraps the proxy; data and HTML → ${folder}\n`);
  const env = { ...process.env, HLP_SERVICE_TOKEN: randomBytes(24).toString('base64url') };
  const inference = start('inference', [], binOf('@hlp/inference', 'hlp-inference'), ['--host', '127.0.0.1', '--port', '0', '--quiet'], env, io);
  const seen = { html: null as string | null, tail: [] as string[] };
  let wrapped: Proc | null = null;
  let proxyPid: number | null = null;
  let killedProxy = false;
  try {
    const infUrl = String((await inference.waitFor('listening', 120_000))['url']);
    const clinicEnv = {
      ...env,
      // Until someone answers whether it may send usage statistics, clinic awaits the answer through
      // a callback that the promise-based prompt never calls: without a terminal it then exits 0,
      // silently, before starting anything. Set, this counts as "no" and skips the question.
      NO_INSIGHT: '1',
      // No registry query for a newer clinic on every run (and none possible offline).
      NO_UPDATE_NOTIFIER: '1',
    };
    const args = [
      install.script,
      tool,
      '--dest',
      folder,
      '--open=false',
      '--',
      process.execPath,
      ...SERVICE_NODE_FLAGS,
      binOf('@hlp/proxy', 'hlp-proxy'),
      ...['--host', '127.0.0.1', '--port', '0', '--upstream', infUrl, '--quiet'],
    ];
    // The run folder as the working directory: doctor and bubbleprof pick their node_trace.*.log
    // and flame (0x) its isolate-*-v8.log up from there, so nothing lands in the caller's directory.
    const child = spawn(process.execPath, args, { cwd: folder, env: clinicEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    wrapped = watch(`clinic ${tool}`, child, io, (line) => {
      const m = /^Generated HTML file is (file:\S+)\s*$/.exec(line);
      if (m) seen.html = fileURLToPath(m[1]!);
      seen.tail.push(line);
      if (seen.tail.length > 12) seen.tail.shift();
      // Not for us: the lab stops the proxy itself once the load is done.
      return !line.startsWith('To generate the report press');
    });
    // The proxy's own events come through clinic's stdout: its pid is what gets the SIGTERM below.
    const listening = Listening.safeParse(await wrapped.waitFor('listening', 120_000));
    if (!listening.success) throw new LabError('INFRA', `the proxy's listening event under clinic has no url/pid: ${listening.error.message}`);
    proxyPid = listening.data.pid;
    await wrapped.waitFor('ready', 120_000);
    await driveLoad(scenario, o, listening.data.url, io);

    // Stop the proxy as an operator would: SIGTERM, drain, natural exit; each tool writes its data
    // on that exit. Not clinic's --autocannon/--on-port ending: that emits a synthetic 'beforeExit'
    // in the still-listening proxy, after which bubbleprof's logger never lets it exit
    // (clinicjs/node-clinic#477, reproduced here on Node 20.20).
    const pid = proxyPid;
    // A proxy that died under load has nothing to signal; clinic's exit code then tells the rest.
    if (alive(pid)) process.kill(pid, 'SIGTERM');
    if (!(await until(() => !alive(pid), PROXY_EXIT_MS))) {
      killedProxy = true;
      process.kill(pid, 'SIGKILL');
    } else {
      io.stderr.write(`clinic ${tool}: the proxy has exited; waiting for the analysis (at most ${o.clinicTimeout} s, --clinic-timeout)\n`);
    }
    const code = await within(wrapped.exit, o.clinicTimeout * 1000);
    if (code === TIMED_OUT) throw new LabError('INFRA', `clinic ${tool} did not finish analysing within ${o.clinicTimeout} s; raise --clinic-timeout or shorten --duration`);
    if (code !== 0 || killedProxy) {
      const why = killedProxy ? `the proxy did not exit within ${PROXY_EXIT_MS / 1000} s of SIGTERM and was killed, so its data is incomplete; ` : '';
      throw new LabError('INFRA', `clinic ${tool} failed (exit code ${String(code)}): ${why}its last output:\n  ${seen.tail.join('\n  ')}`);
    }
  } finally {
    if (wrapped && wrapped.proc.exitCode === null && wrapped.proc.signalCode === null) {
      if (proxyPid !== null && alive(proxyPid)) process.kill(proxyPid, 'SIGKILL');
      await stop(wrapped, 'SIGKILL');
    }
    await stop(inference, 'SIGTERM');
  }

  // clinic names the report itself (<pid>.clinic-<tool>.html) and prints its URL; the folder is the fallback.
  const suffix = `.clinic-${tool}.html`;
  const html =
    seen.html && existsSync(seen.html)
      ? seen.html
      : ((await readdir(folder))
          .filter((f) => f.endsWith(suffix))
          .sort()
          .map((f) => join(folder, f))
          .at(-1) ?? null);
  if (!html) throw new LabError('INFRA', `clinic ${tool} exited 0 but left no *${suffix} in ${folder}`);
  const text = await readFile(html, 'utf8');
  const footer = clinicFooter(text);
  if (!footer || footer.tool !== tool) throw new LabError('INFRA', `${html} is not a complete clinic ${tool} report (no clinic footer)`);
  // doctor embeds its analysis in the page; its verdict is the one line worth printing here.
  const diagnosis = tool === 'doctor' ? (/"issueCategory":"([a-z-]+)"/.exec(text)?.[1] ?? null) : null;
  const lines = [`clinic ${tool} ${footer.toolVersion} (clinic ${install.version}, Node ${process.version})`];
  if (diagnosis) lines.push(`diagnosis: ${diagnosis} (${DOCTOR_HINTS[diagnosis] ?? 'see the HTML'})`);
  lines.push(`html ${html} (${Math.round(statSync(html).size / 1024)} KiB; open it in a browser)`);
  io.stdout.write(`${lines.join('\n')}\n`);
  return { folder, profile: html, top: null, diagnosis };
}

export function registerProfileCommand(program: Command, io: Io): void {
  program
    .command('profile')
    .description('profile the proxy under load: cpuprof (node --cpu-prof, built in; prints the top self-time functions) or Clinic.js doctor|flame|bubbleprof (HTML report in the run folder)')
    .argument('[scenario]', 'short | medium | full (default short)')
    .addOption(new Option('--tool <tool>', 'profiler').choices([...TOOLS]).default('cpuprof'))
    .option('--rate <req/s>', 'offered load, open loop', '20')
    .option('--duration <s>', 'seconds of load', '10')
    .option('--top <n>', 'cpuprof: functions to list', '10')
    .option('--clinic-timeout <s>', 'doctor|flame|bubbleprof: seconds clinic may take to analyse after the load', '300')
    .option('--out <dir>', 'run folder (default runs/profile-<time>-<tool>)')
    .action(async (scenario: string | undefined, _o: unknown, command: Command) => {
      await profileCommand(scenario, command.opts(), io);
    });
}
