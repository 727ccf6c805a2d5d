/**
 * GPU utilisation and memory from `nvidia-smi --query-gpu=… --format=csv,noheader,nounits -lms N`
 * while the load runs; not applicable (and reported so) where nvidia-smi is not on PATH.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const GPU_QUERY = 'index,utilization.gpu,memory.used,memory.total';

export function findOnPath(binary: string): string | null {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return join(dir, binary);
    } catch {
      // not here
    }
  }
  return null;
}

export interface GpuReading {
  readonly gpu: number;
  /** 0 … 1 */
  readonly utilization: number;
  readonly memoryUsedBytes: number;
  readonly memoryTotalBytes: number;
}

/** One line of `--query-gpu=index,utilization.gpu,memory.used,memory.total --format=csv,noheader,nounits` (MiB). */
export function parseGpuLine(line: string): GpuReading | null {
  const f = line.split(',').map((x) => Number(x.trim()));
  if (f.length < 4 || f.some((x) => !Number.isFinite(x))) return null; // "[N/A]" and the like
  return { gpu: f[0]!, utilization: f[1]! / 100, memoryUsedBytes: f[2]! * 1024 * 1024, memoryTotalBytes: f[3]! * 1024 * 1024 };
}

export interface GpuPoint extends GpuReading {
  readonly t: number;
}

export type GpuSamples =
  | { readonly status: 'not-applicable'; readonly reason: string }
  | { readonly status: 'ok' | 'failed'; readonly points: GpuPoint[]; readonly error: string | null };

export class GpuSampler {
  readonly #bin: string | null;
  readonly #intervalMs: number;
  #child: ChildProcess | undefined;
  #t0 = 0;
  #buffer = '';
  #error: string | null = null;
  readonly #points: GpuPoint[] = [];

  constructor(options: { intervalMs?: number; binary?: string | null } = {}) {
    this.#bin = options.binary === undefined ? findOnPath('nvidia-smi') : options.binary;
    this.#intervalMs = options.intervalMs ?? 250;
  }

  get applicable(): boolean {
    return this.#bin !== null;
  }

  start(): void {
    if (!this.#bin || this.#child) return;
    this.#t0 = performance.now();
    const child = spawn(this.#bin, [`--query-gpu=${GPU_QUERY}`, '--format=csv,noheader,nounits', '-lms', String(this.#intervalMs)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    child.on('error', (e) => (this.#error = e.message));
    child.stderr?.on('data', (d: Buffer) => (this.#error = d.toString('utf8').trim().slice(0, 500) || this.#error));
    child.stdout?.on('data', (d: Buffer) => {
      this.#buffer += d.toString('utf8');
      let nl: number;
      while ((nl = this.#buffer.indexOf('\n')) >= 0) {
        const line = this.#buffer.slice(0, nl);
        this.#buffer = this.#buffer.slice(nl + 1);
        const r = parseGpuLine(line);
        if (r) this.#points.push({ t: performance.now() - this.#t0, ...r });
      }
    });
  }

  async stop(): Promise<GpuSamples> {
    if (!this.#bin) return { status: 'not-applicable', reason: 'nvidia-smi is not on PATH' };
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000).unref())]);
    }
    return { status: this.#points.length > 0 ? 'ok' : 'failed', points: this.#points, error: this.#error };
  }
}
