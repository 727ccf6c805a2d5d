/**
 * Batching, the prompt cache, client auth, compression and backpressure, against an in-process
 * inference service (affine only: fast) and proxies configured for each.
 */
import assert from 'node:assert/strict';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import * as http from 'node:http';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { decodeFrames, EncryptResponseHeader } from '@hlp/protocol';
import { startInference, type InferenceServer } from '@hlp/inference';
import { Upstream, UpstreamThread, startProxy, type ProxyConfig, type ProxyServer } from '../src/index.js';
import { TOKEN, assertClose, codeOf, postJson, quiet, referenceEmbedding } from './helpers.js';

let inference: InferenceServer;
const proxies: ProxyServer[] = [];

before(async () => {
  inference = await startInference({ port: 0, token: TOKEN, log: quiet, defaultMetrics: false, workloads: ['affine'] });
});

after(async () => {
  for (const p of proxies) await p.close();
  await inference?.close();
});

async function proxy(config: Partial<ProxyConfig> = {}): Promise<ProxyServer> {
  const p = await startProxy({ port: 0, upstream: inference.url, token: TOKEN, log: quiet, defaultMetrics: false, ...config });
  proxies.push(p);
  await p.ready;
  return p;
}

const embed = (url: string, input: unknown, headers: Record<string, string> = {}) => postJson(`${url}/v1/embeddings`, { model: 'hlp-affine', input }, headers);

/** Raw HTTP/1.1 GET/POST with the headers given (fetch would add Accept-Encoding of its own). */
function raw(
  url: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method: body === undefined ? 'GET' : 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the upstream client', () => {
  it('runs on the event loop by default, on a thread of its own with upstreamThread: true; both answer alike', async () => {
    const threaded = await proxy({ upstreamThread: true });
    const inline = await proxy();
    assert.ok(threaded.upstream instanceof UpstreamThread);
    assert.ok(inline.upstream instanceof Upstream);
    const text = 'the quick brown fox jumps over the lazy dog';
    for (const p of [threaded, inline]) {
      const r = await embed(p.url, [text, 'a second input']);
      assert.equal(r.status, 200, JSON.stringify(r.json));
      const data = (r.json as { data: { embedding: number[] }[] }).data;
      assertClose('hlp-affine', data[0]!.embedding, referenceEmbedding('hlp-affine', text));
      assertClose('hlp-affine', data[1]!.embedding, referenceEmbedding('hlp-affine', 'a second input'));
    }
  });
});

