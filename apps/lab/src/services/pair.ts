/**
 * The system under test on loopback: the inference service, then the proxy pointed at it, each
 * as its own process (`hlp-inference`, `hlp-proxy`; separate event loops, separately measurable
 * CPU and RSS). `hlp serve`, `hlp load`, the suite and `hlp profile` start them here.
 *
 * The service token between them reaches the children through their environment, never their
 * command line.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { startLocalRedis, type LocalRedis } from '@hlp/procs';
import { LabError } from '../errors.js';
import type { Io } from '../io.js';
import { serviceBin, startServiceChild, type ServiceChild } from './children.js';

export const WORKLOADS = ['affine', 'projection', 'mlp'] as const;

export const ServeSettings = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(0),
  inferencePort: z.coerce.number().int().min(0).max(65535).default(0),
  backend: z.enum(['native', 'seal']).default('native'),
  workloadSeed: z.coerce.number().int().nonnegative().optional(),
  workloads: z
    .string()
    .optional()
    .refine((s) => s === undefined || s.split(',').every((w) => (WORKLOADS as readonly string[]).includes(w.trim())), {
      message: `--workloads takes a comma-separated list of ${WORKLOADS.join(', ')}`,
    }),
  token: z.string().min(8).optional(),
  keyFile: z.string().optional(),
  json: z.boolean().optional(),
  quiet: z.boolean().optional(),
  startTimeout: z.coerce.number().int().positive().default(120),
  // The proxy's batching, prompt cache, client auth and TLS; processes per service; the key cache.
  batchWindow: z.coerce.number().int().min(0).max(60_000).optional(),
  batching: z.boolean().optional(),
  maxBatch: z.coerce.number().int().min(1).optional(),
  promptCacheBytes: z.coerce.number().int().min(0).optional(),
  clientTokens: z.string().optional(),
  clientTokensFile: z.string().optional(),
  tlsCert: z.string().optional(),
  tlsKey: z.string().optional(),
  workers: z.coerce.number().int().min(1).max(256).optional(),
  inferenceWorkers: z.coerce.number().int().min(1).max(256).optional(),
  redis: z
    .string()
    .regex(/^(rediss?:\/\/.+|local)$/, "a redis:// URL, or 'local' to start a private redis-server")
    .optional(),
  keyCacheDir: z.string().optional(),
});
export type ServeSettings = z.infer<typeof ServeSettings>;

export interface ServeHandle {
  readonly inferenceUrl: string;
  readonly proxyUrl: string;
  /** The L2 key cache's Redis, when one is used (started here with --redis local). */
  readonly redisUrl?: string;
  /** Stop both children (proxy first); resolves when both have exited. */
  stop(): Promise<void>;
  /** Resolves when a child exits on its own (its name and code), which ends the serve. */
  readonly exited: Promise<{ name: string; code: number | null }>;
}

export interface PairSpec {
  readonly env: NodeJS.ProcessEnv;
  readonly inferenceArgs: readonly string[];
  /** The proxy's arguments, given the inference service's URL. */
  readonly proxyArgs: (inferenceUrl: string) => readonly string[];
  /** Node flags for the proxy after the services' own (e.g. --cpu-prof). */
  readonly proxyNodeArgs?: readonly string[];
  readonly timeoutMs: number;
  /** How the children are stopped when the pair fails to come up. */
  readonly failSignal: NodeJS.Signals;
  readonly failGraceMs: number;
}

export interface RunningPair {
  readonly inference: ServiceChild;
  readonly proxy: ServiceChild;
  readonly inferenceUrl: string;
  readonly proxyUrl: string;
}

/** Starts the inference service, then the proxy on its URL; resolves once the proxy is ready (keys uploaded). */
export async function startPair(spec: PairSpec, io: Io): Promise<RunningPair> {
  const inference = startServiceChild('inference', serviceBin('@hlp/inference', 'hlp-inference'), spec.inferenceArgs, io, { env: spec.env });
  let proxy: ServiceChild | undefined;
  try {
    const inferenceUrl = String((await inference.next('listening', spec.timeoutMs))['url']);
    proxy = startServiceChild('proxy', serviceBin('@hlp/proxy', 'hlp-proxy'), spec.proxyArgs(inferenceUrl), io, {
      env: spec.env,
      ...(spec.proxyNodeArgs ? { nodeArgs: spec.proxyNodeArgs } : {}),
    });
    const proxyUrl = String((await proxy.next('listening', spec.timeoutMs))['url']);
    await proxy.next('ready', spec.timeoutMs);
    return { inference, proxy, inferenceUrl, proxyUrl };
  } catch (e) {
    if (proxy) await proxy.stop(spec.failSignal, spec.failGraceMs);
    await inference.stop(spec.failSignal, spec.failGraceMs);
    throw e;
  }
}

