// Runs the native test executable (no Node in the loop); part of `npm test`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'build', 'native', 'hlp_kernels_tests');
if (!existsSync(bin)) {
  process.stderr.write(`[kernels] ${bin} missing (cmake unavailable?): native tests skipped\n`);
  process.exit(0);
}
const r = spawnSync(bin, ['--quick'], { stdio: 'inherit' });
// The CKKS core's tests (native/tests/ckks_tests.cpp) run after the kernel tests.
const ckksBin = join(dirname(bin), 'hlp_ckks_tests');
let ckksStatus = 0;
if (existsSync(ckksBin)) {
  ckksStatus = spawnSync(ckksBin, ['--quick'], { stdio: 'inherit' }).status ?? 1;
} else {
  process.stderr.write(`[kernels] ${ckksBin} missing: CKKS native tests skipped\n`);
}
process.exit((r.status ?? 1) !== 0 ? (r.status ?? 1) : ckksStatus);
