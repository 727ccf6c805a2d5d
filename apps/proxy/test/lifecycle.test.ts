/**
 * Failure, shutdown, TLS and multi-process behaviour with real processes on loopback: the
 * inference service killed and restarted behind the circuit breaker, SIGTERM in the middle of
 * load, HTTPS with ALPN (h2 and http/1.1 on one port), and --workers for both services.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInference } from '@hlp/inference';
import { ProtocolError } from '@hlp/protocol';
import { startProxy, type ProxyServer } from '../src/index.js';
import { Upstream } from '../src/upstream.js';
import { TOKEN, assertClose, codeOf, postJson, quiet, referenceEmbedding } from './helpers.js';
import { INFERENCE_BIN, PROXY_BIN, freePort, hasCommand, startProcess, type ServiceProcess } from './procs.js';

let dir: string;
const running: ServiceProcess[] = [];
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hlp-lifecycle-'));
});
after(async () => {
  for (const p of running) await p.stop('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

async function spawnService(bin: string, args: readonly string[], env: Record<string, string> = {}): Promise<ServiceProcess> {
  const p = await startProcess(bin, args, { HLP_SERVICE_TOKEN: TOKEN, ...env });
  running.push(p);
  return p;
}
function forget(p: ServiceProcess): void {
  running.splice(running.indexOf(p), 1);
}

/** POST on a connection of its own; resolves with the status (or the error's code). */
function postAlone(url: string, body: unknown): { sent: Promise<void>; done: Promise<{ status: number; json: unknown } | { error: string }> } {
  let markSent!: () => void;
  const sent = new Promise<void>((r) => (markSent = r));
  const done = new Promise<{ status: number; json: unknown } | { error: string }>((resolve) => {
    const req = http.request(`${url}/v1/embeddings`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as unknown }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.on('finish', () => markSent());
    req.end(JSON.stringify(body));
  });
  return { sent, done };
}

function tcpRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

describe('the circuit breaker in front of the inference service', { timeout: 90_000 }, () => {
  it('service killed: 503s (fast once the breaker is open); service back: 200s, with no proxy restart', async () => {
    const port = await freePort();
    const args = ['--port', String(port), '--workloads', 'affine', '--quiet'];
    let service = await spawnService(INFERENCE_BIN, args);
    const proxy: ProxyServer = await startProxy({
      port: 0,
      upstream: service.url,
      token: TOKEN,
      log: quiet,
      defaultMetrics: false,
      batchWindowMs: 0,
      breakerFailures: 3,
      breakerCooldownMs: 400,
    });
    try {
      await proxy.ready;
      assert.equal((await postJson(`${proxy.url}/v1/embeddings`, { model: 'hlp-affine', input: 'before' })).status, 200);
      await service.stop('SIGKILL');
      forget(service);
      const codes: string[] = [];
      for (let i = 0; i < 6; i++) {
        const r = await postJson(`${proxy.url}/v1/embeddings`, { model: 'hlp-affine', input: `down ${i}` });
        assert.equal(r.status, 503, JSON.stringify(r.json));
        assert.ok(r.headers.get('retry-after'));
        codes.push(codeOf(r.json)!);
      }
      assert.deepEqual([...new Set(codes)], ['UPSTREAM_DOWN']);
      assert.equal(proxy.breaker.state === 'open' || proxy.breaker.state === 'half-open', true, proxy.breaker.state);
      // The open breaker answers itself: its message, not a connection attempt's.
      const fast = await postJson(`${proxy.url}/v1/embeddings`, { model: 'hlp-affine', input: 'fast fail' });
      assert.equal(fast.status, 503);
      assert.match(JSON.stringify(fast.json), /circuit breaker/);
      assert.match(await proxy.metrics.metricsText(), /hlp_circuit_breaker_state\{upstream="inference"\} [12]/);
      assert.equal((await fetch(`${proxy.url}/readyz`)).status, 503);

      // The service comes back (it forgot the keys: the proxy uploads them again on UNKNOWN_KEY).
      service = await spawnService(INFERENCE_BIN, args);
      let ok: Awaited<ReturnType<typeof postJson>> | undefined;
      for (let i = 0; i < 50 && ok?.status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 200));
        ok = await postJson(`${proxy.url}/v1/embeddings`, { model: 'hlp-affine', input: 'after' });
      }
      assert.equal(ok?.status, 200, JSON.stringify(ok?.json));
      assertClose('hlp-affine', (ok.json as { data: { embedding: number[] }[] }).data[0]!.embedding, referenceEmbedding('hlp-affine', 'after'));
      assert.equal(proxy.breaker.state, 'closed');
      const text = await proxy.metrics.metricsText();
      assert.match(text, /hlp_circuit_breaker_state\{upstream="inference"\} 0/);
      assert.match(text, /hlp_key_uploads_total\{reason="miss"\} 1/);
    } finally {
      await proxy.close();
    }
  });
});

