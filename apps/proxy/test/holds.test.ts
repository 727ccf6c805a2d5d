import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { Holds } from '../src/holds.js';
import { Upstream } from '../src/index.js';

describe('Holds', () => {
  it('releases once, after close and the last hold dropped, in either order', () => {
    let released = 0;
    const h = new Holds(() => released++);
    const a = h.hold();
    const b = h.hold();
    a();
    a(); // dropping twice counts once
    h.close();
    assert.equal(released, 0);
    b();
    assert.equal(released, 1);
    assert.equal(h.released, true);
    const early = new Holds(() => released++);
    early.close();
    assert.equal(released, 2, 'no holds: released at close');
  });
});

/** An HTTP/2 server answering POST /early before reading the body, and /big with `size` bytes. */
async function server(size: number): Promise<{ url: string; close: () => Promise<void> }> {
  const s = http2.createServer();
  s.on('stream', (stream, headers) => {
    if (headers[':path'] === '/early') {
      stream.respond({ ':status': 413, 'content-type': 'application/json' });
      stream.end('{}');
      return;
    }
    stream.resume();
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-length': String(size) });
      stream.end(Buffer.alloc(size, 7));
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, close: () => new Promise((r) => s.close(() => r())) };
}

describe('Upstream: pooled bodies', () => {
  it('onBodyFree runs once the stream that sent the body has closed, after the call settled', async () => {
    const srv = await server(1000);
    const up = new Upstream(srv.url);
    try {
      let freed = 0;
      const body = [Buffer.alloc(4 * 1024 * 1024, 1)];
      const r = await up.call('/early', { body, onBodyFree: () => freed++ });
      assert.equal(r.status, 413);
      // the stream may still be closing; the release waits for it, and happens exactly once
      await new Promise((res) => setTimeout(res, 200));
      assert.equal(freed, 1);
      const ok = await up.call('/big', { body: [Buffer.alloc(10)], onBodyFree: () => freed++ });
      assert.equal(ok.status, 200);
      await new Promise((res) => setTimeout(res, 50));
      assert.equal(freed, 2);
    } finally {
      up.close();
      await srv.close();
    }
  });

  it('a released response body is reused for the next answer of its size class; foreign buffers are ignored', async () => {
    const srv = await server(300_000);
    const up = new Upstream(srv.url);
    try {
      const first = await up.call('/big', { body: [Buffer.alloc(10)] });
      assert.equal(first.body.length, 300_000);
      assert.ok(first.body.every((b) => b === 7));
      const memory = first.body.buffer;
      up.releaseBody(first.body);
      up.releaseBody(first.body); // twice: still one entry
      const second = await up.call('/big', { body: [Buffer.alloc(10)] });
      assert.equal(second.body.buffer, memory, 'the pooled memory came back');
      assert.ok(second.body.every((b) => b === 7));
      const third = await up.call('/big', { body: [Buffer.alloc(10)] });
      assert.notEqual(third.body.buffer, memory, 'memory still in use is not handed out twice');
      up.releaseBody(Buffer.alloc(300_000)); // not ours: ignored
    } finally {
      up.close();
      await srv.close();
    }
  });
});
