/**
 * `hlp bench …` in a fresh child process: a first run in a process measures differently from a
 * second one in the same process, and the parent's event loop stays free (progress, Ctrl-C).
 * The gate, its paired runs, `hlp baseline record` and the suite measure this way.
 */
import { fileURLToPath } from 'node:url';
import { runCommand, type CommandResult } from '@hlp/procs';
import { SERVICE_NODE_FLAGS, serviceProcessEnv } from '@hlp/service-runtime';

/** The lab's own CLI entry (apps/lab/bin/hlp.js), for measuring in fresh processes. */
export const LAB_BIN = fileURLToPath(new URL('../../../bin/hlp.js', import.meta.url));

export interface BenchChildOptions {
  /** Another checkout's hlp.js (the gate's reference side). */
  readonly bin?: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Each stderr line as it comes (the bench's progress lines). */
  readonly onStderrLine?: (line: string) => void;
  /** Aborting stops the child: SIGTERM, then SIGKILL after killAfterMs. */
  readonly signal?: AbortSignal;
  readonly killAfterMs?: number;
}

/**
 * Runs `hlp bench …args --out <out>` to its end: the exit status and the tail of its output.
 * The child gets the services' malloc tunables (huge pages), so that it measures the code as the
 * services run it; and a fresh 4 KiB page costs ~11 µs on this project's VM class, so whether a
 * case's result buffer came from fresh pages or reused ones decided its time: without them,
 * `ckks.decrypt_decode_batch` medians alternated between ~2.5 and ~5.5 ms from one stretch of a
 * process to the next. It gets the services' Node flags too (a larger first old-generation
 * limit): without them the 1024-token public-key prompt, whose results are ~6 MB of fresh
 * ArrayBuffers a part, ran a mark-compact every ~40 ms in the gate's pairing process, and the
 * pauses landing in one side's parts and not the other's spread its pair ratios by σ 20–27 %;
 * with them, σ 6–7 % (2026-12-08, the same code on both sides).
 */
export function runBenchChild(args: readonly string[], out: string, options: BenchChildOptions = {}): Promise<CommandResult> {
  return runCommand(process.execPath, [...SERVICE_NODE_FLAGS, options.bin ?? LAB_BIN, 'bench', ...args, '--out', out], {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: serviceProcessEnv(options.env ?? process.env),
    ...(options.onStderrLine ? { onStderrLine: options.onStderrLine } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.killAfterMs === undefined ? {} : { killAfterMs: options.killAfterMs }),
  });
}
