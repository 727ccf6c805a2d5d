/**
 * The abuse suite's request classes: generated hostile requests, each with the answer the
 * proxy's contract (docs of apps/proxy, @hlp/protocol's error codes) says it must get. A case
 * passes when the status is one of those expected and, for an error, the body is the OpenAI
 * error shape with one of the expected stable codes. Whatever the case, a 5xx is a failure:
 * hostile input is the client's fault, never the server's.
 */
import { DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_REQUEST_TOKENS, MAX_CHARS_PER_TOKEN, MAX_PROMPT_TOKENS, type ErrorCode } from '@hlp/protocol';
import type { AbuseRandom } from './random.js';

export const HTTP_CLASSES = ['long-input', 'token-batches', 'malformed-url', 'malformed-body'] as const;
export type HttpClass = (typeof HTTP_CLASSES)[number];

export interface Expectation {
  readonly statuses: readonly number[];
  /** For error statuses: the stable codes that may answer (any when absent). */
  readonly codes?: readonly ErrorCode[];
  /** The answer must come within this many ms (measured with nothing else in flight). */
  readonly withinMs?: number;
}

export interface HttpCase {
  readonly cls: HttpClass;
  /** What the case is, short (in the report's examples of failures). */
  readonly label: string;
  readonly target: 'proxy' | 'service';
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Sent byte for byte as the request target (so malformed ones reach the server). */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | null;
  /** Cases of one group are sent at the same time (so the proxy may batch them together). */
  readonly group: number;
  /** Sent with nothing else in flight (a case whose answer time is checked). */
  readonly alone?: boolean;
  readonly expect: Expectation;
}

/** The limits the expectations are derived from: the proxy's defaults. */
export interface ProxyLimits {
  readonly promptTokens: number;
  readonly requestTokens: number;
  readonly bodyBytes: number;
  readonly charsPerToken: number;
  /**
   * Requests of at most this many tokens fit one service call whatever the packing (dense: 5⅓
   * tokens per ciphertext at n = 8192, so 4096 tokens are 768 ciphertexts, under the service's
   * default 1024); larger ones within the token limit may be 413 TOO_MANY_CIPHERTEXTS.
   */
  readonly surelyFitsTokens: number;
}

export const DEFAULT_LIMITS: ProxyLimits = {
  promptTokens: MAX_PROMPT_TOKENS,
  requestTokens: DEFAULT_MAX_REQUEST_TOKENS,
  bodyBytes: DEFAULT_MAX_BODY_BYTES,
  charsPerToken: MAX_CHARS_PER_TOKEN,
  surelyFitsTokens: 4096,
};

