/** Reading an embeddings (or encrypt) request body within the proxy's limits. */
import { EmbeddingsRequest, MAX_CHARS_PER_TOKEN, MAX_INPUTS, ProtocolError, describeZodError } from '@hlp/protocol';
import { JsonScanner, MAX_JSON_DEPTH, parseJson, readBody, requireMediaType, type JsonScan, type Req } from '@hlp/service-runtime';
import type { AppMetrics } from '@hlp/telemetry';
import { loopTurn } from '@hlp/service-runtime';

/** Bodies past this size wait for their turn on the event loop before they are decoded and parsed. */
const LARGE_BODY_BYTES = 64 * 1024;
/** Text a body may hold beyond its inputs' character limit (model, user, fields the schema ignores). */
const BODY_TEXT_SLACK = 64 * 1024;
/** Values a body may hold beyond its inputs' token ids or strings (the other fields, fields the schema ignores). */
const BODY_VALUE_SLACK = 1024;

export class EmbeddingsBodyReader {
  /**
   * A body with more text than its inputs could ever be allowed is refused on a scan of its
   * bytes, before decoding and parsing; the slack leaves room for the model, user and unknown
   * fields. So is a body with more values (separators) than its inputs' token ids or strings could
   * be, and one holding a string longer than any one input may be: no field takes more text than
   * an input, and such a body, decoded and parsed only to be refused, cost up to 5 ms of the loop.
   */
  readonly #limits: { readonly depth: number; readonly textUnits: number; readonly separators: number; readonly longestString: number };

  constructor(
    private readonly maxBodyBytes: number,
    private readonly maxRequestTokens: number,
    private readonly maxPromptTokens: number,
    private readonly metrics: AppMetrics<'proxy'>,
  ) {
    this.#limits = {
      depth: MAX_JSON_DEPTH,
      textUnits: maxRequestTokens * MAX_CHARS_PER_TOKEN + BODY_TEXT_SLACK,
      separators: Math.max(maxRequestTokens, MAX_INPUTS) + BODY_VALUE_SLACK,
      longestString: maxPromptTokens * MAX_CHARS_PER_TOKEN,
    };
  }

  /** @throws ProtocolError for a wrong media type, an oversized or malformed body, or one the schema refuses */
  async read(req: Req): Promise<EmbeddingsRequest> {
    requireMediaType(req, 'application/json');
    // The body is scanned piece by piece as it arrives and refused on the first piece that
    // passes a limit: a 4 MiB body scanned whole held the event loop for up to 60 ms, and its
    // decoding, parsing and validation (a million token ids) for far longer.
    const scanner = new JsonScanner(this.#limits);
    let received = 0;
    const body = await readBody(req, this.maxBodyBytes, (chunk) => {
      received += chunk.length;
      if (!scanner.feed(chunk)) throw this.overLimits(scanner.scan, received);
    });
    this.metrics.bytesReceived.inc({ peer: 'client' }, body.length);
    // Decoding and parsing a megabyte takes 5–20 ms: large bodies take their turn with the
    // other slices of work, so that eight arriving together do not hold the loop for 150 ms.
    if (body.length > LARGE_BODY_BYTES) await loopTurn();
    const parsed = EmbeddingsRequest.safeParse(parseJson(body, scanner.scan));
    if (!parsed.success) {
      const d = describeZodError(parsed.error);
      throw new ProtocolError('INVALID_REQUEST', d.message, d.param);
    }
    return parsed.data;
  }

  private overLimits(scan: JsonScan, bytes: number): ProtocolError {
    const where = `in its first ${bytes} bytes`;
    const maxRequestTokens = this.maxRequestTokens;
    if (scan.depth > MAX_JSON_DEPTH) return new ProtocolError('INVALID_JSON', `request body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`);
    if (scan.longestString > this.#limits.longestString) {
      const perInput = this.#limits.longestString;
      return new ProtocolError(
        'INPUT_TOO_LONG',
        `the request body holds a string of ${scan.longestString} characters ${where}, more than the ${perInput} that ${this.maxPromptTokens} tokens (the per-input token limit) allow`,
        'input',
      );
    }
    if (scan.textUnits > this.#limits.textUnits) {
      return new ProtocolError(
        'INPUT_TOO_LONG',
        `the request body holds ${scan.textUnits} characters of text ${where}, more than the ${maxRequestTokens * MAX_CHARS_PER_TOKEN} that ${maxRequestTokens} tokens (--max-request-tokens) allow`,
        'input',
      );
    }
    return new ProtocolError(
      'INPUT_TOO_LONG',
      `the request body holds ${scan.separators + 1} values ${where}, more than ${maxRequestTokens} token ids (--max-request-tokens) or ${MAX_INPUTS} inputs allow`,
      'input',
    );
  }
}
