/**
 * A text progress bar for long steps, on stderr: `[step 2/5] ckks  [#####-----] 48%  elapsed 0:31  ETA 0:34`.
 * On a TTY it redraws one line; elsewhere it prints a line at most every `everyMs` (and at each step's end).
 */
export interface BarStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

export function clock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

export function renderBar(fraction: number, width = 20): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${String(Math.round(f * 100)).padStart(3)}%`;
}

export class StepBar {
  readonly #out: BarStream;
  readonly #tty: boolean;
  readonly #everyMs: number;
  #index = 0;
  #total = 0;
  #title = '';
  #stepStart = 0;
  #estimateS = 1;
  #fraction = 0;
  #detail = '';
  #lastPrint = 0;

  constructor(out: BarStream, options: { everyMs?: number } = {}) {
    this.#out = out;
    this.#tty = out.isTTY === true;
    this.#everyMs = options.everyMs ?? 5000;
  }

  start(index: number, total: number, title: string, estimateS: number): void {
    this.#index = index;
    this.#total = total;
    this.#title = title;
    this.#stepStart = performance.now();
    this.#estimateS = Math.max(1, estimateS);
    this.#fraction = 0;
    this.#detail = '';
    this.#lastPrint = 0;
    this.#draw(true);
  }

  /** Known fraction of the step (0..1), else the time-based estimate is used. */
  update(fraction: number | null, detail = ''): void {
    if (fraction !== null) this.#fraction = fraction;
    this.#detail = detail;
    this.#draw(false);
  }

  line(): string {
    const elapsed = (performance.now() - this.#stepStart) / 1000;
    const f = this.#fraction > 0 ? this.#fraction : Math.min(0.95, elapsed / this.#estimateS);
    const eta = f > 0.02 ? (elapsed / f) * (1 - f) : this.#estimateS - elapsed;
    return `[step ${this.#index}/${this.#total}] ${this.#title.padEnd(18)} ${renderBar(f)}  elapsed ${clock(elapsed)}  ETA ${clock(eta)}${this.#detail ? `  ${this.#detail}` : ''}`;
  }

  #draw(force: boolean): void {
    const now = performance.now();
    if (this.#tty) {
      this.#out.write(`\r\x1b[K${this.line()}`);
      return;
    }
    if (force || now - this.#lastPrint >= this.#everyMs) {
      this.#lastPrint = now;
      this.#out.write(`${this.line()}\n`);
    }
  }

  done(outcome: string): void {
    const elapsed = (performance.now() - this.#stepStart) / 1000;
    this.#out.write(`${this.#tty ? '\r\x1b[K' : ''}[step ${this.#index}/${this.#total}] ${this.#title.padEnd(18)} ${outcome} in ${clock(elapsed)}\n`);
  }
}
