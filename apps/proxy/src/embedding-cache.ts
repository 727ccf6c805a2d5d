/**
 * Embedding rows kept in memory: the seeded tables are generated on demand (a Box–Muller row of
 * 768 normals per token and per position, ~21 µs), which at 100 requests/s of 32 tokens was ~5 %
 * of the proxy's CPU. Position rows (at most 1024) are all kept once made; token rows in an LRU
 * bounded by count (default 8192 rows = 48 MiB). `embed` gives exactly what the wrapped source's
 * `embed` gives (the same row values, the same wte + wpe sum).
 *
 * Every row lives in one of two slabs allocated once, the LRU order in index arrays: a cache of
 * one small array per row made each request of new tokens 6 KiB of external memory per token
 * (48 MiB for 8192 tokens), and V8 answers external memory with full mark-compact collections,
 * which paused every request in the process.
 */
import type { EmbedOptions, EmbeddingSource } from '@hlp/model';

const NONE = -1;

export class CachedEmbeddings implements EmbeddingSource {
  readonly kind: EmbeddingSource['kind'];
  readonly vocabSize: number;
  readonly width: number;
  readonly context: number;
  readonly #tokenRows: Float64Array;
  /** Slot of each token id in `#tokenRows`, NONE when not cached. */
  readonly #slotOf: Int32Array;
  /** Token id held by each slot. */
  readonly #idOf: Int32Array;
  /** The LRU list over slots: `#newer`/`#older` neighbours, NONE at either end. */
  readonly #newer: Int32Array;
  readonly #older: Int32Array;
  #newest = NONE;
  #oldest = NONE;
  #used = 0;
  readonly #positionRows: Float64Array;
  readonly #positionMade: Uint8Array;

  constructor(
    private readonly base: EmbeddingSource,
    readonly maxTokenRows = 8192,
  ) {
    if (!Number.isInteger(maxTokenRows) || maxTokenRows < 1) throw new RangeError(`maxTokenRows must be a positive integer, got ${maxTokenRows}`);
    this.kind = base.kind;
    this.vocabSize = base.vocabSize;
    this.width = base.width;
    this.context = base.context;
    // Pages of a slab become resident only once rows are written into them.
    this.#tokenRows = new Float64Array(maxTokenRows * base.width);
    this.#slotOf = new Int32Array(base.vocabSize).fill(NONE);
    this.#idOf = new Int32Array(maxTokenRows).fill(NONE);
    this.#newer = new Int32Array(maxTokenRows).fill(NONE);
    this.#older = new Int32Array(maxTokenRows).fill(NONE);
    this.#positionRows = new Float64Array(base.context * base.width);
    this.#positionMade = new Uint8Array(base.context);
  }

  /** Token rows held now. */
  get cachedTokenRows(): number {
    return this.#used;
  }

  /** Offset of token `id`'s row in `#tokenRows`, made (evicting the least recently used) when missing. */
  private tokenOffset(id: number): number {
    let slot = this.#slotOf[id]!;
    if (slot !== NONE) {
      this.touch(slot);
      return slot * this.width;
    }
    if (this.#used < this.maxTokenRows) slot = this.#used++;
    else {
      slot = this.#oldest;
      this.unlink(slot);
      this.#slotOf[this.#idOf[slot]!] = NONE;
    }
    const at = slot * this.width;
    this.base.tokenEmbedding(id, this.#tokenRows.subarray(at, at + this.width));
    this.#slotOf[id] = slot;
    this.#idOf[slot] = id;
    this.pushNewest(slot);
    return at;
  }

  private touch(slot: number): void {
    if (slot === this.#newest) return;
    this.unlink(slot);
    this.pushNewest(slot);
  }

  private unlink(slot: number): void {
    const newer = this.#newer[slot]!;
    const older = this.#older[slot]!;
    if (newer === NONE) this.#newest = older;
    else this.#older[newer] = older;
    if (older === NONE) this.#oldest = newer;
    else this.#newer[older] = newer;
  }

  private pushNewest(slot: number): void {
    this.#older[slot] = this.#newest;
    this.#newer[slot] = NONE;
    if (this.#newest === NONE) this.#oldest = slot;
    else this.#newer[this.#newest] = slot;
    this.#newest = slot;
  }

  private positionOffset(pos: number): number {
    const at = pos * this.width;
    if (this.#positionMade[pos] === 0) {
      this.base.positionEmbedding(pos, this.#positionRows.subarray(at, at + this.width));
      this.#positionMade[pos] = 1;
    }
    return at;
  }

  tokenEmbedding(id: number, out?: Float64Array): Float64Array {
    // the wrapped source checks the id (and throws its own error) before anything is cached
    if (!this.validId(id) || (out !== undefined && out.length < this.width)) return this.base.tokenEmbedding(id, out);
    const at = this.tokenOffset(id);
    return copyRow(this.#tokenRows, at, this.width, out);
  }

  positionEmbedding(pos: number, out?: Float64Array): Float64Array {
    if (!Number.isInteger(pos) || pos < 0 || pos >= this.context || (out !== undefined && out.length < this.width)) {
      return this.base.positionEmbedding(pos, out);
    }
    return copyRow(this.#positionRows, this.positionOffset(pos), this.width, out);
  }

  private validId(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.vocabSize;
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
      Array.prototype.every.call(ids, (id: number) => this.validId(id));
    // Anything unusual: the wrapped source checks it and throws its own errors.
    if (!valid) return this.base.embed(ids, options);
    const out = options.out ?? new Float64Array(n * w);
    const tokens = this.#tokenRows;
    const positions = this.#positionRows;
    for (let t = 0; t < n; t++) {
      const tok = this.tokenOffset(ids[t] as number);
      const pos = this.positionOffset(start + t);
      const base = t * w;
      for (let d = 0; d < w; d++) out[base + d] = (tokens[tok + d] as number) + (positions[pos + d] as number);
    }
    return out;
  }
}

function copyRow(slab: Float64Array, at: number, width: number, out: Float64Array | undefined): Float64Array {
  const row = slab.subarray(at, at + width);
  if (!out) return row.slice();
  out.set(row);
  return out.subarray(0, width);
}
