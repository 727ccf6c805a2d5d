import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SERVICE_GLIBC_TUNABLES, SERVICE_NODE_FLAGS } from '@hlp/service-runtime';
import { benchRegimeNote, runBenchChild } from '../src/bench/child.js';

interface Written {
  readonly args: string[];
  readonly execArgv: string[];
  readonly tunables: string | null;
  readonly extra: string | null;
}

describe('runBenchChild', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hlp-bench-child-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  // Stands in for another checkout's hlp.js: writes what it was run with to its --out file.
  const bin = join(dir, 'fake-hlp.mjs');
  writeFileSync(
    bin,
    [
      "import { writeFileSync } from 'node:fs';",
      'const args = process.argv.slice(2);',
      "writeFileSync(args[args.indexOf('--out') + 1], JSON.stringify({ args, execArgv: process.execArgv, tunables: process.env.GLIBC_TUNABLES ?? null, extra: process.env.HLP_CHILD_TEST ?? null }));",
    ].join('\n'),
  );
  const run = async (env?: NodeJS.ProcessEnv): Promise<Written> => {
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}.json`);
    const r = await runBenchChild(['ckks', '--quick'], out, { bin, ...(env ? { env } : {}) });
    assert.equal(r.code, 0);
    return JSON.parse(readFileSync(out, 'utf8')) as Written;
  };

  it("measures in a child with the services' malloc tunables and Node flags, the caller's environment kept", async () => {
    const got = await run({ ...process.env, GLIBC_TUNABLES: 'glibc.malloc.arena_max=4', HLP_CHILD_TEST: 'kept' });
    assert.deepEqual(got.args, ['bench', 'ckks', '--quick', '--out', got.args.at(-1)]);
    assert.deepEqual(got.execArgv, [...SERVICE_NODE_FLAGS], 'the collector the services run with');
    assert.equal(got.tunables, `glibc.malloc.arena_max=4:${SERVICE_GLIBC_TUNABLES.join(':')}`);
    assert.equal(got.extra, 'kept');
    const { GLIBC_TUNABLES: _unused, ...bare } = process.env;
    assert.equal((await run(bare)).tunables, SERVICE_GLIBC_TUNABLES.join(':'));
    // a choice of the caller's stands: `glibc.malloc.hugetlb=0` measures without huge pages
    assert.equal((await run({ ...bare, GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' })).tunables, 'glibc.malloc.hugetlb=0');
  });
});

describe('benchRegimeNote', () => {
  it('names what a process measuring in place lacks of the services’ regime, and how to start it with it', () => {
    const note = benchRegimeNote([], {});
    assert.ok(note !== null);
    for (const flag of SERVICE_NODE_FLAGS) assert.ok(note.includes(flag), note);
    for (const t of SERVICE_GLIBC_TUNABLES) assert.ok(note.includes(`GLIBC_TUNABLES=${t}`), note);
    assert.ok(note.includes('apps/lab/bin/hlp.js bench'), note);
    const onlyTunables = benchRegimeNote([...SERVICE_NODE_FLAGS], {});
    assert.ok(onlyTunables !== null && !SERVICE_NODE_FLAGS.some((f) => onlyTunables.includes(`services' ${f}`)), onlyTunables ?? '');
    assert.equal(benchRegimeNote([...SERVICE_NODE_FLAGS], { GLIBC_TUNABLES: SERVICE_GLIBC_TUNABLES.join(':') }), null);
    // a caller's own value of a tunable counts as a choice, as for the children
    assert.equal(benchRegimeNote([...SERVICE_NODE_FLAGS], { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }), null);
  });
});
