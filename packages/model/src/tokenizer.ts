/**
 * GPT-2 byte-pair encoding (the `r50k_base` encoding) backed by `gpt-tokenizer`, which ships the
 * vocabulary inside the package: no download at run time, works offline on Node 20.
 *
 * Prompt text is always encoded as *ordinary* text: a client that writes `<|endoftext|>` gets
 * the tokens of those characters, never the special token, so user input cannot inject control
 * tokens (this is what tiktoken calls `encode_ordinary`).
 *
 * BPE merging costs about the square of a pre-token's length, so one long run without spaces
 * (a megabyte of `a`) would hold the event loop for seconds. Pre-tokens longer than
 * MAX_PRETOKEN_CHARS are therefore cut into pieces of at most that many characters, each encoded
 * on its own: text whose pre-tokens are all shorter (every normal text) gets exactly GPT-2's ids;
 * only such pathological pre-tokens tokenize differently (the pieces' tokens never merge across a cut).
 */
import { countTokens as r50kCount, decode as r50kDecode, encode as r50kEncode, encodeGenerator as r50kEncodeChunks } from 'gpt-tokenizer/encoding/r50k_base';
import { GPT2 } from './constants.js';
import { ModelError, requireInt } from './errors.js';

/** Options that make every special token plain text. */
const ORDINARY = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };

/** Longest pre-token encoded whole; longer ones are cut (see the module comment). */
export const MAX_PRETOKEN_CHARS = 256;

/** GPT-2's pre-tokenizer (r50k_base's split pattern, as gpt-tokenizer applies it). */
const PRETOKEN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** A run this long of non-space (or of space) characters is needed for a pre-token over the limit. */
const LONG_RUN = new RegExp(`\\S{${MAX_PRETOKEN_CHARS}}|\\s{${MAX_PRETOKEN_CHARS + 1}}`, 'u');

/** Cut `s` into pieces of at most `max` UTF-16 units, never inside a surrogate pair. */
function* pieces(s: string, max: number): Generator<string> {
  for (let i = 0; i < s.length;) {
    let end = Math.min(i + max, s.length);
    const last = s.charCodeAt(end - 1);
    if (end < s.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield s.slice(i, end);
    i = end;
  }
}

/**
 * `text` as strings that encode independently to the same ids as the whole: runs of whole
 * pre-tokens (cut at a pre-token boundary, where GPT-2 never merges), and the pieces of every
 * over-long pre-token. Yields `text` itself when it has no over-long pre-token.
 */
export function* segments(text: string): Generator<string> {
  if (!LONG_RUN.test(text)) {
    yield text;
    return;
  }
  let start = 0;
  for (const m of text.matchAll(PRETOKEN)) {
    if (m[0].length <= MAX_PRETOKEN_CHARS) continue;
    if (m.index > start) yield text.slice(start, m.index);
    yield* pieces(m[0], MAX_PRETOKEN_CHARS);
    start = m.index + m[0].length;
  }
  if (start < text.length) yield text.slice(start);
}

/** Token ids of `text` under GPT-2's BPE (r50k_base); special-token strings are plain text. */
export function tokenize(text: string): number[] {
  const ids: number[] = [];
  for (const seg of segments(text)) for (const id of r50kEncode(seg, ORDINARY)) ids.push(id);
  return ids;
}

/** Number of tokens `tokenize(text)` would return. */
export function countTokens(text: string): number {
  let n = 0;
  for (const seg of segments(text)) n += r50kCount(seg, ORDINARY);
  return n;
}

/**
 * Text of the given token ids. Ids are checked to lie in [0, 50257) (INVALID_TOKEN_ID otherwise).
 * A sequence that splits a multi-byte character decodes that character as U+FFFD.
 */
export function detokenize(ids: ArrayLike<number>): string {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    if (!Number.isInteger(id) || id < 0 || id >= GPT2.vocabSize) {
      throw new ModelError('INVALID_TOKEN_ID', `token id at index ${i} is ${String(id)}, not in [0, ${GPT2.vocabSize})`, {
        index: i,
      });
    }
  }
  return r50kDecode(Array.from(ids));
}

/** The TOO_MANY_TOKENS error for a prompt of `count` tokens against `max` (a 4xx for HTTP callers). */
export function tooManyTokens(count: number, max: number): ModelError {
  return new ModelError('TOO_MANY_TOKENS', `prompt has ${count} tokens, more than the maximum of ${max}`, {
    count,
    max,
  });
}

/** Throws TOO_MANY_TOKENS when `count` exceeds `max` (default: GPT-2's context, 1024). */
export function assertTokenLimit(count: number, max: number = GPT2.context): void {
  requireInt('max', max, 0);
  if (count > max) throw tooManyTokens(count, max);
}

/**
 * Tokenizes `text` and checks the result against `max` (default 1024) in one pass.
 * Oversized input is rejected early: encoding stops at the first chunk that passes the limit, so
 * a huge prompt costs about `max` tokens' work; the error's `details.count` is then the number of
 * tokens seen so far (a lower bound, always greater than `max`).
 */
export function tokenizeWithin(text: string, max: number = GPT2.context): number[] {
  requireInt('max', max, 0);
  const ids: number[] = [];
  for (const seg of segments(text)) {
    for (const chunk of r50kEncodeChunks(seg, ORDINARY)) {
      for (const id of chunk) ids.push(id);
      if (ids.length > max) throw tooManyTokens(ids.length, max);
    }
  }
  return ids;
}
