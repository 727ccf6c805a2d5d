// Builds the native parts of @hlp/kernels: the Node addon (node-gyp) and the native
// test/benchmark executable (CMake, with CUDA when nvcc is present). Run by the
// package's `build` task so Turborepo caches it; npm 11 runs no install scripts.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const jobs = String(Math.max(1, (await import('node:os')).availableParallelism()));

function run(cmd, args, opts = {}) {
  const started = Date.now();
  process.stderr.write(`[kernels] ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) {
    process.stderr.write(`[kernels] cannot run ${cmd}: ${r.error.message}\n`);
    process.exit(2);
  }
  if (r.status !== 0) process.exit(r.status ?? 1);
  process.stderr.write(`[kernels] done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

// Use the running Node's own headers when they sit beside it (Debian and official
// tarballs both do), so the build never needs the network.
const prefix = dirname(dirname(process.execPath));
const nodedirArgs = existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
const gyp = require.resolve('node-gyp/bin/node-gyp.js');
// binding.gyp expands its source list at configure time, so a new or removed source
// file (or an edited binding.gyp) must trigger a fresh configure.
const sourceDirs = ['core', 'ntt', 'eltwise', 'pool', 'ckks', 'keccak', 'blake2', 'aes', 'binding'].map((d) => join(root, 'native', d));
const sources = sourceDirs
  .filter((d) => existsSync(d))
  .flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith('.cpp'))
      .map((f) => join(d, f)),
  )
  .sort();
const fingerprint = createHash('sha256')
  .update(readFileSync(join(root, 'binding.gyp')))
  .update(sources.join('\n'))
  .digest('hex');
const stamp = join(root, 'build', '.configure-stamp');
const configured = existsSync(join(root, 'build', 'Makefile')) && existsSync(stamp) && readFileSync(stamp, 'utf8') === fingerprint;
if (!configured || process.env.HLP_REBUILD === '1') {
  run(process.execPath, [gyp, 'configure', ...nodedirArgs]);
  writeFileSync(stamp, fingerprint);
}
run(process.execPath, [gyp, 'build', `--jobs=${jobs}`, ...nodedirArgs]);

if (process.env.HLP_SKIP_NATIVE_TESTS === '1') process.exit(0);
const cmake = spawnSync('cmake', ['--version'], { stdio: 'ignore' });
if (cmake.error || cmake.status !== 0) {
  process.stderr.write('[kernels] cmake not found: native test executable not built\n');
  process.exit(0);
}
const nativeBuild = join(root, 'build', 'native');
const cmakeCache = join(nativeBuild, 'CMakeCache.txt');
// build/ is a cached output of this task, so it can be restored from a build made in another
// checkout (a worktree sharing the cache): CMake then refuses the cache of another directory,
// and the native test executables silently stay as they were. Such a build folder starts afresh.
if (existsSync(cmakeCache)) {
  const made = /^CMAKE_CACHEFILE_DIR:INTERNAL=(.*)$/m.exec(readFileSync(cmakeCache, 'utf8'))?.[1];
  if (made !== undefined && resolve(made) !== resolve(nativeBuild)) {
    process.stderr.write(`[kernels] ${nativeBuild} was configured in ${made}: configuring it afresh\n`);
    rmSync(nativeBuild, { recursive: true, force: true });
  }
}
if (!existsSync(cmakeCache)) {
  run('cmake', ['-S', root, '-B', nativeBuild, '-DCMAKE_BUILD_TYPE=Release']);
}
run('cmake', ['--build', nativeBuild, '--parallel', jobs]);
// With nvcc on PATH, CMake also built build/native/libhlp_cuda.so, which the addon dlopens
// on first use of the cuda variant (never linked, so the addon loads without CUDA).
const cudaLib = join(nativeBuild, 'libhlp_cuda.so');
process.stderr.write(
  existsSync(cudaLib) ? `[kernels] cuda variant library: ${cudaLib}\n` : '[kernels] nvcc not found: libhlp_cuda.so not built (cuda variant unavailable)\n',
);
