/**
 * `hlp bench …` in a fresh child process: a first run in a process measures differently from a
 * second one in the same process, and the parent's event loop stays free (progress, Ctrl-C).
 * The gate, its paired runs, `hlp baseline record` and the suite measure this way.
 */
import { fileURLToPath } from 'node:url';
import { runCommand, type CommandResult } from '@hlp/procs';

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

/** Runs `hlp bench …args --out <out>` to its end: the exit status and the tail of its output. */
export function runBenchChild(args: readonly string[], out: string, options: BenchChildOptions = {}): Promise<CommandResult> {
  return runCommand(process.execPath, [options.bin ?? LAB_BIN, 'bench', ...args, '--out', out], {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.onStderrLine ? { onStderrLine: options.onStderrLine } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.killAfterMs === undefined ? {} : { killAfterMs: options.killAfterMs }),
  });
}
