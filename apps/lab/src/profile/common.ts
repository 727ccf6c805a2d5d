/** What every `hlp profile` tool shares: its options, its outcome, and the load it drives. */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_MODEL, embeddingsBodies, embeddingsHeaders, parseTarget, runLoad, scenarioPrompts, type ScenarioName } from '@hlp/loadgen';
import type { Io } from '../io.js';
import type { SelfTimeRow } from './cpuprofile.js';

export const TOOLS = ['doctor', 'flame', 'bubbleprof', 'cpuprof'] as const;
export type Tool = (typeof TOOLS)[number];

export const ProfileOptions = z.object({
  tool: z.enum(TOOLS).default('cpuprof'),
  rate: z.coerce.number().positive().max(10_000).default(20),
  duration: z.coerce.number().positive().max(600).default(10),
  out: z.string().optional(),
  top: z.coerce.number().int().positive().max(100).default(10),
  clinicTimeout: z.coerce.number().positive().max(3600).default(300),
});
export type ProfileOpts = z.infer<typeof ProfileOptions>;

export interface ProfileOutcome {
  readonly folder: string;
  /** The .cpuprofile (cpuprof) or clinic's HTML report (doctor, flame, bubbleprof). */
  readonly profile: string | null;
  readonly top: { rows: SelfTimeRow[]; totalMs: number } | null;
  /** clinic doctor's verdict (`issueCategory`: none, gc, event-loop, io, data, unknown); null for the other tools. */
  readonly diagnosis: string | null;
}

/** The profiled services' environment: a fresh service token for this run. */
export function profiledServicesEnv(): NodeJS.ProcessEnv {
  return { ...process.env, HLP_SERVICE_TOKEN: randomBytes(24).toString('base64url') };
}

/** The inference service's arguments under every tool; the proxy's are these plus its upstream. */
export const PROFILED_SERVICE_ARGS = ['--host', '127.0.0.1', '--port', '0', '--quiet'] as const;

/** How long each service may take to come up. */
export const PROFILED_START_MS = 120_000;

/** The lab's open-loop driver against the proxy: the same load for every tool. */
export async function driveLoad(scenario: ScenarioName, o: ProfileOpts, proxyUrl: string, io: Io): Promise<void> {
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
