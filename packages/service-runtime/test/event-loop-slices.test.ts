import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventLoopSlices, loopIterationCounter as iterationCounter, loopTurn, turnsWaiting } from '../src/event-loop-slices.js';

describe('event-loop turns', () => {
  it('wake one waiting piece of work per iteration, first come first served', async () => {
    const loop = iterationCounter();
    const seen: { job: number; iteration: number }[] = [];
    const job = async (id: number): Promise<void> => {
      for (let step = 0; step < 3; step++) {
        await loopTurn();
        seen.push({ job: id, iteration: loop.now() });
      }
    };
    await Promise.all([job(0), job(1), job(2), job(3)]);
    loop.stop();
    assert.equal(seen.length, 12);
    // round robin: 0 1 2 3 0 1 2 3 …
    assert.deepEqual(
      seen.map((s) => s.job),
      [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3],
    );
    // never two turns in one iteration (per-job setImmediate would have given all four the same one)
    const iterations = seen.map((s) => s.iteration);
    assert.equal(new Set(iterations).size, iterations.length, `iterations ${iterations.join(' ')}`);
    assert.equal(turnsWaiting(), 0);
  });

  it('gives the slices of concurrent work an iteration each, so that I/O is polled between them', async () => {
    const loop = iterationCounter();
    const resumed: number[] = [];
    const work = async (): Promise<void> => {
      const slices = new EventLoopSlices();
      for (let i = 0; i < 3; i++) {
        const until = performance.now() + 6; // past EVENT_LOOP_SLICE_MS: every pause yields
        while (performance.now() < until) {
          /* a slice of synchronous work */
        }
        await slices.pause();
        resumed.push(loop.now());
      }
    };
    await Promise.all([work(), work(), work(), work()]);
    loop.stop();
    assert.equal(resumed.length, 12);
    assert.equal(new Set(resumed).size, resumed.length, `iterations ${resumed.join(' ')}`);
  });

  it('a pause within the slice time does not yield', async () => {
    const slices = new EventLoopSlices();
    let ran = false;
    setImmediate(() => (ran = true));
    await slices.pause();
    assert.equal(ran, false);
  });
});
