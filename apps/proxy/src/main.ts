/**
 * `hlp-proxy` command line (USAGE below). The service token may also come from
 * HLP_SERVICE_TOKEN, the upstream from HLP_UPSTREAM, client tokens from HLP_CLIENT_TOKENS. Once
 * listening it prints `{"event":"listening","service":"proxy","url":…}` on stdout, and
 * `{"event":"ready",…}` once the keys are uploaded. SIGINT/SIGTERM drain (no new connections,
 * in-flight requests answered) and exit 0; a start-up failure that retrying cannot fix (bad key
 * file, refused keys, bad token) exits 1.
 *
 * `--workers N` (N > 1): the primary prepares one key file for all (cluster.ts), forks N workers
 * sharing the port (node:cluster), and answers GET /metrics (through any worker) with every
 * worker's metrics aggregated (prom-client AggregatorRegistry).
 */
import { parseArgs } from 'node:util';
import { MAX_BATCH_WORKER_NICE } from '@hlp/ckks';
import { PACKING_LAYOUTS, type PackingLayout } from '@hlp/model';
import { parseTokenList } from '@hlp/protocol';
import { UsageError, int, limitsGiven, readText, runService, type ConnectionLimits, type ServiceDefinition } from '@hlp/service-runtime';
import { KEY_FILE_ENV, prepareSharedKeys } from './cluster.js';
import { startProxy, type ProxyConfig, type ProxyServer } from './server.js';

export { UsageError };

export const USAGE = `usage: hlp-proxy --upstream http://127.0.0.1:8081 [--host 127.0.0.1] [--port 8080] [--token T]
  [--backend native|seal] [--key-file PATH] [--embedding-seed N] [--layout blocked|dense|dimension-major]
  [--encryption symmetric|public] [--seed-stream aes256ctr|shake256] [--data-level min|max] [--encrypt-threads N] [--worker-nice 0-19 (10)]
  [--no-embed-thread] [--upstream-thread]
  [--max-body-bytes B] [--max-prompt-tokens T] [--max-request-tokens T] [--quiet]
  batching:     [--batch-window MS (default 50; 0 = off)] [--no-batching] [--max-batch N (32)] [--max-batch-tokens T]
                [--max-inflight-ciphertexts 384 (the bound on memory)]
  prompt cache: [--prompt-cache-bytes B (default 0 = off; equal prompts then give equal ciphertexts upstream)]
  clients:      [--client-tokens a,b,c] [--client-tokens-file PATH]
  backpressure: [--max-in-flight R] [--upstream-concurrency C] [--upstream-timeout-ms MS]
                [--breaker-failures N] [--breaker-cooldown-ms MS] [--drain-timeout-ms MS]
  transport:    [--tls-cert PEM --tls-key PEM] [--upstream-ca PEM] [--max-streams N] [--keep-alive-ms MS]
                [--header-timeout-ms 10000] [--body-timeout-ms 30000] [--max-connections 1024]
                [--compress-min-bytes B (0 = off)]
  processes:    [--workers N]
The service token may also be given as HLP_SERVICE_TOKEN, the upstream as HLP_UPSTREAM, client
tokens as HLP_CLIENT_TOKENS.`;

export interface ProxyCli extends ProxyConfig {
  readonly quiet: boolean;
  readonly workers: number;
}

