/**
 * GPT-2 byte-pair encoding (the `r50k_base` encoding) backed by `gpt-tokenizer`, which ships the
 * vocabulary inside the package: no download at run time, works offline on Node 20.
 *
 * Prompt text is always encoded as *ordinary* text: a client that writes `<|endoftext|>` gets
 * the tokens of those characters, never the special token, so user input cannot inject control
 * tokens (this is what tiktoken calls `encode_ordinary`).
 */
import {
  countTokens as r50kCount,
  decode as r50kDecode,
  encode as r50kEncode,
  encodeGenerator as r50kEncodeChunks,
} from 'gpt-tokenizer/encoding/r50k_base';
import { GPT2 } from './constants.js';
import { ModelError, requireInt } from './errors.js';

/** Options that make every special token plain text. */
const ORDINARY = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };

/** Token ids of `text` under GPT-2's BPE (r50k_base); special-token strings are plain text. */
export function tokenize(text: string): number[] {
  return r50kEncode(text, ORDINARY);
}

/** Number of tokens `tokenize(text)` would return. */
export function countTokens(text: string): number {
  return r50kCount(text, ORDINARY);
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
  for (const chunk of r50kEncodeChunks(text, ORDINARY)) {
    for (const id of chunk) ids.push(id);
    if (ids.length > max) throw tooManyTokens(ids.length, max);
  }
  return ids;
}
