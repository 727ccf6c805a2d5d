/**
 * Capacity model (docs/scale-out.md): CPU per request from a load run, and the instances a rate needs.
 * cpu_per_request(process) = median process.cpu (share of the machine) × cores / median http.throughput (2xx/s)
 * instances(rate) = ceil(rate × cpu_per_request / (cores_per_instance × utilisation))
 * for the services sampled; the load generator's own series (process=loadgen) is the client, not scaled.
 */
import { LOADGEN_PROCESS } from '@hlp/loadgen';
import { isMetric, type RunResult } from '@hlp/results';

export interface Capacity {
  readonly process: string;
  /** core-seconds of CPU per 2xx request */
  readonly cpuPerRequestS: number;
  readonly instances: number;
}

export function capacityModel(run: RunResult, rate: number, coresPerInstance: number, utilisation = 0.5): Capacity[] {
  const tput = run.metrics.find(isMetric('http.throughput'))?.summary.median ?? 0;
  if (!(tput > 0)) return [];
  const cores = run.machine.logicalCores;
  return run.metrics
    .filter((m) => isMetric('process.cpu')(m) && typeof m.labels['process'] === 'string' && m.labels['process'] !== LOADGEN_PROCESS)
    .map((m) => {
      const cpuPerRequestS = (m.summary.median * cores) / tput;
      return {
        process: String(m.labels['process']),
        cpuPerRequestS,
        instances: Math.max(1, Math.ceil((rate * cpuPerRequestS) / (coresPerInstance * utilisation))),
      };
    });
}
