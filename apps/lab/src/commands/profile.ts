/**
 * `hlp profile --tool doctor|flame|bubbleprof|cpuprof [scenario]`: profile the proxy under load.
 *
 * cpuprof (built in): the inference service starts as usual, the proxy starts under
 * `node --cpu-prof --cpu-prof-dir <run folder>`, the lab's open-loop driver loads it briefly,
 * then SIGTERM stops it (graceful shutdown: Node writes the .cpuprofile on exit); the profile's
 * path and its top self-time functions are printed.
 *
 * doctor / flame / bubbleprof: Clinic.js (npm `clinic`, no longer maintained) wrapping the proxy,
 * driven by its own autocannon; the HTML lands in the run folder. Clinic is not a dependency of the
 * lab: install it yourself (`npm i -D clinic`) — see docs/profiling.md for when to use which.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_MODEL, embeddingsBodies, embeddingsHeaders, parseTarget, runLoad, scenarioPrompts, type ScenarioName } from '@hlp/loadgen';
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

function start(name: string, nodeArgs: readonly string[], script: string, args: readonly string[], env: NodeJS.ProcessEnv, io: Io): Proc {
  const proc = spawn(process.execPath, [...nodeArgs, script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    try {
      const ev = JSON.parse(line) as Record<string, unknown>;
      if (ev && typeof ev['event'] === 'string') return void events.push(ev);
    } catch {
      /* not an event */
    }
    io.stderr.write(`[${name}] ${line}\n`);
  });
  createInterface({ input: proc.stderr! }).on('line', (line) => io.stderr.write(`[${name}] ${line}\n`));
  return {
    proc,
    exit,
    async waitFor(event, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const e = events.find((x) => x['event'] === event);
        if (e) return e;
        if (proc.exitCode !== null) throw new LabError('INFRA', `${name} exited (code ${proc.exitCode}) before '${event}'`);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new LabError('INFRA', `${name} did not report '${event}' within ${timeoutMs / 1000} s`);
    },
  };
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
});

export interface ProfileOutcome {
  readonly folder: string;
  readonly profile: string | null;
  readonly top: { rows: SelfTimeRow[]; totalMs: number } | null;
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
    const prompts = scenarioPrompts(scenario, { count: 16 });
    const req = { model: DEFAULT_MODEL };
    io.stderr.write(`load ${scenario} at ${o.rate} req/s for ${o.duration} s → ${pair.proxyUrl}\n`);
    const run = await runLoad({
      target: parseTarget(pair.proxyUrl),
      protocol: 'http1',
      mode: { kind: 'open', rate: o.rate },
      headers: embeddingsHeaders(req),
      bodies: embeddingsBodies(prompts, req),
      warmupMs: 1000,
      durationMs: o.duration * 1000,
    });
    io.stderr.write(`load: ${run.measurement.ok} 2xx, ${run.measurement.errors} errors, ${run.measurement.non2xx} non-2xx\n`);
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
  return { folder, profile, top };
}

function clinicBin(): string | null {
  const root = findRepoRoot();
  const local = root ? join(root, 'node_modules', '.bin', 'clinic') : null;
  if (local && existsSync(local)) return local;
  for (const dir of (process.env['PATH'] ?? '').split(':')) if (dir && existsSync(join(dir, 'clinic'))) return join(dir, 'clinic');
  return null;
}

async function clinic(tool: Exclude<Tool, 'cpuprof'>, scenario: ScenarioName, o: z.infer<typeof ProfileOptions>, folder: string, io: Io): Promise<ProfileOutcome> {
  const bin = clinicBin();
  if (!bin)
    throw new LabError(
      'INFRA',
      `clinic is not installed (it is not a dependency: Clinic.js is no longer maintained). Install it with \`npm i -D clinic\`, ` +
        'or use `hlp profile --tool cpuprof`, which needs nothing but Node (see docs/profiling.md)',
    );
  // The inference service runs on its own; clinic wraps the proxy and drives it with autocannon.
  const env = { ...process.env, HLP_SERVICE_TOKEN: randomBytes(24).toString('base64url') };
  const inference = start('inference', [], binOf('@hlp/inference', 'hlp-inference'), ['--host', '127.0.0.1', '--port', '0', '--quiet'], env, io);
  try {
    const infUrl = String((await inference.waitFor('listening', 120_000))['url']);
    const body = JSON.stringify({ model: DEFAULT_MODEL, input: scenarioPrompts(scenario, { count: 1 })[0] });
    const args = [
      tool,
      '--dest',
      folder,
      '--autocannon',
      `[ -c 8 -d ${o.duration} -m POST -H content-type=application/json -b ${body} /v1/embeddings ]`,
      '--',
      process.execPath,
      binOf('@hlp/proxy', 'hlp-proxy'),
      '--host',
      '127.0.0.1',
      '--port',
      '$PORT',
      '--upstream',
      infUrl,
    ];
    const code = await new Promise<number | null>((r) => {
      const c = spawn(bin, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
      c.once('exit', (x) => r(x));
    });
    if (code !== 0) throw new LabError('INFRA', `clinic ${tool} exited with code ${String(code)}`);
  } finally {
    await stop(inference, 'SIGTERM');
  }
  const html = (await readdir(folder)).filter((f) => f.endsWith('.html'));
  io.stdout.write(`${html.map((f) => join(folder, f)).join('\n') || `(no HTML in ${folder})`}\n`);
  return { folder, profile: html[0] ? join(folder, html[0]) : null, top: null };
}

export function registerProfileCommand(program: Command, io: Io): void {
  program
    .command('profile')
    .description('profile the proxy under load: cpuprof (node --cpu-prof, built in; prints the top self-time functions) or clinic doctor|flame|bubbleprof (needs `npm i -D clinic`)')
    .argument('[scenario]', 'short | medium | full (default short)')
    .addOption(new Option('--tool <tool>', 'profiler').choices([...TOOLS]).default('cpuprof'))
    .option('--rate <req/s>', 'cpuprof: offered load, open loop', '20')
    .option('--duration <s>', 'seconds of load', '10')
    .option('--top <n>', 'cpuprof: functions to list', '10')
    .option('--out <dir>', 'run folder (default runs/profile-<time>-<tool>)')
    .action(async (scenario: string | undefined, _o: unknown, command: Command) => {
      await profileCommand(scenario, command.opts(), io);
    });
}
