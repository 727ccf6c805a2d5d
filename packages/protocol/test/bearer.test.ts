import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BearerTokens, parseBearer, parseTokenList } from '../src/index.js';

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
