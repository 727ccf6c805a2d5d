/**
 * `hlp-inference` command line (USAGE below). The token may also come from HLP_SERVICE_TOKEN,
 * the Redis URL from HLP_REDIS_URL. Once listening it prints one JSON line on stdout,
 * `{"event":"listening","service":"inference","url":"http://127.0.0.1:8081"}`; logs are JSON
 * lines on stderr. SIGINT/SIGTERM close the listener (new connections are refused), let
 * in-flight work finish, and exit 0.
 *
 * `--workers N` (N > 1): the primary forks N workers (node:cluster) that share the port; each
 * has its own L1 key cache, and they share L2/L3; GET /metrics on any of them answers the
 * metrics of all workers aggregated by the primary (prom-client AggregatorRegistry).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WORKLOAD_NAMES, type WorkloadName } from '@hlp/model';
import { UsageError, int, limitsGiven, runService, type ConnectionLimits, type LogFn, type ServiceDefinition, type WorkerShare } from '@hlp/service-runtime';
import { startInference, type InferenceConfig, type InferenceServer } from './server.js';

export { UsageError };

export const USAGE = `usage: hlp-inference [--host 127.0.0.1] [--port 8081] [--token T] [--backend native|seal]
  [--workload-seed N] [--workloads affine,projection,mlp] [--outputs 64] [--n 8192|16384]
  [--max-body-bytes B] [--max-ciphertexts C] [--max-queue Q] [--warm] [--quiet]
  key cache:  [--key-cache-bytes B (L1)] [--redis redis://127.0.0.1:6379 (L2)] [--redis-key-ttl S]
              [--key-cache-dir DIR (L3)] [--key-cache-disk-bytes B]
  transport:  [--tls-cert PEM --tls-key PEM] [--max-streams N] [--keep-alive-ms MS]
              [--header-timeout-ms 10000] [--body-timeout-ms 30000] [--max-connections 1024] [--drain-timeout-ms MS]
  processes:  [--workers N]
The service token may also be given as HLP_SERVICE_TOKEN, the Redis URL as HLP_REDIS_URL.`;

/** The shared L3 directory a cluster primary made for its workers. */
const SHARED_DIR_ENV = 'HLP_INFERENCE_SHARED_KEY_DIR';

export interface InferenceCli extends InferenceConfig {
  readonly quiet: boolean;
  readonly workers: number;
}

