import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ADDON_PATH } from '@hlp/kernels';
import { profileCommand, topSelfTime } from '../src/commands/profile.js';

const NO_ADDON = existsSync(ADDON_PATH) ? false : `native addon not built (${ADDON_PATH})`;

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

  it('clinic tools say how to install clinic when it is absent', { skip: existsSync('node_modules/.bin/clinic') ? 'clinic is installed' : false }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hlp-prof-'));
    try {
      const io = { stdout: { write: () => true }, stderr: { write: () => true } } as never;
      await assert.rejects(profileCommand('short', { tool: 'flame', out: dir }, io), /clinic is not installed.*npm i -D clinic/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
