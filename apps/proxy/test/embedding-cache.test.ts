import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelError, SeededEmbeddings, type EmbedOptions, type EmbeddingSource } from '@hlp/model';
import { CachedEmbeddings } from '../src/embedding-cache.js';

/** A small seeded source that counts the rows it makes. */
class CountingSource implements EmbeddingSource {
  readonly inner = new SeededEmbeddings({ vocabSize: 100, width: 8, context: 16, seed: 7 });
  readonly kind = this.inner.kind;
  readonly vocabSize = this.inner.vocabSize;
  readonly width = this.inner.width;
  readonly context = this.inner.context;
  tokenRows: number[] = [];
  positionRows = 0;
  tokenEmbedding(id: number, out?: Float64Array): Float64Array {
    this.tokenRows.push(id);
    return this.inner.tokenEmbedding(id, out);
  }
  positionEmbedding(pos: number, out?: Float64Array): Float64Array {
    this.positionRows++;
    return this.inner.positionEmbedding(pos, out);
  }
  embed(ids: ArrayLike<number>, options?: EmbedOptions): Float64Array {
    return this.inner.embed(ids, options);
  }
}

describe('CachedEmbeddings', () => {
  it('gives exactly what the wrapped source gives, through evictions', () => {
    const base = new SeededEmbeddings({ seed: 11 });
    const cached = new CachedEmbeddings(base, 64);
    // 200 ids cycling through 300 distinct tokens: most rows are evicted and made again
    for (let round = 0; round < 3; round++) {
      const ids = Array.from({ length: 200 }, (_, k) => (k * 151 + round * 97) % 50257);
      assert.deepEqual(cached.embed(ids, { startPosition: round * 5 }), base.embed(ids, { startPosition: round * 5 }));
    }
    assert.equal(cached.cachedTokenRows, 64);
    assert.deepEqual(cached.tokenEmbedding(42), base.tokenEmbedding(42));
    assert.deepEqual(cached.positionEmbedding(1023), base.positionEmbedding(1023));
    const out = new Float64Array(800).fill(9);
    assert.deepEqual(cached.tokenEmbedding(5, out), base.tokenEmbedding(5));
    assert.equal(out[768], 9, 'nothing written past the row');
  });

  it('keeps the most recently used token rows and makes each row once while cached', () => {
    const source = new CountingSource();
    const cached = new CachedEmbeddings(source, 3);
    cached.embed([1, 2, 3]);
    cached.embed([1]); // 1 is now the newest; 2 the oldest
    cached.embed([4]); // evicts 2
    assert.deepEqual(source.tokenRows, [1, 2, 3, 4]);
    cached.embed([1, 3, 4]);
    assert.deepEqual(source.tokenRows, [1, 2, 3, 4], 'no row made again while cached');
    cached.embed([2]); // made again, evicting the oldest (1: used before 3 and 4 in the last call)
    cached.embed([3, 4]);
    assert.deepEqual(source.tokenRows, [1, 2, 3, 4, 2]);
    cached.embed([1]);
    assert.deepEqual(source.tokenRows, [1, 2, 3, 4, 2, 1]);
    // positions: made once each, whatever the tokens
    cached.embed([5, 6, 7, 8], { startPosition: 2 });
    assert.equal(source.positionRows, 6);
    // a returned row is a copy: changing it changes nothing cached
    const row = cached.tokenEmbedding(8);
    row.fill(0);
    assert.deepEqual(cached.tokenEmbedding(8), source.inner.tokenEmbedding(8));
  });

  it('leaves bad arguments to the wrapped source, caching nothing', () => {
    const source = new CountingSource();
    const cached = new CachedEmbeddings(source, 4);
    assert.throws(
      () => cached.embed([1, 100]),
      (e: unknown) => e instanceof ModelError && e.code === 'INVALID_TOKEN_ID',
    );
    assert.throws(() => cached.embed([1, 2.5]), ModelError);
    assert.throws(
      () => cached.embed(Array.from({ length: 17 }, () => 1)),
      (e: unknown) => e instanceof ModelError && e.code === 'TOO_MANY_TOKENS',
    );
    assert.throws(() => cached.tokenEmbedding(-1), ModelError);
    assert.throws(() => cached.tokenEmbedding(3, new Float64Array(2)), ModelError);
    assert.throws(() => cached.positionEmbedding(16), ModelError);
    assert.equal(cached.cachedTokenRows, 0);
    assert.throws(() => new CachedEmbeddings(source, 0), RangeError);
  });
});
