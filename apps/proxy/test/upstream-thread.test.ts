import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { ProtocolError } from '@hlp/protocol';
import { CircuitBreaker } from '../src/breaker.js';
import { crossable } from '../src/upstream-thread.js';
import { UpstreamThread } from '../src/index.js';

/**
 * An HTTP/2 service for the thread to call:
 * - POST /echo answers the SHA-256 and length of the body it read, and the authorization header;
 * - POST /big answers `size` bytes, all equal to the number of /big calls so far (1, 2, …);
 * - GET /slow never answers; GET /fail answers 503.
 */
async function service(size: number): Promise<{ url: string; close: () => Promise<void> }> {
  const s = http2.createServer();
  let bigCalls = 0;
  s.on('stream', (stream, headers) => {
    const path = headers[':path'];
    if (path === '/slow') return;
    if (path === '/fail') {
      stream.respond({ ':status': 503 });
      stream.end();
      return;
    }
    const hash = createHash('sha256');
    let length = 0;
    stream.on('data', (c: Buffer) => {
      hash.update(c);
      length += c.length;
    });
    stream.on('end', () => {
      if (path === '/big') {
        bigCalls++;
        stream.respond({ ':status': 200, 'content-length': String(size) });
        stream.end(Buffer.alloc(size, bigCalls));
        return;
      }
      stream.respond({ ':status': 200, 'content-type': 'application/json', 'x-seen': 'yes' });
      stream.end(JSON.stringify({ sha256: hash.digest('hex'), length, authorization: headers['authorization'] ?? null }));
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    close: () =>
      new Promise((r) => {
        s.close(() => r());
        // streams left open by /slow
        setTimeout(r, 500).unref();
      }),
  };
}

function sha256(parts: readonly Uint8Array[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('crossable: what a body part sends to the other thread', () => {
  it('shared memory as it is, a whole buffer as it is, a view of a larger buffer as a copy of its own bytes', () => {
    const shared = new Uint8Array(new SharedArrayBuffer(64), 8, 16);
    assert.equal(crossable(shared), shared);
    const whole = new Uint8Array(32);
    assert.equal(crossable(whole), whole);
    const big = Buffer.alloc(1 << 20, 3);
    const view = big.subarray(100, 164);
    const crossed = crossable(view);
    assert.notEqual(crossed.buffer, big.buffer);
    assert.equal(crossed.buffer.byteLength, 64, 'only the view is copied, not its megabyte');
    assert.deepEqual([...crossed], [...view]);
  });
});

describe('UpstreamThread', { timeout: 60_000 }, () => {
  it('sends the body parts (shared, whole and views of larger buffers) and answers with status, headers and body', async () => {
    const srv = await service(1000);
    const up = new UpstreamThread(srv.url, { token: 'tok-1' });
    try {
      const sharedPart = new Uint8Array(new SharedArrayBuffer(3 * 1024 * 1024));
      for (let i = 0; i < sharedPart.length; i++) sharedPart[i] = (i * 7) & 0xff;
      const parts = [Buffer.from('header'), sharedPart, Buffer.alloc(1 << 16, 9).subarray(10, 4000)];
      let freed = 0;
      const r = await up.call('/echo', { body: parts, onBodyFree: () => freed++ });
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-seen'], 'yes');
      assert.ok(Buffer.isBuffer(r.body));
      const seen = JSON.parse(r.body.toString()) as { sha256: string; length: number; authorization: string | null };
      assert.equal(
        seen.length,
        parts.reduce((n, p) => n + p.length, 0),
      );
      assert.equal(seen.sha256, sha256(parts));
      assert.equal(seen.authorization, 'Bearer tok-1');
      assert.ok(r.timings.totalMs >= r.timings.waitMs);
      await tick(200);
      assert.equal(freed, 1, 'the body is free once its stream closed, once');
      const get = await up.call('/echo', { method: 'GET' });
      assert.equal((JSON.parse(get.body.toString()) as { length: number }).length, 0);
    } finally {
      up.close();
      await srv.close();
    }
  });

  it('an announced answer arrives in shared memory, and a released one is read into again; one not released is not', async () => {
    const srv = await service(300_000);
    const up = new UpstreamThread(srv.url);
    try {
      const first = await up.call('/big', { body: [Buffer.alloc(10)] });
      assert.ok(first.body.buffer instanceof SharedArrayBuffer);
      assert.equal(first.body.length, 300_000);
      assert.ok(first.body.every((b) => b === 1));
      up.releaseBody(first.body);
      up.releaseBody(first.body); // twice: still once
      const second = await up.call('/big', { body: [Buffer.alloc(10)] });
      assert.ok(second.body.every((b) => b === 2));
      assert.ok(
        first.body.every((b) => b === 2),
        'the second answer was read into the first one’s memory',
      );
      const third = await up.call('/big', { body: [Buffer.alloc(10)] });
      assert.ok(third.body.every((b) => b === 3));
      assert.ok(
        second.body.every((b) => b === 2),
        'memory not released is not read into',
      );
      up.releaseBody(Buffer.alloc(300_000)); // not the thread's: ignored
    } finally {
      up.close();
      await srv.close();
    }
  });

  it('failures keep their codes: a service that is not there is UPSTREAM_DOWN with Retry-After, a deadline TIMEOUT', async () => {
    const srv = await service(10);
    const down = new UpstreamThread('http://127.0.0.1:1');
    const up = new UpstreamThread(srv.url);
    try {
      await assert.rejects(down.call('/echo', { body: [Buffer.alloc(4)] }), (e: unknown) => {
        assert.ok(e instanceof ProtocolError);
        assert.equal(e.code, 'UPSTREAM_DOWN');
        assert.equal(e.retryAfterSeconds, 1);
        return true;
      });
      await assert.rejects(up.call('/slow', { timeoutMs: 150 }), (e: unknown) => e instanceof ProtocolError && e.code === 'TIMEOUT');
      // the thread serves on after both
      assert.equal((await up.call('/echo', { method: 'GET' })).status, 200);
    } finally {
      down.close();
      up.close();
      await srv.close();
    }
  });

  it('the circuit breaker counts each call on the event loop: 5xx answers open it, then calls fail fast', async () => {
    const srv = await service(10);
    let probes = 0;
    const breaker = new CircuitBreaker({
      failureThreshold: 2,
      cooldownMs: 60_000,
      probe: () => {
        probes++;
        return Promise.resolve(false);
      },
    });
    const up = new UpstreamThread(srv.url, { breaker });
    try {
      assert.equal((await up.call('/fail')).status, 503);
      assert.equal(breaker.state, 'closed');
      assert.equal((await up.call('/fail')).status, 503);
      assert.equal(breaker.state, 'open');
      await assert.rejects(up.call('/echo', { method: 'GET' }), (e: unknown) => e instanceof ProtocolError && e.code === 'UPSTREAM_DOWN');
      assert.equal((await up.call('/echo', { method: 'GET', bypassBreaker: true })).status, 200, 'bypassBreaker still goes through');
      assert.equal(probes, 0);
    } finally {
      up.close();
      await srv.close();
    }
  });

  it('a thread that dies fails the calls it held with UPSTREAM_ERROR, frees their bodies, and the next call starts a new one', async () => {
    const up = new UpstreamThread('http://127.0.0.1:1', {
      module: new URL('data:text/javascript,import{parentPort}from"node:worker_threads";parentPort.once("message",()=>process.exit(3))'),
    });
    try {
      let freed = 0;
      await assert.rejects(up.call('/echo', { body: [Buffer.alloc(8)], onBodyFree: () => freed++ }), (e: unknown) => {
        assert.ok(e instanceof ProtocolError);
        assert.equal(e.code, 'UPSTREAM_ERROR');
        assert.match(e.message, /exited \(code 3\)/);
        return true;
      });
      assert.equal(freed, 1);
      assert.equal(up.inFlight, 0);
      await assert.rejects(up.call('/echo'), (e: unknown) => e instanceof ProtocolError && e.code === 'UPSTREAM_ERROR');
      assert.equal(up.threadsStarted, 2);
    } finally {
      up.close();
    }
  });

  it('after close() calls are refused with UPSTREAM_DOWN, and a call in flight still gets its answer', async () => {
    const srv = await service(10);
    const up = new UpstreamThread(srv.url);
    const inFlight = up.call('/echo', { body: [Buffer.alloc(1 << 20)] });
    up.close();
    try {
      assert.equal((await inFlight).status, 200);
      await assert.rejects(up.call('/echo', { method: 'GET' }), (e: unknown) => e instanceof ProtocolError && e.code === 'UPSTREAM_DOWN');
    } finally {
      await srv.close();
    }
  });
});
