/**
 * The seeded embedding rows of the dense path, made on a thread of their own.
 *
 * A token row never seen before costs a Box–Muller row of 768 normals (~21 µs alone, 60–80 µs
 * when both cores are busy); a batch of a few thousand new tokens was tens of milliseconds of the
 * event loop even in slices, and under a flood of such batches the slices of several requests
 * and the garbage collector's pauses shared an iteration: `/healthz` answered in up to 150 ms.
 * Here the event loop only posts the token ids and the batch's value buffer (moved, not
 * copied), and the thread hands the buffer back filled. The thread keeps its own row cache
 * (`CachedEmbeddings`): the values are exactly those `CachedEmbeddings(SeededEmbeddings)` gives.
 *
 * A thread that dies (it should not) fails the batches it held with EMBEDDING_THREAD; the next
 * batch starts a new one.
 */
import type { Worker } from 'node:worker_threads';
import { startHelperThread } from './helper-thread.js';
import { GPT2, ModelError, type ModelErrorCode } from '@hlp/model';

export interface EmbeddingThreadOptions {
  /** Seed of the seeded tables (default the model's default seed). */
  readonly seed?: number;
  /** Token rows the thread's cache holds (default CachedEmbeddings' 8192). */
  readonly maxTokenRows?: number;
  /** The thread's niceness on Linux, like the libuv pool's crypto threads (default 0: the process's). */
  readonly nice?: number;
  /** @internal The thread's module (tests start one that fails); default embedding-thread-main.js. */
  readonly module?: URL;
}

/** @internal What the thread is started with. */
export type EmbeddingThreadData = Omit<EmbeddingThreadOptions, 'module'>;

/** @internal A batch to embed: `counts[i]` ids of input i, back to back in `ids`, into `buffer` from value 0. */
export interface EmbedJob {
  readonly id: number;
  readonly ids: Int32Array;
  readonly counts: Int32Array;
  /** Moved to the thread and back; or shared, written in place. */
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/** @internal The thread's answer: the buffer back, filled unless `error`. */
export interface EmbedReply {
  readonly id: number;
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  readonly error?: { readonly code?: ModelErrorCode; readonly message: string; readonly details?: Record<string, string | number> };
}

/** The embedding thread stopped under a batch (a crash, or close()). */
export class EmbeddingThreadError extends Error {
  override readonly name = 'EmbeddingThreadError';
  readonly code = 'EMBEDDING_THREAD';
}

interface Pending {
  readonly resolve: (buffer: ArrayBuffer | SharedArrayBuffer) => void;
  readonly reject: (e: Error) => void;
}

export class EmbeddingThread {
  readonly width = GPT2.width;
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #closed = false;
  /** Threads started so far (a second one means the first died). */
  #started = 0;

  constructor(private readonly options: EmbeddingThreadOptions = {}) {
    // Started now: loading the model's code takes a while, and the first batch should not wait for it.
    this.worker();
  }

  get threadsStarted(): number {
    return this.#started;
  }

  /**
   * wte[id] + wpe[position] of every token of every input, inputs back to back from value 0 of
   * `values`, positions from 0 in each input. `values` is moved to the thread meanwhile (its
   * buffer is detached here, and so is every other view of that buffer): use the array this
   * resolves with, a view of the same memory and length. Values in a SharedArrayBuffer are
   * written in place instead (and `values` itself comes back): an ArrayBuffer moved back counts
   * as new external memory of this isolate each time, which paces its garbage collections.
   */
  async embedInto(idLists: readonly (readonly number[])[], values: Float64Array): Promise<Float64Array> {
    if (this.#closed) throw new EmbeddingThreadError('the embedding thread is closed');
    const total = idLists.reduce((n, ids) => n + ids.length, 0);
    if (values.byteOffset !== 0 || values.length < total * this.width) {
      throw new ModelError(
        'INVALID_ARGUMENT',
        `the values must start their buffer and hold ${total * this.width} values (${values.length} from ${values.byteOffset})`,
        {
          argument: 'values',
        },
      );
    }
    const ids = new Int32Array(total);
    const counts = new Int32Array(idLists.length);
    let at = 0;
    for (const [i, list] of idLists.entries()) {
      counts[i] = list.length;
      // ids are checked by the thread: a value Int32Array cannot hold must not become a valid id
      for (const id of list) ids[at++] = Number.isInteger(id) && id >= 0 && id <= 0x7fffffff ? id : -1;
    }
    const length = values.length;
    const job: EmbedJob = { id: this.#nextId++, ids, counts, buffer: values.buffer };
    const worker = this.worker();
    const shared = job.buffer instanceof SharedArrayBuffer;
    const buffer = await new Promise<ArrayBuffer | SharedArrayBuffer>((resolve, reject) => {
      this.#pending.set(job.id, { resolve, reject });
      worker.ref();
      worker.postMessage(job, shared ? [ids.buffer] : [job.buffer, ids.buffer]);
    });
    return shared ? values : new Float64Array(buffer, 0, length);
  }

  /** Stops the thread; batches it holds fail with EMBEDDING_THREAD. */
  async close(): Promise<void> {
    this.#closed = true;
    const w = this.#worker;
    this.#worker = undefined;
    this.failAll(new EmbeddingThreadError('the embedding thread was closed'));
    if (w) await w.terminate();
  }

  private worker(): Worker {
    if (this.#worker) return this.#worker;
    const { module, ...data } = this.options;
    const w = startHelperThread<EmbedReply>('embedding', module ?? new URL('./embedding-thread-main.js', import.meta.url), data satisfies EmbeddingThreadData, {
      message: (reply, worker) => this.settle(reply, worker),
      lost: (worker, why) => this.lost(worker, why),
    });
    this.#started++;
    this.#worker = w;
    return w;
  }

  private settle(reply: EmbedReply, w: Worker): void {
    const p = this.#pending.get(reply.id);
    if (!p) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) w.unref();
    if (!reply.error) return p.resolve(reply.buffer);
    const { code, message, details } = reply.error;
    p.reject(code ? new ModelError(code, message, details) : new EmbeddingThreadError(message));
  }

  private lost(w: Worker, why: string): void {
    if (this.#worker !== w) return;
    this.#worker = undefined;
    this.failAll(new EmbeddingThreadError(why));
  }

  private failAll(e: Error): void {
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }
}
