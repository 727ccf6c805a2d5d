/**
 * What every driver records: one call per request outcome, with the request's intended send
 * time (open loop: its slot on the fixed schedule), actual send time and completion time.
 * The collector applies the warm-up, counts outcomes, keeps raw latencies, an HdrHistogram of
 * the measured window, per-second series, and the live once-a-second tick.
 */
import { quantileSorted, type Summary } from '@hlp/results';
import { hdrPercentiles, newHistogram, usOf, type HdrPercentiles } from './hdr.js';

/** Which requests the summary counts. */
export type CountBy =
  /** Closed loop: responses that complete inside the measured window (as wrk and h2load count). */
  | 'completion'
  /** Open loop: requests whose intended send time lies inside the measured window; each has an outcome. */
  | 'schedule';

export interface Tick {
  /** Seconds since the run started (warm-up included). */
  readonly elapsedS: number;
  readonly phase: 'warmup' | 'measure' | 'drain';
  /** Totals since the start (warm-up included). */
  readonly sent: number;
  readonly ok: number;
  readonly errors: number;
  /** non-2xx responses */
  readonly non2xx: number;
  /** Latency percentiles of the 2xx responses of the last second, ms; null when none completed. */
  readonly p50: number | null;
  readonly p95: number | null;
  /** Requests sent and not answered yet. */
  readonly inFlight: number;
}

/** One second of the run, counted from the end of the warm-up (t = 0 ms is the first measured second). */
export interface SecondBucket {
  /** ms since the end of the warm-up, start of the second */
  readonly t: number;
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** 2xx latencies completed in this second, ms */
  readonly latencies: number[];
}

export type { HdrPercentiles } from './hdr.js';

/**
 * Latencies of a run split across driver processes (multi.ts): the summaries come from the
 * drivers' HdrHistograms merged exactly, since raw samples stay in the drivers.
 */
export interface MergedLatencies {
  readonly drivers: number;
  /** Summary of every counted 2xx latency (`latencies` holds only the last ones). */
  readonly latency: Summary | null;
  readonly uncorrected: Summary | null;
  /** Per second of `seconds`: p50/p95/p99 and count of its 2xx latencies, null when none. */
  readonly seconds: readonly ({ readonly p50: number; readonly p95: number; readonly p99: number; readonly n: number } | null)[];
}

export interface Measurement {
  readonly countBy: CountBy;
  /** performance.now() at the start of the measured window (end of the warm-up). */
  readonly windowStart: number;
  /** Length of the measured window, ms. */
  readonly windowMs: number;
  /** Counted requests by outcome. */
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  /** Requests sent during the measured window (any outcome). */
  readonly sent: number;
  /** Counted non-2xx responses by status, and errors by kind (timeout, ECONNRESET, …). */
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly errorKinds: Readonly<Record<string, number>>;
  /** The first few distinct bodies of each non-2xx status (truncated), to tell why. */
  readonly statusDetails: Readonly<Record<string, readonly string[]>>;
  /**
   * 2xx latencies of the counted requests, ms, in completion order (every one; cap when
   * writing). With `merged`: only the last ones each driver kept, interleaved across drivers.
   */
  readonly latencies: readonly number[];
  /** Open loop: 2xx latencies from the actual send, ms (what an uncorrected generator reports). */
  readonly uncorrected: readonly number[] | null;
  /** HdrHistogram (µs resolution, 3 significant digits) of `latencies`, in ms. */
  readonly hdr: HdrPercentiles | null;
  /** Per-second buckets of the measured window and any drain after it. */
  readonly seconds: readonly SecondBucket[];
  /** Requests whose outcome never came (abandoned at the end of a closed loop, or past the drain deadline). */
  readonly unfinished: number;
  /** True when the run was stopped early (signal). */
  readonly aborted: boolean;
  /** Set when several driver processes measured the run: summaries from merged histograms. */
  readonly merged?: MergedLatencies;
}

export interface CollectorOptions {
  /** performance.now() at the start of the run (the warm-up begins here). */
  readonly t0: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly countBy: CountBy;
  /** Record latencies from the actual send too (open loop). */
  readonly uncorrected: boolean;
  readonly onTick?: ((tick: Tick) => void) | undefined;
}

export interface Outcome {
  /** Intended send time (open loop: t0 + i / rate; closed loop: the actual send). */
  readonly intended: number;
  /** When the request actually left the generator. */
  readonly sent: number;
  readonly done: number;
  /** HTTP status, or undefined with `error` set. */
  readonly status?: number;
  /** Start of a non-2xx body. */
  readonly detail?: string | undefined;
  readonly error?: string;
}

/** Distinct non-2xx bodies kept per status. */
const DETAILS_PER_STATUS = 3;

export class Collector {
  readonly #o: CollectorOptions;
  readonly #w: number;
  readonly #e: number;
  #sentTotal = 0;
  #sentWindow = 0;
  #okTotal = 0;
  #errTotal = 0;
  #non2xxTotal = 0;
  #ok = 0;
  #non2xx = 0;
  #errors = 0;
  #unfinished = 0;
  readonly #statusCodes: Record<string, number> = {};
  readonly #errorKinds: Record<string, number> = {};
  readonly #statusDetails: Record<string, string[]> = {};
  readonly #latencies: number[] = [];
  readonly #uncorrected: number[] | null;
  readonly #hdr = newHistogram();
  readonly #interval = newHistogram();
  readonly #seconds: SecondBucket[] = [];
  #timer: NodeJS.Timeout | undefined;
  #draining = false;
  #finished = false;

