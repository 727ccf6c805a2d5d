import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as net from 'node:net';
import { describe, it } from 'node:test';
import { INFERENCE_BIN, startProcess } from './procs.js';

/** Resolves with the ms until the server closed a connection that sends nothing. */
function silentFor(url: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const s = net.connect(Number(port), hostname);
    s.on('error', () => undefined);
    s.on('close', () => resolve(performance.now() - t0));
    setTimeout(() => reject(new Error('still open after 8 s')), 8_000).unref();
  });
}

describe('connection limits from the command line', () => {
  it('--header-timeout-ms closes a silent connection at its limit, not the default 10 s; bad values are usage errors', { timeout: 60_000 }, async () => {
    const svc = await startProcess(INFERENCE_BIN, [
      '--port',
      '0',
      '--token',
      'limits-cli-token',
      '--backend',
      'seal',
      '--workloads',
      'affine',
      '--header-timeout-ms',
      '800',
      '--max-connections',
      '64',
    ]);
    try {
      const ms = await silentFor(svc.url);
      assert.ok(ms >= 700 && ms < 5000, `closed after ${ms} ms`);
    } finally {
      await svc.stop('SIGTERM');
    }
    for (const bad of [
      ['--header-timeout-ms', 'soon'],
      ['--body-timeout-ms', '0.5'],
      ['--max-connections', '0'],
    ]) {
      const r = spawnSync(process.execPath, [INFERENCE_BIN, ...bad], { encoding: 'utf8' });
      assert.equal(r.status, 2, `${bad.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`${bad[0]} must be an integer`));
    }
  });
});