/** Parse the command line into a config (throws UsageError). Returns undefined for --help. */
export function parseInferenceArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): InferenceCli | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        token: { type: 'string' },
        backend: { type: 'string' },
        'workload-seed': { type: 'string' },
        workloads: { type: 'string' },
        outputs: { type: 'string' },
        n: { type: 'string' },
        'max-body-bytes': { type: 'string' },
        'max-ciphertexts': { type: 'string' },
        'max-queue': { type: 'string' },
        'key-cache-bytes': { type: 'string' },
        redis: { type: 'string' },
        'redis-key-ttl': { type: 'string' },
        'key-cache-dir': { type: 'string' },
        'key-cache-disk-bytes': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'max-streams': { type: 'string' },
        'keep-alive-ms': { type: 'string' },
        'header-timeout-ms': { type: 'string' },
        'body-timeout-ms': { type: 'string' },
        'max-connections': { type: 'string' },
        'drain-timeout-ms': { type: 'string' },
        workers: { type: 'string' },
        warm: { type: 'boolean' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) return undefined;
  const backend = values.backend ?? 'native';
  if (backend !== 'native' && backend !== 'seal') throw new UsageError(`--backend must be native or seal, got ${backend}`);
  let workloads: WorkloadName[] | undefined;
  if (values.workloads !== undefined) {
    workloads = values.workloads
      .split(',')
      .map((w) => w.trim())
      .filter((w) => w !== '') as WorkloadName[];
    const bad = workloads.filter((w) => !(WORKLOAD_NAMES as readonly string[]).includes(w));
    if (bad.length > 0 || workloads.length === 0) throw new UsageError(`--workloads takes a list of ${WORKLOAD_NAMES.join(', ')}`);
  }
  const n = int('n', values.n, 8192, 32768);
  if (n !== undefined && n !== 8192 && n !== 16384 && n !== 32768) throw new UsageError('--n must be 8192, 16384 or 32768');
  const token = values.token ?? env['HLP_SERVICE_TOKEN'];
  const redisUrl = values.redis ?? env['HLP_REDIS_URL'];
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) throw new UsageError(`--redis takes a redis:// URL, got ${redisUrl}`);
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  let tls: InferenceConfig['tls'];
  if (values['tls-cert'] !== undefined && values['tls-key'] !== undefined) {
    try {
      tls = { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) };
    } catch (e) {
      throw new UsageError(`cannot read the TLS certificate or key: ${(e as Error).message}`);
    }
  }
  const cfg: InferenceCli = {
    host: values.host ?? '127.0.0.1',
    port: int('port', values.port, 0, 65535) ?? 8081,
    backend,
    quiet: values.quiet ?? false,
    warm: values.warm ?? false,
    workers: int('workers', values.workers, 1, 256) ?? 1,
    ...(token ? { token } : {}),
    ...(workloads ? { workloads } : {}),
    ...(n ? { n: n } : {}),
    ...(redisUrl ? { redisUrl } : {}),
    ...(values['key-cache-dir'] ? { keyCacheDir: values['key-cache-dir'] } : {}),
    ...(tls ? { tls } : {}),
  };
  const opt = (key: keyof InferenceConfig, v: number | undefined): void => {
    if (v !== undefined) (cfg as unknown as Record<string, unknown>)[key] = v;
  };
  opt('workloadSeed', int('workload-seed', values['workload-seed'], 0));
  opt('outputs', int('outputs', values.outputs, 1, 1024));
  opt('maxBodyBytes', int('max-body-bytes', values['max-body-bytes'], 1024));
  opt('maxCiphertexts', int('max-ciphertexts', values['max-ciphertexts'], 1));
  opt('maxQueue', int('max-queue', values['max-queue'], 1));
  opt('keyCacheBytes', int('key-cache-bytes', values['key-cache-bytes'], 1));
  opt('redisKeyTtlSeconds', int('redis-key-ttl', values['redis-key-ttl'], 0));
  opt('keyCacheDiskBytes', int('key-cache-disk-bytes', values['key-cache-disk-bytes'], 1));
  opt('maxConcurrentStreams', int('max-streams', values['max-streams'], 1, 2 ** 31 - 1));
  opt('keepAliveTimeoutMs', int('keep-alive-ms', values['keep-alive-ms'], 0));
  const connectionLimits = limitsGiven({
    headerTimeoutMs: int('header-timeout-ms', values['header-timeout-ms'], 1),
    bodyTimeoutMs: int('body-timeout-ms', values['body-timeout-ms'], 1),
    maxConnections: int('max-connections', values['max-connections'], 1),
  });
  if (connectionLimits) (cfg as { connectionLimits?: Partial<ConnectionLimits> }).connectionLimits = connectionLimits;
  opt('drainTimeoutMs', int('drain-timeout-ms', values['drain-timeout-ms'], 0));
  return cfg;
}

/**
 * Workers have an L1 each: without Redis or a directory they would not see each other's
 * uploads, so they get a shared L3 directory (temporary, removed at exit).
 */
async function shareKeyCache(cli: InferenceCli, log: LogFn): Promise<WorkerShare> {
  if (cli.redisUrl || cli.keyCacheDir) return { cleanup: () => Promise.resolve() };
  const dir = await mkdtemp(join(tmpdir(), 'hlp-inference-keys-'));
  log('info', 'workers share a temporary L3 key cache (give --redis or --key-cache-dir to keep keys across restarts)', { dir });
  return { env: { [SHARED_DIR_ENV]: dir }, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The inference service as the shared service lifecycle runs it. */
export const INFERENCE_SERVICE: ServiceDefinition<InferenceCli, InferenceServer> = {
  name: 'inference',
  usage: USAGE,
  parseArgs: (argv) => parseInferenceArgs(argv),
  start: (cli, log, role) =>
    startInference({
      ...cli,
      ...(role.worker && process.env[SHARED_DIR_ENV] ? { keyCacheDir: process.env[SHARED_DIR_ENV] } : {}),
      log,
      ...(role.metricsSource ? { metricsSource: role.metricsSource } : {}),
    }),
  shareWithWorkers: (cli, log) => shareKeyCache(cli, log),
  drainWords: { process: 'draining and shutting down', workers: 'stopping' },
};

/** Runs the service until SIGINT/SIGTERM; resolves to the exit code. */
export function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  return runService(INFERENCE_SERVICE, argv);
}
