import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cudaStatus, type CudaPoolStats } from '@hlp/ckks';
import { createRegistry } from '@hlp/telemetry';
import { gpuCollectors, parseSmi, type GpuSources } from '../src/index.js';

const POOL: CudaPoolStats = {
  available: true,
  allocations: 10,
  frees: 8,
  hits: 6,
  misses: 4,
  bytesInUse: 3 * 1024 * 1024,
  bytesReserved: 4 * 1024 * 1024,
  peakBytesInUse: 5 * 1024 * 1024,
  peakBytesReserved: 6 * 1024 * 1024,
  efficiency: 0.75,
};

async function scrape(sources: GpuSources): Promise<string> {
  const r = createRegistry('proxy', { defaultMetrics: false, collect: gpuCollectors(sources) });
  return r.metricsText();
}

function series(text: string, prefix: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(prefix));
}

describe('GPU gauges on /metrics', () => {
  it('parses nvidia-smi CSV (MiB to bytes, percent to ratio) and skips [N/A] lines', () => {
    assert.deepEqual(parseSmi('0, 37, 1024, 81559\n1, [N/A], 0, 81559\n\n'), [
      { index: '0', utilization: 0.37, memoryUsedBytes: 1024 * 1024 * 1024, memoryTotalBytes: 81559 * 1024 * 1024 },
    ]);
  });

  it('exports the pool and nvidia-smi values when there is a device, running nvidia-smi once per interval', async () => {
    let smiRuns = 0;
    let clock = 0;
    const sources: GpuSources = {
      cudaUsable: () => true,
      poolStats: () => POOL,
      runSmi: () => {
        smiRuns++;
        return Promise.resolve('0, 50, 2048, 81559\n');
      },
      now: () => clock,
      smiIntervalMs: 1000,
    };
    const r = createRegistry('proxy', { defaultMetrics: false, collect: gpuCollectors(sources) });
    const text = await r.metricsText();
    assert.deepEqual(series(text, 'hlp_gpu_pool_'), [
      'hlp_gpu_pool_in_use_bytes{gpu="0"} 3145728',
      'hlp_gpu_pool_reserved_bytes{gpu="0"} 4194304',
      'hlp_gpu_pool_efficiency_ratio{gpu="0"} 0.75',
    ]);
    assert.deepEqual(series(text, 'hlp_gpu_utilization_ratio'), ['hlp_gpu_utilization_ratio{gpu="0"} 0.5']);
    assert.deepEqual(series(text, 'hlp_gpu_memory_used_bytes'), [`hlp_gpu_memory_used_bytes{gpu="0"} ${2048 * 1024 * 1024}`]);
    assert.deepEqual(series(text, 'hlp_gpu_memory_total_bytes'), [`hlp_gpu_memory_total_bytes{gpu="0"} ${81559 * 1024 * 1024}`]);
    assert.equal(smiRuns, 1, 'three gauges, one nvidia-smi run');
    await r.metricsText();
    assert.equal(smiRuns, 1, 'a second scrape within the interval reuses the reading');
    clock = 1500;
    await r.metricsText();
    assert.equal(smiRuns, 2);
  });

  it('leaves the efficiency out when nothing is reserved, and everything out without a device or nvidia-smi', async () => {
    const empty = await scrape({
      cudaUsable: () => true,
      poolStats: () => ({ ...POOL, bytesInUse: 0, bytesReserved: 0, efficiency: null }),
      runSmi: () => Promise.resolve(null),
    });
    assert.deepEqual(series(empty, 'hlp_gpu_pool_'), ['hlp_gpu_pool_in_use_bytes{gpu="0"} 0', 'hlp_gpu_pool_reserved_bytes{gpu="0"} 0']);
    let smiRuns = 0;
    const none = await scrape({
      cudaUsable: () => false,
      poolStats: () => assert.fail('the pool is not read without a usable device'),
      runSmi: () => {
        smiRuns++;
        return Promise.resolve(null);
      },
    });
    assert.deepEqual(series(none, 'hlp_gpu_'), []);
    assert.equal(smiRuns, 1);
  });

  it('on this machine: no pool series unless the cuda variant is usable', async () => {
    const text = await scrape({ runSmi: () => Promise.resolve(null) });
    if (cudaStatus().usable) assert.ok(series(text, 'hlp_gpu_pool_reserved_bytes').length === 1, text);
    else assert.deepEqual(series(text, 'hlp_gpu_pool_'), [], `no device (${cudaStatus().reason}), yet:\n${text}`);
  });
});
