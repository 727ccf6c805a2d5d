/**
 * `hlp profile --tool doctor|flame|bubbleprof|cpuprof [scenario]`: profile the proxy under load.
 *
 * cpuprof (built in): the inference service starts as usual, the proxy starts under
 * `node --cpu-prof --cpu-prof-dir <run folder>`, the lab's open-loop driver loads it briefly,
 * then SIGTERM stops it (graceful shutdown: Node writes the .cpuprofile on exit); the profile's
 * path and its top self-time functions are printed. doctor / flame / bubbleprof: clinic.ts.
 * See docs/profiling.md for when to use which, and for what was exercised on which Node.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ScenarioName } from '@hlp/loadgen';
import { compactUtc, defaultRunsDir } from '@hlp/results';
import { LabError } from '../errors.js';
import type { Io } from '../io.js';
import { startPair } from '../services/pair.js';
import { clinic } from './clinic.js';
import { PROFILED_SERVICE_ARGS, PROFILED_START_MS, ProfileOptions, driveLoad, profiledServicesEnv, type ProfileOpts, type ProfileOutcome } from './common.js';
import { renderTopSelfTime, topSelfTime } from './cpuprofile.js';

/** How long each service may take to exit after SIGTERM before it is killed. */
const STOP_GRACE_MS = 20_000;

async function cpuprof(scenario: ScenarioName, o: ProfileOpts, folder: string, io: Io): Promise<ProfileOutcome> {
  io.stderr.write(`profile cpuprof: proxy under node --cpu-prof --cpu-prof-dir ${folder}\n`);
  const pair = await startPair(
    {
      env: profiledServicesEnv(),
      inferenceArgs: PROFILED_SERVICE_ARGS,
      proxyArgs: (url) => [...PROFILED_SERVICE_ARGS.slice(0, 4), '--upstream', url, '--quiet'],
      proxyNodeArgs: ['--cpu-prof', '--cpu-prof-dir', folder],
      timeoutMs: PROFILED_START_MS,
      failSignal: 'SIGKILL',
      failGraceMs: STOP_GRACE_MS,
    },
    io,
  );
  let proxyExit: number | null = null;
  try {
    await driveLoad(scenario, o, pair.proxyUrl, io);
  } finally {
    // SIGTERM: the proxy drains and exits normally, and Node writes the profile on exit.
    proxyExit = await pair.proxy.stop('SIGTERM', STOP_GRACE_MS);
    await pair.inference.stop('SIGTERM', STOP_GRACE_MS);
  }
  const files = (await readdir(folder)).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new LabError('INFRA', `the proxy exited (code ${String(proxyExit)}) without writing a .cpuprofile in ${folder}`);
  const profile = join(folder, files.sort().at(-1)!);
  const top = topSelfTime(JSON.parse(await readFile(profile, 'utf8')), o.top);
  io.stdout.write(`${renderTopSelfTime(top)}\n\nprofile ${profile}\n(open it in Chrome DevTools → Performance, or speedscope)\n`);
  return { folder, profile, top, diagnosis: null };
}

export async function profileCommand(scenarioText: string | undefined, raw: unknown, io: Io): Promise<ProfileOutcome> {
  const parsed = ProfileOptions.safeParse(raw);
  if (!parsed.success) throw new LabError('USAGE', `invalid options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const o = parsed.data;
  const scenario = (scenarioText ?? 'short') as ScenarioName;
  if (!['short', 'medium', 'full'].includes(scenario)) throw new LabError('USAGE', `unknown scenario ${scenario} (short, medium, full)`);
  const folder = resolve(o.out ?? join(defaultRunsDir(), `profile-${compactUtc(new Date())}-${o.tool}`));
  await mkdir(folder, { recursive: true });
  return o.tool === 'cpuprof' ? cpuprof(scenario, o, folder, io) : clinic(o.tool, scenario, o, folder, io);
}
