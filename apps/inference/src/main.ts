/**
 * `hlp-inference` command line:
 *
 *   hlp-inference [--host 127.0.0.1] [--port 8081] [--token T] [--backend native|seal]
 *                 [--workload-seed N] [--workloads affine,projection,mlp] [--outputs 64]
 *                 [--n 8192|16384] [--max-body-bytes B] [--max-ciphertexts C] [--max-queue Q]
 *                 [--key-cache-bytes B] [--warm] [--quiet]
 *
 * The token may also come from HLP_SERVICE_TOKEN. Once listening it prints one JSON line on
 * stdout, `{"event":"listening","service":"inference","url":"http://127.0.0.1:8081"}`; logs are
 * JSON lines on stderr. SIGINT/SIGTERM close the listener, let in-flight work finish, and exit 0.
 */
import { parseArgs } from 'node:util';
import { WORKLOAD_NAMES, type WorkloadName } from '@hlp/model';
import { stderrLogger } from './log.js';
import { startInference, type InferenceConfig } from './server.js';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function int(name: string, v: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got ${v}`);
  return Number(v);
}

export const USAGE = `usage: hlp-inference [--host 127.0.0.1] [--port 8081] [--token T] [--backend native|seal]
  [--workload-seed N] [--workloads affine,projection,mlp] [--outputs 64] [--n 8192|16384]
  [--max-body-bytes B] [--max-ciphertexts C] [--max-queue Q] [--key-cache-bytes B] [--warm] [--quiet]
The service token may also be given as HLP_SERVICE_TOKEN.`;

/** Parse the command line into a config (throws UsageError). Returns undefined for --help. */
export function parseInferenceArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): (InferenceConfig & { quiet: boolean }) | undefined {
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
    workloads = values.workloads.split(',').map((w) => w.trim()).filter((w) => w !== '') as WorkloadName[];
    const bad = workloads.filter((w) => !(WORKLOAD_NAMES as readonly string[]).includes(w));
    if (bad.length > 0 || workloads.length === 0) throw new UsageError(`--workloads takes a list of ${WORKLOAD_NAMES.join(', ')}`);
  }
  const n = int('n', values.n, 8192, 32768);
  if (n !== undefined && n !== 8192 && n !== 16384 && n !== 32768) throw new UsageError('--n must be 8192, 16384 or 32768');
  const token = values.token ?? env['HLP_SERVICE_TOKEN'];
  const cfg: InferenceConfig & { quiet: boolean } = {
    host: values.host ?? '127.0.0.1',
    port: int('port', values.port, 0, 65535) ?? 8081,
    backend,
    quiet: values.quiet ?? false,
    warm: values.warm ?? false,
    ...(token ? { token } : {}),
    ...(workloads ? { workloads } : {}),
    ...(n ? { n: n as 8192 | 16384 | 32768 } : {}),
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
  return cfg;
}

/** Runs the service until SIGINT/SIGTERM; resolves to the exit code. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  let cfg;
  try {
    cfg = parseInferenceArgs(argv);
  } catch (e) {
    process.stderr.write(`hlp-inference: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!cfg) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const log = stderrLogger('inference', cfg.quiet);
  let server;
  try {
    server = await startInference({ ...cfg, log });
  } catch (e) {
    log('error', `failed to start: ${(e as Error).message}`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify({ event: 'listening', service: 'inference', url: server.url, pid: process.pid })}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log('info', `${signal}: shutting down`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await server.close();
  return 0;
}
