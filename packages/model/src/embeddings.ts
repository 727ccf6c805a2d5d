/**
 * GPT-2-shaped embedding tables: `wte` (token, vocabSize × width) and `wpe` (position,
 * context × width). `embed(ids)` returns the input of the first transformer block,
 * wte[id] + wpe[position], token-major (tokens × width).
 */
import { DEFAULT_SEED, GPT2 } from './constants.js';
import { ModelError } from './errors.js';
import { CounterRng, RNG_TABLE } from './rng.js';

export interface EmbeddingShape {
  /** Rows of the token table (GPT-2: 50257). */
  readonly vocabSize: number;
  /** Values per row (GPT-2 small: 768). */
  readonly width: number;
  /** Rows of the position table: the longest prompt (GPT-2: 1024). */
  readonly context: number;
}

export interface EmbedOptions {
  /** Position of the first token (default 0). */
  readonly startPosition?: number;
  /** Where to write (length ≥ ids.length × width); a new array when absent. */
  readonly out?: Float64Array;
}

export interface EmbeddingSource extends EmbeddingShape {
  readonly kind: 'seeded' | 'safetensors';
  /** wte[id] into `out` (length ≥ width; a new array when absent). Returns the row written. */
  tokenEmbedding(id: number, out?: Float64Array): Float64Array;
  /** wpe[pos] into `out` (length ≥ width; a new array when absent). Returns the row written. */
  positionEmbedding(pos: number, out?: Float64Array): Float64Array;
  /**
   * wte[ids[t]] + wpe[start + t] for every t, token-major: value (t, d) at index t·width + d.
   * TOO_MANY_TOKENS when start + ids.length > context; INVALID_TOKEN_ID for a bad id.
   */
  embed(ids: ArrayLike<number>, options?: EmbedOptions): Float64Array;
}

/** Shared argument checks and `embed` on top of two row readers. */
export abstract class RowEmbeddings implements EmbeddingSource {
  abstract readonly kind: 'seeded' | 'safetensors';
  private scratch: Float64Array;

  protected constructor(
    readonly vocabSize: number,
    readonly width: number,
    readonly context: number,
  ) {
    this.scratch = new Float64Array(width);
  }

  /** Writes wte[id] into `out` (exactly width long); id is already checked. */
  protected abstract readTokenRow(id: number, out: Float64Array): void;
  /** Writes wpe[pos] into `out` (exactly width long); pos is already checked. */
  protected abstract readPositionRow(pos: number, out: Float64Array): void;

  tokenEmbedding(id: number, out?: Float64Array): Float64Array {
    this.checkId(id, -1);
    const row = this.rowBuffer(out);
    this.readTokenRow(id, row);
    return row;
  }

  positionEmbedding(pos: number, out?: Float64Array): Float64Array {
    if (!Number.isInteger(pos) || pos < 0 || pos >= this.context) {
      throw new ModelError('INVALID_POSITION', `position ${String(pos)} is not in [0, ${this.context})`, {
        position: String(pos),
        context: this.context,
      });
    }
    const row = this.rowBuffer(out);
    this.readPositionRow(pos, row);
    return row;
  }

  embed(ids: ArrayLike<number>, options: EmbedOptions = {}): Float64Array {
    const start = options.startPosition ?? 0;
    if (!Number.isInteger(start) || start < 0) {
      throw new ModelError('INVALID_POSITION', `startPosition must be a non-negative integer, got ${String(start)}`);
    }
    const n = ids.length;
    if (start + n > this.context) {
      throw new ModelError('TOO_MANY_TOKENS', `${n} tokens from position ${start} exceed the context of ${this.context}`, {
        count: start + n,
        max: this.context,
      });
    }
    for (let t = 0; t < n; t++) this.checkId(ids[t] as number, t);
    const w = this.width;
    const out = options.out ?? new Float64Array(n * w);
    if (out.length < n * w) {
      throw new ModelError('INVALID_ARGUMENT', `out holds ${out.length} values, ${n * w} needed`, {
        argument: 'out',
      });
    }
    const pos = this.scratch;
    for (let t = 0; t < n; t++) {
      const row = out.subarray(t * w, (t + 1) * w);
      this.readTokenRow(ids[t] as number, row);
      this.readPositionRow(start + t, pos);
      for (let d = 0; d < w; d++) row[d] = (row[d] as number) + (pos[d] as number);
    }
    return out;
  }

