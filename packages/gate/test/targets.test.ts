import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RUN_METRICS, isRunMetricName } from '@hlp/results';
import { SLO_TARGETS, evaluateTargets } from '../src/targets.js';
import { conversionFactor } from '../src/units.js';
import { run } from './helpers.js';

const status = (r: ReturnType<typeof evaluateTargets>, id: string) => r.find((t) => t.id === id)!;

describe('SLO targets (DESIGN §2)', () => {
  it('has the five targets', () => {
    assert.deepEqual(
      SLO_TARGETS.map((t) => t.id),
      ['encryption-latency-p95', 'throughput', 'gpu-memory-efficiency', 'cpu-efficiency', 'memory-per-instance'],
    );
  });

  it('every target reads a catalogued metric, in a unit that converts, in its better direction', () => {
    for (const t of SLO_TARGETS) {
      // the type already says so; this guards targets built from untyped data (casts, JSON)
      assert.ok(isRunMetricName(t.metric), `${t.id} reads ${t.metric}, which is not in RUN_METRICS`);
      const spec = RUN_METRICS[t.metric];
      assert.notEqual(conversionFactor(spec.unit, t.unit), null, `${t.id}: ${spec.unit} → ${t.unit}`);
      assert.equal(t.op === '<' ? 'lower' : 'higher', spec.better, `${t.id} ${t.op} vs ${t.metric} better ${spec.better}`);
    }
  });

  it('every target is not applicable, with why, when the run lacks its metric or the machine its GPU', () => {
    const r = evaluateTargets(run([{ name: 'ntt.forward', samples: [1, 2, 3] }], { suite: 'kernels' }));
    assert.ok(r.every((t) => t.status === 'not-applicable'));
    assert.match(status(r, 'throughput').reason, /http\.throughput is absent from this run \(suite kernels\)/);
    assert.match(status(r, 'gpu-memory-efficiency').reason, /needs a GPU; this machine has none/);
    assert.match(status(r, 'cpu-efficiency').reason, /process=proxy/);
  });

  it('met and missed, with unit conversion (ms → s, % → ratio) and best/worst series', () => {
    const r = evaluateTargets(
      run(
        [
          { name: 'ckks.prompt_encrypt', labels: { backend: 'seal' }, unit: 'ms', samples: [3000, 3100, 3200] },
          { name: 'ckks.prompt_encrypt', labels: { backend: 'native' }, unit: 'ms', samples: [900, 950, 1000] },
          { name: 'http.throughput', unit: 'req/s', better: 'higher', samples: [80, 85, 90] },
          { name: 'ckks.gpu_pool_efficiency', unit: '%', better: 'higher', samples: [85, 86, 87] },
          { name: 'process.cpu', labels: { process: 'proxy' }, unit: 'ratio', samples: [0.3, 0.4, 0.45] },
          { name: 'process.cpu', labels: { process: 'inference' }, unit: 'ratio', samples: [0.9, 0.95] },
          { name: 'process.rss', labels: { process: 'proxy' }, unit: 'bytes', samples: [1e9, 2e9] },
          { name: 'process.rss', labels: { process: 'inference' }, unit: 'GiB', samples: [10, 17] },
        ],
        { gpu: true },
      ),
    );
    assert.equal(status(r, 'encryption-latency-p95').status, 'met', 'the best backend meets it');
    assert.deepEqual(status(r, 'encryption-latency-p95').labels, { backend: 'native' });
    assert.ok(Math.abs(status(r, 'encryption-latency-p95').value! - 0.995) < 1e-9, 'p95 in seconds');
    assert.equal(status(r, 'throughput').status, 'missed');
    assert.match(status(r, 'throughput').reason, /median 85 req\/s ≤ 100 req\/s/);
    assert.equal(status(r, 'gpu-memory-efficiency').status, 'met');
    assert.equal(status(r, 'cpu-efficiency').status, 'met', 'only the proxy process counts');
    assert.equal(status(r, 'memory-per-instance').status, 'missed', 'the worst process counts: 17 GiB');
    assert.deepEqual(status(r, 'memory-per-instance').labels, { process: 'inference' });
  });

  it('a unit that does not convert is not applicable', () => {
    const r = evaluateTargets(run([{ name: 'http.throughput', unit: 'widgets', better: 'higher', samples: [1, 2] }]));
    assert.equal(status(r, 'throughput').status, 'not-applicable');
    assert.match(status(r, 'throughput').reason, /does not convert/);
  });
});
