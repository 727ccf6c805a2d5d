import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SERVICE_GLIBC_TUNABLES, SERVICE_NODE_FLAGS, serviceEnvAssignments, transparentHugePageMode } from '@hlp/service-runtime';
import { INFERENCE_BIN, startProcess } from './procs.js';

const ARGS = ['--port', '0', '--token', 'node-flags-token', '--backend', 'seal', '--workloads', 'affine'];
const WARNING = /"level":"warn".*started without --initial-old-space-size=128/;
const TUNABLES_WARNING = /"level":"warn".*started without GLIBC_TUNABLES=glibc\.malloc\.hugetlb=1/;
// Malloc's huge pages matter, and are warned about, only where the kernel gives them on request.
const TUNABLES_WARNINGS_BARE = transparentHugePageMode() === 'madvise' ? 1 : 0;

const environOf = (pid: number): string[] => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
const countLines = (text: string, re: RegExp): number => text.split('\n').filter((l) => re.test(l)).length;

describe('the Node flags the service runs with', () => {
  it(
    'the bin carries them and the allocator tunables on its #! line; run as a program it starts with them and says nothing, run by a bare node it warns once for each',
    { timeout: 90_000 },
    async () => {
      const shebang = readFileSync(INFERENCE_BIN, 'utf8').split('\n')[0]!;
      assert.equal(shebang, `#!/usr/bin/env -S ${serviceEnvAssignments()} node ${SERVICE_NODE_FLAGS.join(' ')}`);

      const direct = await startProcess(INFERENCE_BIN, ARGS, {}, 60_000, 'shebang');
      try {
        assert.doesNotMatch(direct.stderr(), WARNING);
        assert.doesNotMatch(direct.stderr(), TUNABLES_WARNING);
        const args = readFileSync(`/proc/${direct.pid}/cmdline`, 'utf8').split('\0');
        for (const flag of SERVICE_NODE_FLAGS) assert.ok(args.includes(flag), args.join(' '));
        assert.ok(environOf(direct.pid).includes(`GLIBC_TUNABLES=${SERVICE_GLIBC_TUNABLES.join(':')}`));
      } finally {
        await direct.stop('SIGTERM');
      }

      const bare = await startProcess(INFERENCE_BIN, ARGS);
      try {
        assert.equal(countLines(bare.stderr(), WARNING), 1, bare.stderr());
        assert.equal(countLines(bare.stderr(), TUNABLES_WARNING), TUNABLES_WARNINGS_BARE, bare.stderr());
      } finally {
        await bare.stop('SIGTERM');
      }
    },
  );
});
