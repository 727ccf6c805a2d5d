import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ProtocolError } from '@hlp/protocol';
import { createDualServer, pathOf, readBody, sendError, sendJson, type BodyMemory, type DualServer, type Req } from '../src/index.js';

/** Lends fresh buffers and records what was lent and handed back. */
class RecordingMemory implements BodyMemory {
  readonly lent: Buffer[] = [];
  readonly returned: Uint8Array[] = [];
  take(bytes: number): Buffer {
    const b = Buffer.alloc(bytes + 16);
    this.lent.push(b);
    return b;
  }
  give(body: Uint8Array): void {
    this.returned.push(body);
  }
}

let server: DualServer;
let url: string;
let memory = new RecordingMemory();
/** What the handler read, as a copy, and whether it was a view of lent memory. */
let last: { copy: Buffer; lent: boolean } | undefined;

before(async () => {
  server = createDualServer(async (req, res) => {
    try {
      const limit = 4 * 1024 * 1024;
      const inspect =
        pathOf(req) === '/refuse-late'
          ? (chunk: Buffer): void => {
              if (chunk.includes(0x21)) throw new ProtocolError('INVALID_REQUEST', 'a "!" in the body', null);
            }
          : null;
      const body = await readBody(req, limit, inspect, memory);
      last = { copy: Buffer.from(body), lent: memory.lent.some((b) => b.buffer === body.buffer) };
      memory.give(body);
      await sendJson(res, 200, { size: body.length });
    } catch (e) {
      sendError(res, e);
    }
  });
  url = (await server.listen(0, '127.0.0.1')).url;
});
after(() => server.close());

function h2post(session: http2.ClientHttp2Session, path: string, body: Buffer, headers: Record<string, string | number> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const st = session.request({ ':method': 'POST', ':path': path, ...headers });
    let status = 0;
    st.on('response', (h) => (status = Number(h[':status'])));
    st.on('data', () => undefined);
    st.on('end', () => resolve(status));
    st.on('error', reject);
    st.end(body);
  });
}

describe('readBody into lent memory', () => {
  it('copies an h2c body of announced length into the lent buffer, pieces and all', async () => {
    memory = new RecordingMemory();
    const body = Buffer.alloc(3_000_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
    const s = http2.connect(url);
    try {
      assert.equal(await h2post(s, '/read', body, { 'content-length': body.length }), 200);
    } finally {
      s.close();
    }
    assert.equal(memory.lent.length, 1);
    assert.equal(memory.lent[0]!.length, body.length + 16, 'taken for the announced length');
    assert.ok(last!.lent, 'the body is a view of the lent memory');
    assert.ok(last!.copy.equals(body), 'every piece landed where it belongs');
  });

  it('joins the pieces as before when no length is announced (HTTP/1.1 chunked)', async () => {
    memory = new RecordingMemory();
    const parts = [Buffer.from('a'.repeat(70_000)), Buffer.from('b'.repeat(70_000))];
    const r = await fetch(`${url}/read`, { method: 'POST', body: Readable.from(parts), duplex: 'half' });
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as { size: number }).size, 140_000);
    assert.equal(memory.lent.length, 0, 'nothing taken without an announced length');
    assert.ok(last!.copy.equals(Buffer.concat(parts)));
  });

  it('hands the lent buffer back when the body is refused part-way, and the answer says why', async () => {
    memory = new RecordingMemory();
    const body = Buffer.alloc(2_000_000, 0x20);
    body[1_500_000] = 0x21;
    const r = await fetch(`${url}/refuse-late`, { method: 'POST', body });
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'INVALID_REQUEST');
    assert.equal(memory.lent.length, 1);
    assert.deepEqual(
      memory.returned.map((b) => b.buffer),
      [memory.lent[0]!.buffer],
      'the buffer went back once',
    );
  });

  it('takes nothing for a declared length past the limit (413 before reading)', async () => {
    memory = new RecordingMemory();
    const r = await fetch(`${url}/read`, { method: 'POST', body: Buffer.alloc(5 * 1024 * 1024) });
    assert.equal(r.status, 413);
    assert.equal(memory.lent.length, 0);
  });

  it('falls back to joining the pieces when more arrives than was announced, handing the buffer back', async () => {
    const mem = new RecordingMemory();
    const pieces = [Buffer.from('0123456789'), Buffer.from('abcdef')];
    const req = Object.assign(Readable.from(pieces), { headers: { 'content-length': '12' }, complete: true }) as unknown as Req;
    const body = await readBody(req, 1024, null, mem);
    assert.equal(body.toString(), '0123456789abcdef');
    assert.equal(mem.lent.length, 1);
    assert.equal(mem.returned.length, 1, 'the lent buffer went back');
    assert.notEqual(body.buffer, mem.lent[0]!.buffer, 'the body does not view memory handed back');
  });
});