  private checkId(id: number, index: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      const where = index >= 0 ? ` at index ${index}` : '';
      throw new ModelError('INVALID_TOKEN_ID', `token id${where} is ${String(id)}, not in [0, ${this.vocabSize})`, {
        id: String(id),
        vocabSize: this.vocabSize,
      });
    }
  }

  private rowBuffer(out: Float64Array | undefined): Float64Array {
    if (out === undefined) return new Float64Array(this.width);
    if (out.length < this.width) {
      throw new ModelError('INVALID_ARGUMENT', `out holds ${out.length} values, ${this.width} needed`, {
        argument: 'out',
      });
    }
    return out.subarray(0, this.width);
  }
}

export interface SeededEmbeddingsOptions extends Partial<EmbeddingShape> {
  /** Non-negative safe integer; default DEFAULT_SEED. */
  readonly seed?: number;
  /** Standard deviation of token rows before clipping (default 0.14, about GPT-2's wte). */
  readonly tokenStd?: number;
  /** Standard deviation of position rows before clipping (default 0.01, about GPT-2's wpe). */
  readonly positionStd?: number;
  /** Values are clipped to [-clip, clip] (default 1) so that CKKS inputs stay in range. */
  readonly clip?: number;
  /**
   * Keep position rows once computed (default true): at most context × width doubles, 6 MiB for
   * GPT-2, and it halves the cost of `embed`. Token rows are never kept.
   */
  readonly cachePositions?: boolean;
}

/**
 * The default embeddings: deterministic pseudo-random N(0, σ²) values from a seed, clipped to
 * [-1, 1], with GPT-2's shapes and roughly GPT-2's scales (wte σ ≈ 0.14, wpe σ ≈ 0.01).
 * Each row is computed on demand from (seed, table, row, column): token rows are never stored,
 * so the object costs at most the 6 MiB position cache (optional) instead of GPT-2's 150 MB
 * token table. See `rng.ts`: this is not
 * cryptographic randomness, and need not be: model weights are public.
 */
export class SeededEmbeddings extends RowEmbeddings {
  readonly kind = 'seeded' as const;
  readonly seed: number;
  readonly tokenStd: number;
  readonly positionStd: number;
  readonly clip: number;
  private readonly rng: CounterRng;
  private readonly positionCache: Float64Array | undefined;
  private readonly positionCached: Uint8Array | undefined;

  constructor(options: SeededEmbeddingsOptions = {}) {
    const vocabSize = options.vocabSize ?? GPT2.vocabSize;
    const width = options.width ?? GPT2.width;
    const context = options.context ?? GPT2.context;
    for (const [name, v] of [
      ['vocabSize', vocabSize],
      ['width', width],
      ['context', context],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 1) {
        throw new ModelError('INVALID_ARGUMENT', `${name} must be a positive integer, got ${String(v)}`, {
          argument: name,
        });
      }
    }
    super(vocabSize, width, context);
    this.seed = options.seed ?? DEFAULT_SEED;
    this.rng = new CounterRng(this.seed);
    this.tokenStd = positive('tokenStd', options.tokenStd ?? 0.14);
    this.positionStd = positive('positionStd', options.positionStd ?? 0.01);
    this.clip = positive('clip', options.clip ?? 1);
    if (options.cachePositions ?? true) {
      this.positionCache = new Float64Array(context * width);
      this.positionCached = new Uint8Array(context);
    }
  }

  protected readTokenRow(id: number, out: Float64Array): void {
    this.rng.normalRow(RNG_TABLE.wte, id, out, this.tokenStd, this.clip);
  }

  protected readPositionRow(pos: number, out: Float64Array): void {
    const cache = this.positionCache;
    const cached = this.positionCached;
    if (cache === undefined || cached === undefined) {
      this.rng.normalRow(RNG_TABLE.wpe, pos, out, this.positionStd, this.clip);
      return;
    }
    const row = cache.subarray(pos * this.width, (pos + 1) * this.width);
    if (cached[pos] === 0) {
      this.rng.normalRow(RNG_TABLE.wpe, pos, row, this.positionStd, this.clip);
      cached[pos] = 1;
    }
    out.set(row);
  }
}

function positive(name: string, v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) {
    throw new ModelError('INVALID_ARGUMENT', `${name} must be a positive finite number, got ${String(v)}`, {
      argument: name,
    });
  }
  return v;
}
