import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { H2_PREFACE, createDualServer, readBody, resolveLimits, sendJson, type DualServer } from '../src/index.js';

/** Opens a raw TCP connection and resolves, once the server closes it, with the ms it stayed open and what it sent. */
function hold(port: number, send: (s: net.Socket) => void): Promise<{ ms: number; received: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const s = net.connect(port, '127.0.0.1', () => send(s));
    let received = '';
    s.on('data', (d: Buffer) => (received += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => resolve({ ms: performance.now() - t0, received }));
    setTimeout(() => reject(new Error('the server kept the connection open')), 20_000).unref();
  });
}

const drip = (s: net.Socket, text: string, everyMs: number): void => {
  let i = 0;
  const t = setInterval(() => {
    if (s.destroyed || i >= text.length) return clearInterval(t);
    s.write(text[i++]!);
  }, everyMs);
  t.unref();
  s.once('close', () => clearInterval(t));
};

describe('connection limits: header, body and first-bytes timeouts, and the connection cap', () => {
  let server: DualServer;
  let port: number;
  before(async () => {
    server = createDualServer(
      async (req, res) => {
        // answered before its body is read (as a 401 is): the stalled rest must still not hold the connection
        if (req.url === '/early') return sendJson(res, 401, { error: 'early' });
        const closeListeners = req.socket.listenerCount('close');
        const body = req.method === 'POST' ? await readBody(req, 1 << 20) : new Uint8Array();
        await sendJson(res, 200, { bytes: body.length, closeListeners });
      },
      { limits: { headerTimeoutMs: 1500, bodyTimeoutMs: 1500, maxConnections: 50 } },
    );
    port = (await server.listen(0, '127.0.0.1')).port;
  });
  after(async () => server.close(100));

  it('closes a connection that sends nothing, half a request line, dripped headers, or half the HTTP/2 preface', async () => {
    const cases = await Promise.all([
      hold(port, () => undefined),
      hold(port, (s) => s.write('GET /hea')),
      hold(port, (s) => drip(s, 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: 1234567890123456789\r\n', 200)),
      hold(port, (s) => s.write(H2_PREFACE.subarray(0, 10))),
      hold(port, (s) => s.write(H2_PREFACE)), // a whole preface, then no stream
    ]);
    for (const [i, c] of cases.entries()) assert.ok(c.ms >= 1000 && c.ms < 6000, `case ${i} closed after ${c.ms} ms`);
    assert.match(cases[2].received, /^HTTP\/1\.1 408/, 'HTTP/1.1 answers a header timeout with 408');
  });

  it('closes a request whose body stalls, on HTTP/1.1 and on HTTP/2; a request in time is answered', async () => {
    const h1 = await hold(port, (s) => s.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789'));
    assert.ok(h1.ms < 8000, `HTTP/1.1 stalled body closed after ${h1.ms} ms`);
    // the body's own timeout, counted from the headers (Node's request timeout would answer a bare 408)
    assert.match(h1.received, /^HTTP\/1\.1 408 /);
    assert.match(h1.received, /"code":"REQUEST_TIMEOUT"/);
    const early = await hold(port, (s) => s.write('POST /early HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789'));
    assert.match(early.received, /^HTTP\/1\.1 401 /);
    // before 2.8 s: the body timeout (1.5 s), not Node's request timeout, the backstop at header + body (3 s)
    assert.ok(early.ms >= 1000 && early.ms < 2800, `a stalled body after an early answer closed after ${early.ms} ms`);
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => undefined);
    try {
      const stalled = session.request({ ':method': 'POST', ':path': '/', 'content-length': '100' }, { endStream: false });
      stalled.write('0123456789');
      const code = await new Promise<number>((resolve) => {
        stalled.on('error', () => undefined);
        stalled.on('close', () => resolve(stalled.rstCode ?? -1));
      });
      assert.equal(code, http2.constants.NGHTTP2_CANCEL);
      const ok = session.request({ ':method': 'POST', ':path': '/' });
      ok.end('hello');
      let text = '';
      ok.on('data', (d: Buffer) => (text += d.toString()));
      await new Promise((r) => ok.on('end', r));
      assert.equal((JSON.parse(text) as { bytes: number }).bytes, 5); // the handler above answers { bytes, closeListeners }
    } finally {
      session.close();
    }
  });

  it('leaves no listener behind on a keep-alive socket per request it served', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const seen: number[] = [];
    try {
      for (let i = 0; i < 30; i++) {
        const answer = await new Promise<string>((resolve, reject) => {
          const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, headers: { 'content-length': '5' } }, (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve(text));
          });
          req.on('error', reject);
          req.end('hello');
        });
        seen.push((JSON.parse(answer) as { closeListeners: number }).closeListeners);
      }
    } finally {
      agent.destroy();
    }
    // one socket served all 30; a guard that leaked would show one more listener per request
    assert.equal(seen[29], seen[1], `close listeners on the socket per request: ${seen.join(',')}`);
  });

  it('refuses connections past the cap and serves again once they are gone', async () => {
    const idle: net.Socket[] = [];
    for (let i = 0; i < 50; i++) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      idle.push(s);
      await new Promise((r) => s.once('connect', r));
    }
    await new Promise((r) => setTimeout(r, 100));
    const refused = await hold(port, (s) => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    assert.equal(refused.received, '', 'a connection past the cap is closed without an answer');
    for (const s of idle) s.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const r = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(r.status, 200);
  });

  it('checks its settings', () => {
    assert.deepEqual(resolveLimits({}), { headerTimeoutMs: 10_000, bodyTimeoutMs: 30_000, maxConnections: 1024 });
    assert.equal(resolveLimits({ maxConnections: 5 }).maxConnections, 5);
    assert.throws(() => resolveLimits({ headerTimeoutMs: 0 }), RangeError);
    assert.throws(() => resolveLimits({ maxConnections: 1.5 }), RangeError);
  });
});

