import { CommanderError } from 'commander';
import type { Io } from './io.js';
import { toLabError } from './errors.js';
import { createProgram } from './program.js';

/** A thrown value that is not an Error, as text: strings as they are, other values as JSON where they have one. */
function describeThrown(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function debugDetail(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    parts.push(current instanceof Error ? (current.stack ?? current.message) : describeThrown(current));
    current = current instanceof Error ? current.cause : undefined;
    if (current !== undefined) parts.push('caused by:');
  }
  return parts.join('\n');
}

/**
 * Runs the hlp CLI and resolves to its exit code: 0 on success (and for --help/--version),
 * 2 for usage and infrastructure errors, 1 for other failures. Errors print one line without
 * a stack trace unless HLP_DEBUG=1.
 */
export async function main(argv: readonly string[] = process.argv, io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has already printed its message (and the help hint)
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      return 2;
    }
    const lab = toLabError(error);
    io.stderr.write(`hlp: error [${lab.code}]: ${lab.message}\n`);
    if (process.env['HLP_DEBUG'] === '1') io.stderr.write(`${debugDetail(error)}\n`);
    else if (lab.code === 'INTERNAL') io.stderr.write('(set HLP_DEBUG=1 for the stack trace)\n');
    return lab.exitCode;
  }
}
