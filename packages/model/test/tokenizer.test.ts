import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encode as r50k } from 'gpt-tokenizer/encoding/r50k_base';
import {
  GPT2,
  MAX_PRETOKEN_CHARS,
  ModelError,
  assertTokenLimit,
  countTokens,
  detokenize,
  isModelError,
  tokenize,
  tokenizeWithin,
  tooManyTokens,
} from '../src/index.js';

const ORDINARY = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };

describe('tokenizer (GPT-2 r50k_base)', () => {
  it('gives the known GPT-2 token ids', () => {
    assert.deepEqual(tokenize('Hello world'), [15496, 995]);
    assert.deepEqual(tokenize(' the'), [262]);
    assert.deepEqual(tokenize('Hello, world!'), [15496, 11, 995, 0]);
    assert.deepEqual(tokenize(''), []);
  });

  it('treats special-token text as ordinary text (no injection of <|endoftext|>)', () => {
    const ids = tokenize('<|endoftext|>');
    assert.ok(!ids.includes(GPT2.endOfText));
    assert.deepEqual(ids, [27, 91, 437, 1659, 5239, 91, 29]);
    assert.equal(detokenize(ids), '<|endoftext|>');
    assert.equal(detokenize([GPT2.endOfText]), '<|endoftext|>');
  });

  it('round-trips text, unicode included, and counts tokens consistently', () => {
    for (const text of ['The quick brown fox.', 'Ünïcödé 日本語 🙂 done', '  spaces\n\tand tabs  ', 'a'.repeat(500)]) {
      const ids = tokenize(text);
      assert.equal(detokenize(ids), text);
      assert.equal(countTokens(text), ids.length);
      for (const id of ids) assert.ok(Number.isInteger(id) && id >= 0 && id < GPT2.vocabSize);
    }
  });

  it('rejects invalid token ids with INVALID_TOKEN_ID', () => {
    for (const bad of [[-1], [50257], [1.5], [Number.NaN]]) {
      assert.throws(
        () => detokenize(bad),
        (e: unknown) => isModelError(e, 'INVALID_TOKEN_ID'),
      );
    }
  });

  it('reports TOO_MANY_TOKENS with the count and the maximum', () => {
    const e = tooManyTokens(1500, 1024);
    assert.ok(e instanceof ModelError);
    assert.equal(e.code, 'TOO_MANY_TOKENS');
    assert.deepEqual(e.details, { count: 1500, max: 1024 });
    assert.doesNotThrow(() => assertTokenLimit(1024));
    assert.throws(
      () => assertTokenLimit(1025),
      (err: unknown) => isModelError(err, 'TOO_MANY_TOKENS'),
    );
    assert.throws(() => assertTokenLimit(11, 10), /11 tokens, more than the maximum of 10/);
  });

  it('tokenizeWithin returns the ids within the limit and stops early beyond it', () => {
    assert.deepEqual(tokenizeWithin('Hello world', 2), [15496, 995]);
    assert.throws(
      () => tokenizeWithin('Hello world', 1),
      (e: unknown) => isModelError(e, 'TOO_MANY_TOKENS') && (e.details.count as number) > 1 && e.details.max === 1,
    );
    const huge = 'word '.repeat(200_000); // 200k tokens
    const t0 = performance.now();
    assert.throws(
      () => tokenizeWithin(huge),
      (e: unknown) => isModelError(e, 'TOO_MANY_TOKENS'),
    );
    assert.equal(countTokens(' word'.repeat(1024)), 1024);
    assert.equal(tokenizeWithin(' word'.repeat(1024)).length, 1024);
    assert.ok(performance.now() - t0 < 5000);
  });
});

describe('tokenizer: long pre-tokens', () => {
  it('gives GPT-2 ids unchanged for text whose pre-tokens are all within the limit', () => {
    // ' x…x' is one pre-token of exactly MAX_PRETOKEN_CHARS characters, the space included.
    const normal = 'The quick brown fox jumps over the lazy dog. '.repeat(400) + 'x'.repeat(MAX_PRETOKEN_CHARS - 1);
    // Reference: the library on its own, one pre-token at a time never exceeding the limit.
    assert.deepEqual(tokenize(normal), r50k(normal, ORDINARY));
    const spaced = `a${' '.repeat(300)}b ${'é'.repeat(MAX_PRETOKEN_CHARS - 1)}  ${'9'.repeat(200)}`;
    assert.deepEqual(tokenize(spaced), r50k(spaced, ORDINARY));
  });

  it('tokenizes a megabyte without spaces in bounded time, round-trips it, and counts consistently', () => {
    const huge = 'a'.repeat(1_000_000);
    const t0 = performance.now();
    assert.throws(
      () => tokenizeWithin(huge, 1024),
      (e: unknown) => isModelError(e, 'TOO_MANY_TOKENS'),
    );
    const rejectMs = performance.now() - t0;
    assert.ok(rejectMs < 5000, `rejecting took ${rejectMs} ms (unbounded, minutes)`);
    const long = `start ${'b'.repeat(100_000)} end 🙂${'🙂'.repeat(300)}`;
    const t1 = performance.now();
    const ids = tokenize(long);
    assert.ok(performance.now() - t1 < 10_000);
    assert.equal(detokenize(ids), long);
    assert.equal(countTokens(long), ids.length);
  });

  it('cuts an over-long pre-token into pieces encoded on their own', () => {
    const run = 'z'.repeat(MAX_PRETOKEN_CHARS * 2);
    const piece = r50k('z'.repeat(MAX_PRETOKEN_CHARS), ORDINARY);
    assert.deepEqual(tokenize(run), [...piece, ...piece]);
  });
});
