/**
 * The proxy's helper threads (embedding rows, the upstream client): how each is started, and
 * its niceness. The event loop answers every client, health checks included, so the helpers
 * yield the core to it.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';

export interface HelperThreadEvents<M> {
  readonly message: (m: M, w: Worker) => void;
  /** The thread failed or exited; `why` says which, in words that name the thread. */
  readonly lost: (w: Worker, why: string) => void;
}

/**
 * A worker thread running `module`, unreferenced (it does not keep the process alive while idle).
 * It starts without the process's execArgv and NODE_OPTIONS: a profiler's preload (clinic
 * bubbleprof's, given in NODE_OPTIONS) would run in the thread too and truncate the event loop's
 * trace, which it names by the process id.
 */
export function startHelperThread<M>(name: string, module: URL, workerData: unknown, on: HelperThreadEvents<M>): Worker {
  const w = new Worker(module, { workerData, execArgv: [], env: { ...process.env, NODE_OPTIONS: '' } });
  w.unref();
  w.on('message', (m: M) => on.message(m, w));
  w.on('error', (e) => on.lost(w, `the ${name} thread failed: ${e.message}`));
  w.on('exit', (code) => on.lost(w, `the ${name} thread exited (code ${code})`));
  return w;
}

/** Linux names each thread by an id that setpriority takes for that thread alone; elsewhere a no-op. */
export function niceThisThread(nice: number): void {
  if (nice <= 0) return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, nice);
  } catch {
    // not Linux: the thread runs at the process's priority
  }
}
