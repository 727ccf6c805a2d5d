import { test } from 'node:test';
import assert from 'node:assert/strict';

import { BodyPool, pooledCapacity } from '../src/native/result-pool.js';

test('BodyPool: a body handed back serves a later one of up to its size, and only memory it lent comes back', () => {
  const pool = new BodyPool(16 * 1024 * 1024);
  const first = pool.take(1_000_000);
  assert.ok(first.length >= 1_000_000);
  assert.equal(first.length, pooledCapacity(1_000_000));
  assert.equal(first.byteOffset, 0, 'a body owns its memory whole');
  assert.ok(pool.owns(first));
  assert.ok(pool.owns(first.subarray(10, 20)), 'a view of a lent body is recognised by its memory');
  pool.give(first.subarray(0, 999_000));
  assert.ok(!pool.owns(first), 'handed back');
  assert.equal(pool.bytes, first.byteLength);
  const again = pool.take(900_000);
  assert.equal(again.buffer, first.buffer, 'a smaller body reuses the memory');
  assert.equal(pool.bytes, 0);

  pool.give(again);
  pool.give(again);
  assert.equal(pool.bytes, again.byteLength, 'handed back twice, kept once');

  const foreign = Buffer.allocUnsafeSlow(1_000_000);
  pool.give(foreign);
  assert.equal(pool.bytes, again.byteLength, 'memory the pool did not lend is left alone');
  assert.notEqual(pool.take(3_000_000).buffer, first.buffer, 'a body more than twice the size held is fresh');
});

test('BodyPool: bounded in bytes, the oldest buffers leave first', () => {
  const pool = new BodyPool(3 * 1024 * 1024);
  const a = pool.take(1024 * 1024);
  const b = pool.take(1024 * 1024);
  const c = pool.take(1024 * 1024);
  const d = pool.take(1024 * 1024);
  for (const body of [a, b, c, d]) pool.give(body);
  assert.equal(pool.bytes, 3 * 1024 * 1024);
  const taken = [pool.take(1024 * 1024), pool.take(1024 * 1024), pool.take(1024 * 1024)].map((x) => x.buffer);
  assert.ok(!taken.includes(a.buffer), 'the oldest was dropped to keep the newest');
  for (const body of [b, c, d]) assert.ok(taken.includes(body.buffer));
});

test('BodyPool: shared bodies live in SharedArrayBuffers', () => {
  const pool = new BodyPool(1024 * 1024, { shared: true });
  const body = pool.take(1000);
  assert.ok(body.buffer instanceof SharedArrayBuffer);
  pool.give(body);
  assert.equal(pool.take(1000).buffer, body.buffer);
});
