import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeBaseline } from '../src/baseline.js';
import { runGate } from '../src/gate.js';
import { interleave } from '../src/interleave.js';
import { poolRuns } from '../src/pool.js';
import { lognormal, run } from './helpers.js';

describe('interleave (same-job mode)', () => {
  it('runs A B A B … one at a time and keeps each side in order', async () => {
    const log: string[] = [];
    let running = 0;
    const side = (name: string) => async (round: number) => {
      running++;
      assert.equal(running, 1, 'never two runs at once');
      log.push(`${name}${round}`);
      await new Promise((r) => setTimeout(r, 2));
      running--;
      return `${name}${round}`;
    };
    const events: string[] = [];
    const out = await interleave({ rounds: 3, baseline: side('A'), current: side('B'), progress: (e) => events.push(`${e.phase}:${e.side}:${e.round}`) });
    assert.deepEqual(log, ['A1', 'B1', 'A2', 'B2', 'A3', 'B3']);
    assert.deepEqual(out.baseline, ['A1', 'A2', 'A3']);
    assert.deepEqual(out.current, ['B1', 'B2', 'B3']);
    assert.equal(events.length, 12);
    await assert.rejects(interleave({ rounds: 0, baseline: side('A'), current: side('B') }), RangeError);
  });

  it('a drift of the machine over time lands on both sides alike (injected runner)', async () => {
    // the machine gets 2 % slower every run; the code is unchanged: pooled sides stay comparable
    let t = 0;
    const measure = () => run([{ name: 'op', samples: lognormal(300, 100 * (1 + 0.02 * t++), 0.03, t) }]);
    const both = await interleave({ rounds: 3, baseline: async () => measure(), current: async () => measure() });
    const report = await runGate({ current: poolRuns(both.current), baseline: makeBaseline(both.baseline), mode: 'same-job', against: 'main', targets: false });
    const c = report.comparisons[0]!;
    assert.equal(c.runsBaseline, 3);
    assert.equal(c.runsCurrent, 3);
    assert.notEqual(c.verdict, 'regression');
    assert.ok(c.ratio! > 1 && c.ratio! < 1.04, `ratio ${c.ratio}`);
    assert.equal(report.mode, 'same-job');

    // and a 20 % slower current side is a regression
    let u = 0;
    const slow = await interleave({
      rounds: 3,
      baseline: async () => run([{ name: 'op', samples: lognormal(300, 100, 0.03, ++u) }]),
      current: async () => run([{ name: 'op', samples: lognormal(300, 120, 0.03, ++u) }]),
    });
    const r2 = await runGate({ current: poolRuns(slow.current), baseline: makeBaseline(slow.baseline), mode: 'same-job', targets: false, remeasure: { unavailable: 'test' } });
    assert.equal(r2.comparisons[0]!.verdict, 'regression');
  });
});
