import { WORD_ALIGNMENT } from '@hlp/kernels';

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
 * Only arrays that own their buffer enter, but for the padding that puts them on a cache line
 * (WORD_ALIGNMENT; a ciphertext viewing part of a batch buffer would keep the whole batch
 * alive), the pool is bounded in bytes, and a buffer is reused only whole: every native
 * operation writes all of its result.
 */
export class ResultPool<T extends PooledArray = BigUint64Array> {
  readonly #free = new Map<number, T[]>();
  /** Every buffer held, oldest first (for evictOldest). */
  readonly #held = new Set<T>();
  #bytes = 0;
  readonly #evictOldest: boolean;

  /**
   * @param options.evictOldest past the bound, drop the oldest buffers held to keep a newcomer
   * (default: keep what is held and drop the newcomer). For buffers whose sizes drift with the
   * traffic (request and response bodies), the pool then follows the sizes in use now.
   */
  constructor(
    readonly maxBytes: number,
    options: { readonly evictOldest?: boolean } = {},
  ) {
    this.#evictOldest = options.evictOldest ?? false;
  }

  /** Bytes held for reuse. */
  get bytes(): number {
    return this.#bytes;
  }

  /** A buffer of exactly `length` elements, or undefined (the caller then allocates one). */
  take(length: number): T | undefined {
    const buffer = this.#free.get(length)?.pop();
    if (buffer) this.#forget(buffer);
    return buffer;
  }

  /**
   * The smallest buffer held of `length` to `maxLength` elements, or undefined. For callers that
   * use a prefix (a subarray) of what they take and give the whole buffer back.
   */
  takeAtLeast(length: number, maxLength = 2 * length): T | undefined {
    let best: number | undefined;
    for (const [size, list] of this.#free) {
      if (size >= length && size <= maxLength && list.length > 0 && (best === undefined || size < best)) best = size;
    }
    return best === undefined ? undefined : this.take(best);
  }

  /** Keeps `buffer` for reuse when it owns its memory and fits the bound; its owner no longer reads it. */
  give(buffer: T): void {
    if (buffer.buffer.byteLength - buffer.byteLength > WORD_ALIGNMENT) return;
    if (buffer.byteLength > this.maxBytes || this.#held.has(buffer)) return;
    if (this.#evictOldest) {
      for (const old of this.#held) {
        if (this.#bytes + buffer.byteLength <= this.maxBytes) break;
        const list = this.#free.get(old.length)!;
        list.splice(list.indexOf(old), 1);
        this.#forget(old);
      }
    }
    if (this.#bytes + buffer.byteLength > this.maxBytes) return;
    let list = this.#free.get(buffer.length);
    if (!list) {
      list = [];
      this.#free.set(buffer.length, list);
    }
    list.push(buffer);
    this.#held.add(buffer);
    this.#bytes += buffer.byteLength;
  }

  clear(): void {
    this.#free.clear();
    this.#held.clear();
    this.#bytes = 0;
  }

  #forget(buffer: T): void {
    this.#held.delete(buffer);
    this.#bytes -= buffer.byteLength;
  }
}

/**
 * The length to allocate for a buffer of `length` elements that will be pooled and reused for
 * other lengths: rounded up to a quarter octave (at most 25 % more), so that sizes that drift a
 * little from one call to the next share buffers through takeAtLeast.
 */
export function pooledCapacity(length: number): number {
  if (length <= 4) return length;
  const step = 2 ** (Math.floor(Math.log2(length)) - 2);
  return Math.ceil(length / step) * step;
}

/**
 * Memory for message bodies of announced length (an upstream answer, a request of ciphertexts):
 * taken before the first byte arrives, copied into as the pieces come, handed back once nothing
 * reads the body nor any view of it. A body of a few megabytes in fresh memory costs a page fault
 * per 4 KiB as it is filled (~1 ms per MB, ten times the copy), and V8 counts every fresh
 * ArrayBuffer as external memory that it answers with collections of the whole heap: at load,
 * a body per request was the inference service's main reason for them.
 *
 * Bodies of up to twice a request's size serve it (sizes drift with the traffic, and the oldest
 * buffers leave the pool first past its bound). Only memory this pool allocated goes back in.
 */
export class BodyPool {
  readonly #free: ResultPool<Buffer>;
  /** The memory of bodies this pool allocated and has not taken back. */
  readonly #lent = new WeakSet<ArrayBufferLike>();

  /**
   * @param maxBytes the most memory kept for reuse
   * @param options.shared allocate SharedArrayBuffers (bodies read on one thread, used on another)
   */
  constructor(
    maxBytes: number,
    private readonly options: { readonly shared?: boolean } = {},
  ) {
    this.#free = new ResultPool<Buffer>(maxBytes, { evictOldest: true });
  }

  /** A buffer of at least `bytes`: memory that held an earlier body, or fresh. */
  take(bytes: number): Buffer {
    const capacity = pooledCapacity(bytes);
    const buffer = this.#free.takeAtLeast(bytes) ?? (this.options.shared ? Buffer.from(new SharedArrayBuffer(capacity)) : Buffer.allocUnsafeSlow(capacity));
    this.#lent.add(buffer.buffer);
    return buffer;
  }

  /** Hands a body (or any view of its memory) back for reuse; memory this pool did not lend is left alone. */
  give(body: Uint8Array): void {
    const memory = body.buffer;
    if (!this.#lent.has(memory)) return;
    this.#lent.delete(memory);
    this.#free.give(Buffer.from(memory));
  }

  /** Whether give would take `body` back. */
  owns(body: Uint8Array): boolean {
    return this.#lent.has(body.buffer);
  }

  /** Bytes held for reuse. */
  get bytes(): number {
    return this.#free.bytes;
  }
}
