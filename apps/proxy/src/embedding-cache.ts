/**
 * Embedding rows kept in memory: the seeded tables are generated on demand (a Box–Muller row of
 * 768 normals per token and per position), which at 100 requests/s of 32 tokens was ~5 % of the
 * proxy's CPU. Position rows (at most 1024) are all kept once made; token rows in an LRU
 * bounded by count (default 8192 rows ≈ 48 MiB). `embed` gives exactly what the wrapped
 * source's `embed` gives (the same row values, the same wte + wpe sum).
 */
import type { EmbedOptions, EmbeddingSource } from '@hlp/model';

export class CachedEmbeddings implements EmbeddingSource {
  readonly kind: EmbeddingSource['kind'];
  readonly vocabSize: number;
  readonly width: number;
  readonly context: number;
  private readonly tokens = new Map<number, Float64Array>();
  private readonly positions: (Float64Array | undefined)[];

  constructor(
    private readonly base: EmbeddingSource,
    readonly maxTokenRows = 8192,
  ) {
    this.kind = base.kind;
    this.vocabSize = base.vocabSize;
    this.width = base.width;
    this.context = base.context;
    this.positions = new Array<Float64Array | undefined>(base.context);
  }

  private tokenRow(id: number): Float64Array {
    let row = this.tokens.get(id);
    if (row) {
      this.tokens.delete(id);
      this.tokens.set(id, row);
      return row;
    }
    row = this.base.tokenEmbedding(id);
    this.tokens.set(id, row);
    if (this.tokens.size > this.maxTokenRows) this.tokens.delete(this.tokens.keys().next().value as number);
    return row;
  }

  private positionRow(pos: number): Float64Array {
    return (this.positions[pos] ??= this.base.positionEmbedding(pos));
  }

  tokenEmbedding(id: number, out?: Float64Array): Float64Array {
    const row = this.tokenRow(id);
    if (!out) return row.slice();
    out.set(row);
    return out.subarray(0, this.width);
  }

  positionEmbedding(pos: number, out?: Float64Array): Float64Array {
    const row = this.positionRow(pos);
    if (!out) return row.slice();
    out.set(row);
    return out.subarray(0, this.width);
  }

  embed(ids: ArrayLike<number>, options: EmbedOptions = {}): Float64Array {
    const start = options.startPosition ?? 0;
    const n = ids.length;
    const w = this.width;
    const valid =
      Number.isInteger(start) &&
      start >= 0 &&
      start + n <= this.context &&
      (options.out === undefined || options.out.length >= n * w) &&
      Array.prototype.every.call(ids, (id: number) => Number.isInteger(id) && id >= 0 && id < this.vocabSize);
    // Anything unusual: the wrapped source checks it and throws its own errors.
    if (!valid) return this.base.embed(ids, options);
    const out = options.out ?? new Float64Array(n * w);
    for (let t = 0; t < n; t++) {
      const tok = this.tokenRow(ids[t] as number);
      const pos = this.positionRow(start + t);
      const base = t * w;
      for (let d = 0; d < w; d++) out[base + d] = (tok[d] as number) + (pos[d] as number);
    }
    return out;
  }
}
