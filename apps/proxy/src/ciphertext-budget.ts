/**
 * The bound on the proxy's memory: ciphertexts in flight (encrypted, uploading, awaiting their
 * results, being decrypted) may not exceed a budget. A level-1 ciphertext at n = 8192 is about
 * a quarter of a megabyte and lives in several copies (native, serialized, sent), so 256 admitted
 * requests of a thousand tokens each would want tens of gigabytes; with the budget, batches past
 * it wait their turn (first come, first served, so a large one is never starved by small ones)
 * instead of all allocating at once.
 */
export class CiphertextBudget {
  #free: number;
  readonly #queue: { need: number; grant: () => void }[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`the ciphertext budget must be a positive integer, got ${capacity}`);
    this.#free = capacity;
  }

  /** Ciphertexts not held now. */
  get free(): number {
    return this.#free;
  }

  /** Batches waiting for budget. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Waits until `count` ciphertexts fit (a count above the capacity waits for all of it: such a
   * batch runs alone) and resolves with the function that gives them back, exactly once.
   */
  async acquire(count: number): Promise<() => void> {
    const need = Math.min(Math.max(1, Math.ceil(count)), this.capacity);
    if (this.#queue.length === 0 && this.#free >= need) this.#free -= need;
    else await new Promise<void>((grant) => this.#queue.push({ need, grant }));
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#free += need;
      this.#drain();
    };
  }

  #drain(): void {
    while (this.#queue.length > 0 && this.#free >= this.#queue[0]!.need) {
      const next = this.#queue.shift()!;
      this.#free -= next.need;
      next.grant();
    }
  }
}
