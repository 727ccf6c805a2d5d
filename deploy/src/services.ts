/**
 * The container args and env of the manifests, run through the services' own command-line
 * parsers (the same functions their binaries call), so that a flag the code no longer accepts,
 * a bad value, or a port that differs from the container's fails here and not in a cluster.
 */
import { parseInferenceArgs } from '@hlp/inference';
import { parseProxyArgs } from '@hlp/proxy';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { ManifestError } from './errors.js';

/** What the checks need from a parsed command line. */
export interface ParsedService {
  /** As the parser resolved them (its defaults applied); undefined only if a parser stops filling them in. */
  readonly host: string | undefined;
  readonly port: number | undefined;
  /** Where this service connects to, as URLs (the proxy's upstream, the inference's Redis). */
  readonly connects: readonly string[];
  /** Directories it writes (the inference's L3 key cache). */
  readonly dirs: readonly string[];
}

export interface ServiceSpec {
  /** Container name in the manifests. */
  readonly container: string;
  /** Paths its probes may use: what the service answers without auth (apps/<service>/src/routes/). */
  readonly probePaths: { readonly readiness: string; readonly liveness: string };
  /** Env variables that carry secrets: they must come from a Secret, never a literal value. */
  readonly secretEnv: readonly string[];
  /** Flags that would put a secret on the command line. */
  readonly secretFlags: readonly string[];
  parse(args: readonly string[], env: NodeJS.ProcessEnv): ParsedService;
}

function usage(container: string, error: unknown): ManifestError {
  return new ManifestError('ARGS', `${container}: the service refuses its args: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

export const SERVICES: readonly ServiceSpec[] = [
  {
    container: 'proxy',
    probePaths: { readiness: '/readyz', liveness: '/healthz' },
    secretEnv: ['HLP_SERVICE_TOKEN', 'HLP_CLIENT_TOKENS'],
    secretFlags: ['--token', '--client-tokens'],
    parse(args, env) {
      let cfg;
      try {
        cfg = parseProxyArgs(args, env);
      } catch (error) {
        throw usage('proxy', error);
      }
      if (!cfg) throw new ManifestError('ARGS', 'proxy: its args ask for --help');
      return { host: cfg.host, port: cfg.port, connects: [cfg.upstream], dirs: [] };
    },
  },
  {
    container: 'inference',
    // No /readyz on the inference service: it listens only once ready, so /healthz serves both.
    probePaths: { readiness: '/healthz', liveness: '/healthz' },
    secretEnv: ['HLP_SERVICE_TOKEN'],
    secretFlags: ['--token'],
    parse(args, env) {
      let cfg;
      try {
        cfg = parseInferenceArgs(args, env);
      } catch (error) {
        throw usage('inference', error);
      }
      if (!cfg) throw new ManifestError('ARGS', 'inference: its args ask for --help');
      return { host: cfg.host, port: cfg.port, connects: cfg.redisUrl ? [cfg.redisUrl] : [], dirs: cfg.keyCacheDir ? [cfg.keyCacheDir] : [] };
    },
  },
];

/**
 * The container's env as the process would see it, Secrets replaced by a stand-in of the same
 * shape (token characters only). Nothing from this process's own environment leaks in.
 */
export function containerEnv(c: IContainer): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.secretKeyRef) env[e.name] = `secret-${e.valueFrom.secretKeyRef.name}-${e.valueFrom.secretKeyRef.key}`;
  }
  return env;
}
