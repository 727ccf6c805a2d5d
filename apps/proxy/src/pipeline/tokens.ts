/** The per-request front of the pipeline: a request's inputs as token ids, checked against the limits. */
import { GPT2, isModelError, tokenizeWithin } from '@hlp/model';
import { MAX_CHARS_PER_TOKEN, ProtocolError, type EmbeddingsRequest } from '@hlp/protocol';

export interface TokenLimits {
  readonly maxPromptTokens: number;
  readonly maxRequestTokens: number;
}

function asTokenLists(input: EmbeddingsRequest['input']): (string | number[])[] {
  if (typeof input === 'string') return [input];
  if (input.length === 0) return [];
  const first = input[0];
  if (typeof first === 'number') return [input as number[]];
  return input as (string | number[])[];
}

/** @throws ProtocolError INPUT_TOO_LONG when an input, or all of them, could not fit the token limits */
function checkCharacters(lists: readonly (string | readonly number[])[], maxPromptTokens: number, maxRequestTokens: number): void {
  const perInput = maxPromptTokens * MAX_CHARS_PER_TOKEN;
  const perRequest = maxRequestTokens * MAX_CHARS_PER_TOKEN;
  let total = 0;
  lists.forEach((item, i) => {
    if (typeof item !== 'string') return;
    if (item.length > perInput) {
      throw new ProtocolError(
        'INPUT_TOO_LONG',
        `input ${i} has ${item.length} characters, more than the ${perInput} that ${maxPromptTokens} tokens (the per-input token limit) allow`,
        'input',
      );
    }
    total += item.length;
  });
  if (total > perRequest) {
    throw new ProtocolError(
      'INPUT_TOO_LONG',
      `the request has ${total} characters, more than the ${perRequest} that ${maxRequestTokens} tokens (--max-request-tokens) allow`,
      'input',
    );
  }
}

/** Token ids of one input: a string tokenized, or ids checked against the vocabulary. */
function inputIds(item: string | number[], i: number, max: number): number[] {
  if (typeof item === 'string') {
    if (item.length === 0) throw new ProtocolError('INVALID_REQUEST', `input ${i} is an empty string`, 'input');
    try {
      return tokenizeWithin(item, max);
    } catch (e) {
      if (isModelError(e, 'TOO_MANY_TOKENS')) {
        throw new ProtocolError('TOO_MANY_TOKENS', `input ${i} has more than ${max} tokens (GPT-2's context is ${GPT2.context})`, 'input', { cause: e });
      }
      throw e;
    }
  }
  if (item.length > max) throw new ProtocolError('TOO_MANY_TOKENS', `input ${i} has ${item.length} tokens, more than ${max}`, 'input');
  const bad = item.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= GPT2.vocabSize);
  if (bad >= 0) throw new ProtocolError('INVALID_TOKEN_ID', `input ${i}, token ${bad}: ${item[bad]} is not in [0, ${GPT2.vocabSize})`, 'input');
  return item;
}

/** Token ids of every input, checked against the limits. */
export function tokenizeInputs(input: EmbeddingsRequest['input'], limits: TokenLimits): number[][] {
  const lists = asTokenLists(input);
  const max = limits.maxPromptTokens;
  checkCharacters(lists, max, limits.maxRequestTokens);
  let total = 0;
  return lists.map((item, i) => {
    const ids = inputIds(item, i, max);
    total += ids.length;
    if (total > limits.maxRequestTokens) {
      throw new ProtocolError('TOO_MANY_TOKENS', `the request has more than ${limits.maxRequestTokens} tokens in all`, 'input');
    }
    return ids;
  });
}
