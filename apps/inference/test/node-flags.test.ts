import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SERVICE_NODE_FLAGS } from '@hlp/service-runtime';
import { INFERENCE_BIN, startProcess } from './procs.js';

const ARGS = ['--port', '0', '--token', 'node-flags-token', '--backend', 'seal', '--workloads', 'affine'];
const WARNING = /"level":"warn".*started without --initial-old-space-size=128/;

describe('the Node flags the service runs with', () => {
  it(
    'the bin carries them on its #! line; run as a program it starts with them and says nothing, run by a bare node it warns once',
    { timeout: 90_000 },
    async () => {
      const shebang = readFileSync(INFERENCE_BIN, 'utf8').split('\n')[0]!;
      assert.equal(shebang, `#!/usr/bin/env -S node ${SERVICE_NODE_FLAGS.join(' ')}`);

      const direct = await startProcess(INFERENCE_BIN, ARGS, {}, 60_000, 'shebang');
      try {
        assert.doesNotMatch(direct.stderr(), WARNING);
        const args = readFileSync(`/proc/${direct.pid}/cmdline`, 'utf8').split('\0');
        for (const flag of SERVICE_NODE_FLAGS) assert.ok(args.includes(flag), args.join(' '));
      } finally {
        await direct.stop('SIGTERM');
      }

      const bare = await startProcess(INFERENCE_BIN, ARGS);
      try {
        assert.equal(
          bare
            .stderr()
            .split('\n')
            .filter((l) => WARNING.test(l)).length,
          1,
          bare.stderr(),
        );
      } finally {
        await bare.stop('SIGTERM');
      }
    },
  );
});
