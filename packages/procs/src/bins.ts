/**
 * Where a workspace package's bin script lives, read from its package.json: the lab starts the
 * services as processes of their own and must not import them to find them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export class BinError extends Error {
  readonly code: 'PACKAGE_MISSING' | 'BIN_MISSING';
  constructor(code: BinError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BinError';
    this.code = code;
  }
}

function binsOf(manifest: unknown): Record<string, unknown> {
  if (typeof manifest !== 'object' || manifest === null) return {};
  const bin = (manifest as Record<string, unknown>)['bin'];
  return typeof bin === 'object' && bin !== null ? (bin as Record<string, unknown>) : {};
}

/**
 * Path of `pkg`'s bin `bin`. `pkg` is resolved from `from` (default: this package, which in the
 * workspace finds every sibling through the root node_modules).
 */
export function binOf(pkg: string, bin: string, from: string = import.meta.url): string {
  const require = createRequire(from);
  let manifestPath: string;
  try {
    manifestPath = require.resolve(`${pkg}/package.json`);
  } catch (e) {
    throw new BinError('PACKAGE_MISSING', `${pkg} is not installed (run npm install at the repository root)`, { cause: e });
  }
  const rel = binsOf(JSON.parse(readFileSync(manifestPath, 'utf8')))[bin];
  if (typeof rel !== 'string') throw new BinError('BIN_MISSING', `${pkg} has no bin ${bin}`);
  return join(dirname(manifestPath), rel);
}