export function parseProxyArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ProxyCli | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        upstream: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        token: { type: 'string' },
        backend: { type: 'string' },
        'key-file': { type: 'string' },
        'embedding-seed': { type: 'string' },
        layout: { type: 'string' },
        encryption: { type: 'string' },
        'seed-stream': { type: 'string' },
        'max-body-bytes': { type: 'string' },
        'max-prompt-tokens': { type: 'string' },
        'max-request-tokens': { type: 'string' },
        'max-in-flight': { type: 'string' },
        'upstream-timeout-ms': { type: 'string' },
        'upstream-concurrency': { type: 'string' },
        'upstream-ca': { type: 'string' },
        'data-level': { type: 'string' },
        'encrypt-threads': { type: 'string' },
        'worker-nice': { type: 'string' },
        'batch-window': { type: 'string' },
        'no-batching': { type: 'boolean' },
        'no-embed-thread': { type: 'boolean' },
        'upstream-thread': { type: 'boolean' },
        'max-batch': { type: 'string' },
        'max-batch-tokens': { type: 'string' },
        'prompt-cache-bytes': { type: 'string' },
        'client-tokens': { type: 'string' },
        'client-tokens-file': { type: 'string' },
        'breaker-failures': { type: 'string' },
        'breaker-cooldown-ms': { type: 'string' },
        'drain-timeout-ms': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'max-streams': { type: 'string' },
        'keep-alive-ms': { type: 'string' },
        'max-inflight-ciphertexts': { type: 'string' },
        'header-timeout-ms': { type: 'string' },
        'body-timeout-ms': { type: 'string' },
        'max-connections': { type: 'string' },
        'compress-min-bytes': { type: 'string' },
        workers: { type: 'string' },
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
  const upstream = values.upstream ?? env['HLP_UPSTREAM'];
  if (!upstream) throw new UsageError('--upstream is required (the inference service, e.g. http://127.0.0.1:8081)');
  let url: URL;
  try {
    url = new URL(upstream);
  } catch {
    throw new UsageError(`--upstream ${upstream} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('--upstream must be an http:// (h2c) or https:// URL');
  const backend = values.backend ?? 'native';
  if (backend !== 'native' && backend !== 'seal') throw new UsageError(`--backend must be native or seal, got ${backend}`);
  const layout = values.layout;
  if (layout !== undefined && !(PACKING_LAYOUTS as readonly string[]).includes(layout))
    throw new UsageError(`--layout must be one of ${PACKING_LAYOUTS.join(', ')}`);
  const encryption = values.encryption;
  if (encryption !== undefined && encryption !== 'symmetric' && encryption !== 'public') throw new UsageError('--encryption must be symmetric or public');
  const seedStream = values['seed-stream'];
  if (seedStream !== undefined && seedStream !== 'aes256ctr' && seedStream !== 'shake256') throw new UsageError('--seed-stream must be aes256ctr or shake256');
  const token = values.token ?? env['HLP_SERVICE_TOKEN'];
  const dataLevel = values['data-level'] ?? 'min';
  if (dataLevel !== 'min' && dataLevel !== 'max') throw new UsageError('--data-level must be min or max');
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const tls =
    values['tls-cert'] !== undefined && values['tls-key'] !== undefined
      ? { cert: readText('--tls-cert', values['tls-cert']), key: readText('--tls-key', values['tls-key']) }
      : undefined;
  const clientTokens = [
    ...parseTokenList(values['client-tokens'] ?? env['HLP_CLIENT_TOKENS'] ?? ''),
    ...(values['client-tokens-file'] ? parseTokenList(readText('--client-tokens-file', values['client-tokens-file']).toString('utf8')) : []),
  ];
  if ((values['client-tokens'] !== undefined || values['client-tokens-file'] !== undefined) && clientTokens.length === 0) {
    throw new UsageError('--client-tokens / --client-tokens-file name no token');
  }
  for (const t of clientTokens) {
    if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(t)) throw new UsageError('a client token may only hold the characters A-Z a-z 0-9 - . _ ~ + / (and trailing =)');
  }
  const window = int('batch-window', values['batch-window'], 0, 60_000);
  const cfg: ProxyCli = {
    upstream: url.origin,
    host: values.host ?? '127.0.0.1',
    port: int('port', values.port, 0, 65535) ?? 8080,
    backend,
    ...(layout ? { layout: layout as PackingLayout } : {}),
    ...(encryption ? { encryption } : {}),
    ...(seedStream ? { seedStream } : {}),
    dataLevel,
    quiet: values.quiet ?? false,
    workers: int('workers', values.workers, 1, 256) ?? 1,
    batchWindowMs: values['no-batching'] ? 0 : (window ?? 50),
    ...(values['no-embed-thread'] ? { embedThread: false } : {}),
    ...(values['upstream-thread'] ? { upstreamThread: true } : {}),
    ...(token ? { token } : {}),
    ...(values['key-file'] ? { keyFile: values['key-file'] } : {}),
    ...(values['upstream-ca'] ? { upstreamCa: readText('--upstream-ca', values['upstream-ca']) } : {}),
    ...(tls ? { tls } : {}),
    ...(clientTokens.length > 0 ? { clientTokens } : {}),
  };
  const opt = (key: keyof ProxyConfig, v: number | undefined): void => {
    if (v !== undefined) (cfg as unknown as Record<string, unknown>)[key] = v;
  };
  opt('embeddingSeed', int('embedding-seed', values['embedding-seed'], 0));
  opt('maxBodyBytes', int('max-body-bytes', values['max-body-bytes'], 1024));
  opt('maxPromptTokens', int('max-prompt-tokens', values['max-prompt-tokens'], 1, 1024));
  opt('maxRequestTokens', int('max-request-tokens', values['max-request-tokens'], 1));
  opt('maxInFlight', int('max-in-flight', values['max-in-flight'], 1));
  opt('upstreamTimeoutMs', int('upstream-timeout-ms', values['upstream-timeout-ms'], 1));
  opt('upstreamConcurrency', int('upstream-concurrency', values['upstream-concurrency'], 1, 10_000));
  opt('encryptThreads', int('encrypt-threads', values['encrypt-threads'], 0, 64));
  opt('workerNice', int('worker-nice', values['worker-nice'], 0, MAX_BATCH_WORKER_NICE));
  opt('maxBatchRequests', int('max-batch', values['max-batch'], 1, 4096));
  opt('maxBatchTokens', int('max-batch-tokens', values['max-batch-tokens'], 1));
  opt('maxInFlightCiphertexts', int('max-inflight-ciphertexts', values['max-inflight-ciphertexts'], 1));
  opt('promptCacheBytes', int('prompt-cache-bytes', values['prompt-cache-bytes'], 0));
  opt('breakerFailures', int('breaker-failures', values['breaker-failures'], 1));
  opt('breakerCooldownMs', int('breaker-cooldown-ms', values['breaker-cooldown-ms'], 1));
  opt('drainTimeoutMs', int('drain-timeout-ms', values['drain-timeout-ms'], 0));
  opt('maxConcurrentStreams', int('max-streams', values['max-streams'], 1, 2 ** 31 - 1));
  opt('keepAliveTimeoutMs', int('keep-alive-ms', values['keep-alive-ms'], 0));
  const connectionLimits = limitsGiven({
    headerTimeoutMs: int('header-timeout-ms', values['header-timeout-ms'], 1),
    bodyTimeoutMs: int('body-timeout-ms', values['body-timeout-ms'], 1),
    maxConnections: int('max-connections', values['max-connections'], 1),
  });
  if (connectionLimits) (cfg as { connectionLimits?: Partial<ConnectionLimits> }).connectionLimits = connectionLimits;
  opt('compressMinBytes', int('compress-min-bytes', values['compress-min-bytes'], 0));
  return cfg;
}

/** The proxy as the shared service lifecycle runs it. */
export const PROXY_SERVICE: ServiceDefinition<ProxyCli, ProxyServer> = {
  name: 'proxy',
  usage: USAGE,
  parseArgs: (argv) => parseProxyArgs(argv),
  listeningFields: (cli) => ({ upstream: cli.upstream }),
  start: (cli, log, role) =>
    startProxy({
      ...cli,
      log,
      ...(role.worker && process.env[KEY_FILE_ENV] ? { keyFile: process.env[KEY_FILE_ENV] } : {}),
      ...(role.metricsSource ? { metricsSource: role.metricsSource } : {}),
    }),
  whenReady: async (server) => {
    await server.ready;
    return { announced: { keyId: server.keyId(), backend: server.backendName() }, reported: { keyId: server.keyId() } };
  },
  // One key set for every worker, prepared before they are forked (cluster.ts).
  shareWithWorkers: async (cli, log, stopped) => {
    const keys = await prepareSharedKeys(cli, log, stopped);
    return { env: { [KEY_FILE_ENV]: keys.keyFile }, readyFields: { keyId: keys.keyId }, cleanup: () => keys.cleanup() };
  },
};

/** Runs the proxy until SIGINT/SIGTERM; resolves to the exit code. */
export function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  return runService(PROXY_SERVICE, argv);
}
