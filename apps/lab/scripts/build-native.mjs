// Builds the lab's one native helper, hlp-packet-delay (native/packet-delay.c: the cluster's link
// delay where the kernel has no netem), into build/. Without a C compiler the build goes on and
// says so: `hlp cluster` then reports the delay as not applied and why.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'native', 'packet-delay.c');
const output = join(root, 'build', 'hlp-packet-delay');
const cc = process.env.CC || 'cc';

if (process.platform !== 'linux') {
  console.log(`[lab] hlp-packet-delay not built: netfilter queues are Linux only (${process.platform})`);
  process.exit(0);
}
if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.log(`[lab] hlp-packet-delay not built: no C compiler (${cc}); hlp cluster will report its delay as not applied`);
  process.exit(0);
}
mkdirSync(dirname(output), { recursive: true });
execFileSync(cc, ['-O2', '-std=c11', '-Wall', '-Wextra', '-Werror', '-o', output, source], { stdio: 'inherit' });
console.log(`[lab] built ${output}`);
