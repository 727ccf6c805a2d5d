/**
 * `hlp serve`: the system under test on loopback. Starts the inference service, then the proxy
 * pointed at it, each as its own process (`hlp-inference`, `hlp-proxy`; separate event loops,
 * separately measurable CPU and RSS), on free ports unless given; prints their addresses once
 * the proxy has uploaded its keys; stops both (proxy first) on Ctrl-C / SIGTERM.
 *
 * The service token between them is `--token`, else HLP_SERVICE_TOKEN, else a fresh random one;
 * it reaches the children through their environment, never their command line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { startLocalRedis, type LocalRedis } from '@hlp/procs';
import { SERVICE_NODE_FLAGS } from '@hlp/service-runtime';
import { LabError } from '../errors.js';
import type { Io } from './bench-kernels.js';

const WORKLOADS = ['affine', 'projection', 'mlp'] as const;

const ServeOptions = z.object({
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
  redis: z.string().regex(/^(rediss?:\/\/.+|local)$/, "a redis:// URL, or 'local' to start a private redis-server").optional(),
  keyCacheDir: z.string().optional(),
});
type ServeOptions = z.infer<typeof ServeOptions>;

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

/** Path of an app's bin script, from its package.json. */
export function binOf(pkg: string, bin: string): string {
  const require = createRequire(import.meta.url);
  let manifestPath: string;
  try {
    manifestPath = require.resolve(`${pkg}/package.json`);
  } catch (e) {
    throw new LabError('INFRA', `${pkg} is not installed (run npm install at the repository root)`, { cause: e });
  }
  const manifest = z.object({ bin: z.record(z.string(), z.string()) }).parse(JSON.parse(readFileSync(manifestPath, 'utf8')));
  const rel = manifest.bin[bin];
  if (!rel) throw new LabError('INFRA', `${pkg} has no bin ${bin}`);
  return join(dirname(manifestPath), rel);
}

interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  /** JSON events the child printed on stdout. */
  next(event: string, timeoutMs: number): Promise<Record<string, unknown>>;
  readonly exit: Promise<number | null>;
}

function startChild(name: string, script: string, args: readonly string[], env: NodeJS.ProcessEnv, io: Io): Child {
  const proc = spawn(process.execPath, [...SERVICE_NODE_FLAGS, script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  const waiters: (() => void)[] = [];
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    try {
      const ev = JSON.parse(line) as Record<string, unknown>;
      if (typeof ev === 'object' && ev !== null && typeof ev['event'] === 'string') {
        events.push(ev);
        for (const w of waiters.splice(0)) w();
        return;
      }
    } catch {
      /* not an event */
    }
    io.stderr.write(`[${name}] ${line}\n`);
  });
  createInterface({ input: proc.stderr! }).on('line', (line) => io.stderr.write(`[${name}] ${line}\n`));
  return {
    name,
    proc,
    exit,
    async next(event, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find((e) => e['event'] === event);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new LabError('INFRA', `${name} did not report '${event}' within ${Math.round(timeoutMs / 1000)} s`);
        const code = await Promise.race([
          exit.then((c) => ({ exited: c })),
          new Promise<undefined>((resolve) => {
            const t = setTimeout(() => resolve(undefined), left);
            waiters.push(() => {
              clearTimeout(t);
              resolve(undefined);
            });
          }),
        ]);
        if (code && !events.some((e) => e['event'] === event)) {
          throw new LabError('INFRA', `${name} exited (code ${String(code.exited)}) before reporting '${event}'; see its log above`);
        }
      }
    },
  };
}

async function stopChild(c: Child, graceMs = 15_000): Promise<void> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return;
  c.proc.kill('SIGTERM');
  const t = setTimeout(() => c.proc.kill('SIGKILL'), graceMs);
  await c.exit;
  clearTimeout(t);
}

