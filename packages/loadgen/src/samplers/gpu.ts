/**
 * GPU utilisation and memory from `nvidia-smi --query-gpu=… --format=csv,noheader,nounits -lms N`
 * while the load runs; not applicable (and reported so) where nvidia-smi is not on PATH.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { startChild, type ChildProcessHandle } from '@hlp/procs';

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
  #child: ChildProcessHandle | undefined;
  #t0 = 0;
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
    const args = [`--query-gpu=${GPU_QUERY}`, '--format=csv,noheader,nounits', '-lms', String(this.#intervalMs)];
    // Every line of its output is a reading or a complaint; none is logged, complaints are kept
    // from its stderr for the result.
    const onLine = (line: string): boolean => {
      const r = parseGpuLine(line);
      if (r) this.#points.push({ t: performance.now() - this.#t0, ...r });
      return false;
    };
    this.#child = startChild(this.#bin, args, { launch: 'shebang', log: { name: 'nvidia-smi', write: () => undefined, onLine } });
  }

  async stop(): Promise<GpuSamples> {
    if (!this.#bin) return { status: 'not-applicable', reason: 'nvidia-smi is not on PATH' };
    const child = this.#child;
    if (child) {
      await child.stop('SIGTERM', 2000);
      const complaint = child.stderr().trim().slice(-500);
      if (complaint) this.#error = complaint;
      else if (child.proc.pid === undefined) this.#error = `${this.#bin} could not be run`;
    }
    return { status: this.#points.length > 0 ? 'ok' : 'failed', points: this.#points, error: this.#error };
  }
}
