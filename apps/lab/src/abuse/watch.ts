/**
 * What the abuse suite watches while it runs: `/healthz` of the proxy, probed every few tens
 * of milliseconds (its answer time is how long an innocent client waits for the event loop),
 * and the resident memory of the services' processes.
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

export interface HealthSummary {
  readonly probes: number;
  readonly failures: number;
  readonly maxMs: number;
  readonly p99Ms: number;
  /** Probes slower than the bound. */
  readonly slow: number;
}

export interface HealthProbe {
  /** Resolves once the probe's thread runs (it keeps the priority its creator had then). */
  readonly online: Promise<void>;
  /** Summarises the probes since the last call (or the start) and starts a new window. */
  window(): HealthSummary;
  stop(): Promise<void>;
}

/**
 * The probe runs on its own thread, so that the suite's own work (building megabyte bodies) never
 * delays it: what it measures is the proxy.
 */
const PROBE_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let stopped = false;
parentPort.on('message', (m) => { if (m === 'stop') stopped = true; });
function once() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.get({ host: workerData.host, port: workerData.port, path: '/healthz', agent, timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ok: res.statusCode === 200, ms: performance.now() - t0 }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ ok: false, ms: performance.now() - t0 }));
  });
}
(async () => {
  while (!stopped) {
    parentPort.postMessage(await once());
    await new Promise((r) => setTimeout(r, workerData.everyMs));
  }
  agent.destroy();
  parentPort.postMessage('stopped');
})();
`;

export function probeHealth(base: URL, everyMs: number, boundMs: number): HealthProbe {
  let times: number[] = [];
  let failures = 0;
  const worker = new Worker(PROBE_THREAD, { eval: true, workerData: { host: base.hostname, port: Number(base.port), everyMs } });
  const stopped = new Promise<void>((resolve) => {
    worker.on('message', (m: { ok: boolean; ms: number } | 'stopped') => {
      if (m === 'stopped') return resolve();
      if (m.ok) times.push(m.ms);
      else failures++;
    });
    worker.on('exit', () => resolve());
    worker.on('error', () => resolve());
  });
  const online = new Promise<void>((resolve) => {
    worker.once('online', () => resolve());
    worker.once('error', () => resolve());
    worker.once('exit', () => resolve());
  });
  return {
    online,
    window() {
      const sorted = times.slice().sort((a, b) => a - b);
      const out = {
        probes: times.length + failures,
        failures,
        maxMs: sorted.at(-1) ?? 0,
        p99Ms: sorted[Math.floor(0.99 * (sorted.length - 1))] ?? 0,
        slow: sorted.filter((t) => t > boundMs).length,
      };
      times = [];
      failures = 0;
      return out;
    },
    async stop() {
      worker.postMessage('stop');
      await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 6_000))]);
      await worker.terminate();
    },
  };
}

/** VmRSS of a process in bytes; null when it is gone. */
export function rssOf(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Whether the process still runs. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