function inferenceArgs(options: ServeSettings, common: readonly string[], redisUrl: string | undefined): string[] {
  const args = ['--host', options.host, '--port', String(options.inferencePort), '--backend', options.backend, ...common];
  if (options.workloadSeed !== undefined) args.push('--workload-seed', String(options.workloadSeed));
  if (options.workloads !== undefined) args.push('--workloads', options.workloads);
  if (options.inferenceWorkers !== undefined) args.push('--workers', String(options.inferenceWorkers));
  if (redisUrl !== undefined) args.push('--redis', redisUrl);
  if (options.keyCacheDir !== undefined) args.push('--key-cache-dir', options.keyCacheDir);
  return args;
}

function proxyArgs(options: ServeSettings, common: readonly string[], inferenceUrl: string): string[] {
  const args = ['--host', options.host, '--port', String(options.port), '--upstream', inferenceUrl, '--backend', options.backend, ...common];
  if (options.keyFile) args.push('--key-file', options.keyFile);
  if (options.batching === false) args.push('--no-batching');
  else if (options.batchWindow !== undefined) args.push('--batch-window', String(options.batchWindow));
  if (options.maxBatch !== undefined) args.push('--max-batch', String(options.maxBatch));
  if (options.promptCacheBytes !== undefined) args.push('--prompt-cache-bytes', String(options.promptCacheBytes));
  if (options.clientTokensFile) args.push('--client-tokens-file', options.clientTokensFile);
  if (options.tlsCert && options.tlsKey) args.push('--tls-cert', options.tlsCert, '--tls-key', options.tlsKey);
  if (options.workers !== undefined) args.push('--workers', String(options.workers));
  return args;
}

async function startRedisIfLocal(options: ServeSettings, io: Io): Promise<LocalRedis | undefined> {
  if (options.redis !== 'local') return undefined;
  let redis: LocalRedis;
  try {
    redis = await startLocalRedis();
  } catch (e) {
    throw new LabError('INFRA', `--redis local: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  io.stderr.write(`redis-server ${redis.url} (L2 key cache, stopped with the services)\n`);
  return redis;
}

/** Start both services (and a private Redis with `redis: 'local'`); the caller decides when to stop them. */
export async function startServices(options: ServeSettings, io: Io): Promise<ServeHandle> {
  const token = options.token || process.env['HLP_SERVICE_TOKEN'] || randomBytes(24).toString('base64url');
  const env: NodeJS.ProcessEnv = { ...process.env, HLP_SERVICE_TOKEN: token };
  // Client tokens reach the proxy through its environment too, never its command line.
  if (options.clientTokens) env['HLP_CLIENT_TOKENS'] = options.clientTokens;
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw new LabError('USAGE', '--tls-cert and --tls-key go together');
  const common = [...(options.quiet ? ['--quiet'] : [])];
  const redis = await startRedisIfLocal(options, io);
  const redisUrl = redis?.url ?? options.redis;
  let pair: RunningPair;
  try {
    pair = await startPair(
      {
        env,
        inferenceArgs: inferenceArgs(options, common, redisUrl),
        proxyArgs: (url) => proxyArgs(options, common, url),
        timeoutMs: options.startTimeout * 1000,
        failSignal: 'SIGTERM',
        failGraceMs: 2000,
      },
      io,
    );
  } catch (e) {
    await redis?.stop();
    throw e;
  }
  const { inference, proxy } = pair;
  return {
    inferenceUrl: pair.inferenceUrl,
    proxyUrl: pair.proxyUrl,
    ...(redisUrl === undefined ? {} : { redisUrl }),
    exited: Promise.race([inference.exit.then((code) => ({ name: 'inference', code })), proxy.exit.then((code) => ({ name: 'proxy', code }))]),
    async stop() {
      await proxy.stop();
      await inference.stop();
      await redis?.stop();
    },
  };
}
