/** The key-switching headline of `hlp bench ckks`: hoisted against unhoisted rotations of one run, native against seal. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SCHEMA_VERSION, makeMetric, type Labels, type Metric, type RunResult } from '@hlp/results';
import { kswitchHeadline, renderCkksReport } from '../src/bench/ckks.js';
import { MACHINE } from './report-fixtures.js';

function metric(name: string, labels: Labels, medianNs: number): Metric {
  return makeMetric({ name, unit: 'ns', better: 'lower', labels, samples: [medianNs, medianNs, medianNs] });
}

function runOf(metrics: Metric[]): RunResult {
  return {
    schema: SCHEMA_VERSION,
    suite: 'ckks',
    startedAt: '2026-12-08T00:00:00.000Z',
    finishedAt: '2026-12-08T00:01:00.000Z',
    machine: MACHINE,
    git: { commit: 'c0ffee', dirty: false, branch: 'main' },
    config: {},
    metrics,
  };
}

const native = { backend: 'native', n: 8192 };
const seal = { backend: 'seal', n: 8192 };

describe('hlp bench ckks: key-switching headline', () => {
  it('gives each hoisted batch as a share of one rotation of the same backend and n, and native against seal', () => {
    const run = runOf([
      metric('ckks.rotate', native, 500_000),
      metric('ckks.rotate_hoisted', { ...native, rotations: 16 }, 280_000),
      metric('ckks.rotate_hoisted', { ...native, rotations: 8 }, 300_000),
      metric('ckks.rotate', seal, 5_000_000),
      metric('ckks.rotate_hoisted', { ...seal, rotations: 8 }, 4_000_000),
      metric('ckks.relinearize', native, 400_000),
      metric('ckks.relinearize', seal, 3_000_000),
      metric('ckks.mul_relin_rescale', native, 600_000),
    ]);
    const lines = kswitchHeadline(run);
    const nativeLine = lines.find((l) => l.includes('native n=8192'));
    assert.ok(nativeLine, lines.join('\n'));
    // batches in ascending order, each median over the rotation's (500 µs)
    assert.match(nativeLine, /rotate 500 µs {2}hoisted 8 → 300 µs \(0\.60\) {2}16 → 280 µs \(0\.56\)$/);
    assert.match(lines.find((l) => l.includes('seal   n=8192')) ?? '', /rotate 5\.00 ms {2}hoisted 8 → 4\.00 ms \(0\.80\)$/);
    // mul_relin_rescale has no seal row: left out rather than guessed
    assert.equal(lines.at(-1), '  native vs seal at n=8192: relinearize ×7.50, rotate ×10.00');
    assert.match(renderCkksReport(run), /\n\nkey switching: a hoisted rotation/);
  });

  it('says when a rotation has no hoisted batch beside it, and stays out of a run without rotations', () => {
    const lines = kswitchHeadline(runOf([metric('ckks.rotate', native, 500_000), metric('ckks.rotate_hoisted', { ...seal, rotations: 8 }, 1)]));
    assert.deepEqual(lines.slice(1), ['  native n=8192   rotate 500 µs  hoisted not run']);
    const none = runOf([metric('ckks.add', native, 15_000)]);
    assert.deepEqual(kswitchHeadline(none), []);
    assert.doesNotMatch(renderCkksReport(none), /key switching/);
  });
});