describe('connection limits over TLS: HTTP/1.1 inside the secure server', () => {
  let server: DualServer | undefined;
  let port = 0;
  let ca: Buffer;
  let dir = '';
  const made = (): boolean => {
    dir = mkdtempSync(join(tmpdir(), 'hlp-guards-tls-'));
    const r = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
      ],
      { encoding: 'utf8' },
    );
    return r.status === 0;
  };
  before(async () => {
    if (!made()) return;
    ca = readFileSync(join(dir, 'c.pem'));
    server = createDualServer(
      async (req, res) => {
        // slower than the header timeout: a request under way must not be cut by it
        if (req.url === '/slow') await new Promise((r) => setTimeout(r, 1500));
        await sendJson(res, 200, { ok: true });
      },
      {
        tls: { cert: ca, key: readFileSync(join(dir, 'k.pem')) },
        keepAliveTimeoutMs: 500,
        limits: { headerTimeoutMs: 1000, bodyTimeoutMs: 1000, maxConnections: 50 },
      },
    );
    port = (await server.listen(0, '127.0.0.1')).port;
  });
  after(async () => {
    await server?.close(100);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const holdTls = (send: (s: tls.TLSSocket) => void): Promise<{ ms: number; received: string }> =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      const s = tls.connect({ host: '127.0.0.1', port, ca, ALPNProtocols: ['http/1.1'] }, () => send(s));
      let received = '';
      s.on('data', (d: Buffer) => (received += d.toString('latin1')));
      s.on('error', () => undefined);
      s.on('close', () => resolve({ ms: performance.now() - t0, received }));
      setTimeout(() => reject(new Error('the server kept the TLS connection open')), 20_000).unref();
    });

  it('closes a TLS connection that sends nothing or half its headers after the handshake; answers a slow request and a second one on the same connection', async (t) => {
    if (!server) return t.skip('openssl could not make a test certificate (scripts/setup-system.sh installs it)');
    const [silent, partial] = await Promise.all([holdTls(() => undefined), holdTls((s) => s.write('GET / HTTP/1.1\r\nHost: x\r\n'))]);
    for (const c of [silent, partial]) assert.ok(c.ms >= 900 && c.ms < 6000, `closed after ${c.ms} ms`);
    // two requests on one connection, the first slower than the header timeout, the second after a pause
    const two = await holdTls((s) => {
      s.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
      setTimeout(() => s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), 1800);
    });
    assert.equal(two.received.match(/HTTP\/1\.1 200/g)?.length, 2, two.received);
  });
});
