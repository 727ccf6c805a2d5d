/** The samplers that run beside a load: /proc CPU and RSS, event-loop delay, GPU. */
import { EventLoopSampler, type LagSeries } from './eventloop.js';
import { GpuSampler, type GpuSamples } from './gpu.js';
import { ProcSampler, type ProcSeries, type ProcessToWatch } from './proc.js';

/** The `process` label of the load generator's own CPU and RSS: this process and its driver processes. */
export const LOADGEN_PROCESS = 'loadgen';

/**
 * This process as the load generator, to sample beside the services: on a shared machine its
 * CPU is taken from theirs (driver processes join the series through `RunningSamplers.watch`).
 */
export function loadgenProcess(): ProcessToWatch {
  return { name: LOADGEN_PROCESS, pid: process.pid };
}

export interface SamplerOptions {
  /** Processes whose CPU share and RSS to sample (e.g. proxy and inference). */
  readonly processes?: readonly ProcessToWatch[];
  /** Apps whose `/metrics` to scrape for the event-loop delay. */
  readonly metrics?: readonly { name: string; metricsUrl: string }[];
  /** Sample nvidia-smi when it is on PATH (default true). */
  readonly gpu?: boolean;
  /** /proc and GPU sample period, ms (default 250: 4 Hz). */
  readonly intervalMs?: number;
}

export interface SamplerResults {
  readonly processes: ProcSeries[];
  readonly eventLoop: LagSeries[];
  readonly gpu: GpuSamples;
  /** performance.now() when sampling started (series times are relative to it). */
  readonly t0: number;
}

export interface RunningSamplers {
  /** Adds a process to the /proc series `name` (see ProcSampler.join); nothing without /proc. */
  watch(name: string, pid: number): void;
  stop(): Promise<SamplerResults>;
}

export function startSamplers(options: SamplerOptions): RunningSamplers {
  const intervalMs = options.intervalMs ?? 250;
  const t0 = performance.now();
  const proc = ProcSampler.available() ? new ProcSampler(options.processes ?? [], { intervalMs }) : null;
  const lag = options.metrics && options.metrics.length > 0 ? new EventLoopSampler(options.metrics) : null;
  const gpu = options.gpu === false ? null : new GpuSampler({ intervalMs });
  proc?.start();
  lag?.start();
  gpu?.start();
  return {
    watch: (name, pid) => proc?.join(name, pid),
    async stop(): Promise<SamplerResults> {
      const processes = proc?.stop() ?? [];
      const [eventLoop, gpuSamples] = await Promise.all([
        lag?.stop() ?? Promise.resolve([]),
        gpu?.stop() ?? Promise.resolve<GpuSamples>({ status: 'not-applicable', reason: 'disabled' }),
      ]);
      return { processes, eventLoop, gpu: gpuSamples, t0 };
    },
  };
}

export * from './eventloop.js';
export * from './gpu.js';
export * from './proc.js';