describe('the first request after the service dies', { timeout: 90_000 }, () => {
  it("a stream closed before any response headers (a dying service's session) is UPSTREAM_DOWN, not status 0", async () => {
    const dying = http2.createServer();
    dying.on('stream', (s) => s.close(http2.constants.NGHTTP2_NO_ERROR));
    await new Promise<void>((r) => dying.listen(0, '127.0.0.1', r));
    const upstream = new Upstream(`http://127.0.0.1:${(dying.address() as { port: number }).port}`);
    try {
      for (const body of [undefined, [Buffer.alloc(16)]]) {
        await assert.rejects(upstream.call('/v1/evaluate', body ? { body } : {}), (e: unknown) => e instanceof ProtocolError && e.code === 'UPSTREAM_DOWN');
      }
    } finally {
      upstream.close();
      dying.close();
    }
  });

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`${signal}: the very first request is 503 UPSTREAM_DOWN with Retry-After, never a 502`, async () => {
      const port = await freePort();
      const service = await spawnService(INFERENCE_BIN, ['--port', String(port), '--workloads', 'affine', '--quiet']);
      const proxy = await startProxy({ port: 0, upstream: service.url, token: TOKEN, log: quiet, defaultMetrics: false, batchWindowMs: 0 });
      try {
        await proxy.ready;
        assert.equal((await postJson(`${proxy.url}/v1/embeddings`, { model: 'hlp-affine', input: 'before' })).status, 200);
        await service.stop(signal);
        forget(service);
        assert.ok(await tcpRefused(port));
        const first = await postJson(`${proxy.url}/v1/embeddings`, { model: 'hlp-affine', input: 'first after the kill' });
        assert.equal(first.status, 503, JSON.stringify(first.json));
        assert.equal(codeOf(first.json), 'UPSTREAM_DOWN');
        assert.ok(first.headers.get('retry-after'));
      } finally {
        await proxy.close();
      }
    });
  }
});

describe('a megabyte prompt without spaces', { timeout: 60_000 }, () => {
  it('is refused with 400 INPUT_TOO_LONG at once, and /healthz answers meanwhile', async () => {
    const service = await spawnService(INFERENCE_BIN, ['--port', '0', '--workloads', 'affine', '--quiet']);
    const proxy = await spawnService(PROXY_BIN, ['--port', '0', '--upstream', service.url, '--batch-window', '0', '--quiet']);
    await proxy.waitFor('ready');
    const body = { model: 'hlp-affine', input: 'a'.repeat(1_000_000) };
    const t0 = performance.now();
    const big = postJson(`${proxy.url}/v1/embeddings`, body).then((r) => ({ ...r, ms: performance.now() - t0 }));
    const health = fetch(`${proxy.url}/healthz`).then((r) => ({ status: r.status, ms: performance.now() - t0 }));
    const [b, h] = await Promise.all([big, health]);
    assert.equal(b.status, 400, JSON.stringify(b.json));
    assert.equal(codeOf(b.json), 'INPUT_TOO_LONG');
    assert.match(JSON.stringify(b.json), /max-request-tokens|token limit/);
    // Without the limit this request alone held the event loop for minutes: the bounds are loose
    // against that, so that a busy CI machine does not fail them.
    assert.ok(b.ms < 10_000, `answered after ${b.ms} ms`);
    assert.equal(h.status, 200);
    assert.ok(h.ms < 10_000, `/healthz answered after ${h.ms} ms`);
    assert.equal((await fetch(`${proxy.url}/healthz`)).status, 200);
  });
});

