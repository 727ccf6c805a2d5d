import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ADDON_PATH } from '@hlp/kernels';
import { findRepoRoot } from '@hlp/results';
import { measureInterleaved } from '../src/gate/interleave.js';
import { candidateSide, loadSide, type SideModules } from '../src/gate/pair-cases.js';
import { MATVEC_SLICE, matvecPairCases } from '../src/gate/pair-cases-matvec.js';
import { selectorOf } from '../src/gate/pairs.js';
import type { MatvecModules } from '../src/bench/ckks-matvec.js';

const NO_ADDON = existsSync(ADDON_PATH) ? false : `native addon not built (${ADDON_PATH})`;
const OPTIONS = { backendName: 'native', n: 8192, symmetricPrng: 'shake256' } as const;

describe('ckks.matvec pair cases', { skip: NO_ADDON }, () => {
  it('builds the default projection on both sides, each side running its own runner, and measures it', async () => {
    const root = findRepoRoot()!;
    const reference = await loadSide(root);
    const referenceWorkloads = await reference.workloads();
    assert.ok(referenceWorkloads, 'a built checkout brings its @hlp/evaluator and @hlp/model');
    // the reference's runner is the one its side calls: count its products
    let referenceRuns = 0;
    const Runner = referenceWorkloads.evaluator.ProjectionRunner;
    class CountingRunner extends Runner {
      override run(...a: Parameters<InstanceType<typeof Runner>['run']>): ReturnType<InstanceType<typeof Runner>['run']> {
        referenceRuns++;
        return super.run(...a);
      }
    }
    const workloads: MatvecModules = { ...referenceWorkloads, evaluator: { ...referenceWorkloads.evaluator, ProjectionRunner: CountingRunner } };
    const baseline: SideModules = { ...reference, workloads: () => Promise.resolve(workloads) };
    const notes: string[] = [];
    const disposers: (() => void)[] = [];
    try {
      const cases = await matvecPairCases({ baseline, current: candidateSide(root) }, OPTIONS, notes, disposers);
      assert.deepEqual(notes, []);
      assert.deepEqual(
        cases.map((c) => selectorOf(c.name, c.labels)),
        ['ckks.matvec{backend=native;n=8192;shape=768x64}'],
      );
      const c = cases[0]!;
      assert.ok(c.kind === 'timed' && c.unit === 'ms' && !c.async);
      assert.deepEqual(c.slice, MATVEC_SLICE);
      // one checked product each while the fixtures were built
      assert.equal(referenceRuns, 1);
      const out = await measureInterleaved(cases, { pairs: 2, sliceMs: 1, minCalls: 1, warmupCalls: 1 });
      assert.equal(out.current.length, 1);
      assert.ok(out.current[0]!.summary.median > 0);
      assert.ok(referenceRuns > 1 + 2, `the reference side ran its own runner (${referenceRuns} products)`);
    } finally {
      disposers.forEach((d) => d());
    }
  });

  it('a side without @hlp/evaluator, another backend, or an --only that leaves it out: no case, a note where it was wanted', async () => {
    const root = findRepoRoot()!;
    const current = candidateSide(root);
    const bare: SideModules = { ...(await loadSide(root)), workloads: () => Promise.resolve(undefined) };
    const disposers: (() => void)[] = [];
    const notes: string[] = [];
    assert.deepEqual(await matvecPairCases({ baseline: bare, current }, OPTIONS, notes, disposers), []);
    assert.deepEqual(notes, ['ckks.matvec not paired: the reference has no built @hlp/evaluator and @hlp/model']);
    notes.length = 0;
    assert.deepEqual(await matvecPairCases({ baseline: bare, current }, { ...OPTIONS, backendName: 'seal' }, notes, disposers), []);
    assert.match(notes[0]!, /native backend only, not on seal/);
    notes.length = 0;
    const onlyAdd = { ...OPTIONS, wanted: (name: string) => name === 'ckks.add' };
    assert.deepEqual(await matvecPairCases({ baseline: bare, current }, onlyAdd, notes, disposers), []);
    assert.deepEqual(notes, [], 'not wanted: nothing built and nothing to say');
    assert.equal(disposers.length, 0, 'no backend was made');
  });
});
