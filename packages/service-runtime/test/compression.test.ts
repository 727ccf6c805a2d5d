import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { negotiateEncoding } from '../src/index.js';

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
