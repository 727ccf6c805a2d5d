/**
 * The GPU gauges of the catalogue, read at scrape time and only from real sources:
 *
 * - the device memory pool (gpuPoolInUse, gpuPoolReserved, gpuPoolEfficiency) from
 *   @hlp/ckks' gpuPoolStats, only while the cuda variant is usable; efficiency only when the
 *   pool has reserved something (0 / 0 is no ratio);
 * - the device (gpuUtilization, gpuMemoryUsed, gpuMemoryTotal) from nvidia-smi, at most once
 *   per `smiIntervalMs` however many gauges or scrapes ask, and only when nvidia-smi runs.
 *
 * Without a GPU every one of them has no series at all: nothing is faked as 0.
 */
import { execFile } from 'node:child_process';
import { cudaStatus, gpuPoolStats, type CudaPoolStats } from '@hlp/ckks';
import type { CollectorsFor, InstrumentOf } from '@hlp/telemetry';

/** One GPU as nvidia-smi reports it. */
export interface SmiGpu {
  readonly index: string;
  /** 0 … 1 */
  readonly utilization: number;
  readonly memoryUsedBytes: number;
  readonly memoryTotalBytes: number;
}

export const SMI_ARGS = ['--query-gpu=index,utilization.gpu,memory.used,memory.total', '--format=csv,noheader,nounits'] as const;

/** Parses `index, utilization %, used MiB, total MiB` lines; lines that do not parse are skipped. */
export function parseSmi(text: string): SmiGpu[] {
  const out: SmiGpu[] = [];
  for (const line of text.split('\n')) {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== 4) continue;
    const [index, util, used, total] = cells as [string, string, string, string];
    const u = Number(util);
    const m = Number(used);
    const t = Number(total);
    // "[N/A]" and friends: no value rather than a wrong one.
    if (index === '' || !Number.isFinite(u) || !Number.isFinite(m) || !Number.isFinite(t)) continue;
    out.push({ index, utilization: u / 100, memoryUsedBytes: m * 1024 * 1024, memoryTotalBytes: t * 1024 * 1024 });
  }
  return out;
}

export interface GpuSources {
  /** Whether the cuda variant is usable (default @hlp/ckks' cudaStatus). */
  readonly cudaUsable?: () => boolean;
  /** The device pool (default @hlp/ckks' gpuPoolStats). */
  readonly poolStats?: () => CudaPoolStats;
  /** nvidia-smi's CSV output, or null when it cannot run (default: runs nvidia-smi). */
  readonly runSmi?: () => Promise<string | null>;
  /** Minimum time between two nvidia-smi runs, ms (default 1000: the lab's scrape interval). */
  readonly smiIntervalMs?: number;
  readonly now?: () => number;
}

function runNvidiaSmi(): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('nvidia-smi', [...SMI_ARGS], { timeout: 2000, windowsHide: true }, (error, stdout) => {
      resolve(error ? null : stdout);
    });
  });
}

/** The collectors to pass to createRegistry('proxy', { collect }). */
export function gpuCollectors(sources: GpuSources = {}): CollectorsFor<'proxy'> {
  const usable = sources.cudaUsable ?? (() => cudaStatus().usable);
  const pool = sources.poolStats ?? gpuPoolStats;
  const runSmi = sources.runSmi ?? runNvidiaSmi;
  const interval = sources.smiIntervalMs ?? 1000;
  const now = sources.now ?? Date.now;

  // nvidia-smi: absent after it once fails to start (ENOENT, no driver); one run shared by
  // the three gauges and by scrapes closer together than the interval.
  let smiMissing = false;
  let smiAt = -Infinity;
  let smiPending: Promise<SmiGpu[]> | null = null;
  let smiLast: SmiGpu[] = [];
  const smi = (): Promise<SmiGpu[]> => {
    if (smiMissing) return Promise.resolve([]);
    if (smiPending) return smiPending;
    if (now() - smiAt < interval) return Promise.resolve(smiLast);
    smiPending = runSmi().then(
      (text) => {
        smiAt = now();
        smiPending = null;
        if (text === null) {
          smiMissing = true;
          smiLast = [];
        } else {
          smiLast = parseSmi(text);
        }
        return smiLast;
      },
      () => {
        smiPending = null;
        smiMissing = true;
        return (smiLast = []);
      },
    );
    return smiPending;
  };

  // The pool is read once per gauge; it is a few counters behind a mutex, no device work.
  const poolGauge =
    (pick: (s: CudaPoolStats) => number | null) =>
    (gauge: InstrumentOf<'gpuPoolInUse'>): void => {
      gauge.reset();
      if (!usable()) return;
      const s = pool();
      if (!s.available) return;
      const v = pick(s);
      if (v !== null) gauge.set({ gpu: '0' }, v);
    };

  const smiGauge =
    (pick: (g: SmiGpu) => number) =>
    async (gauge: InstrumentOf<'gpuUtilization'>): Promise<void> => {
      const gpus = await smi();
      gauge.reset();
      for (const g of gpus) gauge.set({ gpu: g.index }, pick(g));
    };

  return {
    gpuPoolInUse: poolGauge((s) => s.bytesInUse),
    gpuPoolReserved: poolGauge((s) => s.bytesReserved),
    gpuPoolEfficiency: poolGauge((s) => s.efficiency),
    gpuUtilization: smiGauge((g) => g.utilization),
    gpuMemoryUsed: smiGauge((g) => g.memoryUsedBytes),
    gpuMemoryTotal: smiGauge((g) => g.memoryTotalBytes),
  };
}
