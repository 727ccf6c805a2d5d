import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { link, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { ResultsError, type ResultsIssue } from './errors.js';
import { RunResult } from './schema.js';

/** Nearest ancestor of `from` (itself included) holding a package.json with "workspaces". */
export function findRepoRoot(from: string = process.cwd()): string | null {
  let dir = resolve(from);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
        if (typeof parsed === 'object' && parsed !== null && 'workspaces' in parsed) return dir;
      } catch {
        // unreadable manifest: keep looking upwards
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** `$HLP_RUNS_DIR`, else `<repo root>/runs`, else `<cwd>/runs` outside a repository. */
export function defaultRunsDir(cwd: string = process.cwd()): string {
  const env = process.env['HLP_RUNS_DIR'];
  if (env) return resolve(cwd, env);
  return join(findRepoRoot(cwd) ?? resolve(cwd), 'runs');
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'symbol' ? p.toString() : String(p))).join('.');
}

/** zod issues as `{ path, message }`, the message without zod's "Invalid input: " lead-in. */
export function formatIssues(error: z.ZodError): ResultsIssue[] {
  return error.issues.map((issue) => ({
    path: issuePath(issue.path),
    message: issue.message.replace(/^Invalid input: /, ''),
  }));
}

function invalid(what: string, issues: ResultsIssue[], cause?: unknown): ResultsError {
  const shown = issues.slice(0, 8).map((i) => `${i.path || '(document)'}: ${i.message}`);
  if (issues.length > shown.length) shown.push(`… and ${issues.length - shown.length} more`);
  return new ResultsError('INVALID_RUN', `${what}: ${shown.join('; ')}`, issues, { cause });
}

/** Validates an unknown value as a run document; throws ResultsError INVALID_RUN naming the fields. */
export function parseRun(value: unknown, what = 'invalid run document'): RunResult {
  const parsed = RunResult.safeParse(value);
  if (!parsed.success) throw invalid(what, formatIssues(parsed.error), parsed.error);
  return parsed.data;
}

/**
 * A run document as JSON text: indented two spaces, but arrays of plain numbers (samples,
 * ci95) on one line so that a document with thousands of samples stays readable.
 */
export function stringifyRun(result: RunResult): string {
  const text = JSON.stringify(result, null, 2);
  return `${text.replace(/\[\n\s*(-?[\d.eE+-]+(?:,\n\s*-?[\d.eE+-]+)*)\n\s*\]/g, (_, body: string) => `[${body.replace(/,\n\s*/g, ', ')}]`)}\n`;
}

/** `2025-11-26T13:50:12.345Z` → `20251126T135012Z`. */
export function compactUtc(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/[-:]/g, '');
}

/** Writes JSON to `file` atomically (temporary file in the same directory, then rename). */
async function atomicWrite(file: string, text: string, exclusive: boolean): Promise<boolean> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, text, { encoding: 'utf8', flag: 'wx' });
  try {
    if (!exclusive) {
      await rename(tmp, file);
      return true;
    }
    // link() refuses to replace an existing file, so two runs never overwrite each other.
    try {
      await link(tmp, file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      if (existsSync(file)) return false;
      await rename(tmp, file); // file systems without hard links
      return true;
    }
  } finally {
    await rm(tmp, { force: true });
  }
}

function ioError(action: string, path: string, error: unknown): ResultsError {
  const detail = error instanceof Error ? error.message : String(error);
  return new ResultsError('IO', `cannot ${action} ${path}: ${detail}`, [], { cause: error });
}

/** Validates `result` and writes it to exactly `file` (atomically, replacing it). Returns the absolute path. */
export async function writeRunFile(result: RunResult, file: string): Promise<string> {
  const valid = parseRun(result, 'refusing to write an invalid run document');
  const path = resolve(file);
  try {
    await mkdir(dirname(path), { recursive: true });
    await atomicWrite(path, stringifyRun(valid), false);
  } catch (error) {
    throw ioError('write', path, error);
  }
  return path;
}

/**
 * Validates `result` and writes it as `<dir>/<UTC start, compact>-<suite>.json`
 * (a `~2`, `~3`, … suffix when that name is taken;
 * `~` is outside the suite alphabet, so names stay unambiguous). `dir` defaults to defaultRunsDir().
 * Returns the absolute path written.
 */
export async function writeRun(result: RunResult, dir: string = defaultRunsDir()): Promise<string> {
  const valid = parseRun(result, 'refusing to write an invalid run document');
  const root = resolve(dir);
  const stem = `${compactUtc(new Date(valid.startedAt))}-${valid.suite}`;
  const text = stringifyRun(valid);
  try {
    await mkdir(root, { recursive: true });
    for (let attempt = 1; attempt < 1000; attempt++) {
      const path = join(root, `${stem}${attempt === 1 ? '' : `~${attempt}`}.json`);
      if (await atomicWrite(path, text, true)) return path;
    }
  } catch (error) {
    throw ioError('write a run into', root, error);
  }
  throw new ResultsError('IO', `cannot write a run into ${root}: too many runs named ${stem}`);
}

/** Reads and validates one run document. Invalid JSON or schema → ResultsError INVALID_RUN. */
export async function readRun(path: string): Promise<RunResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw ioError('read', path, error);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ResultsError('INVALID_RUN', `invalid run document ${path}: not JSON (${detail})`, [{ path: '', message: 'not JSON' }], {
      cause: error,
    });
  }
  return parseRun(value, `invalid run document ${path}`);
}

export interface ListRunsOptions {
  /** Only runs of this suite (matched on the file name). */
  readonly suite?: string;
}

/** Absolute paths of the run files in `dir`, oldest first (by name); [] when `dir` does not exist. */
export async function listRuns(dir: string = defaultRunsDir(), options: ListRunsOptions = {}): Promise<string[]> {
  const root = resolve(dir);
  let names: string[];
  try {
    names = await readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw ioError('list', root, error);
  }
  const pattern = /^\d{8}T\d{6}Z-([A-Za-z0-9][A-Za-z0-9._-]*)(?:~\d+)?\.json$/;
  return names
    .filter((name) => {
      const match = pattern.exec(name);
      return match !== null && (options.suite === undefined || match[1] === options.suite);
    })
    .sort()
    .map((name) => join(root, name));
}
