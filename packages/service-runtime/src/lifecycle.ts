/**
 * The life of a service process, the same for both services: parse the command line (usage
 * errors exit 2, --help prints the usage), then either run as the cluster primary
 * (`--workers N`, N > 1: prepare what the workers share, fork, supervise, aggregate their
 * metrics) or start the service in this process (alone or as a cluster worker), announce it
 * (`{"event":"listening",…}` on stdout, or an event to the primary), wait for SIGINT/SIGTERM,
 * drain and resolve to the exit code: 0 after a drain, 1 when the service failed to start or
 * to become ready.
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { isClusterWorker, metricsFromPrimary, reportToPrimary, startPrimary } from './cluster.js';
import { stopSignal } from './cli-options.js';
import { stderrLogger, type LogFn } from './log.js';
import { serviceNodeFlagsWarning, serviceTunablesWarning } from './node-flags.js';

/** The options every service's command line has. */
export interface ServiceCli {
  readonly quiet: boolean;
  readonly workers: number;
}

/** What the lifecycle needs of a started service. */
export interface StartedService {
  readonly url: string;
  readonly metrics: { readonly registry: Registry };
  close(): Promise<void>;
  /** Requests being handled now (logged when the drain begins), when the service counts them. */
  inFlight?(): number;
}

/** Where this process runs the service: alone, or as one of a cluster's workers. */
export interface ProcessRole {
  readonly worker: boolean;
  /** A worker's GET /metrics answers the cluster's aggregate, asked of the primary. */
  readonly metricsSource?: () => Promise<{ text: string; contentType: string }>;
}

/** What the cluster primary prepared for its workers. */
export interface WorkerShare {
  /** Added to every worker's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** Fields of the `ready` event the primary prints once every worker is ready; without them it prints none. */
  readonly readyFields?: Readonly<Record<string, unknown>>;
  /** Undo what was prepared, once the workers are gone. */
  cleanup(): Promise<void>;
}

/** Fields of a service's readiness: on stdout (alone) and in the report to the primary (worker). */
export interface ReadyFields {
  readonly announced: Readonly<Record<string, unknown>>;
  readonly reported: Readonly<Record<string, unknown>>;
}

export interface ServiceDefinition<Cli extends ServiceCli, Server extends StartedService> {
  /** `proxy`, `inference`: the `service` of events and log lines; the program is `hlp-<name>`. */
  readonly name: string;
  readonly usage: string;
  /** undefined for --help. @throws UsageError (or any Error: its message is shown with the usage) */
  parseArgs(argv: readonly string[]): Cli | undefined;
  start(cli: Cli, log: LogFn, role: ProcessRole): Promise<Server>;
  /** Settles once the service can serve (rejects: it never will); without it, ready once listening. */
  whenReady?(server: Server): Promise<ReadyFields>;
  /** Fields the `listening` event carries after `url` (the proxy's upstream). */
  listeningFields?(cli: Cli): Readonly<Record<string, unknown>>;
  /** Prepare, in the primary, what every worker shares. `stopped()`: a stop signal came meanwhile. */
  shareWithWorkers?(cli: Cli, log: LogFn, stopped: () => boolean): Promise<WorkerShare>;
  /** How the drain is logged after the signal's name (default `draining`, and `draining` N workers). */
  readonly drainWords?: { readonly process: string; readonly workers: string };
}

const NOTHING_SHARED: WorkerShare = { cleanup: () => Promise.resolve() };