  constructor(options: CollectorOptions) {
    this.#o = options;
    this.#w = options.t0 + options.warmupMs;
    this.#e = this.#w + options.durationMs;
    this.#uncorrected = options.uncorrected ? [] : null;
  }

  /** End of the warm-up and end of the measured window (performance.now() scale). */
  get windowStart(): number {
    return this.#w;
  }
  get windowEnd(): number {
    return this.#e;
  }

  get inFlight(): number {
    return this.#sentTotal - this.#okTotal - this.#errTotal - this.#non2xxTotal;
  }

  #bucket(t: number): SecondBucket | null {
    if (t < this.#w) return null;
    const k = Math.floor((t - this.#w) / 1000);
    while (this.#seconds.length <= k) this.#seconds.push({ t: this.#seconds.length * 1000, sent: 0, ok: 0, non2xx: 0, errors: 0, latencies: [] });
    return this.#seconds[k]!;
  }

  /** Starts the once-a-second tick (when onTick was given). */
  start(): void {
    if (!this.#o.onTick || this.#timer) return;
    this.#timer = setInterval(() => this.#tick(), 1000);
  }

  /** Marks the phase after the window (open loop waiting for the last answers). */
  draining(): void {
    this.#draining = true;
  }

  #tick(): void {
    const now = performance.now();
    const have = this.#interval.totalCount > 0;
    this.#o.onTick?.({
      elapsedS: Math.round((now - this.#o.t0) / 1000),
      phase: now < this.#w ? 'warmup' : this.#draining || now >= this.#e ? 'drain' : 'measure',
      sent: this.#sentTotal,
      ok: this.#okTotal,
      errors: this.#errTotal,
      non2xx: this.#non2xxTotal,
      p50: have ? this.#interval.getValueAtPercentile(50) / 1000 : null,
      p95: have ? this.#interval.getValueAtPercentile(95) / 1000 : null,
      inFlight: this.inFlight,
    });
    this.#interval.reset();
  }

  /** A request left the generator at `t`. */
  sent(t: number): void {
    if (this.#finished) return;
    this.#sentTotal++;
    if (t >= this.#w && t < this.#e) this.#sentWindow++;
    const b = this.#bucket(t);
    if (b) b.sent++;
  }

  #counted(o: Outcome): boolean {
    const t = this.#o.countBy === 'completion' ? o.done : o.intended;
    return t >= this.#w && (this.#o.countBy === 'completion' ? t <= this.#e : t < this.#e);
  }

  record(o: Outcome): void {
    if (this.#finished) return; // answers after the end (closing connections) change nothing
    const counted = this.#counted(o);
    const b = this.#bucket(o.done);
    if (o.status === undefined) {
      this.#errTotal++;
      if (b) b.errors++;
      if (!counted) return;
      this.#errors++;
      const kind = o.error ?? 'error';
      this.#errorKinds[kind] = (this.#errorKinds[kind] ?? 0) + 1;
      return;
    }
    if (o.status >= 200 && o.status < 300) {
      const latency = o.done - o.intended;
      this.#okTotal++;
      this.#interval.recordValue(usOf(latency));
      if (b) {
        b.ok++;
        b.latencies.push(latency);
      }
      if (!counted) return;
      this.#ok++;
      this.#latencies.push(latency);
      this.#hdr.recordValue(usOf(latency));
      this.#uncorrected?.push(o.done - o.sent);
      return;
    }
    this.#non2xxTotal++;
    if (b) b.non2xx++;
    if (!counted) return;
    this.#non2xx++;
    const code = String(o.status);
    this.#statusCodes[code] = (this.#statusCodes[code] ?? 0) + 1;
    if (o.detail !== undefined) {
      const kept = (this.#statusDetails[code] ??= []);
      if (kept.length < DETAILS_PER_STATUS && !kept.includes(o.detail)) kept.push(o.detail);
    }
  }

  /** Requests of the window that never got an outcome (counted as errors of kind `unfinished`). */
  unfinished(count: number): void {
    if (count <= 0) return;
    this.#unfinished += count;
    if (this.#o.countBy === 'schedule') {
      this.#errors += count;
      this.#errorKinds['unfinished'] = (this.#errorKinds['unfinished'] ?? 0) + count;
    }
  }

  finish(aborted: boolean): Measurement {
    this.#finished = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const hdrOut = hdrPercentiles(this.#hdr);
    return {
      countBy: this.#o.countBy,
      windowStart: this.#w,
      windowMs: this.#o.durationMs,
      ok: this.#ok,
      non2xx: this.#non2xx,
      errors: this.#errors,
      sent: this.#sentWindow,
      statusCodes: { ...this.#statusCodes },
      errorKinds: { ...this.#errorKinds },
      statusDetails: { ...this.#statusDetails },
      latencies: this.#latencies,
      uncorrected: this.#uncorrected,
      hdr: hdrOut,
      seconds: this.#seconds,
      unfinished: this.#unfinished,
      aborted,
    };
  }
}

/** Percentile of a bucket's latencies (ms), or null when empty. */
export function bucketQuantile(bucket: SecondBucket, q: number): number | null {
  if (bucket.latencies.length === 0) return null;
  const sorted = Float64Array.from(bucket.latencies).sort();
  return quantileSorted(sorted, q);
}
