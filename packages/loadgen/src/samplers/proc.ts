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
  /** The process named first; `pids` lists every process the series sums. */
  readonly pid: number;
  readonly pids: number[];
  readonly points: ProcPoint[];
  /** Why sampling stopped early (the first process gone), if it did. */
  error: string | null;
}

export interface ProcSamplerOptions {
  /** Sample period, ms (default 250: 4 Hz). */
  readonly intervalMs?: number;
  /** Cores the CPU share is divided by (default: os.availableParallelism()). */
  readonly cores?: number;
}

interface Member {
  readonly pid: number;
  /** utime + stime at its last reading; null before its first. */
  ticks: number | null;
}

interface Watched {
  readonly series: ProcSeries;
  readonly members: Member[];
  /** When the series last got a point (or its baseline). */
  lastWall: number | null;
}

/**
 * Samples CPU share and RSS of each process every `intervalMs` until stop(). A series may sum
 * several processes (`join`): the load generator is this process and its driver processes,
 * which start after sampling does.
 */
export class ProcSampler {
  readonly #watched: Watched[];
  readonly #intervalMs: number;
  readonly #cores: number;
  readonly #tck = clockTicks();
  #timer: NodeJS.Timeout | undefined;
  #t0 = 0;

  constructor(processes: readonly ProcessToWatch[], options: ProcSamplerOptions = {}) {
    this.#watched = processes.map((p) => ({
      series: { name: p.name, pid: p.pid, pids: [p.pid], points: [], error: null },
      members: [{ pid: p.pid, ticks: null }],
      lastWall: null,
    }));
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
    for (const w of this.#watched) this.#read(w);
    this.#timer = setInterval(() => {
      for (const w of this.#watched) this.#read(w);
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /**
   * Adds process `pid` to the series `name` (a new series when there is none): its CPU counts
   * from its first reading on, and its RSS is added to the series'. A joined process that exits
   * leaves the series; the series goes on with the others.
   */
  join(name: string, pid: number): void {
    const w = this.#watched.find((x) => x.series.name === name);
    if (!w) {
      this.#watched.push({ series: { name, pid, pids: [pid], points: [], error: null }, members: [{ pid, ticks: null }], lastWall: null });
      return;
    }
    if (w.members.some((m) => m.pid === pid)) return;
    w.members.push({ pid, ticks: null });
    w.series.pids.push(pid);
  }

  #read(w: Watched): void {
    const s = w.series;
    if (s.error) return;
    const wall = performance.now();
    let cpuMs = 0;
    let rss = 0;
    for (const m of [...w.members]) {
      let stat: ProcStat;
      try {
        stat = parseProcStat(readFileSync(`/proc/${m.pid}/stat`, 'utf8'));
        rss += parseRssBytes(readFileSync(`/proc/${m.pid}/status`, 'utf8')) ?? 0;
      } catch (e) {
        if (m === w.members[0]) {
          s.error = `pid ${m.pid}: ${e instanceof Error ? e.message : String(e)}`;
          return;
        }
        w.members.splice(w.members.indexOf(m), 1);
        continue;
      }
      if (m.ticks !== null) cpuMs += ((stat.cpuTicks - m.ticks) / this.#tck) * 1000;
      m.ticks = stat.cpuTicks;
    }
    const last = w.lastWall;
    w.lastWall = wall;
    if (last === null || wall <= last) return;
    const cpu = cpuMs / (wall - last) / this.#cores;
    s.points.push({ t: wall - this.#t0, cpu, cpuMs, rss });
  }

  /** Stops sampling (one last reading first) and returns the series. */
  stop(): ProcSeries[] {
    if (this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      for (const w of this.#watched) this.#read(w);
    }
    return this.#watched.map((w) => w.series);
  }
}
