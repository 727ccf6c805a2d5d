/**
 * Load scenarios by prompt length (DESIGN §8): short (32 GPT-2 tokens), medium (256) and full
 * (1024, GPT-2's whole context). Prompts are generated from a seed: seeded words are appended
 * until the prompt's GPT-2 token count is exactly the scenario's, and every prompt is checked
 * with the same tokenizer the proxy uses (@hlp/model, r50k_base) before it is used.
 */
import { DEFAULT_SEED, GPT2, countTokens, mix32 } from '@hlp/model';

export interface Scenario {
  readonly name: ScenarioName;
  /** GPT-2 tokens per prompt, exactly. */
  readonly tokens: number;
  readonly description: string;
}

export const SCENARIOS = {
  short: { name: 'short', tokens: 32, description: 'short prompt, 32 GPT-2 tokens' },
  medium: { name: 'medium', tokens: 256, description: 'medium prompt, 256 GPT-2 tokens' },
  full: { name: 'full', tokens: GPT2.context, description: `GPT-2 full context, ${GPT2.context} tokens` },
} as const satisfies Record<string, { name: string; tokens: number; description: string }>;

export type ScenarioName = keyof typeof SCENARIOS;
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];

export function isScenarioName(name: string): name is ScenarioName {
  return Object.hasOwn(SCENARIOS, name);
}

/** Distinct prompts per scenario when none is asked for (requests rotate through them). */
export const DEFAULT_PROMPTS = 16;

/**
 * The word list prompts are drawn from: common English words, each one or two GPT-2 tokens with
 * a leading space. Only letters, so a space-separated sequence splits into one pre-token per
 * word (GPT-2's pre-tokenizer) and token counts add up word by word.
 */
const WORDS: readonly string[] = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you ' +
  'were her she there one all we their been has when who will more no if out so said what up its about into than ' +
  'them can only other new some time could these two may then do first any my now such like our over man me even ' +
  'most made after also did many before must through back years where much your way well down should because each ' +
  'just those people how too little state good very make world still own see men work long get here between both ' +
  'life being under never day same another know while last might us great old year off come since against go came ' +
  'right used take three states himself few house use during without again place around however home small found ' +
  'thought went say part once general high upon school every does group number country fact later hand course ' +
  'system public often city early order light water point given among study family between government private ' +
  'encrypted cipher secret message window prompt token model layer vector matrix signal noise value measure result ' +
  'request answer server client proxy network latency memory process thread kernel prime modulus polynomial ring'
).split(' ');

/** The i-th pseudo-random 32-bit value of a seeded stream (counter-based, reproducible). */
function draw(seed: number, stream: number, i: number): number {
  return mix32((mix32((seed ^ Math.imul(stream + 1, 0x9e3779b1)) >>> 0) + i) >>> 0);
}

/** A word with its leading separator (none for the first one, a comma now and then). */
function chunkAt(seed: number, stream: number, i: number): string {
  const r = draw(seed, stream, i);
  const word = WORDS[r % WORDS.length]!;
  const punct = (r >>> 16) % 11 === 0 ? ',' : (r >>> 16) % 17 === 0 ? '.' : '';
  return `${i === 0 ? '' : ' '}${word}${punct}`;
}

/** One-token filler used to land exactly on the target count. */
const FILLER = ' the';

/**
 * A prompt of exactly `tokens` GPT-2 tokens, deterministic in (`tokens`, `seed`, `index`).
 * Throws when the final check disagrees (which would mean the tokenizer changed under us).
 */
export function buildPrompt(tokens: number, seed: number = DEFAULT_SEED, index = 0): string {
  if (!Number.isInteger(tokens) || tokens < 1 || tokens > GPT2.context) {
    throw new RangeError(`prompt length must be an integer in [1, ${GPT2.context}], got ${tokens}`);
  }
  const parts: string[] = [];
  let total = 0;
  for (let i = 0; total < tokens; i++) {
    let chunk = chunkAt(seed, index, i);
    let n = countTokens(chunk);
    if (total + n > tokens) {
      chunk = parts.length === 0 ? 'the' : FILLER;
      n = 1;
    }
    parts.push(chunk);
    total += n;
  }
  const text = parts.join('');
  const counted = countTokens(text);
  if (counted !== tokens) throw new Error(`prompt generator produced ${counted} tokens instead of ${tokens} (seed ${seed}, index ${index})`);
  return text;
}

/** `count` distinct prompts of the scenario's exact token count. */
export function scenarioPrompts(name: ScenarioName, options: { count?: number; seed?: number } = {}): string[] {
  const count = options.count ?? DEFAULT_PROMPTS;
  if (!Number.isInteger(count) || count < 1 || count > 4096) throw new RangeError(`prompt count must be in [1, 4096], got ${count}`);
  const seed = options.seed ?? DEFAULT_SEED;
  return Array.from({ length: count }, (_, i) => buildPrompt(SCENARIOS[name].tokens, seed, i));
}

/** Default `model` of the request body: the proxy's cheap affine workload. */
export const DEFAULT_MODEL = 'hlp-affine';

export interface EmbeddingsRequestOptions {
  readonly model?: string;
  /** Bearer token for `Authorization`, when the target needs one. */
  readonly token?: string;
}

/** JSON bodies `{ model, input }` (OpenAI embeddings shape), one per prompt. */
export function embeddingsBodies(prompts: readonly string[], options: EmbeddingsRequestOptions = {}): Buffer[] {
  const model = options.model ?? DEFAULT_MODEL;
  return prompts.map((input) => Buffer.from(JSON.stringify({ model, input }), 'utf8'));
}

/** Request headers for the embeddings route (content type, optional bearer token). */
export function embeddingsHeaders(options: EmbeddingsRequestOptions = {}): Record<string, string> {
  return {
    'content-type': 'application/json',
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
  };
}
