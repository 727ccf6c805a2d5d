import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SERVICE_GLIBC_TUNABLES, SERVICE_NODE_FLAGS, serviceEnvAssignments, transparentHugePageMode } from '@hlp/service-runtime';
import { TOKEN } from './helpers.js';
import { INFERENCE_BIN, PROXY_BIN, startProcess, type ServiceProcess } from './procs.js';

const WARNING = /"level":"warn".*started without --initial-old-space-size=128/;
const TUNABLES_WARNING = /"level":"warn".*started without GLIBC_TUNABLES=glibc\.malloc\.hugetlb=1/;
// Malloc's huge pages matter, and are warned about, only where the kernel gives them on request.
const TUNABLES_WARNINGS_BARE = transparentHugePageMode() === 'madvise' ? 1 : 0;

const environOf = (pid: number): string[] => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
const countLines = (text: string, re: RegExp): number => text.split('\n').filter((l) => re.test(l)).length;

describe('the Node flags the proxy runs with', () => {
  it(
    'the bin carries them and the allocator tunables on its #! line, and its cluster workers inherit both; started without them it warns once for each, not per worker',
    { timeout: 120_000 },
    async () => {
      const shebang = readFileSync(PROXY_BIN, 'utf8').split('\n')[0]!;
      assert.equal(shebang, `#!/usr/bin/env -S ${serviceEnvAssignments()} node ${SERVICE_NODE_FLAGS.join(' ')}`);
      const env = { HLP_SERVICE_TOKEN: TOKEN };
      const started: ServiceProcess[] = [];
      try {
        const service = await startProcess(INFERENCE_BIN, ['--port', '0', '--workloads', 'affine', '--quiet'], env);
        started.push(service);
        const args = ['--port', '0', '--upstream', service.url, '--workers', '2', '--batch-window', '0'];
        const direct = await startProcess(PROXY_BIN, args, env, 60_000, 'shebang');
        started.push(direct);
        await direct.waitFor('ready');
        const pids = new Set<number>();
        for (let i = 0; i < 8; i++) {
          const r = await fetch(`${direct.url}/readyz`, { headers: { connection: 'close' } });
          pids.add(((await r.json()) as { pid: number }).pid);
        }
        for (const pid of [direct.pid, ...pids]) {
          const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
          for (const flag of SERVICE_NODE_FLAGS) assert.ok(cmdline.includes(flag), `pid ${pid}: ${cmdline.join(' ')}`);
          assert.ok(environOf(pid).includes(`GLIBC_TUNABLES=${SERVICE_GLIBC_TUNABLES.join(':')}`), `pid ${pid}`);
        }
        assert.doesNotMatch(direct.stderr(), WARNING);
        assert.doesNotMatch(direct.stderr(), TUNABLES_WARNING);

        const bare = await startProcess(PROXY_BIN, args, env);
        started.push(bare);
        await bare.waitFor('ready');
        assert.equal(countLines(bare.stderr(), WARNING), 1, bare.stderr());
        assert.equal(countLines(bare.stderr(), TUNABLES_WARNING), TUNABLES_WARNINGS_BARE, bare.stderr());
      } finally {
        for (const p of started.reverse()) await p.stop('SIGTERM');
      }
    },
  );
});
