import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Allocator } from '../src/index.js';

for (const kind of ['pool', 'malloc'] as const) {
  test(`${kind}: statistics balance after alloc/free and churn`, () => {
    const a = new Allocator(kind);
    const handles = [64, 1000, 4096, 1 << 16, 3 << 20].map((size) => a.alloc(size));
    const during = a.stats();
    assert.equal(during.allocations, 5);
    assert.ok(during.bytesInUse >= 64 + 1000 + 4096 + (1 << 16) + (3 << 20));
    for (const h of handles) a.free(h);
    a.churn([4096, 65536, 1 << 20], 8, 10);
    const after = a.stats();
    assert.equal(after.bytesInUse, 0);
    assert.equal(after.allocations, after.frees);
    assert.ok(after.peakBytesInUse >= during.bytesInUse);
    if (kind === 'pool') {
      assert.ok(after.hits > 0, 'reused blocks count as hits');
      assert.ok(after.misses < after.allocations, 'the pool asks the system less often than it allocates');
      assert.ok(after.hugePageBlocks > 0, 'blocks of 2 MiB and more ask for huge pages');
    } else {
      assert.equal(after.hits, 0);
      assert.equal(after.misses, after.allocations);
    }
    a.dispose();
  });
}
