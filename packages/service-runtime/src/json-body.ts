/** JSON request bodies: one bounded pass over the bytes before any decoding, then the parse. */
import { ProtocolError } from '@hlp/protocol';

/**
 * The deepest nesting of arrays and objects a JSON body may have. The request schemas need 3
 * (an object holding a list of token lists); a body of a million nested brackets parsed and then
 * validated held the event loop for over half a second, so depth is checked on the bytes first.
 */
export const MAX_JSON_DEPTH = 32;

/** What one pass over a JSON text's bytes finds, before any decoding or parsing. */
export interface JsonScan {
  /** The deepest nesting of arrays and objects (brackets inside strings not counted); the scan stops once it passes its limit. */
  readonly depth: number;
  /**
   * UTF-16 code units inside string literals once decoded (an escape counts as what it stands
   * for), which is what `string.length` of the parsed strings adds up to. Exact for valid UTF-8;
   * only counted while the scan runs (it stops early on depth).
   */
  readonly textUnits: number;
  /**
   * Separators outside strings (commas): every element of an array or member of an object past
   * the first adds one, so this bounds how many values parsing, and validating, would create.
   */
  readonly separators: number;
  /** UTF-16 code units of the longest string literal (a key or a value), counted as `textUnits` is. */
  readonly longestString: number;
}

/** The limits a `JsonScanner` refuses a body at, as soon as its bytes pass them. */
export interface JsonScanLimits {
  readonly depth?: number;
  readonly textUnits?: number;
  readonly separators?: number;
  readonly longestString?: number;
}

/**
 * One pass over a JSON body's bytes, fed in pieces as they arrive: its nesting depth, how much
 * text its strings hold, its longest string and how many values it separates. A body too deep,
 * with more text, a longer string or more values than any admissible request holds, is refused on its bytes (about 2 ms a
 * megabyte, spread over its arrival) before it is decoded, parsed or validated, each of which
 * costs far more and runs in one piece on the event loop.
 */
export class JsonScanner {
  #depth = 0;
  #max = 0;
  #units = 0;
  #separators = 0;
  #longest = 0;
  /** Units of the string literal the last piece ended in (0 outside strings). */
  #current = 0;
  #inString = false;
  /** A backslash ended the last piece: the next byte says how long the escape is. */
  #escape = false;
  /** Bytes of a \uXXXX escape still to skip. */
  #skip = 0;
  #over = false;
  readonly #limits: Required<JsonScanLimits>;

  constructor(limits: JsonScanLimits = {}) {
    this.#limits = {
      depth: limits.depth ?? MAX_JSON_DEPTH,
      textUnits: limits.textUnits ?? Number.POSITIVE_INFINITY,
      separators: limits.separators ?? Number.POSITIVE_INFINITY,
      longestString: limits.longestString ?? Number.POSITIVE_INFINITY,
    };
  }

  /** Scans the next bytes of the body. Returns false once a limit is passed (the rest need not be fed). */
  feed(bytes: Uint8Array): boolean {
    if (this.#over) return false;
    let depth = this.#depth;
    let max = this.#max;
    let units = this.#units;
    let separators = this.#separators;
    let longest = this.#longest;
    // units counted before the current string began: its length is `units - stringStart`
    let stringStart = units - this.#current;
    let inString = this.#inString;
    let escape = this.#escape;
    let skip = this.#skip;
    const depthLimit = this.#limits.depth;
    const n = bytes.length;
    for (let i = 0; i < n; i++) {
      const c = bytes[i]!;
      if (skip > 0) {
        skip--;
      } else if (inString) {
        if (escape) {
          // \uXXXX is one code unit (a surrogate pair is two escapes); \n, \" … are one
          escape = false;
          units++;
          if (c === 0x75) skip = 4;
        } else if (c === 0x22) {
          inString = false;
          if (units - stringStart > longest) longest = units - stringStart;
        } else if (c === 0x5c) escape = true;
        else if ((c & 0xc0) !== 0x80) units += c >= 0xf0 ? 2 : 1; // a sequence's lead byte; four bytes are a surrogate pair
      } else if (c === 0x22) {
        inString = true;
        stringStart = units;
      } else if (c === 0x2c) separators++;
      else if (c === 0x5b || c === 0x7b) {
        if (++depth > max && (max = depth) > depthLimit) break;
      } else if (c === 0x5d || c === 0x7d) depth--;
    }
    // a string still open counts with what it holds so far
    const current = inString ? units - stringStart : 0;
    if (current > longest) longest = current;
    this.#depth = depth;
    this.#max = max;
    this.#units = units;
    this.#separators = separators;
    this.#longest = longest;
    this.#current = current;
    this.#inString = inString;
    this.#escape = escape;
    this.#skip = skip;
    const limits = this.#limits;
    this.#over = max > depthLimit || units > limits.textUnits || separators > limits.separators || longest > limits.longestString;
    return !this.#over;
  }

  /** Whether a limit was passed. */
  get over(): boolean {
    return this.#over;
  }

  /** What the bytes fed so far hold (counts stop where the depth limit was passed). */
  get scan(): JsonScan {
    return { depth: this.#max, textUnits: this.#units, separators: this.#separators, longestString: this.#longest };
  }
}

/** One pass over a whole JSON body's bytes (see `JsonScanner`). */
export function scanJson(body: Uint8Array, depthLimit: number = MAX_JSON_DEPTH): JsonScan {
  const scanner = new JsonScanner({ depth: depthLimit });
  scanner.feed(body);
  return scanner.scan;
}

/** The nesting depth of a JSON text's arrays and objects (brackets inside strings not counted), stopping once past `limit`. */
export function jsonDepth(body: Uint8Array, limit: number = MAX_JSON_DEPTH): number {
  return scanJson(body, limit).depth;
}

/**
 * Parse a JSON body (pass the `scanJson` result when the caller has it already).
 * @throws ProtocolError INVALID_JSON
 */
export function parseJson(body: Buffer, scanned: JsonScan = scanJson(body)): unknown {
  if (scanned.depth > MAX_JSON_DEPTH) throw new ProtocolError('INVALID_JSON', `request body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new ProtocolError('INVALID_JSON', 'request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ProtocolError('INVALID_JSON', `request body is not valid JSON: ${(e as Error).message}`);
  }
}