describe('SIGTERM drains', { timeout: 90_000 }, () => {
  it('mid-load: every accepted request is answered 2xx, new connections are refused, exit code 0', async () => {
    const service = await spawnService(INFERENCE_BIN, ['--port', '0', '--workloads', 'affine', '--quiet']);
    const port = await freePort();
    const proxy = await spawnService(PROXY_BIN, ['--port', String(port), '--upstream', service.url, '--batch-window', '300', '--quiet']);
    await proxy.waitFor('ready');
    const n = 40;
    const calls = Array.from({ length: n }, (_, i) => postAlone(proxy.url, { model: 'hlp-affine', input: `in flight ${i} ${'word '.repeat(i % 7)}` }));
    await Promise.all(calls.map((c) => c.sent));
    // "Accepted" means the proxy has parsed the request: bytes still in the kernel's accept
    // queue when the listener closes are reset, as with any server. Wait until the proxy has
    // received all of them: in flight now (less this /metrics request) plus already answered.
    let received = 0;
    for (let i = 0; i < 400 && received < n; i++) {
      const text = await (await fetch(`${proxy.url}/metrics`)).text();
      const inFlight = Number(/^hlp_http_requests_in_flight (\d+)/m.exec(text)?.[1] ?? 0) - 1;
      const answered = [...text.matchAll(/^hlp_http_request_duration_seconds_count\{[^}]*route="\/v1\/embeddings"[^}]*\} (\d+)/gm)].reduce(
        (a, x) => a + Number(x[1]),
        0,
      );
      received = inFlight + answered;
      if (received < n) await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(received, n, 'the proxy has received every request before SIGTERM');
    proxy.proc.kill('SIGTERM');
    // The listener closes at once: a new connection is refused while the accepted requests finish.
    let refused = false;
    for (let i = 0; i < 40 && !refused; i++) {
      refused = await tcpRefused(port);
      if (!refused) await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(refused, 'new connections are refused once draining');
    const results = await Promise.all(calls.map((c) => c.done));
    results.forEach((r, i) => assert.equal('status' in r ? r.status : r.error, 200, `request ${i}: ${JSON.stringify(r)}`));
    assert.equal(await proxy.exited, 0);
    forget(proxy);
    assert.equal(await service.stop('SIGTERM'), 0);
    forget(service);
  });
});

