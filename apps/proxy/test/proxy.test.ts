import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import * as http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { createSealBackend, cudaStatus, decryptValues, parseCiphertext, presetParams, type CkksBackend } from '@hlp/ckks';
import { SeededEmbeddings, packBatch, tokenize, type PackingLayout } from '@hlp/model';
import { EmbeddingsResponse, EncryptResponseHeader, FRAME_CONTENT_TYPE, ModelsResponse, decodeFrames, encodeFrames, parseServerTiming } from '@hlp/protocol';
import { CATALOGUE } from '@hlp/telemetry';
import { startInference, type InferenceServer, type RecordedRequest } from '@hlp/inference';
import { DEFAULT_WORKER_NICE, startProxy, type ProxyServer } from '../src/index.js';
import { TOKEN, assertClose, codeOf, postJson, quiet, referenceEmbedding, secretKeyFromFile } from './helpers.js';

let dir: string;
let keyFile: string;
let inference: InferenceServer;
let proxy: ProxyServer;
let client: OpenAI;
const upstreamTraffic: RecordedRequest[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hlp-proxy-'));
  keyFile = join(dir, 'keys.hlp');
  inference = await startInference({ port: 0, token: TOKEN, log: quiet, defaultMetrics: false, onRequest: (r) => upstreamTraffic.push(r) });
  proxy = await startProxy({ port: 0, upstream: inference.url, token: TOKEN, keyFile, log: quiet, defaultMetrics: false });
  await proxy.ready;
  client = new OpenAI({ baseURL: `${proxy.url}/v1`, apiKey: 'not-checked-yet', maxRetries: 0 });
});

after(async () => {
  await proxy?.close();
  await inference?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const PROMPT = 'Homomorphic encryption lets a server compute on data it cannot read.';

describe('OpenAI client against the proxy (acceptance)', () => {
  it('lists the models', async () => {
    const models = await client.models.list();
    assert.deepEqual(
      models.data.map((m) => m.id),
      ['hlp-affine', 'hlp-projection', 'hlp-mlp'],
    );
  });

  it('hlp-affine: embeddings match the plaintext reference within the error bound', async () => {
    const r = await client.embeddings.create({ model: 'hlp-affine', input: PROMPT });
    assert.equal(r.object, 'list');
    assert.equal(r.model, 'hlp-affine');
    assert.equal(r.data.length, 1);
    assert.equal(r.data[0]!.embedding.length, 768);
    assert.equal(r.usage.prompt_tokens, tokenize(PROMPT).length);
    assertClose('hlp-affine', r.data[0]!.embedding, referenceEmbedding('hlp-affine', PROMPT));
  });

  it(
    'the native batch crypto ran on pool threads at the default niceness, the event loop at its own',
    { skip: !existsSync('/proc/self/task') && 'no /proc (not Linux)' },
    async (t) => {
      await client.embeddings.create({ model: 'hlp-affine', input: PROMPT });
      const niceOf = (tid: string): number => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
      const tids = readdirSync('/proc/self/task');
      const base = niceOf(String(process.pid));
      if (base >= DEFAULT_WORKER_NICE) return t.skip(`the test runs at niceness ${base} already`);
      assert.ok(
        tids.some((id) => niceOf(id) === DEFAULT_WORKER_NICE),
        `a pool thread at nice ${DEFAULT_WORKER_NICE}: ${tids.map(niceOf).join(' ')}`,
      );
      assert.equal(niceOf(String(process.pid)), base, 'the event loop keeps its niceness');
    },
  );

  it('hlp-affine: a batch of many upload slabs (16 ciphertexts each), twice: the same answers from reused slabs', async () => {
    // hundreds of tokens at 768 values each: several slabs, which the two pool calls take in turns
    const inputs = [
      Array.from({ length: 250 }, (_, i) => `word${i % 97}`).join(' '),
      'a short one beside it',
      Array.from({ length: 150 }, (_, i) => `other${i % 31}`).join(' '),
    ];
    for (let round = 0; round < 2; round++) {
      const r = await client.embeddings.create({ model: 'hlp-affine', input: inputs });
      assert.ok(r.usage.prompt_tokens > (3 * 16 * 4096) / 768, `${r.usage.prompt_tokens} tokens: fewer than four slabs`);
      inputs.forEach((text, i) => assertClose('hlp-affine', r.data[i]!.embedding, referenceEmbedding('hlp-affine', text)));
    }
  });

  it('hlp-affine: several inputs (strings and token arrays), float encoding', async () => {
    const inputs = ['first input', 'a second, slightly longer input', 'x'];
    const r = await client.embeddings.create({ model: 'hlp-affine', input: inputs, encoding_format: 'float' });
    assert.deepEqual(
      r.data.map((d) => d.index),
      [0, 1, 2],
    );
    inputs.forEach((text, i) => assertClose('hlp-affine', r.data[i]!.embedding, referenceEmbedding('hlp-affine', text)));
    const ids = [[464, 2068, 7586], [1212]];
    const t = await client.embeddings.create({ model: 'hlp-affine', input: ids });
    ids.forEach((x, i) => assertClose('hlp-affine', t.data[i]!.embedding, referenceEmbedding('hlp-affine', x)));
    assert.equal(t.usage.total_tokens, 4);
  });

  it('hlp-projection: 64-wide embeddings match the reference (BSGS over 20 rotations)', async () => {
    const text = 'Private prompt';
    const r = await client.embeddings.create({ model: 'hlp-projection', input: text });
    assert.equal(r.data[0]!.embedding.length, 64);
    assertClose('hlp-projection', r.data[0]!.embedding, referenceEmbedding('hlp-projection', text));
  });

  it('hlp-mlp: projection + activation match the reference', async () => {
    const text = 'GELU-ish';
    const r = await client.embeddings.create({ model: 'hlp-mlp', input: text });
    assertClose('hlp-mlp', r.data[0]!.embedding, referenceEmbedding('hlp-mlp', text));
  });

  it('an unknown model is a 404 with code UNKNOWN_MODEL through the client', async () => {
    await assert.rejects(client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.NotFoundError);
      assert.equal(e.code, 'UNKNOWN_MODEL');
      return true;
    });
  });
});

