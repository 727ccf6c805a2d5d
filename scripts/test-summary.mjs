// Sums the pass/fail counts of every test runner in a `npm test` log (Node's test
// runner in TAP or spec form, the native test executables, the merge gate, the lint check) into the one
// closing line CI reads: "N passed, N failed".
import { readFileSync } from 'node:fs';

const log = readFileSync(process.argv[2] ?? 0, 'utf8');
let passed = 0;
let failed = 0;
let runners = 0;
/**
 * The failing tests: name (with the turbo task prefix) and the first lines of the runner's
 * `error:` entry, so that the tail of a CI log says which test failed and why. Suites whose only
 * failure is a failing subtest are left out: the subtest is listed.
 */
const failures = [];
const lines = log.split('\n');
const strip = (l) => l.replace(/^@[\w/.-]+:test:\s?/, '');
for (const [i, line] of lines.entries()) {
  const bad = /^(?:(@[\w/.-]+):test:\s*)?\s*not ok \d+ - (.*)$/.exec(line);
  if (!bad) continue;
  const why = failureDetail(lines, i + 1);
  if (why.subtests) continue;
  failures.push({ name: `${bad[1] ?? ''} ${bad[2]}`.trim(), error: why.error });
}
/** Reads the YAML block after a `not ok` line: its failureType and up to 12 lines of its error. */
function failureDetail(all, from) {
  const error = [];
  let subtests = false;
  let inError = -1;
  for (let j = from; j < Math.min(all.length, from + 200); j++) {
    const l = strip(all[j]);
    const indent = l.length - l.trimStart().length;
    if (/^\s*\.\.\.\s*$/.test(l) || /^\s*(not )?ok \d+ /.test(l)) break;
    if (/failureType: 'subtestsFailed'/.test(l)) subtests = true;
    const key = /^(\s*)error: ?(.*)$/.exec(l);
    if (key) {
      inError = key[1].length;
      if (key[2] && key[2] !== '|-' && key[2] !== '|' && key[2] !== '>-') error.push(key[2]);
      continue;
    }
    if (inError >= 0) {
      if (l.trim() !== '' && indent <= inError) inError = -1;
      else if (error.length < 12 && l.trim() !== '') error.push(l.trim());
    }
  }
  return { subtests, error };
}
for (const line of lines) {
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
  m = /(?:hlp_(?:kernels_tests|ckks_tests|gate)|^lint): (\d+) passed, (\d+) failed/.exec(line);
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
  for (const f of failures.slice(0, 30)) {
    console.log(`  not ok: ${f.name}`);
    for (const e of f.error) console.log(`      ${e.length > 200 ? `${e.slice(0, 200)}…` : e}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
