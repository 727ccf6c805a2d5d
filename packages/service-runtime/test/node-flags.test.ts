import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SERVICE_NODE_FLAGS, missingServiceNodeFlags, serviceNodeFlagsWarning } from '../src/index.js';

describe('missingServiceNodeFlags', () => {
  it('names the service flags a process was started without, by name, whatever their value or spelling', () => {
    assert.deepEqual(missingServiceNodeFlags([]), [...SERVICE_NODE_FLAGS]);
    assert.deepEqual(missingServiceNodeFlags(['--enable-source-maps', '--cpu-prof']), [...SERVICE_NODE_FLAGS]);
    assert.deepEqual(missingServiceNodeFlags(['--initial-old-space-size=512']), []);
    assert.deepEqual(missingServiceNodeFlags(['--initial_old_space_size=128']), []);
    assert.deepEqual(missingServiceNodeFlags([...SERVICE_NODE_FLAGS]), []);
  });
});

describe('serviceNodeFlagsWarning', () => {
  it('is null with the flags, and names the missing flag without them', () => {
    assert.equal(serviceNodeFlagsWarning([...SERVICE_NODE_FLAGS]), null);
    assert.match(serviceNodeFlagsWarning([]) ?? '', /^started without --initial-old-space-size=128: /);
  });
});