describe('transport and extra routes', () => {
  it('h2c on the same port: embeddings with stage timings and op counts', async () => {
    const s = http2.connect(proxy.url);
    try {
      const { status, headers, body } = await new Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }>((resolve, reject) => {
        const st = s.request({ ':method': 'POST', ':path': '/v1/embeddings', 'content-type': 'application/json' });
        let data = '';
        let h: http2.IncomingHttpHeaders = {};
        st.on('response', (x) => (h = x));
        st.setEncoding('utf8');
        st.on('data', (c: string) => (data += c));
        st.on('end', () => resolve({ status: Number(h[':status']), headers: h, body: data }));
        st.on('error', reject);
        st.end(JSON.stringify({ model: 'hlp-affine', input: 'over HTTP/2' }));
      });
      assert.equal(status, 200);
      const r = EmbeddingsResponse.parse(JSON.parse(body));
      assertClose('hlp-affine', r.data[0]!.embedding as number[], referenceEmbedding('hlp-affine', 'over HTTP/2'));
      const stages = parseServerTiming(headers['server-timing'] as string);
      for (const s of ['tokenize', 'embed', 'encode', 'encrypt', 'serialize', 'upload', 'evaluate', 'download', 'deserialize', 'decrypt', 'decode']) {
        assert.ok(stages[s] !== undefined && stages[s] >= 0, `stage ${s} missing`);
      }
      assert.deepEqual(JSON.parse(headers['x-hlp-ops'] as string), {
        rotations: 0,
        plaintextMultiplications: 1,
        ciphertextMultiplications: 0,
        relinearizations: 0,
        rescales: 1,
        additions: 1,
      });
    } finally {
      s.close();
    }
  });

  it('/v1/fhe/encrypt returns framed SEAL ciphertexts that a client can forward itself', async () => {
    const text = 'forward me';
    const r = await fetch(`${proxy.url}/v1/fhe/encrypt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'hlp-affine', input: text }),
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), FRAME_CONTENT_TYPE);
    const { header, frames } = decodeFrames(Buffer.from(await r.arrayBuffer()));
    const h = EncryptResponseHeader.parse(header);
    assert.equal(h.keyId, proxy.keyId());
    assert.equal(frames.length, h.plan.ciphertexts);
    assert.equal(h.usage.prompt_tokens, tokenize(text).length);
    // The trusted side (key file holder) can decrypt them ...
    const be: CkksBackend = await createSealBackend(presetParams(8192));
    try {
      be.importKey('secret', await secretKeyFromFile(keyFile));
      const ids = tokenize(text);
      const { vectors } = packBatch([{ embeddings: new SeededEmbeddings().embed(ids), tokens: ids.length }], h.plan.layout as PackingLayout, 4096);
      const got = decryptValues(be, be.deserialize(frames[0]!));
      let err = 0;
      for (let i = 0; i < 4096; i++) err = Math.max(err, Math.abs(got[i]! - vectors[0]![i]!));
      assert.ok(err < 1e-6, `round trip error ${err}`);
    } finally {
      be.dispose();
    }
    // ... and a client may post them to the inference service with the proxy's key id.
    const body = encodeFrames({ keyId: h.keyId, workload: h.workload, params: h.params, plan: h.plan }, frames);
    const ev = await fetch(`${inference.url}/v1/evaluate`, {
      method: 'POST',
      headers: { 'content-type': FRAME_CONTENT_TYPE, authorization: `Bearer ${TOKEN}` },
      body,
    });
    assert.equal(ev.status, 200);
  });

  it('healthz, readyz and metrics', async () => {
    assert.equal((await fetch(`${proxy.url}/healthz`)).status, 200);
    const ready = await fetch(`${proxy.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { keyId: string }).keyId, proxy.keyId());
    const text = await (await fetch(`${proxy.url}/metrics`)).text();
    assert.match(text, /hlp_http_request_duration_seconds_count\{route="\/v1\/embeddings",method="POST",status="200"\} [1-9]/);
    assert.match(text, /hlp_stage_duration_seconds_count\{stage="encrypt"\} [1-9]/);
    assert.match(text, /hlp_ciphertexts_sent_total\{peer="upstream"\} [1-9]/);
    assert.match(text, /hlp_key_uploads_total\{reason="startup"\} 1/);
    assert.match(text, /hlp_encryption_duration_seconds_count\{backend="[a-z]+",layout="dense"\} [1-9]/);
    if (!cudaStatus().usable) {
      // No device: the GPU pool gauges have no series at all (not zeros).
      assert.doesNotMatch(text, /^hlp_gpu_pool_[a-z_]+\{/m);
    }
    const known = new Set<string>(Object.values(CATALOGUE).map((m) => m.name));
    for (const name of new Set([...text.matchAll(/^(hlp_[a-z_]+?)(?:_bucket|_sum|_count)?[{ ]/gm)].map((x) => x[1]!))) {
      assert.ok(known.has(name) || known.has(name.replace(/_(bucket|sum|count)$/, '')), `metric ${name} is not in @hlp/telemetry's catalogue`);
    }
    const models = ModelsResponse.parse(await (await fetch(`${proxy.url}/v1/models`)).json());
    assert.equal(models.data.length, 3);
  });
});

describe('the secret key never leaves the proxy', () => {
  it('no upstream request carries the secret key or any 64-byte window of it', async () => {
    const sk = Buffer.from(await secretKeyFromFile(keyFile));
    assert.ok(sk.length > 200_000, 'a SEAL SecretKey at N=8192 is ~256 KiB');
    // A distinctive window: 64 bytes of coefficient data from the middle of the key.
    const window = sk.subarray(sk.length >> 1, (sk.length >> 1) + 64);
    assert.ok(new Set(window).size > 16, 'the window is not a run of repeated bytes');
    assert.ok(Buffer.concat([Buffer.from('x'), sk]).includes(window), 'positive control');
    const paths = new Set(upstreamTraffic.map((r) => r.path));
    assert.ok(paths.has('/v1/keys') && paths.has('/v1/evaluate') && paths.has('/v1/info'), [...paths].join(','));
    let bytes = 0;
    let keyBytes = 0;
    for (const r of upstreamTraffic) {
      bytes += r.body.length;
      if (r.path === '/v1/keys') keyBytes += r.body.length;
      assert.equal(r.body.includes(sk), false, `${r.path} carried the secret key`);
      assert.equal(r.body.includes(window), false, `${r.path} carried a window of the secret key`);
      assert.equal(Buffer.from(JSON.stringify(r.headers)).includes(window.toString('hex').slice(0, 32)), false);
      assert.equal(r.headers['authorization'], `Bearer ${TOKEN}`);
    }
    // The evaluation keys go up seeded (20 Galois keys and a relinearization key, about 786 KB
    // each at N = 8192, half their full form), then the ciphertexts.
    assert.ok(keyBytes > 16_000_000, `recorded ${keyBytes} bytes of key upload`);
    assert.ok(bytes > keyBytes + 1_000_000, `recorded ${bytes} bytes of upstream traffic (keys and ciphertexts)`);
  });

  it('ciphertexts go upstream seeded with AES-256-CTR (the service lists it); /v1/fhe/encrypt answers SEAL’s seeded form, which node-seal loads', async () => {
    const be = await createSealBackend(presetParams(8192));
    try {
      const seen = upstreamTraffic.length;
      const r = await postJson(`${proxy.url}/v1/embeddings`, { model: 'hlp-affine', input: ['seeded upstream', 'and another input'] });
      assert.equal(r.status, 200);
      const evaluations = upstreamTraffic.slice(seen).filter((x) => x.path === '/v1/evaluate');
      assert.ok(evaluations.length > 0);
      // (node-seal is not asked to load them: a load it refuses can leave its WebAssembly memory unusable)
      for (const r of evaluations) for (const frame of decodeFrames(r.body).frames) assert.equal(parseCiphertext(frame).seed?.prngType, 'aes256ctr');
      const answer = await fetch(`${proxy.url}/v1/fhe/encrypt`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'hlp-affine', input: 'for a client' }),
      });
      assert.equal(answer.status, 200);
      const { header, frames } = decodeFrames(Buffer.from(await answer.arrayBuffer()));
      assert.equal(EncryptResponseHeader.parse(header).seeded, true);
      for (const frame of frames) {
        assert.equal(parseCiphertext(frame).seed?.prngType, 'shake256');
        be.deserialize(frame).dispose();
      }
    } finally {
      be.dispose();
    }
  });

  it('the key file is private (0600) and a restarted proxy reuses its keys', async () => {
    const st = await stat(keyFile);
    assert.equal(st.mode & 0o777, 0o600);
    const again = await startProxy({ port: 0, upstream: inference.url, token: TOKEN, keyFile, log: quiet, defaultMetrics: false });
    try {
      await again.ready;
      assert.equal(again.keyId(), proxy.keyId());
      assert.equal(inference.service.registry.size, 1);
    } finally {
      await again.close();
    }
  });
});

