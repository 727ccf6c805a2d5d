/** Running the system tools the cluster is made of (ip, tc, nft, haproxy), with typed failures. */
import { execFile, spawnSync } from 'node:child_process';
import { ClusterError } from './errors.js';

export interface ShResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command without a shell; non-zero exit is COMMAND_FAILED unless `allowFail`. */
export function sh(cmd: string, args: readonly string[], options: { allowFail?: boolean; timeoutMs?: number } = {}): Promise<ShResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], { timeout: options.timeoutMs ?? 30_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 127) : 0;
      const result = { code, stdout: String(stdout), stderr: String(stderr) };
      if (code !== 0 && !options.allowFail) {
        const why = result.stderr.trim() || (error?.message ?? '').trim();
        reject(new ClusterError('COMMAND_FAILED', `${cmd} ${args.join(' ')}: ${why.slice(0, 400)}`, { cause: error }));
        return;
      }
      resolve(result);
    });
  });
}

/** `ip netns exec NS cmd …` */
export function inNetns(netns: string, cmd: string, args: readonly string[], options: { allowFail?: boolean } = {}): Promise<ShResult> {
  return sh('ip', ['netns', 'exec', netns, cmd, ...args], options);
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' }).status === 0;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
