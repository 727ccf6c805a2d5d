/**
 * The reference side of a paired gate: which commit it is (named, or the last commit the gate
 * passed, recorded in the repository, else the first parent), and a built worktree of it that
 * reuses what it can of this checkout (node_modules when the lockfile matches, turbo's cache).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '@hlp/procs';
import { z } from 'zod';
import type { Io } from '../io.js';
import { LabError } from '../errors.js';

/** Where the gate records the last commit it passed (relative to the repository root). */
export const PASS_RECORD = join('baselines', 'gate-pass.json');

const PassRecord = z.object({
  schema: z.literal('hlp.gate-pass/1'),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  date: z.string(),
  suites: z.array(z.string()),
});
type PassRecord = z.infer<typeof PassRecord>;

export interface Exec {
  readonly code: number;
  readonly output: string;
}

/** Runs a command, collecting stdout+stderr (the last 64 KiB). */
export function exec(cmd: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Exec> {
  return runCommand(cmd, args, options);
}

async function git(root: string, args: readonly string[]): Promise<Exec> {
  return exec('git', args, { cwd: root }).catch(() => ({ code: 1, output: '' }));
}

async function commitOf(root: string, ref: string): Promise<string | null> {
  const r = await git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  return r.code === 0 ? r.output.trim().split('\n')[0]! : null;
}

export async function readPassRecord(root: string): Promise<PassRecord | null> {
  const path = join(root, PASS_RECORD);
  if (!existsSync(path)) return null;
  try {
    const parsed = PassRecord.safeParse(JSON.parse(await readFile(path, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Records `commit` as the last one the gate passed; the next `--against auto` compares with it once committed. */
export async function recordPass(root: string, commit: string, suites: readonly string[], now = new Date()): Promise<string> {
  const path = join(root, PASS_RECORD);
  const record: PassRecord = { schema: 'hlp.gate-pass/1', commit, date: now.toISOString(), suites: [...suites] };
  await writeFile(path, `${JSON.stringify(record, null, 2)}\n`, 'utf8');
  return path;
}

export interface Reference {
  readonly commit: string;
  /** How it was chosen, for the report. */
  readonly why: string;
}

/** Whether the working tree differs from HEAD (tracked files). */
export async function isDirty(root: string): Promise<boolean> {
  const r = await git(root, ['status', '--porcelain', '--untracked-files=no']);
  return r.code !== 0 || r.output.trim().length > 0;
}

/**
 * `auto`: the recorded last pass when it is an ancestor of HEAD (and not the candidate itself),
 * else the first parent of HEAD (HEAD itself when the working tree has uncommitted changes:
 * then the candidate is the working tree). Anything else names a commit.
 */
export async function resolveReference(root: string, spec: string): Promise<Reference> {
  const head = await commitOf(root, 'HEAD');
  if (spec !== 'auto') {
    const commit = await commitOf(root, spec);
    if (!commit) throw new LabError('USAGE', `--against ${spec}: not a commit in ${root}`);
    return { commit, why: spec };
  }
  if (!head) throw new LabError('INFRA', `--against auto: ${root} has no HEAD commit`);
  const dirty = await isDirty(root);
  const record = await readPassRecord(root);
  if (record && (record.commit !== head || dirty)) {
    const ancestor = await git(root, ['merge-base', '--is-ancestor', record.commit, head]);
    if (ancestor.code === 0) return { commit: record.commit, why: `the last commit that passed the gate (${PASS_RECORD}, ${record.date.slice(0, 10)})` };
  }
  if (dirty) return { commit: head, why: 'HEAD (the working tree has uncommitted changes)' };
  const parent = await commitOf(root, 'HEAD^1');
  if (!parent) throw new LabError('USAGE', '--against auto: HEAD has no parent and no pass is recorded: name a reference');
  return { commit: parent, why: `the first parent of HEAD${record ? ` (the recorded pass ${record.commit.slice(0, 10)} is not an ancestor)` : ''}` };
}

export interface Worktree {
  readonly tree: string;
  readonly bin: string;
  readonly tmp: string;
  remove(): Promise<void>;
}

async function step(io: Io, title: string, cmd: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<void> {
  const t0 = performance.now();
  io.stderr.write(`gate: ${title} …\n`);
  const r = await exec(cmd, args, options).catch((error: unknown) => {
    throw new LabError('INFRA', `${title}: cannot run ${cmd}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  });
  if (r.code !== 0) throw new LabError('INFRA', `${title} failed (exit ${r.code}):\n${r.output.trim().split('\n').slice(-15).join('\n')}`);
  io.stderr.write(`gate: ${title} done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

/**
 * A detached worktree of `commit`, installed and built. node_modules is hard-linked from this
 * checkout when both lockfiles are equal (workspace links are relative, so they point into the
 * worktree), else `npm ci`; the build shares this checkout's turbo cache, so packages whose
 * inputs did not change (the native kernels, typically) are restored instead of compiled.
 */
export async function prepareWorktree(root: string, commit: string, io: Io): Promise<Worktree> {
  const tmp = await mkdtemp(join(tmpdir(), 'hlp-gate-'));
  const tree = join(tmp, 'tree');
  let added = false;
  const remove = async (): Promise<void> => {
    if (added) {
      const removed = await git(root, ['worktree', 'remove', '--force', tree]);
      if (removed.code !== 0) io.stderr.write(`warning: could not remove the worktree ${tree}: ${removed.output.trim()}\n`);
    }
    await rm(tmp, { recursive: true, force: true });
    await git(root, ['worktree', 'prune']);
  };
  try {
    await step(io, `git worktree add ${commit.slice(0, 10)}`, 'git', ['worktree', 'add', '--detach', tree, commit], { cwd: root });
    added = true;
    const lockHere = existsSync(join(root, 'package-lock.json')) ? await readFile(join(root, 'package-lock.json'), 'utf8') : null;
    const lockThere = existsSync(join(tree, 'package-lock.json')) ? await readFile(join(tree, 'package-lock.json'), 'utf8') : null;
    if (lockHere !== null && lockHere === lockThere && existsSync(join(root, 'node_modules'))) {
      await step(io, 'link node_modules (same lockfile)', 'cp', ['-al', join(root, 'node_modules'), join(tree, 'node_modules')]);
    } else {
      await step(io, 'npm ci in the worktree (the lockfile differs)', 'npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], {
        cwd: tree,
        timeoutMs: 20 * 60_000,
      });
    }
    await step(
      io,
      "build the worktree (turbo, @hlp/lab and its dependencies, sharing this checkout's cache)",
      'npx',
      ['--no-install', 'turbo', 'run', 'build', '--filter=@hlp/lab...', '--output-logs=errors-only', `--cache-dir=${join(root, '.turbo', 'cache')}`],
      { cwd: tree, timeoutMs: 30 * 60_000 },
    );
    const bin = join(tree, 'apps', 'lab', 'bin', 'hlp.js');
    if (!existsSync(bin)) throw new LabError('INFRA', `${commit.slice(0, 10)} has no apps/lab/bin/hlp.js: it cannot run \`hlp bench\``);
    return { tree, bin, tmp, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
