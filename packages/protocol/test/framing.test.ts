import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ERROR_CODES,
  EmbeddingsRequest,
  ProtocolError,
  checkBearer,
  decodeFrames,
  encodeFrames,
  encodeFramesParts,
  payloadLength,
  errorBody,
  formatServerTiming,
  framesByteLength,
  isProtocolError,
  keySetId,
  parseServerTiming,
  sha256Hex,
  workloadOfModel,
} from '../src/index.js';

function badFrame(fn: () => unknown, param?: string): void {
  assert.throws(fn, (e: unknown) => isProtocolError(e, 'BAD_FRAME') && (param === undefined || e.param === param));
}

describe('framing', () => {
  const frames = [Uint8Array.from([1, 2, 3]), new Uint8Array(0), new Uint8Array(70_000).fill(9)];

  it('a frame given in pieces is written as one frame of their bytes, and its length counted once', () => {
    const pieces = [Uint8Array.from([1, 2]), Uint8Array.from([3])];
    const whole = encodeFrames({ a: 1 }, [Uint8Array.from([1, 2, 3]), frames[2]!]);
    const split = encodeFrames({ a: 1 }, [pieces, frames[2]!]);
    assert.deepEqual(split, whole);
    assert.equal(framesByteLength({ a: 1 }, [pieces, frames[2]!]), whole.length);
    assert.equal(payloadLength(pieces), 3);
    const parts = encodeFramesParts({ a: 1 }, [pieces]);
    assert.ok(parts.includes(pieces[0]!) && parts.includes(pieces[1]!), 'the pieces themselves, not copies');
    assert.deepEqual([...decodeFrames(split).frames[0]!], [1, 2, 3]);
  });

  it('round-trips a header and frames (views, no copies)', () => {
    const body = encodeFrames({ keyId: 'abc', nested: { a: [1, 2] } }, frames);
    assert.equal(body.length, framesByteLength({ keyId: 'abc', nested: { a: [1, 2] } }, frames));
    assert.deepEqual([...body.subarray(0, 4)], [0x48, 0x4c, 0x50, 0x31]);
    const d = decodeFrames(body);
    assert.equal(d.header.frames, 3);
    assert.equal(d.header['keyId'], 'abc');
    assert.deepEqual(d.header['nested'], { a: [1, 2] });
    assert.equal(d.frames.length, 3);
    d.frames.forEach((f, i) => assert.deepEqual(Buffer.from(f), Buffer.from(frames[i]!)));
    assert.equal(d.frames[2]!.buffer, body.buffer);
  });

  it('header.frames is always the real count', () => {
    const d = decodeFrames(encodeFrames({ frames: 99 }, frames.slice(0, 1)));
    assert.equal(d.header.frames, 1);
  });

  it('rejects bad magic, short bodies, bad header JSON, wrong counts, truncation and trailing bytes', () => {
    const good = encodeFrames({ x: 1 }, frames);
    badFrame(() => decodeFrames(Buffer.from('HLP')), 'magic');
    badFrame(() => decodeFrames(Buffer.from('{"input":"hello"}')), 'magic');
    const noJson = Buffer.from(good);
    noJson[8] = 0x7b + 1; // corrupt the opening brace
    badFrame(() => decodeFrames(noJson), 'header');
    const longHeader = Buffer.from(good);
    longHeader.writeUInt32LE(1 << 30, 4);
    badFrame(() => decodeFrames(longHeader), 'header');
    const overHeader = Buffer.from(good);
    overHeader.writeUInt32LE(good.length, 4);
    badFrame(() => decodeFrames(overHeader), 'header');
    badFrame(() => decodeFrames(good.subarray(0, good.length - 1)), 'frames.2');
    badFrame(() => decodeFrames(Buffer.concat([good, Buffer.from([0])])), 'frames');
    const arr = encodeFrames({}, []);
    const j = Buffer.from('[1,2]');
    const notObject = Buffer.concat([arr.subarray(0, 4), Buffer.from([j.length, 0, 0, 0]), j]);
    badFrame(() => decodeFrames(notObject), 'header');
    const neg = Buffer.from('{"frames":-1}');
    badFrame(() => decodeFrames(Buffer.concat([arr.subarray(0, 4), Buffer.from([neg.length, 0, 0, 0]), neg])), 'header.frames');
    badFrame(() => decodeFrames(encodeFrames({}, frames), { maxFrames: 2 }), 'header.frames');
  });
});

describe('errors', () => {
  it('has the OpenAI shape and a status per code', () => {
    assert.deepEqual(errorBody('UNKNOWN_MODEL', 'no such model', 'model'), {
      error: { message: 'no such model', type: 'invalid_request_error', param: 'model', code: 'UNKNOWN_MODEL' },
    });
    const e = new ProtocolError('QUEUE_FULL', 'full', null, { retryAfterSeconds: 1 });
    assert.equal(e.status, 429);
    assert.equal(e.retryAfterSeconds, 1);
    for (const [code, spec] of Object.entries(ERROR_CODES)) {
      assert.match(code, /^[A-Z_]+$/);
      assert.ok(spec.status >= 400 && spec.status < 600);
    }
  });
});

describe('schemas and helpers', () => {
  it('accepts the four OpenAI input shapes and rejects empty ones', () => {
    for (const input of ['hi', ['a', 'b'], [1, 2, 3], [[1], [2, 3]]]) assert.ok(EmbeddingsRequest.safeParse({ input, model: 'hlp-affine' }).success);
    for (const input of [[], [[]], 5, null, [1.5]]) assert.equal(EmbeddingsRequest.safeParse({ input, model: 'hlp-affine' }).success, false);
    assert.equal(workloadOfModel('hlp-affine'), 'affine');
    assert.equal(workloadOfModel('text-embedding-3-small'), undefined);
  });

  it('key set ids do not depend on the order of kinds', () => {
    const a = sha256Hex(Buffer.from('a'));
    const b = sha256Hex(Buffer.from('b'));
    assert.equal(keySetId({ public: a, relin: b }), keySetId({ relin: b, public: a }));
    assert.notEqual(keySetId({ public: a, relin: b }), keySetId({ public: b, relin: a }));
    assert.match(keySetId({ public: a }), /^[0-9a-f]{64}$/);
  });

  it('checks bearer tokens', () => {
    assert.equal(checkBearer('Bearer s3cret', 's3cret'), true);
    assert.equal(checkBearer('bearer s3cret', 's3cret'), true);
    assert.equal(checkBearer('Bearer s3cre', 's3cret'), false);
    assert.equal(checkBearer(undefined, 's3cret'), false);
    assert.equal(checkBearer('Basic s3cret', 's3cret'), false);
  });

  it('formats and parses Server-Timing', () => {
    const t = parseServerTiming(formatServerTiming({ tokenize: 0.1234, evaluate: 12 }));
    assert.deepEqual(t, { tokenize: 0.123, evaluate: 12 });
  });
});
