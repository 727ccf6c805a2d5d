/**
 * `hlp profile --tool doctor|flame|bubbleprof`: Clinic.js (npm `clinic` 13, a devDependency of the
 * lab; the project is no longer maintained) wraps the proxy, the lab's open-loop driver loads it,
 * and SIGTERM stops it; clinic then analyses the data and writes `<pid>.clinic-<tool>.html` into
 * the run folder. See docs/profiling.md.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ScenarioName } from '@hlp/loadgen';
import { SERVICE_NODE_FLAGS, serviceProcessEnv } from '@hlp/service-runtime';
import { LabError } from '../errors.js';
import type { Io } from '../io.js';
import { serviceBin, startLabChild, startServiceChild, type ServiceChild } from '../services/children.js';
import { PROFILED_SERVICE_ARGS, PROFILED_START_MS, driveLoad, profiledServicesEnv, type ProfileOpts, type ProfileOutcome, type Tool } from './common.js';

export type ClinicTool = Exclude<Tool, 'cpuprof'>;

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

/** How long the inference service may take to exit after SIGTERM, and clinic after SIGKILL. */
const STOP_GRACE_MS = 20_000;

/** The clinic install, and a Node it can run; INFRA with what to do otherwise. */
function usableClinic(): ClinicInstall {
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
  return install;
}

/** What clinic printed that the lab reads: the report's path and the last lines, for an error. */
interface ClinicOutput {
  html: string | null;
  readonly tail: string[];
}

/** Starts clinic around the proxy (pointed at `inferenceUrl`), in the run folder. */
function startClinic(
  tool: ClinicTool,
  install: ClinicInstall,
  inferenceUrl: string,
  folder: string,
  env: NodeJS.ProcessEnv,
  seen: ClinicOutput,
  io: Io,
): ServiceChild {
  const clinicEnv = {
    // clinic starts the proxy as its own child: the proxy's allocator tunables reach it through clinic.
    ...serviceProcessEnv(env),
    // Until someone answers whether it may send usage statistics, clinic awaits the answer through
    // a callback that the promise-based prompt never calls: without a terminal it then exits 0,
    // silently, before starting anything. Set, this counts as "no" and skips the question.
    NO_INSIGHT: '1',
    // No registry query for a newer clinic on every run (and none possible offline).
    NO_UPDATE_NOTIFIER: '1',
  };
  const args = [
    tool,
    '--dest',
    folder,
    '--open=false',
    '--',
    process.execPath,
    ...SERVICE_NODE_FLAGS,
    serviceBin('@hlp/proxy', 'hlp-proxy'),
    ...[...PROFILED_SERVICE_ARGS.slice(0, 4), '--upstream', inferenceUrl, '--quiet'],
  ];
  // The run folder as the working directory: doctor and bubbleprof pick their node_trace.*.log
  // and flame (0x) its isolate-*-v8.log up from there, so nothing lands in the caller's directory.
  return startLabChild(`clinic ${tool}`, install.script, args, io, {
    env: clinicEnv,
    cwd: folder,
    onLine: (line) => {
      const m = /^Generated HTML file is (file:\S+)\s*$/.exec(line);
      if (m) seen.html = fileURLToPath(m[1]!);
      seen.tail.push(line);
      if (seen.tail.length > 12) seen.tail.shift();
      // Not for us: the lab stops the proxy itself once the load is done.
      return !line.startsWith('To generate the report press');
    },
  });
}

/**
 * Stops the proxy as an operator would: SIGTERM, drain, natural exit; each tool writes its data
 * on that exit. Not clinic's --autocannon/--on-port ending: that emits a synthetic 'beforeExit'
 * in the still-listening proxy, after which bubbleprof's logger never lets it exit
 * (clinicjs/node-clinic#477, reproduced here on Node 20.20). True when it had to be killed.
 */
async function stopProxyUnderClinic(pid: number): Promise<boolean> {
  // A proxy that died under load has nothing to signal; clinic's exit code then tells the rest.
  if (alive(pid)) process.kill(pid, 'SIGTERM');
  if (await until(() => !alive(pid), PROXY_EXIT_MS)) return false;
  process.kill(pid, 'SIGKILL');
  return true;
}

/** Runs the load against the proxy under clinic, then waits for clinic's analysis. */
async function profileUnderClinic(
  tool: ClinicTool,
  install: ClinicInstall,
  scenario: ScenarioName,
  o: ProfileOpts,
  folder: string,
  io: Io,
): Promise<ClinicOutput> {
  const env = profiledServicesEnv();
  const inference = startServiceChild('inference', serviceBin('@hlp/inference', 'hlp-inference'), PROFILED_SERVICE_ARGS, io, { env });
  const seen: ClinicOutput = { html: null, tail: [] };
  let wrapped: ServiceChild | null = null;
  let proxyPid: number | null = null;
  try {
    const infUrl = String((await inference.next('listening', PROFILED_START_MS))['url']);
    wrapped = startClinic(tool, install, infUrl, folder, env, seen, io);
    // The proxy's own events come through clinic's stdout: its pid is what gets the SIGTERM below.
    const listening = Listening.safeParse(await wrapped.next('listening', PROFILED_START_MS));
    if (!listening.success) throw new LabError('INFRA', `the proxy's listening event under clinic has no url/pid: ${listening.error.message}`);
    proxyPid = listening.data.pid;
    await wrapped.next('ready', PROFILED_START_MS);
    await driveLoad(scenario, o, listening.data.url, io);
    const killedProxy = await stopProxyUnderClinic(proxyPid);
    if (!killedProxy) io.stderr.write(`clinic ${tool}: the proxy has exited; waiting for the analysis (at most ${o.clinicTimeout} s, --clinic-timeout)\n`);
    const code = await within(wrapped.handle.exited, o.clinicTimeout * 1000);
    if (code === TIMED_OUT)
      throw new LabError('INFRA', `clinic ${tool} did not finish analysing within ${o.clinicTimeout} s; raise --clinic-timeout or shorten --duration`);
    if (code !== 0 || killedProxy) {
      const why = killedProxy ? `the proxy did not exit within ${PROXY_EXIT_MS / 1000} s of SIGTERM and was killed, so its data is incomplete; ` : '';
      throw new LabError('INFRA', `clinic ${tool} failed (exit code ${String(code)}): ${why}its last output:\n  ${seen.tail.join('\n  ')}`);
    }
  } finally {
    if (wrapped && wrapped.handle.proc.exitCode === null && wrapped.handle.proc.signalCode === null) {
      if (proxyPid !== null && alive(proxyPid)) process.kill(proxyPid, 'SIGKILL');
      await wrapped.stop('SIGKILL', STOP_GRACE_MS);
    }
    await inference.stop('SIGTERM', STOP_GRACE_MS);
  }
  return seen;
}

/** doctor, flame or bubbleprof around the proxy under load; the report's path and doctor's verdict. */
export async function clinic(tool: ClinicTool, scenario: ScenarioName, o: ProfileOpts, folder: string, io: Io): Promise<ProfileOutcome> {
  const install = usableClinic();
  io.stderr.write(`profile ${tool}: clinic ${install.version} wraps the proxy; data and HTML → ${folder}\n`);
  const seen = await profileUnderClinic(tool, install, scenario, o, folder, io);

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
