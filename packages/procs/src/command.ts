/** A command run to its end: the exit status and the tail of its output, for one-shot children. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface CommandOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** SIGTERM once this long has passed. */
  readonly timeoutMs?: number;
  /** SIGTERM when aborted. */
  readonly signal?: AbortSignal;
  /** SIGKILL this long after a SIGTERM sent for the timeout or the abort (default: none). */
  readonly killAfterMs?: number;
  /** Every line of stderr as it arrives (progress). */
  readonly onStderrLine?: (line: string) => void;
  /** How much of stdout+stderr to keep (default 64 KiB). */
  readonly keepBytes?: number;
}

export interface CommandResult {
  /** The exit code; 128 when a signal ended it. */
  readonly code: number;
  /** The last `keepBytes` of stdout and stderr, interleaved as they came. */
  readonly output: string;
  /** The last `keepBytes` of stdout alone (for commands whose output is parsed). */
  readonly stdout: string;
  /** The last `keepBytes` of stderr alone. */
  readonly stderr: string;
}

/**
 * The last `limit` bytes of a stream, kept as chunks: appending is O(chunk), so a command that
 * writes megabytes costs no quadratic string copying, and the text is decoded once at the end.
 */
class Tail {
  readonly #limit: number;
  readonly #chunks: Buffer[] = [];
  #bytes = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    while (this.#chunks.length > 1 && this.#bytes - this.#chunks[0]!.length >= this.#limit) this.#bytes -= this.#chunks.shift()!.length;
  }

  text(): string {
    const all = Buffer.concat(this.#chunks);
    return all.subarray(Math.max(0, all.length - this.#limit)).toString('utf8');
  }
}

/** Runs `cmd args…` (stdin closed) to its end; rejects only when it cannot be spawned. */
export function runCommand(cmd: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  const keepBytes = options.keepBytes ?? 65536;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = new Tail(keepBytes);
    const stdout = new Tail(keepBytes);
    const stderr = new Tail(keepBytes);
    child.stdout.on('data', (chunk: Buffer) => {
      output.push(chunk);
      stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output.push(chunk);
      stderr.push(chunk);
    });
    if (options.onStderrLine) createInterface({ input: child.stderr }).on('line', options.onStderrLine);
    const terminate = (): void => {
      child.kill('SIGTERM');
      if (options.killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), options.killAfterMs).unref();
    };
    const timer = options.timeoutMs ? setTimeout(terminate, options.timeoutMs) : undefined;
    options.signal?.addEventListener('abort', terminate, { once: true });
    const settle = (): void => {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', terminate);
    };
    child.on('error', (error) => {
      settle();
      reject(error);
    });
    child.on('close', (code, signal) => {
      settle();
      resolve({ code: code ?? (signal ? 128 : 1), output: output.text(), stdout: stdout.text(), stderr: stderr.text() });
    });
  });
}
