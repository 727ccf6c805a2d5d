/**
 * The services as the lab's children: `hlp-inference` and `hlp-proxy` started through
 * @hlp/procs with the services' Node flags, their plain output under `[name]` on stderr, and
 * @hlp/procs' failures reworded as the lab's INFRA errors.
 */
import { BinError, ChildWaitError, binOf, startChild, type ChildEvent, type ChildOptions, type ChildProcessHandle } from '@hlp/procs';
import { SERVICE_NODE_FLAGS, serviceProcessEnv } from '@hlp/service-runtime';
import { LabError } from '../errors.js';
import type { Io } from '../io.js';

/** Path of a workspace package's bin script; INFRA when the package or the bin is missing. */
export function serviceBin(pkg: string, bin: string): string {
  try {
    return binOf(pkg, bin);
  } catch (error) {
    if (error instanceof BinError) throw new LabError('INFRA', error.message, { cause: error });
    throw error;
  }
}

export interface ServiceChild {
  readonly name: string;
  readonly handle: ChildProcessHandle;
  /** The child's first `event` (waits for it); INFRA when it exits first or time runs out. */
  next(event: string, timeoutMs: number): Promise<ChildEvent>;
  /** The exit code; 128 when a signal ended it. */
  readonly exit: Promise<number | null>;
  /** SIGTERM (or `signal`), SIGKILL after graceMs; the exit code. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

export interface ServiceChildOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Node flags before the script (for a service: after the services' own, e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[];
  readonly cwd?: string;
  /** Sees each plain output line first; false keeps it off stderr. */
  readonly onLine?: (line: string) => boolean;
}

function waitFailure(name: string, error: unknown, timeoutMs: number): unknown {
  if (!(error instanceof ChildWaitError)) return error;
  switch (error.reason) {
    case 'spawn-failed':
      return new LabError('INFRA', `${name} could not start: ${error.spawnError?.message ?? error.message}`, { cause: error });
    case 'exited':
      return new LabError(
        'INFRA',
        `${name} exited (${error.signal ?? `code ${String(error.exitCode)}`}) before reporting '${error.event}'; see its log above`,
        { cause: error },
      );
    case 'timeout':
      return new LabError('INFRA', `${name} did not report '${error.event}' within ${Math.round(timeoutMs / 1000)} s`, { cause: error });
  }
}

/** Starts `node …nodeArgs <script> …args` as a child named `name`, its plain output on stderr under `[name]`. */
export function startLabChild(name: string, script: string, args: readonly string[], io: Io, options: ServiceChildOptions): ServiceChild {
  const childOptions: ChildOptions = {
    env: options.env,
    nodeArgs: options.nodeArgs ?? [],
    log: { name, write: (text) => io.stderr.write(text), ...(options.onLine ? { onLine: options.onLine } : {}) },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  };
  const handle = startChild(script, args, childOptions);
  // Nothing the lab starts reads stdin: closed, as it was when it was ignored.
  handle.proc.stdin?.end();
  return {
    name,
    handle,
    exit: handle.exited.then((code) => code ?? (handle.proc.signalCode ? 128 : null)),
    async next(event, timeoutMs) {
      try {
        return await handle.waitFor(event, timeoutMs);
      } catch (error) {
        throw waitFailure(name, error, timeoutMs);
      }
    },
    stop: (signal = 'SIGTERM', graceMs = 15_000) => handle.stop(signal, graceMs),
  };
}

/** A service (`hlp-inference`, `hlp-proxy`): the services' own Node flags first, then `nodeArgs`; their allocator tunables in `env`. */
export function startServiceChild(name: string, script: string, args: readonly string[], io: Io, options: ServiceChildOptions): ServiceChild {
  return startLabChild(name, script, args, io, {
    ...options,
    env: serviceProcessEnv(options.env),
    nodeArgs: [...SERVICE_NODE_FLAGS, ...(options.nodeArgs ?? [])],
  });
}
