/** Running the system tools the cluster is made of (ip, tc, nft, haproxy), with typed failures. */
import { runCommand } from '@hlp/procs';
import { ClusterError } from './errors.js';

export interface ShResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command without a shell; non-zero exit is COMMAND_FAILED unless `allowFail`. */
export async function sh(cmd: string, args: readonly string[], options: { allowFail?: boolean; timeoutMs?: number } = {}): Promise<ShResult> {
  let result: ShResult;
  try {
    const run = await runCommand(cmd, args, { timeoutMs: options.timeoutMs ?? 30_000, killAfterMs: 5_000, keepBytes: 16 << 20 });
    result = { code: run.code, stdout: run.stdout, stderr: run.stderr };
  } catch (error) {
    // Not spawned at all (missing binary): the shell's "command not found" status.
    result = { code: 127, stdout: '', stderr: error instanceof Error ? error.message : String(error) };
  }
  if (result.code !== 0 && !options.allowFail) {
    throw new ClusterError('COMMAND_FAILED', `${cmd} ${args.join(' ')}: ${(result.stderr.trim() || `exit status ${result.code}`).slice(0, 400)}`);
  }
  return result;
}

/** `ip netns exec NS cmd …` */
export function inNetns(netns: string, cmd: string, args: readonly string[], options: { allowFail?: boolean } = {}): Promise<ShResult> {
  return sh('ip', ['netns', 'exec', netns, cmd, ...args], options);
}

export { hasCommand } from '@hlp/procs';

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
