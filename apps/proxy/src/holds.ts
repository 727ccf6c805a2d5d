/**
 * Reuse of a buffer that several parties may still read: each takes a hold, and the release
 * runs once, after the owner has closed the set and every hold is dropped. A pooled upload
 * buffer is read by each attempt's HTTP/2 stream until that stream closes, which can be after
 * the call has settled (an early answer while the body is still being written).
 */
export class Holds {
  #count = 0;
  #closed = false;
  #released = false;

  constructor(private readonly release: () => void) {}

  /** Takes a hold; the returned function drops it (once; later calls do nothing). */
  hold(): () => void {
    this.#count++;
    let dropped = false;
    return () => {
      if (dropped) return;
      dropped = true;
      this.#count--;
      this.#check();
    };
  }

  /** No more holds will be taken: release as soon as the last one is dropped. */
  close(): void {
    this.#closed = true;
    this.#check();
  }

  get released(): boolean {
    return this.#released;
  }

  #check(): void {
    if (this.#closed && this.#count === 0 && !this.#released) {
      this.#released = true;
      this.release();
    }
  }
}