/** Start both services; the caller decides when to stop them. */
export async function startServices(options: ServeOptions, io: Io): Promise<ServeHandle> {
  const token = options.token || process.env['HLP_SERVICE_TOKEN'] || randomBytes(24).toString('base64url');
  const env: NodeJS.ProcessEnv = { ...process.env, HLP_SERVICE_TOKEN: token };
  // Client tokens reach the proxy through its environment too, never its command line.
  if (options.clientTokens) env['HLP_CLIENT_TOKENS'] = options.clientTokens;
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) throw new LabError('USAGE', '--tls-cert and --tls-key go together');
  const timeoutMs = options.startTimeout * 1000;
  const common = [...(options.quiet ? ['--quiet'] : [])];
  const infArgs = ['--host', options.host, '--port', String(options.inferencePort), '--backend', options.backend, ...common];
  if (options.workloadSeed !== undefined) infArgs.push('--workload-seed', String(options.workloadSeed));
  if (options.workloads !== undefined) infArgs.push('--workloads', options.workloads);
  if (options.inferenceWorkers !== undefined) infArgs.push('--workers', String(options.inferenceWorkers));
  let redis: LocalRedis | undefined;
  if (options.redis === 'local') {
    try {
      redis = await startLocalRedis();
    } catch (e) {
      throw new LabError('INFRA', `--redis local: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    io.stderr.write(`redis-server ${redis.url} (L2 key cache, stopped with the services)\n`);
  }
  const redisUrl = redis?.url ?? options.redis;
  if (redisUrl !== undefined) infArgs.push('--redis', redisUrl);
  if (options.keyCacheDir !== undefined) infArgs.push('--key-cache-dir', options.keyCacheDir);
  const inference = startChild('inference', binOf('@hlp/inference', 'hlp-inference'), infArgs, env, io);
  let proxy: Child | undefined;
  try {
    const infUrl = String((await inference.next('listening', timeoutMs))['url']);
    const pxArgs = ['--host', options.host, '--port', String(options.port), '--upstream', infUrl, '--backend', options.backend, ...common];
    if (options.keyFile) pxArgs.push('--key-file', options.keyFile);
    if (options.batching === false) pxArgs.push('--no-batching');
    else if (options.batchWindow !== undefined) pxArgs.push('--batch-window', String(options.batchWindow));
    if (options.maxBatch !== undefined) pxArgs.push('--max-batch', String(options.maxBatch));
    if (options.promptCacheBytes !== undefined) pxArgs.push('--prompt-cache-bytes', String(options.promptCacheBytes));
    if (options.clientTokensFile) pxArgs.push('--client-tokens-file', options.clientTokensFile);
    if (options.tlsCert && options.tlsKey) pxArgs.push('--tls-cert', options.tlsCert, '--tls-key', options.tlsKey);
    if (options.workers !== undefined) pxArgs.push('--workers', String(options.workers));
    proxy = startChild('proxy', binOf('@hlp/proxy', 'hlp-proxy'), pxArgs, env, io);
    const pxUrl = String((await proxy.next('listening', timeoutMs))['url']);
    await proxy.next('ready', timeoutMs);
    const px = proxy;
    return {
      inferenceUrl: infUrl,
      proxyUrl: pxUrl,
      ...(redisUrl === undefined ? {} : { redisUrl }),
      exited: Promise.race([inference.exit.then((code) => ({ name: 'inference', code })), px.exit.then((code) => ({ name: 'proxy', code }))]),
      async stop() {
        await stopChild(px);
        await stopChild(inference);
        await redis?.stop();
      },
    };
  } catch (e) {
    if (proxy) await stopChild(proxy, 2000);
    await stopChild(inference, 2000);
    await redis?.stop();
    throw e;
  }
}

/** `hlp serve`: start, print the addresses, run until Ctrl-C / SIGTERM (or a child dies). */
export async function serve(rawOptions: unknown, io: Io): Promise<void> {
  const parsed = ServeOptions.safeParse(rawOptions);
  if (!parsed.success) throw new LabError('USAGE', `invalid options: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const opts = parsed.data;
  let stopRequested: ((signal: string) => void) | undefined;
  const stopSignal = new Promise<string>((resolve) => (stopRequested = resolve));
  const onSignal = (signal: string) => (): void => stopRequested?.(signal);
  const sigint = onSignal('SIGINT');
  const sigterm = onSignal('SIGTERM');
  process.on('SIGINT', sigint);
  process.on('SIGTERM', sigterm);
  try {
    const handle = await startServices(opts, io);
    if (opts.json) {
      io.stdout.write(`${JSON.stringify({ event: 'serving', inference: handle.inferenceUrl, proxy: handle.proxyUrl, redis: handle.redisUrl ?? null })}\n`);
    } else {
      const redisLine = handle.redisUrl === undefined ? '' : `redis      ${handle.redisUrl}   (L2 key cache)\n`;
      io.stdout.write(`${redisLine}inference  ${handle.inferenceUrl}\nproxy      ${handle.proxyUrl}   (OpenAI base URL ${handle.proxyUrl}/v1)\nCtrl-C stops both.\n`);
    }
    const outcome = await Promise.race([stopSignal.then((s) => ({ signal: s })), handle.exited]);
    if ('signal' in outcome) io.stderr.write(`${outcome.signal}: stopping the proxy, then the inference service\n`);
    await handle.stop();
    if (!('signal' in outcome)) throw new LabError('INFRA', `${outcome.name} exited unexpectedly (code ${String(outcome.code)})`);
  } finally {
    process.off('SIGINT', sigint);
    process.off('SIGTERM', sigterm);
  }
}

export function registerServeCommand(program: Command, io: Io): void {
  program
    .command('serve')
    .description('start the inference service and the proxy on loopback (free ports unless given), print their addresses, stop both on Ctrl-C / SIGTERM')
    .option('--host <host>', 'address both listen on', '127.0.0.1')
    .option('--port <port>', 'proxy port (0: a free one)', '0')
    .option('--inference-port <port>', 'inference service port (0: a free one)', '0')
    .addOption(new Option('--backend <name>', 'CKKS backend of the proxy (encryption) and of the inference service (every workload)').choices(['native', 'seal']).default('native'))
    .option('--workload-seed <n>', 'seed of the server-owned workload weights')
    .option('--workloads <list>', `workloads to serve (${WORKLOADS.join(',')}; default all)`)
    .option('--token <token>', 'service-to-service bearer token (default $HLP_SERVICE_TOKEN or a random one)')
    .option('--key-file <path>', "the proxy's key file (loaded if present, else written with mode 0600)")
    .option('--start-timeout <s>', 'seconds to wait for each service to come up', '120')
    .option('--batch-window <ms>', 'proxy: request batching window (default 50; 0 turns batching off)')
    .option('--no-batching', 'proxy: every request on its own (same as --batch-window 0)')
    .option('--max-batch <n>', 'proxy: requests per batch at most (default 32)')
    .option('--prompt-cache-bytes <n>', 'proxy: cache of encrypted prompt blocks (default 0 = off; equal prompts then give equal ciphertexts upstream)')
    .option('--client-tokens <list>', 'proxy: client API keys (comma-separated); /v1 then needs Authorization: Bearer <key>')
    .option('--client-tokens-file <path>', 'proxy: client API keys, one per line')
    .option('--tls-cert <pem>', 'proxy: serve HTTPS (ALPN h2 + http/1.1) with this certificate (and --tls-key)')
    .option('--tls-key <pem>', "proxy: the certificate's private key")
    .option('--workers <n>', 'proxy: processes sharing the port (node:cluster; default 1)')
    .option('--inference-workers <n>', 'inference service: processes sharing its port (default 1)')
    .option('--redis <url|local>', "inference service: L2 key cache in Redis (redis://127.0.0.1:6379), or 'local': start a private redis-server on a free loopback port and stop it with the services")
    .option('--key-cache-dir <dir>', 'inference service: L3 key cache directory')
    .option('--json', 'print one JSON line {event:"serving", inference, proxy} instead of text')
    .option('--quiet', "only the services' warnings and errors on stderr")
    .action(async (_options: unknown, command: Command) => {
      await serve(command.opts(), io);
    });
}
