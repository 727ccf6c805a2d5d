// Sums the pass/fail counts of every test runner in a `npm test` log (Node's test
// runner in TAP or spec form, the native test executables, the gated suite) into the one closing line
// CI reads: "N passed, N failed".
import { readFileSync } from 'node:fs';

const log = readFileSync(process.argv[2] ?? 0, 'utf8');
let passed = 0;
let failed = 0;
let runners = 0;
/** The failing tests by name (TAP `not ok` lines, with the turbo task prefix), so that the tail of a CI log says which. */
const failures = [];
for (const line of log.split('\n')) {
  const bad = /^(?:(@[\w/.-]+):test:\s*)?\s*not ok \d+ - (.*)$/.exec(line);
  if (bad) failures.push(`${bad[1] ?? ''} ${bad[2]}`.trim());
  let m = /(?:^|\s)(?:#|ℹ) pass (\d+)\s*$/.exec(line);
  if (m) {
    passed += Number(m[1]);
    runners++;
    continue;
  }
  m = /(?:^|\s)(?:#|ℹ) fail (\d+)\s*$/.exec(line);
  if (m) {
    failed += Number(m[1]);
    continue;
  }
  m = /hlp_(?:kernels_tests|ckks_tests|gate): (\d+) passed, (\d+) failed/.exec(line);
  if (m) {
    passed += Number(m[1]);
    failed += Number(m[2]);
    runners++;
  }
}
if (runners === 0) {
  console.error('test-summary: no test runner output found in the log');
  failed += 1;
}
if (failures.length > 0) {
  console.log(`failing tests (${failures.length}${failures.length > 30 ? ', the first 30' : ''}):`);
  for (const f of failures.slice(0, 30)) console.log(`  not ok: ${f}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