export interface CaseContext {
  readonly rng: AbuseRandom;
  readonly limits: ProxyLimits;
  readonly model: string;
  /** The client token the proxy accepts (sent on every case unless the case is about auth). */
  readonly token: string;
  /** How many cases of the class to generate. */
  readonly count: number;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

function withAuth(ctx: CaseContext, headers: Record<string, string> = JSON_HEADERS): Record<string, string> {
  return { ...headers, authorization: `Bearer ${ctx.token}` };
}

function embeddings(ctx: CaseContext, cls: HttpClass, label: string, input: unknown, group: number, expect: Expectation): HttpCase {
  return {
    cls,
    label,
    target: 'proxy',
    method: 'POST',
    path: '/v1/embeddings',
    headers: withAuth(ctx),
    body: Buffer.from(JSON.stringify({ model: ctx.model, input })),
    group,
    expect,
  };
}

const OK: Expectation = { statuses: [200] };

/** Characters of runs without spaces: ASCII letters and digits, punctuation, accented and CJK letters, emoji. */
const ALPHABETS = ['a', 'ab', 'abcdefghijklmnopqrstuvwxyz0123456789', '!#$%&*+-/=?@^_|~', 'éèêëàâäôöûüç', '漢字仮名交じり文', '😀🙃🔥💥', '\u200b\u00a0'];

/** A run of `length` UTF-16 units from one alphabet: a random stretch of up to 4096, repeated (cheap at a megabyte). */
function run(rng: AbuseRandom, length: number): string {
  const alphabet = [...rng.pick(ALPHABETS)];
  if (alphabet.length === 1) return alphabet[0]!.repeat(length);
  let stretch = '';
  while (stretch.length < Math.min(length, 4096)) stretch += alphabet[rng.int(0, alphabet.length - 1)];
  // never cut a surrogate pair in two (one unit longer instead)
  const whole = stretch.repeat(Math.ceil((length + 1) / stretch.length));
  const cut = /[\uD800-\uDBFF]/.test(whole[length - 1] ?? '') ? length + 1 : length;
  return whole.slice(0, cut);
}

/**
 * 1 — long inputs, mostly runs without a space (one pre-token, the case that froze the tokenizer):
 * from a few characters to 1 MB. Past the character limit: 400 INPUT_TOO_LONG, whatever else;
 * within it: embedded (200) or 400 TOO_MANY_TOKENS. One in ten is a token-id array past the
 * prompt's limit, up to the body limit: 400 either way (too many values or too many tokens).
 */
export function* longInputCases(ctx: CaseContext): Generator<HttpCase> {
  const { rng, limits } = ctx;
  const perInput = limits.promptTokens * limits.charsPerToken;
  // the longest string whose JSON body stays under the body limit: CJK is 3 UTF-8 bytes per UTF-16 unit
  const maxLength = Math.floor((limits.bodyBytes - 1024) / 3);
  // the probe's case first, alone, its answer time checked: a megabyte without a space
  for (let i = 0; i < 5; i++) {
    yield {
      ...embeddings(ctx, 'long-input', 'the 1 MB prompt without spaces', 'a'.repeat(1_000_000), -1 - i, {
        statuses: [400],
        codes: ['INPUT_TOO_LONG'],
        withinMs: 100,
      }),
      alone: true,
    };
  }
  for (let i = 0; i < ctx.count - 5; i++) {
    // most cases past the limit (cheap to refuse); a fifth within it, each one embedded for real
    const over = rng.chance(0.8);
    if (over && rng.chance(0.125)) {
      // token ids instead of text: up to the body limit of one-digit ids, which parsed and
      // validated whole would hold the loop as long as text tokenized whole
      const n = rng.logInt(limits.promptTokens + 1, Math.floor((limits.bodyBytes - 1024) / 2));
      const ids = Array.from({ length: n }, (_, k) => (k * 7) % 10);
      yield embeddings(ctx, 'long-input', `${n} token ids`, ids, i, { statuses: [400], codes: ['INPUT_TOO_LONG', 'TOO_MANY_TOKENS'] });
      continue;
    }
    const length = over ? rng.logInt(perInput + 1, maxLength) : rng.logInt(1, 2048);
    const text = run(rng, length);
    const spaced = !over && rng.chance(0.2) ? text.replace(/(.{40})/g, '$1 ') : text;
    const chars = spaced.length;
    const expect: Expectation = chars > perInput ? { statuses: [400], codes: ['INPUT_TOO_LONG'] } : { statuses: [200, 400], codes: ['TOO_MANY_TOKENS'] };
    yield embeddings(ctx, 'long-input', `${chars} characters${spaced === text ? ' without spaces' : ''}`, rng.chance(0.2) ? [spaced] : spaced, i, expect);
  }
}

/**
 * 2 — token-id inputs of many sizes, sent in concurrent groups of six so that the proxy batches
 * them: each request must get what it would get alone (the defect was one large request failing
 * the others of its batch with a 502).
 */
export function* tokenBatchCases(ctx: CaseContext): Generator<HttpCase> {
  const { rng, limits } = ctx;
  const GROUP = 6;
  // the probe's cases first: six concurrent 1000-token requests, each fine alone (all 200), and
  // one of the proxy's whole 8192 tokens (200, or 413 when the service cannot take its ciphertexts)
  const ids = (n: number): number[] => Array.from({ length: n }, () => rng.int(0, 50_256));
  for (let k = 0; k < GROUP; k++) yield embeddings(ctx, 'token-batches', 'one of six concurrent 1000-token requests', [ids(1000)], -1, OK);
  yield {
    ...embeddings(
      ctx,
      'token-batches',
      `a ${limits.requestTokens}-token request`,
      Array.from({ length: Math.ceil(limits.requestTokens / limits.promptTokens) }, () => ids(limits.promptTokens)),
      -2,
      { statuses: [200, 413], codes: ['TOO_MANY_CIPHERTEXTS'] },
    ),
    alone: true,
  };
  for (let i = 0; i < ctx.count - GROUP - 1; i++) {
    const group = Math.floor(i / GROUP);
    const inputs = rng.logInt(1, 8);
    const lists: number[][] = [];
    for (let k = 0; k < inputs; k++) {
      // mostly within the per-input limit, some just past it
      const tokens = rng.chance(0.08) ? rng.int(limits.promptTokens + 1, limits.promptTokens + 64) : rng.logInt(1, limits.promptTokens);
      lists.push(Array.from({ length: tokens }, () => rng.int(0, 50_256)));
    }
    let label = `${inputs} input(s) of ${lists.map((l) => l.length).join('+')} tokens`;
    let expect: Expectation;
    const total = lists.reduce((a, l) => a + l.length, 0);
    if (rng.chance(0.05)) {
      lists[0]![0] = rng.pick([-1, 50_257, 2 ** 31, 1.5]);
      label += `, a bad id ${lists[0]![0]}`;
      // a request that is also too long may be refused for either fault
      expect = { statuses: [400], codes: ['INVALID_TOKEN_ID', 'INVALID_REQUEST', 'TOO_MANY_TOKENS'] };
    } else if (lists.some((l) => l.length > limits.promptTokens) || total > limits.requestTokens) {
      expect = { statuses: [400], codes: ['TOO_MANY_TOKENS'] };
    } else if (total > limits.surelyFitsTokens) {
      expect = { statuses: [200, 413], codes: ['TOO_MANY_CIPHERTEXTS'] };
    } else {
      expect = OK;
    }
    yield embeddings(ctx, 'token-batches', label, inputs === 1 && rng.chance(0.5) ? lists[0] : lists, group, expect);
  }
}

/** Whether a request target's percent-encoding is malformed (what the servers answer 400 MALFORMED_URL). */
export function malformedTarget(path: string): boolean {
  try {
    decodeURIComponent(path.split('?')[0]!);
    return false;
  } catch {
    return true;
  }
}

const BAD_ESCAPES = ['%', '%Z', '%ZZ', '%G0', '%C0%AF', '%ED%A0%80', '%FF', '%E2%82', '%%', '%u0041', '%0'];
const GOOD_PIECES = ['v1', 'models', 'hlp-affine', 'embeddings', '%41', '%20', '%2F', '..', '.', '', 'x'.repeat(300), '%E2%82%AC'];
const PROXY_ROUTES = ['/v1/models', '/v1/models/hlp-affine', '/v1/embeddings', '/healthz', '/readyz', '/v1/fhe/encrypt'];
const SERVICE_ROUTES = ['/v1/info', '/v1/keys', '/v1/evaluate', '/healthz', '/v1/keys/abc'];

/**
 * 3 — request targets with malformed percent-encoding (400 MALFORMED_URL on both services), and
 * odd but well-formed ones (any 4xx or a 200; never a 5xx).
 */
export function* malformedUrlCases(ctx: CaseContext): Generator<HttpCase> {
  const { rng } = ctx;
  for (let i = 0; i < ctx.count; i++) {
    const target = rng.chance(0.3) ? 'service' : 'proxy';
    const base = rng.pick(target === 'service' ? SERVICE_ROUTES : PROXY_ROUTES);
    const pieces = [base];
    for (let k = rng.int(1, 3); k > 0; k--) pieces.push(rng.chance(0.6) ? rng.pick(BAD_ESCAPES) + rng.pick(GOOD_PIECES) : rng.pick(GOOD_PIECES));
    let path = rng.chance(0.5) ? pieces.join('/') : pieces.join('');
    if (rng.chance(0.2)) path += `?q=${rng.pick(BAD_ESCAPES)}`;
    const method = rng.pick(['GET', 'GET', 'POST', 'DELETE'] as const);
    const body = method === 'POST' ? Buffer.from(JSON.stringify({ model: ctx.model, input: 'hi' })) : null;
    const expect: Expectation = malformedTarget(path) ? { statuses: [400], codes: ['MALFORMED_URL'] } : { statuses: [200, 400, 401, 403, 404, 405, 413, 415] };
    yield {
      cls: 'malformed-url',
      label: `${method} ${target} ${path.length > 80 ? `${path.slice(0, 80)}…` : path}`,
      target,
      method,
      path,
      headers: withAuth(ctx),
      body,
      group: i,
      expect,
    };
  }
}

function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

/** 4 — bodies that are not what the route takes: broken JSON, the wrong shape, the wrong type, too large. */
export function* malformedBodyCases(ctx: CaseContext): Generator<HttpCase> {
  const { rng, limits } = ctx;
  const valid = JSON.stringify({ model: ctx.model, input: 'hello there' });
  const generators: (() => { label: string; body: Buffer; headers?: Record<string, string>; expect: Expectation })[] = [
    () => {
      const cut = rng.int(0, valid.length - 1);
      return { label: `JSON cut at ${cut}`, body: Buffer.from(valid.slice(0, cut)), expect: { statuses: [400], codes: ['INVALID_JSON', 'INVALID_REQUEST'] } };
    },
    () => {
      const bytes = Buffer.from(valid);
      const at = rng.int(0, bytes.length - 1);
      bytes[at] = rng.int(0, 255);
      // a flipped byte can still leave valid JSON of the right shape (a letter of the prompt)
      return { label: `byte ${at} replaced`, body: bytes, expect: { statuses: [200, 400, 404], codes: ['INVALID_JSON', 'INVALID_REQUEST', 'UNKNOWN_MODEL'] } };
    },
    () => {
      const depth = rng.logInt(10, 1_000_000);
      return {
        label: `input nested ${depth} deep`,
        body: Buffer.from(`{"model":"${ctx.model}","input":${nested(depth)}}`),
        expect: { statuses: [400, 413], codes: ['INVALID_JSON', 'INVALID_REQUEST', 'PAYLOAD_TOO_LARGE'] },
      };
    },
    () => {
      const input = rng.pick<unknown>([null, 42, true, {}, [[]], [null], [{}], [1, 'a'], '', [''], 1e308, [1e308], -0.5]);
      return {
        label: `input ${JSON.stringify(input)}`,
        body: Buffer.from(JSON.stringify({ model: ctx.model, input })),
        expect: { statuses: [400], codes: ['INVALID_REQUEST', 'INVALID_TOKEN_ID', 'INVALID_JSON'] },
      };
    },
    () => {
      const model = rng.pick<unknown>(['', 'gpt-4', 'hlp-', 'hlp-nope', 42, null, 'x'.repeat(10_000)]);
      return {
        label: `model ${String(model).slice(0, 20)}`,
        body: Buffer.from(JSON.stringify({ model, input: 'hi' })),
        expect: { statuses: [400, 404], codes: ['INVALID_REQUEST', 'UNKNOWN_MODEL'] },
      };
    },
    () => {
      // written as text: a "__proto__" key in an object literal would set its prototype instead
      const extra = rng.pick([
        '"encoding_format":"base64"',
        '"dimensions":-1',
        `"user":"${'x'.repeat(100)}"`,
        '"__proto__":{"polluted":true}',
        '"constructor":{"prototype":{}}',
      ]);
      return {
        label: `extra field ${extra.slice(0, 24)}`,
        body: Buffer.from(`{"model":${JSON.stringify(ctx.model)},"input":"hi",${extra}}`),
        expect: { statuses: [200, 400], codes: ['INVALID_REQUEST'] },
      };
    },
    () => {
      const type = rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', '']);
      return {
        label: `content-type '${type}'`,
        body: Buffer.from(valid),
        headers: { 'content-type': type },
        expect: { statuses: [400, 415], codes: ['UNSUPPORTED_MEDIA_TYPE', 'INVALID_JSON'] },
      };
    },
    () => {
      const bytes = rng.int(limits.bodyBytes + 1, limits.bodyBytes + 65_536);
      return { label: `${bytes}-byte body`, body: Buffer.alloc(bytes, 0x20), expect: { statuses: [413], codes: ['PAYLOAD_TOO_LARGE'] } };
    },
    () => ({
      label: 'invalid UTF-8',
      body: Buffer.concat([Buffer.from(`{"model":"${ctx.model}","input":"`), rng.bytes(rng.int(1, 64)).map((b) => b | 0x80), Buffer.from('"}')]),
      expect: { statuses: [200, 400], codes: ['INVALID_JSON', 'INVALID_REQUEST'] },
    }),
  ];
  for (let i = 0; i < ctx.count; i++) {
    const g = rng.pick(generators)();
    const headers = g.headers ? withAuth(ctx, g.headers) : withAuth(ctx);
    yield { cls: 'malformed-body', label: g.label, target: 'proxy', method: 'POST', path: '/v1/embeddings', headers, body: g.body, group: i, expect: g.expect };
  }
}

export const GENERATORS: Readonly<Record<HttpClass, (ctx: CaseContext) => Generator<HttpCase>>> = {
  'long-input': longInputCases,
  'token-batches': tokenBatchCases,
  'malformed-url': malformedUrlCases,
  'malformed-body': malformedBodyCases,
};

export interface Answer {
  readonly status: number;
  /** The stable code of an OpenAI-shaped error body; null when the body is not one. */
  readonly code: string | null;
}

/** Why an answer breaks the case's expectation; null when it meets it. */
export function violation(c: HttpCase, a: Answer): string | null {
  if (a.status >= 500) return `${a.status}${a.code ? ` ${a.code}` : ''}: a server error for a client's input`;
  if (!c.expect.statuses.includes(a.status)) return `status ${a.status}${a.code ? ` ${a.code}` : ''}, expected ${c.expect.statuses.join(' or ')}`;
  if (a.status >= 400) {
    if (a.code === null) return `status ${a.status} without an OpenAI error body`;
    if (c.expect.codes && !c.expect.codes.includes(a.code as ErrorCode)) return `code ${a.code}, expected ${c.expect.codes.join(' or ')}`;
  }
  return null;
}