describe('request batching', () => {
  it('concurrent requests share one batch (one upstream evaluation) and each gets its own embeddings', async () => {
    const p = await proxy({ batchWindowMs: 300, maxBatchRequests: 32 });
    const texts = Array.from({ length: 10 }, (_, i) => `request ${i}: ${'the quick brown fox '.repeat(1 + (i % 4))}`);
    const before = inference.service.queueDepth;
    const rs = await Promise.all(texts.map((t) => embed(p.url, [t, `${t} (second input)`])));
    assert.equal(before, 0);
    rs.forEach((r, i) => {
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.headers.get('x-hlp-batch-size'), '10');
      const data = (r.json as { data: { index: number; embedding: number[] }[] }).data;
      assert.deepEqual(
        data.map((d) => d.index),
        [0, 1],
      );
      assertClose('hlp-affine', data[0]!.embedding, referenceEmbedding('hlp-affine', texts[i]!));
      assertClose('hlp-affine', data[1]!.embedding, referenceEmbedding('hlp-affine', `${texts[i]!} (second input)`));
      assert.ok(/batch;dur=/.test(r.headers.get('server-timing') ?? ''));
    });
    const text = await p.metrics.metricsText();
    assert.match(text, /hlp_batch_size_requests_count 1\n/);
    assert.match(text, /hlp_batch_size_requests_sum 10\n/);
    assert.match(text, /hlp_upstream_request_duration_seconds_count\{operation="evaluate",status="200"\} 1\n/);
  });

  it('a batch closes at the maximum size; --batch-window 0 turns batching off', async () => {
    // A window of a minute: a full batch that waited for it would stall this test for 60 s.
    const capped = await proxy({ batchWindowMs: 60_000, maxBatchRequests: 4 });
    const t0 = performance.now();
    const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => embed(capped.url, `capped ${i}`)));
    assert.ok(performance.now() - t0 < 30_000, 'full batches do not wait for the window');
    assert.deepEqual(
      rs.map((r) => r.headers.get('x-hlp-batch-size')),
      Array(8).fill('4'),
    );
    const off = await proxy({ batchWindowMs: 0 });
    const solo = await Promise.all(Array.from({ length: 4 }, (_, i) => embed(off.url, `alone ${i}`)));
    for (const [i, r] of solo.entries()) {
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-hlp-batch-size'), '1');
      assertClose('hlp-affine', (r.json as { data: { embedding: number[] }[] }).data[0]!.embedding, referenceEmbedding('hlp-affine', `alone ${i}`));
    }
  });

  it('a bad request in a window fails alone; the others in its batch are answered', async () => {
    const p = await proxy({ batchWindowMs: 200 });
    const [good, bad, good2] = await Promise.all([embed(p.url, 'fine'), embed(p.url, [1, 2, 99999]), embed(p.url, 'also fine')]);
    assert.equal(good.status, 200);
    assert.equal(good2.status, 200);
    assert.equal(bad.status, 400);
    assert.equal(codeOf(bad.json), 'INVALID_TOKEN_ID');
    assert.equal(good.headers.get('x-hlp-batch-size'), '2');
  });
});