function announce(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

/** Runs the service until SIGINT/SIGTERM; resolves to the process's exit code. */
export async function runService<Cli extends ServiceCli, Server extends StartedService>(
  service: ServiceDefinition<Cli, Server>,
  argv: readonly string[],
): Promise<number> {
  let cli: Cli | undefined;
  try {
    cli = service.parseArgs(argv);
  } catch (e) {
    process.stderr.write(`hlp-${service.name}: ${(e as Error).message}\n${service.usage}\n`);
    return 2;
  }
  if (!cli) {
    process.stdout.write(`${service.usage}\n`);
    return 0;
  }
  const log = stderrLogger(service.name, cli.quiet);
  if (!isClusterWorker()) {
    for (const warning of [serviceNodeFlagsWarning(), serviceTunablesWarning()]) if (warning) log('warn', warning);
  }
  if (cli.workers > 1 && cluster.isPrimary) return runPrimary(service, cli, log);
  return runProcess(service, cli, log);
}

/** The cluster primary: prepare what the workers share, fork, supervise, aggregate metrics, stop on a signal. */
async function runPrimary<Cli extends ServiceCli, Server extends StartedService>(
  service: ServiceDefinition<Cli, Server>,
  cli: Cli,
  log: LogFn,
): Promise<number> {
  let stopped = false;
  const signal = stopSignal().then((s) => {
    stopped = true;
    return s;
  });
  let share: WorkerShare;
  try {
    share = service.shareWithWorkers ? await service.shareWithWorkers(cli, log, () => stopped) : NOTHING_SHARED;
  } catch (e) {
    if (stopped) return 0;
    log('error', `failed to start: ${(e as Error).message}`);
    return 1;
  }
  try {
    const aggregator = new AggregatorRegistry();
    const primary = startPrimary({
      workers: cli.workers,
      ...(share.env ? { env: share.env } : {}),
      log,
      metrics: async () => ({ text: await aggregator.clusterMetrics(), contentType: aggregator.contentType }),
      onEvent: (id, ev) => {
        if (ev.event === 'failed') log('error', `worker ${id} failed to start: ${String(ev['error'])}`);
      },
    });
    const first = await Promise.race([primary.listening.then((ev) => ({ ev })), primary.ended.then((code) => ({ code })), signal.then((s) => ({ s }))]);
    if ('code' in first) return first.code;
    if ('ev' in first) {
      const url = first.ev['url'];
      announce({ event: 'listening', service: service.name, url, ...service.listeningFields?.(cli), pid: process.pid, workers: cli.workers });
      const readyFields = share.readyFields;
      if (readyFields) {
        primary.ready.then(
          () => announce({ event: 'ready', service: service.name, url, ...readyFields, workers: cli.workers }),
          () => undefined,
        );
      }
    }
    const outcome = 's' in first ? first : await Promise.race([signal.then((s) => ({ s })), primary.ended.then((code) => ({ code }))]);
    if ('code' in outcome) return outcome.code;
    log('info', `${outcome.s}: ${service.drainWords?.workers ?? 'draining'} ${cli.workers} workers`);
    return await primary.stop();
  } finally {
    await share.cleanup();
  }
}

/** The service in this process, alone or as a cluster worker. */
async function runProcess<Cli extends ServiceCli, Server extends StartedService>(
  service: ServiceDefinition<Cli, Server>,
  cli: Cli,
  log: LogFn,
): Promise<number> {
  const worker = isClusterWorker();
  const signal = stopSignal();
  let server: Server;
  try {
    // Cluster workers: this registry is what the primary aggregates; /metrics answers the aggregate.
    server = await service.start(cli, log, worker ? { worker, metricsSource: () => metricsFromPrimary() } : { worker });
  } catch (e) {
    log('error', `failed to start: ${(e as Error).message}`);
    reportToPrimary({ event: 'failed', error: (e as Error).message });
    return 1;
  }
  if (worker) {
    AggregatorRegistry.setRegistries([server.metrics.registry]);
    new AggregatorRegistry(); // answers the primary's metrics requests in this worker
    reportToPrimary({ event: 'listening', url: server.url, pid: process.pid });
  } else {
    announce({ event: 'listening', service: service.name, url: server.url, ...service.listeningFields?.(cli), pid: process.pid });
  }
  const outcome = await Promise.race([
    signal.then((s) => ({ s })),
    readiness(service, server, worker).then(
      () => signal.then((s) => ({ s })),
      (e: unknown) => {
        reportToPrimary({ event: 'failed', error: (e as Error).message });
        return { failed: true as const };
      },
    ),
  ]);
  if ('s' in outcome) log('info', `${outcome.s}: ${service.drainWords?.process ?? 'draining'}`, server.inFlight ? { inFlight: server.inFlight() } : undefined);
  await server.close();
  return 'failed' in outcome ? 1 : 0;
}

/** Waits until the service is ready and says so: on stdout when alone, to the primary as a worker. */
async function readiness<Cli extends ServiceCli, Server extends StartedService>(
  service: ServiceDefinition<Cli, Server>,
  server: Server,
  worker: boolean,
): Promise<void> {
  const fields = service.whenReady ? await service.whenReady(server) : undefined;
  if (worker) reportToPrimary({ event: 'ready', url: server.url, ...fields?.reported, pid: process.pid });
  else if (fields) announce({ event: 'ready', service: service.name, url: server.url, ...fields.announced });
}

/** The end of a service binary: the exit code, and a cluster worker lets go of its IPC channel (it would keep the process alive after the drain). */
export async function runAsProgram(main: () => Promise<number>): Promise<void> {
  process.exitCode = await main();
  if (isClusterWorker()) process.disconnect?.();
}
