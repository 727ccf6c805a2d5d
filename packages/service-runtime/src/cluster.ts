/**
 * One process per core (`--workers N`) for both services, on node:cluster: the primary forks N
 * workers that share the listening port (the primary accepts and hands connections round-robin),
 * restarts a worker that dies unexpectedly, forwards SIGTERM/SIGINT and waits for the workers
 * to drain, and serves the workers' metrics aggregated into one exposition (the app gives the
 * aggregation, prom-client's AggregatorRegistry, so this module needs no metrics library).
 *
 * Messages between them (IPC):
 *   worker → primary  { type: 'hlp:event', event: {...} }        'listening' / 'ready' / 'failed'
 *   worker → primary  { type: 'hlp:metrics-req', id }            a worker was asked GET /metrics
 *   primary → worker  { type: 'hlp:metrics-res', id, text, contentType } | { …, error }
 */
import cluster, { type Worker } from 'node:cluster';
import type { LogFn } from './log.js';

/** An event a worker reports to the primary (and the primary reports once for all, on stdout). */
export interface WorkerEvent {
  readonly event: string;
  readonly [key: string]: unknown;
}

export interface PrimaryOptions {
  readonly workers: number;
  /** Environment added to every worker's (e.g. the key file the primary prepared). */
  readonly env?: Readonly<Record<string, string>>;
  readonly log: LogFn;
  /** Aggregated metrics of every worker (prom-client: `new AggregatorRegistry().clusterMetrics()`). */
  readonly metrics: () => Promise<{ text: string; contentType: string }>;
  /** Every event a worker reports. */
  readonly onEvent?: (workerId: number, event: WorkerEvent) => void;
  /** Delay before a dead worker is replaced (default 1 s). */
  readonly restartDelayMs?: number;
  /** More unexpected deaths than this within a minute stop the whole service (default 5). */
  readonly maxRestartsPerMinute?: number;
  /** After a stop signal, workers still alive after this long are killed (default 60 s). */
  readonly stopGraceMs?: number;
}

export interface ClusterPrimary {
  /** Resolves with the first worker's 'listening' event. */
  readonly listening: Promise<WorkerEvent>;
  /** Resolves once every worker reported 'ready'; rejects when a worker reported 'failed'. */
  readonly ready: Promise<void>;
  /** Stop every worker (SIGTERM: they drain) and resolve with the exit code for the primary. */
  stop(): Promise<number>;
  /** Resolves with an exit code when the cluster ended on its own (a start-up failure, crash loop). */
  readonly ended: Promise<number>;
}

interface MetricsReq {
  readonly type: 'hlp:metrics-req';
  readonly id: number;
}

function isMsg(m: unknown, type: string): m is Record<string, unknown> {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;
}

/** True in a worker forked by startPrimary. */
export function isClusterWorker(): boolean {
  return cluster.isWorker && process.env['HLP_CLUSTER_WORKER'] === '1';
}

/** Report an event to the primary (workers only; a no-op elsewhere). */
export function reportToPrimary(event: WorkerEvent): void {
  if (isClusterWorker() && process.send) process.send({ type: 'hlp:event', event });
}

let nextReq = 0;
/** The cluster-wide metrics, asked of the primary (workers only). */
export function metricsFromPrimary(timeoutMs = 5000): Promise<{ text: string; contentType: string }> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('not a cluster worker'));
    const id = nextReq++;
    const onMessage = (m: unknown): void => {
      if (!isMsg(m, 'hlp:metrics-res') || m['id'] !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (typeof m['error'] === 'string') reject(new Error(m['error']));
      else resolve({ text: String(m['text']), contentType: String(m['contentType']) });
    };
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('the primary did not answer the metrics request'));
    }, timeoutMs);
    process.on('message', onMessage);
    process.send({ type: 'hlp:metrics-req', id } satisfies MetricsReq);
  });
}

/** Fork the workers (this process must be the cluster primary) and supervise them. */
export function startPrimary(options: PrimaryOptions): ClusterPrimary {
  const { log } = options;
  const restartDelay = options.restartDelayMs ?? 1000;
  const maxRestarts = options.maxRestartsPerMinute ?? 5;
  let stopping = false;
  const deaths: number[] = [];
  const readyIds = new Set<number>();
  let resolveListening!: (e: WorkerEvent) => void;
  let resolveReady!: () => void;
  let rejectReady!: (e: Error) => void;
  let resolveEnded!: (code: number) => void;
  const listening = new Promise<WorkerEvent>((r) => (resolveListening = r));
  const ready = new Promise<void>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  ready.catch(() => undefined);
  const ended = new Promise<number>((r) => (resolveEnded = r));
  let exitCodes: number[] = [];

  const fork = (): Worker => {
    const w = cluster.fork({ ...options.env, HLP_CLUSTER_WORKER: '1' });
    w.on('message', (m: unknown) => {
      if (isMsg(m, 'hlp:event')) {
        const ev = m['event'] as WorkerEvent;
        options.onEvent?.(w.id, ev);
        if (ev.event === 'listening') resolveListening(ev);
        if (ev.event === 'ready') {
          readyIds.add(w.id);
          if (readyIds.size >= options.workers) resolveReady();
        }
        if (ev.event === 'failed') {
          const reason = ev['error'] ?? 'a worker failed to start';
          rejectReady(new Error(typeof reason === 'string' ? reason : JSON.stringify(reason)));
          void stopAll().then((code) => resolveEnded(code === 0 ? 1 : code));
        }
      } else if (isMsg(m, 'hlp:metrics-req')) {
        const id = m['id'];
        options.metrics().then(
          (r) => w.isConnected() && w.send({ type: 'hlp:metrics-res', id, text: r.text, contentType: r.contentType }),
          (e: unknown) => w.isConnected() && w.send({ type: 'hlp:metrics-res', id, error: e instanceof Error ? e.message : String(e) }),
        );
      }
    });
    return w;
  };

  cluster.on('exit', (w, code, signal) => {
    readyIds.delete(w.id);
    exitCodes.push(code ?? (signal ? 128 : 1));
    if (stopping) return;
    const now = Date.now();
    deaths.push(now);
    while (deaths.length > 0 && deaths[0]! < now - 60_000) deaths.shift();
    if (deaths.length > maxRestarts) {
      log('error', `workers died ${deaths.length} times within a minute; stopping`, { code, signal });
      void stopAll().then(() => resolveEnded(1));
      return;
    }
    log('warn', 'a worker died; starting another', { worker: w.id, pid: w.process.pid, code, signal, inMs: restartDelay });
    setTimeout(() => {
      if (!stopping) fork();
    }, restartDelay).unref();
  });

  for (let i = 0; i < options.workers; i++) fork();

  let stopped: Promise<number> | undefined;
  function stopAll(): Promise<number> {
    stopped ??= (async () => {
      stopping = true;
      exitCodes = [];
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
      const exits = alive.map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r()))));
      for (const w of alive) w.process.kill('SIGTERM');
      const grace = setTimeout(() => {
        for (const w of alive) if (!w.isDead()) w.process.kill('SIGKILL');
      }, options.stopGraceMs ?? 60_000);
      grace.unref();
      await Promise.all(exits);
      clearTimeout(grace);
      return exitCodes.every((c) => c === 0) ? 0 : 1;
    })();
    return stopped;
  }

  return { listening, ready, ended, stop: stopAll };
}
