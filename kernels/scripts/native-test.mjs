// Runs the native test executables (no Node in the loop); part of `npm test`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const nativeBuild = join(dirname(fileURLToPath(import.meta.url)), '..', 'build', 'native');
// The kernel tests first, then the CKKS core's (native/tests/ckks/).
const bins = ['hlp_kernels_tests', 'hlp_ckks_tests'].map((name) => join(nativeBuild, name));
// A missing executable fails the step: skipping it would let `npm test` pass with no native test run.
const missing = bins.filter((bin) => !existsSync(bin));
if (missing.length > 0) {
  for (const bin of missing) process.stderr.write(`[kernels] native test executable ${bin} missing\n`);
  process.stderr.write('[kernels] `npm run build -w @hlp/kernels` builds it (it needs cmake and a C++ compiler)\n');
  process.exit(1);
}
let status = 0;
for (const bin of bins) {
  const r = spawnSync(bin, ['--quick'], { stdio: 'inherit' });
  if (r.error) process.stderr.write(`[kernels] cannot run ${bin}: ${r.error.message}\n`);
  if (status === 0) status = r.status ?? 1;
}
process.exit(status);
