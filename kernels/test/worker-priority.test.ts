import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

import { KernelError, setWorkerNice } from '../src/index.js';

const INDEX = new URL('../src/index.js', import.meta.url).href;

// In a child process, so that this test's own pool threads keep their priority.
const CHILD = `
import { readFileSync, readdirSync } from 'node:fs';
const k = await import(${JSON.stringify(INDEX)});
const niceOf = (tid) => Number(readFileSync('/proc/self/task/' + tid + '/stat', 'utf8').split(') ')[1].split(' ')[16]);
const before = readdirSync('/proc/self/task').map(niceOf);
// above whatever niceness the test runs at (lowering it would need a privilege)
const want = Math.min(19, niceOf(String(process.pid)) + 5);
k.setWorkerNice(want);
const n = 16384;
const q = k.generateNttPrimes(40, n, 1)[0];
const ctx = new k.NttContext(n, [q]);
const others = () => readdirSync('/proc/self/task').filter((t) => t !== String(process.pid));
// A pool thread takes the niceness when it runs a piece of our work, and on 2 cores a
// busy thread can take the next piece before an idle one wakes: rounds of concurrent
// work until four threads have run one (libuv's default pool), bounded.
for (let round = 0; round < 400; round++) {
  await Promise.all(Array.from({ length: 8 }, () => ctx.forwardAsync(new BigUint64Array(n))));
  if (others().map(niceOf).filter((v) => v === want).length >= 4) break;
}
const tids = others();
console.log(JSON.stringify({ before, want, main: niceOf(String(process.pid)), threads: tids.map(niceOf) }));
`;

test(
  'setWorkerNice: pool threads that ran our work take the niceness; the event loop keeps its own',
  { skip: !existsSync('/proc/self/task') && 'no /proc (not Linux)' },
  (t) => {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', CHILD], { encoding: 'utf8' });
    const r = JSON.parse(out) as { before: number[]; want: number; main: number; threads: number[] };
    assert.ok(
      r.before.every((n) => n === r.main),
      `every thread starts at the process's niceness: ${JSON.stringify(r.before)}`,
    );
    if (r.want <= r.main) return t.skip(`the test runs at niceness ${r.main}: no lower priority is left to give the pool`);
    // libuv's pool has 4 threads by default; all of them ran a transform
    assert.ok(r.threads.filter((n) => n === r.want).length >= 4, `pool threads at nice ${r.want}: ${JSON.stringify(r.threads)}`);
  },
);

test('setWorkerNice: out-of-range values are INVALID_ARGUMENT', () => {
  for (const bad of [-1, 20, 1.5, Number.NaN]) {
    assert.throws(
      () => setWorkerNice(bad),
      (e: unknown) => e instanceof KernelError && e.code === 'INVALID_ARGUMENT',
      String(bad),
    );
  }
});