describe('bad input: a 4xx with an OpenAI-shaped error and a stable code; the process survives', () => {
  const url = (): string => `${proxy.url}/v1/embeddings`;

  it('malformed JSON → 400 INVALID_JSON', async () => {
    const r = await postJson(url(), '{"model": "hlp-affine", "input": ');
    assert.equal(r.status, 400);
    assert.equal(codeOf(r.json), 'INVALID_JSON');
    const e = (r.json as { error: Record<string, unknown> }).error;
    assert.deepEqual(Object.keys(e).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(e['type'], 'invalid_request_error');
  });

  it('wrong content type → 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const r = await fetch(url(), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"model":"hlp-affine","input":"x"}' });
    assert.equal(r.status, 415);
    assert.equal(codeOf(await r.json()), 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('oversized body → 413 PAYLOAD_TOO_LARGE', async () => {
    const r = await postJson(url(), { model: 'hlp-affine', input: 'a'.repeat(5 * 1024 * 1024) });
    assert.equal(r.status, 413);
    assert.equal(codeOf(r.json), 'PAYLOAD_TOO_LARGE');
  });

  it('too many tokens (> 1024), as text and as token ids → 400 TOO_MANY_TOKENS', async () => {
    const text = 'hello '.repeat(1100);
    const r = await postJson(url(), { model: 'hlp-affine', input: text });
    assert.equal(r.status, 400);
    assert.equal(codeOf(r.json), 'TOO_MANY_TOKENS');
    const ids = await postJson(url(), { model: 'hlp-affine', input: Array.from({ length: 1025 }, () => 31373) });
    assert.equal(ids.status, 400);
    assert.equal(codeOf(ids.json), 'TOO_MANY_TOKENS');
  });

  it('more characters than the token limits allow → 400 INPUT_TOO_LONG before tokenizing, quickly', async () => {
    for (const input of ['a'.repeat(100_000), 'a'.repeat(1_000_000), Array.from({ length: 9 }, () => 'b '.repeat(15_000))]) {
      const t0 = performance.now();
      const r = await postJson(url(), { model: 'hlp-affine', input });
      const ms = performance.now() - t0;
      assert.equal(r.status, 400);
      assert.equal(codeOf(r.json), 'INPUT_TOO_LONG');
      assert.equal((r.json as { error: { param: string } }).error.param, 'input');
      assert.ok(ms < 10_000, `answered after ${ms} ms (unbounded tokenizing took minutes)`);
    }
    // More text in the body than any admissible request holds is refused on a scan of its bytes.
    const padded = await postJson(url(), { model: 'hlp-affine', input: Array.from({ length: 11 }, () => 'c'.repeat(30_000)) });
    assert.equal(codeOf(padded.json), 'INPUT_TOO_LONG');
    assert.match(JSON.stringify(padded.json), /request body holds \d+ characters of text in its first \d+ bytes, more than the 262144 that 8192 tokens/);
    // So is a body holding one string longer than any input may be, whatever field holds it.
    for (const body of [
      { model: 'hlp-affine', input: 'hello', user: 'u'.repeat(400_000) },
      { model: 'hlp-affine', input: ['ok', 'é'.repeat(40_000)] },
    ]) {
      const long = await postJson(url(), body);
      assert.equal(codeOf(long.json), 'INPUT_TOO_LONG');
      assert.match(JSON.stringify(long.json), /request body holds a string of \d+ characters in its first \d+ bytes, more than the 32768 that 1024 tokens/);
    }
    // So is a body with more values than any admissible request's token ids, before it is parsed.
    const ids = await postJson(url(), { model: 'hlp-affine', input: Array.from({ length: 2_000_000 }, () => 5) });
    assert.equal(ids.status, 400);
    assert.equal(codeOf(ids.json), 'INPUT_TOO_LONG');
    assert.match(JSON.stringify(ids.json), /values in its first \d+ bytes, more than 8192 token ids/);
    // Within that bound the token limit decides, as before.
    const tooMany = await postJson(url(), { model: 'hlp-affine', input: Array.from({ length: 9 }, () => Array.from({ length: 1000 }, () => 5)) });
    assert.equal(codeOf(tooMany.json), 'TOO_MANY_TOKENS');
    // Within the character limit, the token limit still decides.
    const words = await postJson(url(), { model: 'hlp-affine', input: 'hi '.repeat(2000) });
    assert.equal(codeOf(words.json), 'TOO_MANY_TOKENS');
  });

  it('a malformed percent-encoded path → 400 MALFORMED_URL, on the proxy and on the service', async () => {
    for (const target of [`${proxy.url}/v1/models/%ZZ`, `${proxy.url}/v1/models/%E0%A4%A`, `${inference.url}/v1/keys/%ZZ`, `${inference.url}/v1/info%`]) {
      const r = await fetch(target, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(r.status, 400, target);
      assert.equal(codeOf(await r.json()), 'MALFORMED_URL', target);
    }
    const ok = await fetch(`${proxy.url}/v1/models/hlp%2Daffine`);
    assert.equal(ok.status, 200);
  });

  it('unknown model → 404 UNKNOWN_MODEL; bad token id → 400 INVALID_TOKEN_ID; schema → 400 INVALID_REQUEST', async () => {
    const m = await postJson(url(), { model: 'gpt-4', input: 'x' });
    assert.equal(m.status, 404);
    assert.equal(codeOf(m.json), 'UNKNOWN_MODEL');
    assert.equal((m.json as { error: { param: string } }).error.param, 'model');
    const t = await postJson(url(), { model: 'hlp-affine', input: [1, 2, 50257] });
    assert.equal(t.status, 400);
    assert.equal(codeOf(t.json), 'INVALID_TOKEN_ID');
    for (const body of [
      { model: 'hlp-affine' },
      { model: 'hlp-affine', input: [] },
      { model: 'hlp-affine', input: '' },
      { input: 'x' },
      [1, 2],
      { model: 'hlp-affine', input: 'x', dimensions: 12 },
    ]) {
      const r = await postJson(url(), body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(codeOf(r.json), 'INVALID_REQUEST', JSON.stringify(body));
    }
  });

  it('wrong method → 405, unknown route → 404 NOT_FOUND, and the proxy is still healthy', async () => {
    const g = await fetch(url());
    assert.equal(g.status, 405);
    assert.equal(codeOf(await g.json()), 'METHOD_NOT_ALLOWED');
    const n = await fetch(`${proxy.url}/v2/nothing`);
    assert.equal(n.status, 404);
    assert.equal(codeOf(await n.json()), 'NOT_FOUND');
    assert.equal((await fetch(`${proxy.url}/healthz`)).status, 200);
    const ok = await postJson(url(), { model: 'hlp-affine', input: 'still alive' });
    assert.equal(ok.status, 200);
    const text = await (await fetch(`${proxy.url}/metrics`)).text();
    assert.match(text, /hlp_errors_total\{code="TOO_MANY_TOKENS"\} [1-9]/);
  });
});

describe('upstream failures', () => {
  it('upstream down: readyz 503 and /v1 answers 503 NOT_READY, then it recovers when the service comes up', async () => {
    // Reserve a free port, then start nothing there for a while.
    const probe = await startInference({ port: 0, token: TOKEN, log: quiet, defaultMetrics: false, workloads: ['affine'], backend: 'seal' });
    const port = probe.port;
    await probe.close();
    const p = await startProxy({ port: 0, upstream: `http://127.0.0.1:${port}`, token: TOKEN, log: quiet, defaultMetrics: false, backend: 'seal' });
    let late: InferenceServer | undefined;
    try {
      const rz = await fetch(`${p.url}/readyz`);
      assert.equal(rz.status, 503);
      const e = await postJson(`${p.url}/v1/embeddings`, { model: 'hlp-affine', input: 'x' });
      assert.equal(e.status, 503);
      assert.equal(codeOf(e.json), 'NOT_READY');
      assert.equal(e.headers.get('retry-after'), '1');
      late = await startInference({ port, token: TOKEN, log: quiet, defaultMetrics: false, workloads: ['affine'], backend: 'seal' });
      await p.ready;
      assert.equal((await fetch(`${p.url}/readyz`)).status, 200);
      // The service restarts and forgets the keys: the proxy reconnects and uploads them again.
      await late.close();
      late = await startInference({ port, token: TOKEN, log: quiet, defaultMetrics: false, workloads: ['affine'], backend: 'seal' });
      const r = await postJson(`${p.url}/v1/embeddings`, { model: 'hlp-affine', input: 'after a restart' });
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assertClose('hlp-affine', (r.json as { data: { embedding: number[] }[] }).data[0]!.embedding, referenceEmbedding('hlp-affine', 'after a restart'));
      assert.match(await (await fetch(`${p.url}/metrics`)).text(), /hlp_key_uploads_total\{reason="miss"\} 1/);
      await late.close();
      late = undefined;
      const down = await postJson(`${p.url}/v1/embeddings`, { model: 'hlp-affine', input: 'x' });
      assert.equal(down.status, 503);
      assert.equal(codeOf(down.json), 'UPSTREAM_DOWN');
    } finally {
      await p.close();
      await late?.close();
    }
  });

  it('a wrong service token is refused by the service and reported by the proxy', async () => {
    const p = await startProxy({ port: 0, upstream: inference.url, token: 'wrong', log: quiet, defaultMetrics: false });
    try {
      await assert.rejects(p.ready, /401/);
      assert.equal((await fetch(`${p.url}/readyz`)).status, 503);
    } finally {
      await p.close();
    }
  });
});
