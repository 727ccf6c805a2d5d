/**
 * `hlp bench …` in a fresh child process: a first run in a process measures differently from a
 * second one in the same process, and the parent's event loop stays free (progress, Ctrl-C).
 * The gate, its paired runs, `hlp baseline record` and the suite measure this way.
 */
import { fileURLToPath } from 'node:url';
import { runCommand, type CommandResult } from '@hlp/procs';
import { SERVICE_GLIBC_TUNABLES, SERVICE_NODE_FLAGS, missingServiceNodeFlags, missingServiceTunables, serviceProcessEnv } from '@hlp/service-runtime';

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
 * with them, σ 6–10 % in most runs (2026-12-08, the same code on both sides).
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

/**
 * A note for a benchmark measured in a process started without the services' Node flags or
 * malloc tunables (`hlp bench` run directly with plain `node`), or null: its collections and
 * page faults differ from the services' and from the suite's and the gate's children, so its
 * figures are not theirs (the 1024-token public-key prompt paired with a mark-compact every
 * ~40 ms and σ 20–27 % between pairs without the flags, 6–10 % with them).
 */
export function benchRegimeNote(execArgv: readonly string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): string | null {
  const missing = [...missingServiceNodeFlags(execArgv), ...missingServiceTunables(env.GLIBC_TUNABLES).map((t) => `GLIBC_TUNABLES=${t}`)];
  if (missing.length === 0) return null;
  const start = `GLIBC_TUNABLES=${SERVICE_GLIBC_TUNABLES.join(':')} node ${SERVICE_NODE_FLAGS.join(' ')} apps/lab/bin/hlp.js bench …`;
  return `measured without the services' ${missing.join(' ')}: V8 collects and malloc pages differently here than in the services and in hlp suite's and hlp gate's benchmark processes; for their figures start it as ${start}`;
}
