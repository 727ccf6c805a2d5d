/**
 * `hlp-proxy` command line:
 *
 *   hlp-proxy --upstream http://127.0.0.1:8081 [--host 127.0.0.1] [--port 8080] [--token T]
 *             [--backend native|seal] [--key-file PATH] [--embedding-seed N] [--layout blocked|dense]
 *             [--encryption symmetric|public] [--max-body-bytes B] [--max-prompt-tokens T]
 *             [--max-request-tokens T] [--max-in-flight R] [--upstream-timeout-ms MS] [--quiet]
 *
 * The service token may also come from HLP_SERVICE_TOKEN, the upstream from HLP_UPSTREAM. Once
 * listening it prints `{"event":"listening","service":"proxy","url":…}` on stdout, and
 * `{"event":"ready",…}` once the keys are uploaded. SIGINT/SIGTERM drain and exit 0; a start-up
 * failure that retrying cannot fix (bad key file, refused keys, bad token) exits 1.
 */
import { parseArgs } from 'node:util';
import { PACKING_LAYOUTS, type PackingLayout } from '@hlp/model';
import { stderrLogger } from './log.js';
import { startProxy, type ProxyConfig } from './server.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `usage: hlp-proxy --upstream http://127.0.0.1:8081 [--host 127.0.0.1] [--port 8080] [--token T]
  [--backend native|seal] [--key-file PATH] [--embedding-seed N] [--layout blocked|dense]
  [--encryption symmetric|public] [--max-body-bytes B] [--max-prompt-tokens T] [--max-request-tokens T]
  [--max-in-flight R] [--upstream-timeout-ms MS] [--quiet]
The service token may also be given as HLP_SERVICE_TOKEN, the upstream as HLP_UPSTREAM.`;

function int(name: string, v: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got ${v}`);
  return Number(v);
}

export function parseProxyArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): (ProxyConfig & { quiet: boolean }) | undefined {
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
        'max-body-bytes': { type: 'string' },
        'max-prompt-tokens': { type: 'string' },
        'max-request-tokens': { type: 'string' },
        'max-in-flight': { type: 'string' },
        'upstream-timeout-ms': { type: 'string' },
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
  if (url.protocol !== 'http:') throw new UsageError('--upstream must be an http:// URL (h2c); TLS upstreams come later');
  const backend = values.backend ?? 'native';
  if (backend !== 'native' && backend !== 'seal') throw new UsageError(`--backend must be native or seal, got ${backend}`);
  const layout = values.layout ?? 'blocked';
  if (!(PACKING_LAYOUTS as readonly string[]).includes(layout)) throw new UsageError(`--layout must be one of ${PACKING_LAYOUTS.join(', ')}`);
  const encryption = values.encryption ?? 'public';
  if (encryption !== 'symmetric' && encryption !== 'public') throw new UsageError('--encryption must be symmetric or public');
  const token = values.token ?? env['HLP_SERVICE_TOKEN'];
  const cfg: ProxyConfig & { quiet: boolean } = {
    upstream: url.origin,
    host: values.host ?? '127.0.0.1',
    port: int('port', values.port, 0, 65535) ?? 8080,
    backend,
    layout: layout as PackingLayout,
    encryption,
    quiet: values.quiet ?? false,
    ...(token ? { token } : {}),
    ...(values['key-file'] ? { keyFile: values['key-file'] } : {}),
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
  return cfg;
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  let cfg;
  try {
    cfg = parseProxyArgs(argv);
  } catch (e) {
    process.stderr.write(`hlp-proxy: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!cfg) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const log = stderrLogger('proxy', cfg.quiet);
  let server;
  try {
    server = await startProxy({ ...cfg, log });
  } catch (e) {
    log('error', `failed to start: ${(e as Error).message}`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify({ event: 'listening', service: 'proxy', url: server.url, upstream: cfg.upstream, pid: process.pid })}\n`);
  const srv = server;
  const outcome = await new Promise<number>((resolve) => {
    process.once('SIGINT', () => resolve(0));
    process.once('SIGTERM', () => resolve(0));
    srv.ready.then(
      () => process.stdout.write(`${JSON.stringify({ event: 'ready', service: 'proxy', url: srv.url, keyId: srv.keyId(), backend: srv.backendName() })}\n`),
      () => resolve(1),
    );
  });
  await server.close();
  return outcome;
}
