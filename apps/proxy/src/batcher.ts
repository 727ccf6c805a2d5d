/**
 * Request batching: requests for the same workload that arrive within a window are run as one
 * batch (their tokens packed into shared ciphertexts, one upstream evaluation for all of them),
 * and each gets its own result back.
 *
 * A batch opens with its first request and closes when the window (default 50 ms) has passed
 * since then, when it holds `maxRequests` requests (default 32), or when the next request would
 * take it past its token capacity (that request opens the next batch). Batches run concurrently
 * once closed. A window of 0 turns batching off: every request is a batch of one, run at once.
 *
 * The capacity is `maxTokens`, or less where `capacityFor` says so: the proxy derives it from
 * what the inference service accepts in one call (its ciphertext limit), so that a batch never
 * holds more than the service takes and one client's request cannot fail the others'.
 */

export interface BatcherOptions<I, R> {
  /** How long a batch stays open after its first request, ms (0: no batching). */
  readonly windowMs: number;
  /** Requests per batch at most. */
  readonly maxRequests: number;
  /** Tokens per batch at most (a single request larger than this still runs, alone). */
  readonly maxTokens: number;
  /** Tokens a batch of this key (and of items like this one) may hold, when less than maxTokens. */
  readonly capacityFor?: (key: string, item: I) => number;
  /** Run one batch; results in item order (an Error for an item that failed on its own). */
  readonly run: (key: string, items: readonly I[], waitedMs: readonly number[]) => Promise<(R | Error)[]>;
  /** Requests waiting in open batches (for the queue-depth gauge). */
  readonly onDepth?: (depth: number) => void;
}

interface Pending<I, R> {
  readonly item: I;
  readonly tokens: number;
  readonly at: number;
  readonly resolve: (r: R) => void;
  readonly reject: (e: unknown) => void;
}

interface OpenBatch<I, R> {
  readonly items: Pending<I, R>[];
  tokens: number;
  readonly capacity: number;
  timer: NodeJS.Timeout | undefined;
}

export class Batcher<I, R> {
  private readonly open = new Map<string, OpenBatch<I, R>>();
  private depth = 0;
  /** Batches closed so far, and the requests they held (for tests and logs). */
  batches = 0;

  constructor(private readonly options: BatcherOptions<I, R>) {}

  get enabled(): boolean {
    return this.options.windowMs > 0 && this.options.maxRequests > 1;
  }

  /** Add a request to the open batch for `key` (a workload and layout); resolves with its result. */
  submit(key: string, item: I, tokens: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const p: Pending<I, R> = { item, tokens, at: performance.now(), resolve, reject };
      if (!this.enabled) {
        this.launch(key, [p]);
        return;
      }
      let b = this.open.get(key);
      if (b && b.items.length > 0 && b.tokens + tokens > b.capacity) {
        this.close(key);
        b = undefined;
      }
      if (!b) {
        const capacity = Math.min(this.options.maxTokens, this.options.capacityFor?.(key, item) ?? Infinity);
        b = { items: [], tokens: 0, capacity, timer: undefined };
        this.open.set(key, b);
        b.timer = setTimeout(() => this.close(key), this.options.windowMs);
      }
      b.items.push(p);
      b.tokens += tokens;
      this.setDepth(this.depth + 1);
      if (b.items.length >= this.options.maxRequests || b.tokens >= b.capacity) this.close(key);
    });
  }

  /** Close every open batch now (shutdown: nothing waits for a window). */
  flush(): void {
    for (const key of [...this.open.keys()]) this.close(key);
  }

  private setDepth(d: number): void {
    this.depth = d;
    this.options.onDepth?.(d);
  }

  private close(key: string): void {
    const b = this.open.get(key);
    if (!b) return;
    this.open.delete(key);
    clearTimeout(b.timer);
    this.setDepth(this.depth - b.items.length);
    this.launch(key, b.items);
  }

  private launch(key: string, items: Pending<I, R>[]): void {
    this.batches++;
    const now = performance.now();
    const waited = items.map((p) => now - p.at);
    let run: Promise<(R | Error)[]>;
    try {
      run = this.options.run(
        key,
        items.map((p) => p.item),
        waited,
      );
    } catch (e) {
      run = Promise.reject(e instanceof Error ? e : new Error(String(e), { cause: e }));
    }
    run.then(
      (results) =>
        items.forEach((p, i) => {
          const r = results[i];
          if (r instanceof Error) p.reject(r);
          else if (r === undefined) p.reject(new Error(`batch returned no result for item ${i}`));
          else p.resolve(r);
        }),
      (e: unknown) => items.forEach((p) => p.reject(e)),
    );
  }
}
