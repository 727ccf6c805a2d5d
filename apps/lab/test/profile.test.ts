import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { ADDON_PATH } from '@hlp/kernels';
import { clinicFooter, findClinic } from '../src/profile/clinic.js';
import { topSelfTime } from '../src/profile/cpuprofile.js';
import { profileCommand } from '../src/profile/run.js';

const NO_ADDON = existsSync(ADDON_PATH) ? false : `native addon not built (${ADDON_PATH})`;
const NO_CLINIC = NO_ADDON || (findClinic() ? false : 'clinic is not installed (npm ci installs it: a devDependency of @hlp/lab)');

describe('cpuprofile parsing', () => {
  it('sums self time per function from samples and time deltas', () => {
    const cf = (functionName: string) => ({ functionName, url: 'file:///x.js', lineNumber: 1, scriptId: '1', columnNumber: 0 });
    const profile = {
      nodes: [
        { id: 1, callFrame: cf('(root)'), children: [2, 3] },
        { id: 2, callFrame: cf('hot'), children: [] },
        { id: 3, callFrame: cf('cold'), children: [] },
      ],
      samples: [2, 2, 3, 2],
      timeDeltas: [0, 1000, 1000, 1000],
      startTime: 0,
      endTime: 4000,
    };
    const top = topSelfTime(profile, 10);
    assert.equal(top.totalMs, 3);
    assert.equal(top.rows[0]!.functionName, 'hot');
    assert.equal(top.rows[0]!.selfMs, 2);
    assert.equal(top.rows[1]!.functionName, 'cold');
  });
});

describe('hlp profile --tool cpuprof', () => {
  it('profiles the proxy under load, writes the .cpuprofile and lists the top functions', { skip: NO_ADDON, timeout: 240_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hlp-prof-'));
    try {
      let stdout = '';
      const io = { stdout: { write: (s: string) => ((stdout += s), true) }, stderr: { write: () => true } } as never;
      const o = await profileCommand('short', { tool: 'cpuprof', rate: '10', duration: '3', out: dir }, io);
      assert.ok(o.profile && o.profile.endsWith('.cpuprofile') && existsSync(o.profile));
      assert.ok(o.top && o.top.rows.length === 10, 'ten rows');
      assert.ok(o.top.totalMs > 100);
      assert.match(stdout, /top 10 self-time functions/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('hlp profile --tool doctor|flame|bubbleprof (Clinic.js)', () => {
  it('reads the footer clinic appends to a finished report', () => {
    assert.deepEqual(clinicFooter('<html></html>\n<!-- {"tool":"doctor","toolVersion":"11.0.0","hash":"ab"} -->\n'), {
      tool: 'doctor',
      toolVersion: '11.0.0',
      hash: 'ab',
    });
    assert.equal(clinicFooter('<html></html>\n'), null, 'no footer: clinic did not finish');
    assert.equal(clinicFooter('<!-- {"tool":"doctor"} -->'), null, 'no version');
  });

  // Real processes on loopback: inference, the proxy under clinic, the lab's load; a short load
  // keeps clinic's analysis (the bulk of the time) short on a 2-core CI machine.
  const expect = {
    doctor: { title: 'Clinic Doctor', data: (html: string) => (html.match(/"cpu":/g) ?? []).length > 100, what: 'process samples (one per 10 ms)' },
    flame: { title: 'Clinic Flame', data: (html: string) => html.includes('apps/proxy/dist/src/'), what: "the proxy's own frames" },
    bubbleprof: { title: 'Clinic Bubbleprof', data: (html: string) => html.includes('apps/proxy/dist/src/'), what: "the proxy's own async stacks" },
  } as const;
  for (const tool of ['doctor', 'flame', 'bubbleprof'] as const) {
    const { title, data, what } = expect[tool];
    it(`${tool}: profiles the proxy under load and leaves the HTML report in the run folder`, { skip: NO_CLINIC, timeout: 180_000 }, async () => {
      const dir = await mkdtemp(join(tmpdir(), `hlp-clinic-${tool}-`));
      try {
        let stdout = '';
        const io = { stdout: { write: (s: string) => ((stdout += s), true) }, stderr: { write: () => true } } as never;
        const o = await profileCommand('short', { tool, rate: '10', duration: '2', out: dir }, io);
        assert.ok(o.profile, 'an HTML path');
        assert.equal(dirname(o.profile), dir, 'the HTML is in the run folder');
        assert.match(o.profile, new RegExp(`\\d+\\.clinic-${tool}\\.html$`));
        assert.ok((await stat(o.profile)).size > 100_000, 'a real report, not an empty page');
        const html = await readFile(o.profile, 'utf8');
        assert.ok(html.includes(`<title>${title}</title>`), title);
        assert.equal(clinicFooter(html)?.tool, tool, "clinic's footer: the report was finished");
        assert.ok(data(html), what);
        assert.ok(stdout.includes(`html ${o.profile}`), 'the path is printed');
        if (tool === 'doctor') {
          assert.match(o.diagnosis ?? '', /^(none|gc|event-loop|io|data|unknown)$/);
          assert.match(stdout, /^diagnosis: /m);
        }
        // clinic collects its trace logs from its working directory: the run folder, now emptied of them
        assert.deepEqual(
          (await readdir(dir)).filter((f) => /^(node_trace|isolate-)/.test(f)),
          [],
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
