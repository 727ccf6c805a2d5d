import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import { decodeFrames, FRAME_CONTENT_TYPE, ProtocolError } from '@hlp/protocol';
import {
  createDualServer,
  JsonScanner,
  MAX_JSON_DEPTH,
  jsonDepth,
  parseJson,
  scanJson,
  pathOf,
  readBody,
  requireMediaType,
  sendError,
  sendFrames,
  sendJson,
  type DualServer,
  type Req,
} from '../src/index.js';

let server: DualServer;
let url: string;
/** The last request /scan read (what the server read of a refused body is checked on its socket). */
let lastScan: Req | undefined;

before(async () => {
  server = createDualServer(async (req, res) => {
    try {
      if (pathOf(req) === '/echo') {
        requireMediaType(req, 'application/json');
        const body = parseJson(await readBody(req, 1024 * 1024));
        await sendJson(res, 200, { version: req.httpVersion, body });
      } else if (pathOf(req) === '/scan') {
        lastScan = req;
        const scanner = new JsonScanner({ textUnits: 1000 });
        const body = await readBody(req, 8 * 1024 * 1024, (chunk) => {
          if (!scanner.feed(chunk)) throw new ProtocolError('INPUT_TOO_LONG', `more than 1000 characters (${scanner.scan.textUnits})`, 'input');
        });
        await sendJson(res, 200, { size: body.length });
      } else if (pathOf(req) === '/frames') {
        const body = await readBody(req, 8 * 1024 * 1024);
        sendFrames(res, 200, { size: body.length }, [body.subarray(0, 10), body.subarray(10)]);
      } else if (pathOf(req) === '/boom') {
        throw new Error('handler bug');
      } else await sendJson(res, 404, { error: 'nope' });
    } catch (e) {
      sendError(res, e);
    }
  });
  url = (await server.listen(0, '127.0.0.1')).url;
});
after(() => server.close());

function h2request(
  session: http2.ClientHttp2Session,
  path: string,
  body?: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer }> {
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

describe('readBody with an inspector', () => {
  it('reads no more of a refused body on HTTP/1.1: the answer says Connection: close', async () => {
    const big = Buffer.from(JSON.stringify({ input: 'y'.repeat(6_000_000) }));
    const r = await fetch(`${url}/scan`, { method: 'POST', body: big });
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('connection'), 'close');
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'INPUT_TOO_LONG');
    await new Promise((resolve) => setTimeout(resolve, 200));
    // drained, the server read all 6 MB; refused, it stops within a few of its reads
    assert.ok(lastScan!.socket.bytesRead < 2_000_000, `the server read ${lastScan!.socket.bytesRead} bytes of a refused 6 MB body`);
    // a body that arrived whole keeps its keep-alive connection, even when refused
    const whole = await fetch(`${url}/scan`, { method: 'POST', body: JSON.stringify({ input: 'z'.repeat(2000) }) });
    assert.equal(whole.status, 400);
    assert.notEqual(whole.headers.get('connection'), 'close');
    await whole.arrayBuffer();
  });

  it('refuses a body on the piece that passes the limit; the 400 reaches the client on HTTP/1.1 and h2c, and the h2c session serves on', async () => {
    const big = Buffer.from(JSON.stringify({ input: 'x'.repeat(4_000_000) }));
    const refused = await fetch(`${url}/scan`, { method: 'POST', body: big });
    assert.equal(refused.status, 400);
    const err = ((await refused.json()) as { error: { code: string; message: string } }).error;
    assert.equal(err.code, 'INPUT_TOO_LONG');
    // refused on an early piece, not after counting the whole body
    assert.ok(Number(/\((\d+)\)/.exec(err.message)?.[1]) < 1_000_000, err.message);
    const fine = await fetch(`${url}/scan`, { method: 'POST', body: '{"input":"short"}' });
    assert.deepEqual(await fine.json(), { size: 17 });
    const s = http2.connect(url);
    try {
      assert.equal((await h2request(s, '/scan', big)).status, 400);
      assert.equal((await h2request(s, '/scan', Buffer.from('[1,2]'))).status, 200);
    } finally {
      s.close();
    }
  });
});

describe('an h2c upload far past the body limit', () => {
  it('gets its 413, then the stream is closed with NO_ERROR (not CANCEL) after 64 MiB more are dropped, and the session serves on', async () => {
    const s = http2.connect(url);
    try {
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      const total = 80;
      const outcome = await new Promise<{ status: number; code: string; rstCode: number | undefined; sent: number }>((resolve, reject) => {
        const st = s.request({ ':method': 'POST', ':path': '/echo', 'content-type': 'application/json' });
        let status = 0;
        const body: Buffer[] = [];
        let sent = 0;
        st.on('response', (h) => (status = Number(h[':status'])));
        st.on('data', (c: Buffer) => body.push(c));
        st.on('error', reject);
        st.on('close', () => {
          const text = Buffer.concat(body).toString();
          resolve({ status, code: text ? ((JSON.parse(text) as { error: { code: string } }).error.code ?? '') : '', rstCode: st.rstCode, sent });
        });
        const pump = (): void => {
          while (sent < total && !st.closed) {
            sent++;
            if (!st.write(chunk)) return void st.once('drain', pump);
          }
          if (!st.closed) st.end();
        };
        pump();
      });
      assert.equal(outcome.status, 413);
      assert.equal(outcome.code, 'PAYLOAD_TOO_LARGE');
      assert.equal(outcome.rstCode, http2.constants.NGHTTP2_NO_ERROR, `closed with code ${outcome.rstCode}`);
      assert.ok(outcome.sent < total, `the server stopped the upload (${outcome.sent} of ${total} MiB sent)`);
      assert.equal((await h2request(s, '/echo', Buffer.from('[1]'), { 'content-type': 'application/json' })).status, 200);
    } finally {
      s.close();
    }
  });
});

