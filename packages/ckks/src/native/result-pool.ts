/** What the pool holds: a typed array (or Buffer) over memory it may own whole. */
export interface PooledArray {
  readonly length: number;
  readonly byteOffset: number;
  readonly byteLength: number;
  readonly buffer: ArrayBufferLike;
}

/**
 * Buffers of disposed ciphertexts, handed to later native operations as their result
 * buffers. A fresh result of a few hundred kilobytes costs V8's zeroing, the kernel's page
 * faults and garbage collection: on the cheap operations (add, multiply_plain) more than the
 * arithmetic itself. A workload that disposes what it no longer needs (the diagonal method's
 * products and partial sums) then runs on warm memory.
 *
 * The same pool serves other per-call buffers of a few hundred kilobytes (encryption
 * randomness, the proxy's upload and download buffers), keyed by their element count.
 *
 * Only whole-buffer arrays enter (a ciphertext viewing part of a batch buffer would keep the
 * whole batch alive), the pool is bounded in bytes, and a buffer is reused only whole: every
 * native operation writes all of its result.
 */
export class ResultPool<T extends PooledArray = BigUint64Array> {
  readonly #free = new Map<number, T[]>();
  #bytes = 0;

  constructor(readonly maxBytes: number) {}

  /** Bytes held for reuse. */
  get bytes(): number {
    return this.#bytes;
  }

  /** A buffer of exactly `length` elements, or undefined (the caller then allocates one). */
  take(length: number): T | undefined {
    const list = this.#free.get(length);
    const buffer = list?.pop();
    if (buffer) this.#bytes -= buffer.byteLength;
    return buffer;
  }

  /** Keeps `buffer` for reuse when it owns its memory and fits the bound; its owner no longer reads it. */
  give(buffer: T): void {
    if (buffer.byteOffset !== 0 || buffer.byteLength !== buffer.buffer.byteLength) return;
    if (this.#bytes + buffer.byteLength > this.maxBytes) return;
    let list = this.#free.get(buffer.length);
    if (!list) {
      list = [];
      this.#free.set(buffer.length, list);
    }
    list.push(buffer);
    this.#bytes += buffer.byteLength;
  }

  clear(): void {
    this.#free.clear();
    this.#bytes = 0;
  }
}
