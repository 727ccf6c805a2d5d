/** What both services' command lines share: the usage error and the option readers. */
import { readFileSync } from 'node:fs';

/** A command line the service cannot run with: reported with the usage text, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `--name`'s integer value in [min, max], undefined when the option was not given. @throws UsageError */
export function int(name: string, v: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got ${v}`);
  return Number(v);
}

/** The bytes of a file an option names. @throws UsageError naming the flag when it cannot be read */
export function readText(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`${flag}: cannot read ${path}: ${(e as Error).message}`);
  }
}

/** Resolves with the first SIGINT/SIGTERM's name. */
export function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}
