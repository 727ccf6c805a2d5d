/**
 * `node dashboards/dist/src/generate.js [--check] [--out dir]`: writes every dashboard to
 * dashboards/generated/*.json; with --check, writes nothing and exits 1 when a file is stale.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAll } from './dashboards.js';

/** dashboards/generated, next to this package's dist/. */
export const GENERATED_DIR = fileURLToPath(new URL('../../generated/', import.meta.url));

export interface Staleness {
  readonly file: string;
  readonly status: 'ok' | 'stale' | 'missing';
}

/** Compares the dashboards generated in memory with the files in `dir`. */
export async function checkGenerated(dir: string = GENERATED_DIR): Promise<Staleness[]> {
  const out: Staleness[] = [];
  for (const [file, text] of renderAll()) {
    let current: string | null = null;
    try {
      current = await readFile(join(dir, file), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    out.push({ file, status: current === null ? 'missing' : current === text ? 'ok' : 'stale' });
  }
  return out;
}

export async function writeGenerated(dir: string = GENERATED_DIR): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [file, text] of renderAll()) {
    const path = join(dir, file);
    await writeFile(path, text, 'utf8');
    written.push(path);
  }
  return written;
}

async function cli(argv: readonly string[]): Promise<number> {
  const check = argv.includes('--check');
  const outAt = argv.indexOf('--out');
  const dir = outAt >= 0 && argv[outAt + 1] ? resolve(argv[outAt + 1]!) : GENERATED_DIR;
  if (check) {
    const results = await checkGenerated(dir);
    const bad = results.filter((r) => r.status !== 'ok');
    for (const r of results) process.stdout.write(`${r.status.padEnd(7)} ${join(dir, r.file)}\n`);
    if (bad.length > 0) process.stderr.write('dashboards are stale: run `npm run dashboards`\n');
    return bad.length > 0 ? 1 : 0;
  }
  for (const path of await writeGenerated(dir)) process.stdout.write(`wrote ${path}\n`);
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await cli(process.argv.slice(2));
}
