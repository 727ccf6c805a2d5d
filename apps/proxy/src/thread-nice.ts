/**
 * The niceness of the calling thread alone, for the proxy's helper threads (embedding rows,
 * the upstream client): the event loop answers every client, health checks included, so the
 * helpers yield the core to it.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

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
