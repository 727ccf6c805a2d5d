/**
 * CPU share and resident memory of processes from /proc (Linux), sampled beside the load.
 * CPU share = Δ(utime + stime) / Δwall / cores: a fraction of the whole machine, so 0.5 on a
 * 2-core machine is one core busy.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

export interface ProcStat {
  /** utime + stime, clock ticks */
  readonly cpuTicks: number;
}

/** Parses /proc/<pid>/stat (the command name may hold spaces and parentheses: split after the last ')'). */
export function parseProcStat(text: string): ProcStat {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error('malformed /proc/<pid>/stat: no command name');
  // Fields after the name start at field 3 (state); utime and stime are fields 14 and 15.
  const fields = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('malformed /proc/<pid>/stat: utime/stime');
  return { cpuTicks: utime + stime };
}

/** VmRSS of /proc/<pid>/status, bytes (null for a kernel thread or a zombie without one). */
export function parseRssBytes(statusText: string): number | null {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(statusText);
  return m ? Number(m[1]) * 1024 : null;
}

let clkTck: number | undefined;
/** Clock ticks per second (getconf CLK_TCK; 100 on every Linux we run on when getconf is absent). */
export function clockTicks(): number {
  if (clkTck === undefined) {
    try {
      const v = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim());
      clkTck = Number.isInteger(v) && v > 0 ? v : 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

export interface ProcessToWatch {
  /** Label value, e.g. proxy or inference. */
  readonly name: string;
  readonly pid: number;
}

export interface ProcPoint {
  /** ms since the sampler started */
  readonly t: number;
  readonly cpu: number;
  /** CPU time the process used since the previous point, ms (all its threads). */
  readonly cpuMs: number;
  readonly rss: number;
}

export interface ProcSeries {
  readonly name: string;
  readonly pid: number;
  readonly points: ProcPoint[];
  /** Why sampling stopped early (process gone), if it did. */
  error: string | null;
}

export interface ProcSamplerOptions {
  /** Sample period, ms (default 250: 4 Hz). */
  readonly intervalMs?: number;
  /** Cores the CPU share is divided by (default: os.availableParallelism()). */
  readonly cores?: number;
}

/** Samples CPU share and RSS of each process every `intervalMs` until stop(). */
export class ProcSampler {
  readonly #series: ProcSeries[];
  readonly #intervalMs: number;
  readonly #cores: number;
  readonly #tck = clockTicks();
  #timer: NodeJS.Timeout | undefined;
  #t0 = 0;
  readonly #last = new Map<number, { wall: number; ticks: number }>();

  constructor(processes: readonly ProcessToWatch[], options: ProcSamplerOptions = {}) {
    this.#series = processes.map((p) => ({ name: p.name, pid: p.pid, points: [], error: null }));
    this.#intervalMs = options.intervalMs ?? 250;
    this.#cores = options.cores ?? availableParallelism();
  }

  /** Whether /proc can be read here (Linux). */
  static available(): boolean {
    try {
      readFileSync('/proc/self/stat', 'utf8');
      return true;
    } catch {
      return false;
    }
  }

  start(): void {
    if (this.#timer) return;
    this.#t0 = performance.now();
    for (const s of this.#series) this.#read(s, true);
    this.#timer = setInterval(() => {
      for (const s of this.#series) this.#read(s, false);
    }, this.#intervalMs);
    this.#timer.unref();
  }

  #read(s: ProcSeries, first: boolean): void {
    if (s.error) return;
    let stat: ProcStat;
    let rss: number | null;
    const wall = performance.now();
    try {
      stat = parseProcStat(readFileSync(`/proc/${s.pid}/stat`, 'utf8'));
      rss = parseRssBytes(readFileSync(`/proc/${s.pid}/status`, 'utf8'));
    } catch (e) {
      s.error = `pid ${s.pid}: ${e instanceof Error ? e.message : String(e)}`;
      return;
    }
    const last = this.#last.get(s.pid);
    this.#last.set(s.pid, { wall, ticks: stat.cpuTicks });
    if (first || !last || wall <= last.wall) return;
    const cpuSeconds = (stat.cpuTicks - last.ticks) / this.#tck;
    const cpu = cpuSeconds / ((wall - last.wall) / 1000) / this.#cores;
    s.points.push({ t: wall - this.#t0, cpu, cpuMs: cpuSeconds * 1000, rss: rss ?? 0 });
  }

  /** Stops sampling (one last reading first) and returns the series. */
  stop(): ProcSeries[] {
    if (this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      for (const s of this.#series) this.#read(s, false);
    }
    return this.#series;
  }
}
