/** The capacity model reads the services' CPU per request; the load generator is the client, not a service to scale. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeMetric, type Metric } from '@hlp/results';
import { capacityModel } from '../src/suite/capacity.js';
import { loadRun } from './report-fixtures.js';

function cpu(process: string, share: number): Metric {
  return makeMetric({ name: 'process.cpu', unit: 'ratio', better: 'lower', labels: { process }, samples: [share, share, share] });
}

describe('capacity model', () => {
  it('instances per service from its CPU share and the throughput; the load generator is left out', () => {
    const base = loadRun(new Date(Date.UTC(2026, 10, 2)), 3);
    const throughput = base.metrics.find((m) => m.name === 'http.throughput')!.summary.median;
    const http = base.metrics.filter((m) => m.name.startsWith('http.'));
    const run = { ...base, metrics: [...http, cpu('proxy', 0.2), cpu('inference', 0.1), cpu('loadgen', 0.05)] };
    const model = capacityModel(run, 1000, 2, 0.5);
    assert.deepEqual(
      model.map((c) => c.process),
      ['proxy', 'inference'],
    );
    const proxy = model[0]!;
    // 0.2 of a 2-core machine at the run's throughput, then 1000 req/s on 2-core instances at 50 %
    assert.ok(Math.abs(proxy.cpuPerRequestS - (0.2 * 2) / throughput) < 1e-12);
    assert.equal(proxy.instances, Math.ceil((1000 * proxy.cpuPerRequestS) / (2 * 0.5)));
  });
});
