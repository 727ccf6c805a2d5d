/**
 * The run-document catalogue (`@hlp/results` RUN_METRICS) against the code around it: every
 * entry has a producer that declares it, and the gate's thresholds file, which names metrics in
 * data rather than in types, names catalogued ones.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nameMatches, readConfig } from '@hlp/gate';
import { LOAD_METRICS } from '@hlp/loadgen';
import { RUN_METRICS, RUN_METRIC_NAMES, type RunMetricName, type RunMetricProducer, type RunMetricSpec } from '@hlp/results';
import { CALIBRATION_METRIC } from '../src/bench/calibration.js';
import { ADD_IN_PLACE_CASE, OP_CASES, CKKS_METRIC_ORDER } from '../src/bench/ckks.js';
import { answersCases } from '../src/bench/ckks-answers.js';
import { seededBatchCases } from '../src/bench/ckks-seeded-batch.js';
import { kswitchCases } from '../src/bench/ckks-kswitch.js';
import { MATVEC_N, matvecCases } from '../src/bench/ckks-matvec.js';
import { KERNELS_BENCH_METRICS } from '../src/bench/kernels.js';
import { CONFIG_FILE } from '../src/gate/options.js';

/** What each producer in this repository declares it writes. */
const PRODUCED: Readonly<Record<Exclude<RunMetricProducer, 'external'>, readonly RunMetricName[]>> = {
  'hlp bench kernels': KERNELS_BENCH_METRICS,
  'hlp bench ckks': CKKS_METRIC_ORDER,
  'gate calibration': [CALIBRATION_METRIC],
  'hlp load': Object.values(LOAD_METRICS)
    .filter((s) => s.producer === 'hlp load')
    .map((s) => s.name),
  'hlp load --verify': [LOAD_METRICS.crossCheckRatio.name, LOAD_METRICS.throughput.name],
};

const sorted = (names: Iterable<string>): string[] => [...new Set(names)].sort();

describe('run-document metric catalogue against its producers', () => {
  it('every entry is written by the producer it names (or is marked external)', () => {
    for (const [producer, names] of Object.entries(PRODUCED)) {
      const catalogued = RUN_METRIC_NAMES.filter((n) => RUN_METRICS[n].producer === producer);
      // a producer may also write a name another one owns (the cross-check's throughput rows)
      for (const n of catalogued) assert.ok(names.includes(n), `${n} is catalogued as written by ${producer}, which does not declare it`);
    }
    const produced = new Set(Object.values(PRODUCED).flat());
    for (const n of RUN_METRIC_NAMES) {
      const spec: RunMetricSpec = RUN_METRICS[n];
      if (spec.producer === 'external') continue;
      assert.ok(produced.has(n), `${n} is catalogued but nothing here writes it (mark it producer: 'external' if another tool does)`);
    }
  });

  it('hlp bench ckks builds a case for every name it declares', () => {
    const built = [
      ...OP_CASES,
      ADD_IN_PLACE_CASE,
      ...answersCases('native'),
      ...seededBatchCases('native'),
      ...kswitchCases(false),
      ...matvecCases(MATVEC_N, false),
    ].map((c) => c.name);
    // prompt cases are built per thread count inside the run; the pool ratio comes with the GPU prompt
    const declared = CKKS_METRIC_ORDER.filter((n) => n !== 'ckks.prompt_encrypt' && n !== 'ckks.gpu_pool_efficiency');
    assert.deepEqual(sorted(built), sorted(declared));
  });
});

// The SLO targets and the dashboards are checked in their own packages (gate targets.test,
// dashboards.test); the thresholds file is data the lab reads, so it is checked here.
describe('consumers name catalogued run-document metrics', () => {
  it("the gate's thresholds file: every rule and ignore pattern matches a catalogued name", async () => {
    const config = await readConfig(fileURLToPath(new URL(`../../../../baselines/${CONFIG_FILE}`, import.meta.url)));
    const patterns = [...config.rules.map((r) => r.name), ...config.ignore];
    assert.ok(patterns.length > 0, 'the thresholds file names no metric: this test reads the wrong file');
    for (const p of patterns)
      assert.ok(
        RUN_METRIC_NAMES.some((n) => nameMatches(p, n)),
        `${CONFIG_FILE}: ${p} matches no RUN_METRICS name`,
      );
  });
});