describe('the encrypted-prompt cache (off by default)', () => {
  async function encrypt(url: string, input: string): Promise<Uint8Array[]> {
    const r = await fetch(`${url}/v1/fhe/encrypt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'hlp-affine', input }),
    });
    assert.equal(r.status, 200);
    const d = decodeFrames(Buffer.from(await r.arrayBuffer()));
    EncryptResponseHeader.parse(d.header);
    return d.frames;
  }

  it('off: the same prompt twice gives different ciphertexts (fresh randomness)', async () => {
    const p = await proxy();
    const a = await encrypt(p.url, 'the same prompt, encrypted twice');
    const b = await encrypt(p.url, 'the same prompt, encrypted twice');
    assert.equal(Buffer.compare(Buffer.from(a[0]!), Buffer.from(b[0]!)) === 0, false);
  });

  it('on: repeated prompt blocks are served from the cache, byte for byte (the documented leak), and still decrypt right', async () => {
    const p = await proxy({ promptCacheBytes: 64 * 1024 * 1024, batchWindowMs: 0 });
    const prompt = 'A long shared system prompt that many requests start with, then the question';
    const a = await encrypt(p.url, prompt);
    const b = await encrypt(p.url, prompt);
    assert.equal(a.length, b.length);
    a.forEach((f, i) => assert.equal(Buffer.compare(Buffer.from(f), Buffer.from(b[i]!)), 0, `block ${i} differs`));
    const text = await p.metrics.metricsText();
    assert.match(text, new RegExp(`hlp_prompt_cache_hits_total ${a.length}\\n`));
    assert.match(text, new RegExp(`hlp_prompt_cache_misses_total ${a.length}\\n`));
    // Embeddings through the cache are still right.
    const r = await embed(p.url, prompt);
    assertClose('hlp-affine', (r.json as { data: { embedding: number[] }[] }).data[0]!.embedding, referenceEmbedding('hlp-affine', prompt));
  });
});

describe("the service's ciphertext limit, applied at admission", () => {
  let small: InferenceServer;
  let p: ProxyServer;
  before(async () => {
    small = await startInference({ port: 0, token: TOKEN, log: quiet, defaultMetrics: false, workloads: ['affine'], maxCiphertexts: 8 });
    p = await startProxy({ port: 0, upstream: small.url, token: TOKEN, log: quiet, defaultMetrics: false, batchWindowMs: 0 });
    await p.ready;
  });
  after(async () => {
    await p?.close();
    await small?.close();
  });

  it('a request needing more ciphertexts than /v1/info allows is 413 TOO_MANY_CIPHERTEXTS, never a 502; a small one passes', async () => {
    const big = await embed(
      p.url,
      Array.from({ length: 200 }, () => 31373),
    );
    assert.equal(big.status, 413, JSON.stringify(big.json));
    assert.equal(codeOf(big.json), 'TOO_MANY_CIPHERTEXTS');
    assert.match(JSON.stringify(big.json), /more than the 8 /);
    const ok = await embed(p.url, 'fits in one ciphertext');
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
  });

  it('concurrent requests that fit alone are batched within the limit: all 200, none fails another', async () => {
    // 25 tokens × 768 values need 5 ciphertexts of 4096 slots; two of them together need 10 > 8.
    const batching = await startProxy({ port: 0, upstream: small.url, token: TOKEN, log: quiet, defaultMetrics: false, batchWindowMs: 500 });
    try {
      await batching.ready;
      const rs = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          embed(
            batching.url,
            Array.from({ length: 25 }, (_, j) => 31373 + ((i + j) % 7)),
          ),
        ),
      );
      assert.deepEqual(
        rs.map((r) => r.status),
        Array(6).fill(200),
        JSON.stringify(rs.map((r) => r.json)).slice(0, 500),
      );
      assert.deepEqual(
        rs.map((r) => r.headers.get('x-hlp-batch-size')),
        Array(6).fill('1'),
      );
      // small ones still share a batch
      const small3 = await Promise.all(Array.from({ length: 3 }, (_, i) => embed(batching.url, `short ${i}`)));
      assert.deepEqual(
        small3.map((r) => r.status),
        [200, 200, 200],
      );
      assert.deepEqual(
        small3.map((r) => r.headers.get('x-hlp-batch-size')),
        ['3', '3', '3'],
      );
    } finally {
      await batching.close();
    }
  });
});

describe('client auth (bearer tokens, as the OpenAI API uses them)', () => {
  let p: ProxyServer;
  before(async () => {
    p = await proxy({ clientTokens: ['sk-test-alpha', 'sk-test-beta'] });
  });

  it('no or a malformed Authorization header: 401; an unknown token: 403; a known one: 200', async () => {
    const none = await embed(p.url, 'x');
    assert.equal(none.status, 401);
    assert.equal(codeOf(none.json), 'UNAUTHORIZED');
    assert.equal((none.json as { error: { type: string } }).error.type, 'authentication_error');
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    for (const bad of ['Basic c2stdGVzdA==', 'Bearer', 'Bearer two tokens', 'sk-test-alpha']) {
      const r = await embed(p.url, 'x', { authorization: bad });
      assert.equal(r.status, 401, bad);
      assert.equal(codeOf(r.json), 'UNAUTHORIZED');
    }
    const unknown = await embed(p.url, 'x', { authorization: 'Bearer sk-test-gamma' });
    assert.equal(unknown.status, 403);
    assert.equal(codeOf(unknown.json), 'INVALID_API_KEY');
    assert.deepEqual(Object.keys((unknown.json as { error: object }).error).sort(), ['code', 'message', 'param', 'type']);
    assert.doesNotMatch(JSON.stringify(unknown.json), /sk-test-gamma/, 'the token is not echoed whole');
    const ok = await embed(p.url, 'x', { authorization: 'Bearer sk-test-beta' });
    assert.equal(ok.status, 200);
    assert.equal((await fetch(`${p.url}/v1/models`)).status, 401);
    // Health, readiness and metrics stay open (probes and Prometheus carry no client token).
    assert.equal((await fetch(`${p.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${p.url}/readyz`)).status, 200);
    assert.equal((await fetch(`${p.url}/metrics`)).status, 200);
  });

  it('/readyz stays open, but only a valid client token sees the key id, backend and pid', async () => {
    const bare = await fetch(`${p.url}/readyz`);
    assert.equal(bare.status, 200);
    assert.deepEqual(await bare.json(), { status: 'ready', upstream: 'up', breaker: 'closed' });
    const wrong = await fetch(`${p.url}/readyz`, { headers: { authorization: 'Bearer sk-test-gamma' } });
    assert.equal(wrong.status, 200);
    assert.equal(((await wrong.json()) as { keyId?: string }).keyId, undefined);
    const known = await fetch(`${p.url}/readyz`, { headers: { authorization: 'Bearer sk-test-alpha' } });
    const j = (await known.json()) as { keyId: string; backend: string; pid: number };
    assert.equal(j.keyId, p.keyId());
    assert.equal(j.backend, p.backendName());
    assert.equal(j.pid, process.pid);
  });

  it('the official client: its apiKey is the bearer token', async () => {
    const good = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: 'sk-test-alpha', maxRetries: 0 });
    const r = await good.embeddings.create({ model: 'hlp-affine', input: 'authorized' });
    assert.equal(r.data[0]!.embedding.length, 768);
    const wrong = new OpenAI({ baseURL: `${p.url}/v1`, apiKey: 'sk-nope', maxRetries: 0 });
    await assert.rejects(wrong.models.list(), (e: unknown) => e instanceof OpenAI.PermissionDeniedError && e.code === 'INVALID_API_KEY');
  });
});

describe('response compression and backpressure', () => {
  it('gzip or brotli by Accept-Encoding (q-values honoured), identity otherwise, tiny bodies never', async () => {
    const p = await proxy({ batchWindowMs: 0 });
    const body = JSON.stringify({ model: 'hlp-affine', input: 'compress me' });
    const json = { 'content-type': 'application/json' };
    const br = await raw(p.url, '/v1/embeddings', { ...json, 'accept-encoding': 'gzip, deflate, br' }, body);
    assert.equal(br.status, 200);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(br.headers['vary'], 'Accept-Encoding');
    const a = JSON.parse(brotliDecompressSync(br.body).toString()) as { data: { embedding: number[] }[] };
    assertClose('hlp-affine', a.data[0]!.embedding, referenceEmbedding('hlp-affine', 'compress me'));
    assert.ok(br.body.length < Number(JSON.stringify(a).length) * 0.7, 'compressed');
    const gz = await raw(p.url, '/v1/embeddings', { ...json, 'accept-encoding': 'br;q=0.1, gzip;q=0.9' }, body);
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal((JSON.parse(gunzipSync(gz.body).toString()) as { object: string }).object, 'list');
    const plain = await raw(p.url, '/v1/embeddings', { ...json, 'accept-encoding': 'identity, br;q=0' }, body);
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal((JSON.parse(plain.body.toString()) as { object: string }).object, 'list');
    const none = await raw(p.url, '/v1/embeddings', json, body);
    assert.equal(none.headers['content-encoding'], undefined);
    const small = await raw(p.url, '/v1/models', { 'accept-encoding': 'gzip, br' });
    assert.equal(small.status, 200);
    assert.equal(small.headers['content-encoding'], undefined, 'a body under 1 KiB is sent as it is');
  });

  it('more requests than --max-in-flight: 429 QUEUE_FULL with Retry-After, then served again', async () => {
    const p = await proxy({ maxInFlight: 2, batchWindowMs: 600 });
    const first = [embed(p.url, 'one'), embed(p.url, 'two')];
    await new Promise((r) => setTimeout(r, 150));
    const third = await embed(p.url, 'three');
    assert.equal(third.status, 429);
    assert.equal(codeOf(third.json), 'QUEUE_FULL');
    assert.equal(third.headers.get('retry-after'), '1');
    for (const r of await Promise.all(first)) assert.equal(r.status, 200);
    assert.equal((await embed(p.url, 'four')).status, 200);
  });
});
