import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CiphertextBudget } from '../src/ciphertext-budget.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('the ciphertext budget (the bound on memory)', () => {
  it('grants while it lasts, then first come first served: a large batch is not overtaken by small ones', async () => {
    const b = new CiphertextBudget(100);
    const a = await b.acquire(60);
    assert.equal(b.free, 40);
    const order: string[] = [];
    const big = b.acquire(80).then((r) => (order.push('big'), r));
    const small = b.acquire(10).then((r) => (order.push('small'), r));
    await tick();
    assert.deepEqual(order, [], 'the small one waits behind the big one although 40 are free');
    assert.equal(b.waiting, 2);
    a();
    const [rb, rs] = await Promise.all([big, small]);
    assert.deepEqual(order, ['big', 'small']);
    assert.equal(b.free, 10);
    rb();
    rb(); // a second release gives nothing back twice
    rs();
    assert.equal(b.free, 100);
  });

  it('a batch larger than the whole budget runs alone; bad capacities are refused', async () => {
    const b = new CiphertextBudget(50);
    const r = await b.acquire(500);
    assert.equal(b.free, 0);
    let other = false;
    const next = b.acquire(1).then((x) => ((other = true), x));
    await tick();
    assert.equal(other, false);
    r();
    (await next)();
    assert.equal(b.free, 50);
    assert.throws(() => new CiphertextBudget(0), RangeError);
    assert.throws(() => new CiphertextBudget(1.5), RangeError);
  });
});
