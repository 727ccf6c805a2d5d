/** `hlp` in a child process, as a user runs it: for the tests that check the CLI end to end. */
import { fileURLToPath } from 'node:url';
import { runCommand } from '@hlp/procs';

export const HLP_BIN = fileURLToPath(new URL('../../bin/hlp.js', import.meta.url));

export interface HlpRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface HlpRunOptions {
  /** Over this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/**
 * Runs `hlp args…` to its end. A run that outlives `timeoutMs` is ended by a signal and answers
 * code 128, which no test takes for success; rejects only when Node cannot be spawned.
 */
export async function runHlp(args: readonly string[], options: HlpRunOptions = {}): Promise<HlpRun> {
  const run = await runCommand(process.execPath, [HLP_BIN, ...args], {
    env: { ...process.env, ...options.env },
    timeoutMs: options.timeoutMs ?? 120_000,
    killAfterMs: 5_000,
    keepBytes: 256 << 20,
  });
  return { code: run.code, stdout: run.stdout, stderr: run.stderr };
}
