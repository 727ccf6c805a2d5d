import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { createDualServer, decodeFrames, FRAME_CONTENT_TYPE, MAX_JSON_DEPTH, jsonDepth, parseJson, scanJson, ProtocolError, pathOf, readBody, requireMediaType, sendError, sendFrames, sendJson, type DualServer } from '../src/index.js';

let server: DualServer;
let url: string;

before(async () => {
  server = createDualServer(async (req, res) => {
    try {
      if (pathOf(req) === '/echo') {
        requireMediaType(req, 'application/json');
        const body = parseJson(await readBody(req, 1024 * 1024));
        sendJson(res, 200, { version: req.httpVersion, body });
      } else if (pathOf(req) === '/frames') {
        const body = await readBody(req, 8 * 1024 * 1024);
        sendFrames(res, 200, { size: body.length }, [body.subarray(0, 10), body.subarray(10)]);
      } else if (pathOf(req) === '/boom') {
        throw new Error('handler bug');
      } else sendJson(res, 404, { error: 'nope' });
    } catch (e) {
      sendError(res, e);
    }
  });
  url = (await server.listen(0, '127.0.0.1')).url;
});
after(() => server.close());

function h2request(session: http2.ClientHttp2Session, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const st = session.request({ ':method': body ? 'POST' : 'GET', ':path': path, ...headers });
    const chunks: Buffer[] = [];
    let status = 0;
    st.on('response', (h) => (status = Number(h[':status'])));
    st.on('data', (c: Buffer) => chunks.push(c));
    st.on('end', () => resolve({ status, body: Buffer.concat(chunks) }));
    st.on('error', reject);
    st.end(body);
  });
}

describe('dual-protocol server', () => {
  it('speaks HTTP/1.1 on the port', async () => {
    const r = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"a":1}' });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { version: '1.1', body: { a: 1 } });
  });

  it('speaks h2c (prior knowledge) on the same port, many streams on one session', async () => {
    const s = http2.connect(url);
    try {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => h2request(s, '/echo', Buffer.from(JSON.stringify({ i })), { 'content-type': 'application/json' })),
      );
      results.forEach((r, i) => {
        assert.equal(r.status, 200);
        assert.deepEqual(JSON.parse(r.body.toString()), { version: '2.0', body: { i } });
      });
      const big = Buffer.alloc(5_000_000, 3);
      const f = await h2request(s, '/frames', big, { 'content-type': FRAME_CONTENT_TYPE });
      const d = decodeFrames(f.body);
      assert.equal(d.header['size'], big.length);
      assert.equal(d.frames[1]!.length, big.length - 10);
    } finally {
      s.close();
    }
  });

  it('answers a malformed percent-encoded path with 400 MALFORMED_URL before any handler, on both protocols', async () => {
    for (const path of ['/boom/%ZZ', '/echo%C3%28', '/%']) {
      const r = await fetch(`${url}${path}`);
      assert.equal(r.status, 400, path);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'MALFORMED_URL');
    }
    const s = http2.connect(url);
    try {
      const r = await h2request(s, '/boom/%ZZ?x=1');
      assert.equal(r.status, 400);
      assert.equal((JSON.parse(r.body.toString()) as { error: { code: string } }).error.code, 'MALFORMED_URL');
    } finally {
      s.close();
    }
    const fine = await fetch(`${url}/echo%20x`);
    assert.equal(fine.status, 404);
  });

  it('answers bad input with OpenAI-shaped errors and survives handler bugs', async () => {
    const wrongType = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
    assert.equal(wrongType.status, 415);
    assert.equal(((await wrongType.json()) as { error: { code: string } }).error.code, 'UNSUPPORTED_MEDIA_TYPE');
    const badJson = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
    assert.equal(badJson.status, 400);
    assert.equal(((await badJson.json()) as { error: { code: string } }).error.code, 'INVALID_JSON');
    const big = await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(2 * 1024 * 1024, 32) });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { error: { code: string } }).error.code, 'PAYLOAD_TOO_LARGE');
    const boom = await fetch(`${url}/boom`);
    assert.equal(boom.status, 500);
    assert.equal(((await boom.json()) as { error: { code: string } }).error.code, 'INTERNAL');
    assert.equal((await fetch(`${url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '1' })).status, 200);
  });
});

describe('JSON nesting depth, checked on the bytes before parsing', () => {
  it('counts brackets of arrays and objects, not those inside strings or escaped', () => {
    assert.equal(jsonDepth(Buffer.from('{"model":"m","input":[[1,2],[3]]}')), 3);
    assert.equal(jsonDepth(Buffer.from('{"input":"[[[[{{{{ \\" [[[["}')), 1);
    assert.equal(jsonDepth(Buffer.from('42')), 0);
  });
  it('refuses a million nested brackets as INVALID_JSON without parsing them; the request schemas\' depth parses', () => {
    const deep = Buffer.from(`{"input":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`);
    assert.throws(() => parseJson(deep), (e: unknown) => e instanceof ProtocolError && e.code === 'INVALID_JSON' && /deeper than 32/.test(e.message));
    assert.ok(jsonDepth(deep) > MAX_JSON_DEPTH);
    const ok = Buffer.from(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`);
    assert.deepEqual(typeof parseJson(ok), 'object');
  });
});

describe('the text of a JSON body, counted on its bytes before decoding', () => {
  const unitsOfParsedStrings = (v: unknown): number =>
    typeof v === 'string' ? v.length : Array.isArray(v) ? v.reduce((n: number, x) => n + unitsOfParsedStrings(x), 0) : v !== null && typeof v === 'object' ? Object.entries(v).reduce((n, [k, x]) => n + k.length + unitsOfParsedStrings(x), 0) : 0;
  it('equals the string lengths JSON.parse gives, keys included, for every kind of character and escape', () => {
    const texts = [
      { model: 'hlp-affine', input: 'plain ascii' },
      { input: ['漢字かな', 'emoji 😀🚀 and zero\u200bwidth\u200b', 'é ü ß'] },
      { input: [[1, 2, 3], [4]], user: 'quote " backslash \\ newline \n tab \t' },
      { 'ключ': 'значение', x: '\u0000\u001f\ud83d\ude00' },
    ];
    for (const value of texts) {
      const body = Buffer.from(JSON.stringify(value));
      assert.equal(scanJson(body).textUnits, unitsOfParsedStrings(JSON.parse(body.toString('utf8'))), body.toString('utf8'));
    }
    // escapes written by hand (JSON.stringify leaves most characters unescaped)
    const escaped = Buffer.from('{"a":"\\u0041\\n\\"\\\\\\uD83D\\uDE00"}');
    assert.equal(scanJson(escaped).textUnits, unitsOfParsedStrings(JSON.parse(escaped.toString('utf8'))));
    assert.equal(scanJson(Buffer.from('[1,2,3]')).textUnits, 0);
  });
  it('counts a megabyte without decoding it, and reports depth as jsonDepth does', () => {
    const body = Buffer.from(JSON.stringify({ input: 'a'.repeat(1_000_000) }));
    assert.deepEqual(scanJson(body), { depth: 1, textUnits: 1_000_005 });
  });
});