describe('JSON nesting depth, checked on the bytes before parsing', () => {
  it('counts brackets of arrays and objects, not those inside strings or escaped', () => {
    assert.equal(jsonDepth(Buffer.from('{"model":"m","input":[[1,2],[3]]}')), 3);
    assert.equal(jsonDepth(Buffer.from('{"input":"[[[[{{{{ \\" [[[["}')), 1);
    assert.equal(jsonDepth(Buffer.from('42')), 0);
  });
  it("refuses a million nested brackets as INVALID_JSON without parsing them; the request schemas' depth parses", () => {
    const deep = Buffer.from(`{"input":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`);
    assert.throws(
      () => parseJson(deep),
      (e: unknown) => e instanceof ProtocolError && e.code === 'INVALID_JSON' && /deeper than 32/.test(e.message),
    );
    assert.ok(jsonDepth(deep) > MAX_JSON_DEPTH);
    const ok = Buffer.from(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`);
    assert.deepEqual(typeof parseJson(ok), 'object');
  });
});

describe('the text of a JSON body, counted on its bytes before decoding', () => {
  const unitsOfParsedStrings = (v: unknown): number =>
    typeof v === 'string'
      ? v.length
      : Array.isArray(v)
        ? v.reduce((n: number, x) => n + unitsOfParsedStrings(x), 0)
        : v !== null && typeof v === 'object'
          ? Object.entries(v).reduce((n, [k, x]) => n + k.length + unitsOfParsedStrings(x), 0)
          : 0;
  it('equals the string lengths JSON.parse gives, keys included, for every kind of character and escape', () => {
    const texts = [
      { model: 'hlp-affine', input: 'plain ascii' },
      { input: ['漢字かな', 'emoji 😀🚀 and zero\u200bwidth\u200b', 'é ü ß'] },
      { input: [[1, 2, 3], [4]], user: 'quote " backslash \\ newline \n tab \t' },
      { ключ: 'значение', x: '\u0000\u001f\ud83d\ude00' },
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
    assert.deepEqual(scanJson(body), { depth: 1, textUnits: 1_000_005, separators: 0, longestString: 1_000_000 });
  });
});

describe('JsonScanner: the same scan fed piece by piece as a body arrives, refusing at its limits', () => {
  const bodies = [
    '{"a":"\\u0041\\n\\"\\\\\\uD83D\\uDE00","b":[1,2,[3,{"c":"}],,"}]],"d":"漢字😀é"}',
    JSON.stringify({
      model: 'hlp-affine',
      input: [
        [1, 2, 3],
        [4, 5],
      ],
      user: 'quote " backslash \\ ,[{',
    }),
  ].map((t) => Buffer.from(t));
  it("gives the whole body's scan for every split into two pieces and for single bytes (escapes and characters cut anywhere)", () => {
    for (const body of bodies) {
      const whole = scanJson(body);
      for (let cut = 0; cut <= body.length; cut++) {
        const s = new JsonScanner();
        s.feed(body.subarray(0, cut));
        s.feed(body.subarray(cut));
        assert.deepEqual(s.scan, whole, `cut at ${cut}`);
      }
      const bytewise = new JsonScanner();
      for (let i = 0; i < body.length; i++) bytewise.feed(body.subarray(i, i + 1));
      assert.deepEqual(bytewise.scan, whole);
    }
  });
  it('measures the longest string, keys and escapes included, also while one is still open', () => {
    assert.equal(scanJson(Buffer.from('{"model":"abc","input":["漢字😀","\\u0041\\n\\"x"]}')).longestString, 5);
    assert.equal(scanJson(Buffer.from('{"a-very-long-key":1}')).longestString, 15);
    assert.equal(scanJson(Buffer.from('[1,2]')).longestString, 0);
    const open = new JsonScanner({ longestString: 6 });
    assert.equal(open.feed(Buffer.from('{"input":["ab","abcd')), true);
    assert.equal(open.scan.longestString, 5, 'the open string counts with what it holds so far');
    assert.equal(open.feed(Buffer.from('ef')), true);
    assert.equal(open.feed(Buffer.from('g"]}')), false, 'a string of 7 passes the limit of 6');
    assert.equal(open.scan.longestString, 7);
    // many short strings: much text, no long string
    const many = new JsonScanner({ longestString: 6 });
    assert.equal(many.feed(Buffer.from(JSON.stringify({ input: Array.from({ length: 100 }, () => 'abcdef') }))), true);
    assert.equal(many.scan.textUnits, 605);
  });
  it('counts separators outside strings: one per value past the first of each array or object', () => {
    assert.equal(scanJson(Buffer.from('{"input":[[1,2,3],[4]],"model":"a,b,c"}')).separators, 4);
    assert.equal(scanJson(Buffer.from('[]')).separators, 0);
  });
  it('stops at the first piece past a limit, and stays refused', () => {
    const s = new JsonScanner({ textUnits: 10, separators: 100 });
    assert.equal(s.feed(Buffer.from('{"input":"abcde')), true);
    assert.equal(s.feed(Buffer.from('fghijkl"')), false);
    assert.equal(s.over, true);
    assert.equal(s.feed(Buffer.from('}')), false);
    const values = new JsonScanner({ separators: 2 });
    assert.equal(values.feed(Buffer.from('[1,2,3')), true);
    assert.equal(values.feed(Buffer.from(',4]')), false);
    const deep = new JsonScanner({ depth: 4 });
    assert.equal(deep.feed(Buffer.from('[[[[')), true);
    assert.equal(deep.feed(Buffer.from('[')), false);
    assert.equal(deep.scan.depth, 5);
  });
});
