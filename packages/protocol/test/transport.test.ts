import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BearerTokens, negotiateEncoding, parseBearer, parseTokenList } from '../src/index.js';

describe('content negotiation', () => {
  it('picks br or gzip by q-value, br on a tie, identity when neither is acceptable', () => {
    assert.equal(negotiateEncoding(undefined), 'identity');
    assert.equal(negotiateEncoding(''), 'identity');
    assert.equal(negotiateEncoding('gzip, deflate, br'), 'br');
    assert.equal(negotiateEncoding('gzip'), 'gzip');
    assert.equal(negotiateEncoding('br;q=0.5, gzip;q=0.8'), 'gzip');
    assert.equal(negotiateEncoding('gzip;q=0, br;q=0'), 'identity');
    assert.equal(negotiateEncoding('identity'), 'identity');
    assert.equal(negotiateEncoding('*'), 'br');
    assert.equal(negotiateEncoding('*;q=0.1, br;q=0'), 'gzip');
    assert.equal(negotiateEncoding(['deflate', 'GZIP']), 'gzip');
  });
});

describe('bearer tokens', () => {
  it('tells missing, malformed and well-formed headers apart', () => {
    assert.deepEqual(parseBearer(undefined), { kind: 'missing' });
    assert.deepEqual(parseBearer('  '), { kind: 'missing' });
    for (const bad of ['Basic abc', 'Bearer', 'Bearer a b', 'token', 'Bearer "quoted"']) assert.deepEqual(parseBearer(bad), { kind: 'malformed' }, bad);
    assert.deepEqual(parseBearer('Bearer sk-abc_123.x~y+z/w=='), { kind: 'token', token: 'sk-abc_123.x~y+z/w==' });
    assert.deepEqual(parseBearer('bearer  sk-1 '), { kind: 'token', token: 'sk-1' });
  });

  it('keeps digests only, finds known tokens, reads lists and files', () => {
    const set = new BearerTokens(parseTokenList('sk-a, sk-b\n# a comment\n\nsk-c\n'));
    assert.equal(set.size, 3);
    assert.ok(set.has('sk-b') && set.has('sk-c'));
    assert.ok(!set.has('sk-d') && !set.has('sk-'));
    assert.throws(() => new BearerTokens(['has space']));
  });
});
