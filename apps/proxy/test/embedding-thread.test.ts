import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { GPT2, ModelError, SeededEmbeddings } from '@hlp/model';
import { loopIterationCounter } from '@hlp/service-runtime';
import { CachedEmbeddings } from '../src/embedding-cache.js';
import { EmbeddingThread, EmbeddingThreadError } from '../src/embedding-thread.js';

const W = GPT2.width;

/** What the event loop would have written: every list from position 0, back to back. */
function expected(source: CachedEmbeddings, lists: readonly (readonly number[])[]): Float64Array {
  const out = new Float64Array(lists.reduce((n, l) => n + l.length, 0) * W);
  let at = 0;
  for (const ids of lists) {
    source.embed(ids, { out: out.subarray(at * W, (at + ids.length) * W) });
    at += ids.length;
  }
  return out;
}

describe('EmbeddingThread', () => {
  const thread = new EmbeddingThread({ seed: 5, maxTokenRows: 64 });
  after(() => thread.close());

  it('writes exactly the rows CachedEmbeddings gives, back to back from value 0, and leaves the rest alone', async () => {
    const reference = new CachedEmbeddings(new SeededEmbeddings({ seed: 5 }), 64);
    // more distinct ids than either cache holds, repeats, and the last id of the vocabulary
    const lists = [[0, 1, 2, 50_256], Array.from({ length: 300 }, (_, i) => (i * 7919) % 50_257), [3, 3, 3], []];
    const want = expected(reference, lists);
    for (let round = 0; round < 2; round++) {
      const values = new Float64Array(want.length + 5 * W).fill(-7);
      const got = await thread.embedInto(lists, values);
      assert.equal(values.length, 0, 'the caller’s view is detached while the thread holds the memory');
      assert.equal(got.length, want.length + 5 * W);
      assert.deepEqual(got.subarray(0, want.length), want, `round ${round}`);
      assert.ok(
        got.subarray(want.length).every((v) => v === -7),
        'values past the last token untouched',
      );
    }
  });

  it('values in shared memory are written in place: the same array comes back, nothing detached', async () => {
    const reference = new CachedEmbeddings(new SeededEmbeddings({ seed: 5 }), 64);
    const lists = [[4, 5, 6], Array.from({ length: 100 }, (_, i) => (i * 104_729) % 50_257)];
    const want = expected(reference, lists);
    const values = new Float64Array(new SharedArrayBuffer((want.length + W) * Float64Array.BYTES_PER_ELEMENT)).fill(-3);
    const got = await thread.embedInto(lists, values);
    assert.equal(got, values);
    assert.equal(values.length, want.length + W);
    assert.deepEqual(values.subarray(0, want.length), want);
    assert.ok(values.subarray(want.length).every((v) => v === -3));
  });

  it('answers a bad id with the model’s own error, and serves the next batch', async () => {
    for (const bad of [-1, 50_257, 2 ** 31, 1.5]) {
      await assert.rejects(
        thread.embedInto([[1, 2], [bad]], new Float64Array(3 * W)),
        (e: unknown) => e instanceof ModelError && e.code === 'INVALID_TOKEN_ID',
        String(bad),
      );
    }
    await assert.rejects(
      thread.embedInto([Array.from({ length: GPT2.context + 1 }, () => 1)], new Float64Array((GPT2.context + 1) * W)),
      (e: unknown) => e instanceof ModelError && e.code === 'TOO_MANY_TOKENS',
    );
    const got = await thread.embedInto([[9]], new Float64Array(W));
    assert.deepEqual(got, new SeededEmbeddings({ seed: 5 }).embed([9]));
  });

  it('refuses values too short or not at the start of their buffer, before anything moves', async () => {
    const short = new Float64Array(2 * W - 1);
    await assert.rejects(thread.embedInto([[1, 2]], short), (e: unknown) => e instanceof ModelError && e.code === 'INVALID_ARGUMENT');
    assert.equal(short.length, 2 * W - 1, 'not detached');
    const offset = new Float64Array(3 * W).subarray(W);
    await assert.rejects(thread.embedInto([[1]], offset), (e: unknown) => e instanceof ModelError && e.code === 'INVALID_ARGUMENT');
  });

  it('keeps the event loop turning while it embeds', async () => {
    const loop = loopIterationCounter();
    // 2000 ids the cache has not seen: ~40 ms of rows alone, far more than one loop iteration
    const ids = Array.from({ length: 1000 }, (_, i) => 10_000 + i);
    await thread.embedInto([ids, ids.map((id) => id + 1000)], new Float64Array(2000 * W));
    loop.stop();
    assert.ok(loop.now() > 1, `the loop turned ${loop.now()} times`);
  });

  it('fails the batches of a thread that dies, and starts a new thread for the next', async () => {
    const dying = new EmbeddingThread({
      module: new URL('data:text/javascript,import{parentPort}from"node:worker_threads";parentPort.once("message",()=>process.exit(3))'),
    });
    try {
      for (let i = 1; i <= 2; i++) {
        await assert.rejects(
          dying.embedInto([[1]], new Float64Array(W)),
          (e: unknown) => e instanceof EmbeddingThreadError && e.code === 'EMBEDDING_THREAD' && /code 3/.test(e.message),
        );
        assert.equal(dying.threadsStarted, i);
      }
    } finally {
      await dying.close();
    }
  });

  it('after close: the batch it held fails, later ones are refused', async () => {
    const t = new EmbeddingThread();
    const held = assert.rejects(
      t.embedInto([Array.from({ length: 1000 }, (_, i) => 20_000 + i)], new Float64Array(1000 * W)),
      (e: unknown) => e instanceof EmbeddingThreadError,
    );
    await t.close();
    await held;
    await assert.rejects(t.embedInto([[1]], new Float64Array(W)), (e: unknown) => e instanceof EmbeddingThreadError && /closed/.test(e.message));
  });
});
