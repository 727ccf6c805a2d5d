import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  SERVICE_GLIBC_TUNABLES,
  SERVICE_NODE_FLAGS,
  missingServiceNodeFlags,
  missingServiceTunables,
  serviceNodeFlagsWarning,
  serviceProcessEnv,
  serviceTunablesWarning,
  transparentHugePageMode,
} from '../src/index.js';

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

describe("the services' allocator tunables", () => {
  it('names the tunables a GLIBC_TUNABLES value leaves out, by name, whatever their value', () => {
    assert.deepEqual(missingServiceTunables(undefined), [...SERVICE_GLIBC_TUNABLES]);
    assert.deepEqual(missingServiceTunables(''), [...SERVICE_GLIBC_TUNABLES]);
    assert.deepEqual(missingServiceTunables('glibc.malloc.arena_max=2'), [...SERVICE_GLIBC_TUNABLES]);
    assert.deepEqual(missingServiceTunables('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=0'), []);
    assert.deepEqual(missingServiceTunables(SERVICE_GLIBC_TUNABLES.join(':')), []);
  });

  it("serviceProcessEnv adds them to a copy, after the caller's own, and keeps a value the caller chose", () => {
    const env = { PATH: '/bin', GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' };
    const out = serviceProcessEnv(env);
    assert.equal(out.GLIBC_TUNABLES, `glibc.malloc.arena_max=2:${SERVICE_GLIBC_TUNABLES.join(':')}`);
    assert.equal(out.PATH, '/bin');
    assert.equal(env.GLIBC_TUNABLES, 'glibc.malloc.arena_max=2', "the caller's object is left alone");
    assert.equal(serviceProcessEnv({}).GLIBC_TUNABLES, SERVICE_GLIBC_TUNABLES.join(':'));
    assert.equal(serviceProcessEnv({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }).GLIBC_TUNABLES, 'glibc.malloc.hugetlb=0');
  });

  it("reads the kernel's huge page mode from its bracketed word, and null where there is none", () => {
    assert.equal(
      transparentHugePageMode(() => 'always [madvise] never\n'),
      'madvise',
    );
    assert.equal(
      transparentHugePageMode(() => '[always] madvise never\n'),
      'always',
    );
    assert.equal(
      transparentHugePageMode(() => 'always madvise [never]\n'),
      'never',
    );
    assert.equal(
      transparentHugePageMode(() => 'garbage'),
      null,
    );
    assert.equal(
      transparentHugePageMode(() => {
        throw new Error('ENOENT');
      }),
      null,
    );
  });

  it('warns only where the kernel gives huge pages on request and malloc would not ask', () => {
    assert.match(serviceTunablesWarning(undefined, 'madvise') ?? '', /^started without GLIBC_TUNABLES=glibc\.malloc\.hugetlb=1: /);
    assert.match(serviceTunablesWarning('glibc.malloc.arena_max=2', 'madvise') ?? '', /GLIBC_TUNABLES=glibc\.malloc\.hugetlb=1/);
    assert.equal(serviceTunablesWarning(SERVICE_GLIBC_TUNABLES.join(':'), 'madvise'), null);
    assert.equal(serviceTunablesWarning(undefined, 'always'), null);
    assert.equal(serviceTunablesWarning(undefined, 'never'), null);
    assert.equal(serviceTunablesWarning(undefined, null), null);
  });

  // What the tunable is for, checked on this host: a large buffer that malloc hands out is backed
  // by huge pages with it, and (in madvise mode) by none without it.
  const mode = transparentHugePageMode();
  it(
    "a service process's fresh 64 MiB buffer lands in huge pages",
    { skip: mode !== 'madvise' && mode !== 'always' ? `transparent huge pages are ${mode ?? 'absent'} here` : false },
    () => {
      const child = [
        "const { readFileSync } = require('node:fs');",
        "const huge = () => Number(/AnonHugePages:\\s+(\\d+)/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))[1]);",
        'const before = huge();',
        'const b = Buffer.allocUnsafeSlow(64 << 20); b.fill(1);',
        'process.stdout.write(String(huge() - before));',
      ].join('\n');
      const hugeKiB = (env: NodeJS.ProcessEnv): number => Number(execFileSync(process.execPath, ['-e', child], { env, encoding: 'utf8' }));
      const { GLIBC_TUNABLES: _, ...bare } = process.env;
      const withTunables = hugeKiB(serviceProcessEnv(bare));
      // Half is plenty to tell: where the kernel finds no free 2 MiB page it falls back to small ones.
      assert.ok(withTunables >= 32 * 1024, `${withTunables} KiB of the 64 MiB in huge pages with the tunables`);
      if (mode === 'madvise') {
        const without = hugeKiB(bare);
        assert.ok(without < withTunables / 4, `${without} KiB in huge pages without the tunables, ${withTunables} KiB with`);
      }
    },
  );
});