describe('TLS: HTTPS with ALPN (h2 and http/1.1 on one port), and an https upstream', { timeout: 60_000 }, () => {
  it('serves both protocols over TLS with a self-signed certificate', async (t) => {
    if (!hasCommand('openssl')) return t.skip('openssl is not installed: cannot make a test certificate (scripts/setup-system.sh installs it)');
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    const made = spawnSync(
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
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(made.status, 0, made.stderr);
    const tls = { cert: await readFile(cert), key: await readFile(key) };
    const service = await startInference({ port: 0, token: TOKEN, log: quiet, defaultMetrics: false, workloads: ['affine'], tls });
    const proxy = await startProxy({
      port: 0,
      upstream: service.url,
      upstreamCa: tls.cert,
      token: TOKEN,
      log: quiet,
      defaultMetrics: false,
      batchWindowMs: 0,
      tls,
    });
    try {
      assert.match(service.url, /^https:/);
      assert.match(proxy.url, /^https:/);
      await proxy.ready;
      const body = JSON.stringify({ model: 'hlp-affine', input: 'over TLS' });
      // HTTP/1.1 (ALPN http/1.1)
      const h1 = await new Promise<{ status: number; alpn: string | false | null; json: unknown }>((resolve, reject) => {
        const req = https.request(
          `${proxy.url}/v1/embeddings`,
          { method: 'POST', ca: tls.cert, agent: false, ALPNProtocols: ['http/1.1'], headers: { 'content-type': 'application/json' } } as https.RequestOptions,
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, alpn: (res.socket as import('node:tls').TLSSocket).alpnProtocol, json: JSON.parse(text) as unknown }),
            );
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      assert.equal(h1.status, 200);
      assert.equal(h1.alpn, 'http/1.1');
      assertClose('hlp-affine', (h1.json as { data: { embedding: number[] }[] }).data[0]!.embedding, referenceEmbedding('hlp-affine', 'over TLS'));
      // HTTP/2 (ALPN h2)
      const session = http2.connect(proxy.url, { ca: tls.cert });
      try {
        const h2 = await new Promise<{ status: number; text: string }>((resolve, reject) => {
          const st = session.request({ ':method': 'POST', ':path': '/v1/embeddings', 'content-type': 'application/json' });
          let status = 0;
          let text = '';
          st.on('response', (h) => (status = Number(h[':status'])));
          st.on('data', (c: Buffer) => (text += c.toString()));
          st.on('end', () => resolve({ status, text }));
          st.on('error', reject);
          st.end(body);
        });
        assert.equal(session.alpnProtocol, 'h2');
        assert.equal(h2.status, 200);
        assertClose(
          'hlp-affine',
          (JSON.parse(h2.text) as { data: { embedding: number[] }[] }).data[0]!.embedding,
          referenceEmbedding('hlp-affine', 'over TLS'),
        );
      } finally {
        session.close();
      }
      // Without the CA the client refuses the self-signed certificate.
      await assert.rejects(fetch(`${proxy.url}/healthz`));
    } finally {
      await proxy.close();
      await service.close();
    }
  });
});

describe('--workers: several processes per service on one port', { timeout: 120_000 }, () => {
  it('proxy and service with 2 workers each: one key set, both workers answer, metrics aggregated', async () => {
    const service = await spawnService(INFERENCE_BIN, ['--port', '0', '--workloads', 'affine', '--workers', '2', '--quiet']);
    assert.equal(service.events.find((e) => e['event'] === 'listening')?.['workers'], 2);
    const proxy = await spawnService(PROXY_BIN, ['--port', '0', '--upstream', service.url, '--workers', '2', '--batch-window', '0', '--quiet']);
    const ready = await proxy.waitFor('ready');
    assert.match(String(ready['keyId']), /^[0-9a-f]{64}$/);
    // Fresh connections land on both workers (round robin); every worker uses the same keys.
    const pids = new Set<number>();
    const keyIds = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const r = await fetch(`${proxy.url}/readyz`, { headers: { connection: 'close' } });
      assert.equal(r.status, 200);
      const j = (await r.json()) as { pid: number; keyId: string };
      pids.add(j.pid);
      keyIds.add(j.keyId);
    }
    assert.equal(pids.size, 2, `workers seen: ${[...pids].join(', ')}`);
    assert.ok(!pids.has(proxy.pid), 'the primary does not serve');
    assert.deepEqual([...keyIds], [ready['keyId']]);
    const n = 10;
    for (let i = 0; i < n; i++) {
      const r = await postJson(`${proxy.url}/v1/embeddings`, { model: 'hlp-affine', input: `worker request ${i}` }, { connection: 'close' });
      assert.equal(r.status, 200, JSON.stringify(r.json));
    }
    // One /metrics for all workers: the sum, whichever worker answers.
    for (let i = 0; i < 3; i++) {
      const text = await (await fetch(`${proxy.url}/metrics`, { headers: { connection: 'close' } })).text();
      assert.match(text, new RegExp(`hlp_http_request_duration_seconds_count\\{route="/v1/embeddings",method="POST",status="200"\\} ${n}\\n`));
      assert.doesNotMatch(text, /hlp_key_uploads_total\{reason="startup"\} [1-9]/, 'workers found the keys uploaded');
      assert.match(text, /^process_cpu_seconds_total \d/m);
    }
    const inf = await (await fetch(`${service.url}/metrics`, { headers: { connection: 'close' } })).text();
    assert.match(inf, new RegExp(`hlp_http_request_duration_seconds_count\\{route="/v1/evaluate",method="POST",status="200"\\} ${n}\\n`));
    // The key set was uploaded once (by the proxy's primary), never by the workers.
    assert.match(inf, /hlp_http_request_duration_seconds_count\{route="\/v1\/keys",method="POST",status="201"\} 1\n/);
    assert.equal(await proxy.stop('SIGTERM'), 0);
    forget(proxy);
    assert.equal(await service.stop('SIGTERM'), 0);
    forget(service);
  });
});
