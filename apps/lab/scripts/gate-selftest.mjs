#!/usr/bin/env node
/**
 * Self-test of the merge gate: runs `hlp gate --against self` (both sides this checkout, so the
 * truth is known) repeatedly and counts its verdicts.
 *
 *   aa       nothing changed (kernels): a regression is a false alarm; also counts inconclusive series
 *   aa-ci    nothing changed, the CI profile's kernels and ckks steps (as .ci/run gates them)
 *   aa-ckks  nothing changed (ckks, native, n = 8192): an improvement is as false as a regression
 *   kernel20 HLP_BENCH_SLOWDOWN ntt.forward ×1.2 on the candidate: must be caught
 *   ckks20   ckks.prompt_encrypt ×1.2 on the candidate: must be caught
 *   add20    ckks.add ×1.2 on the candidate (its inputs change every slice, so its pairs scatter most): must be caught
 *   rotate20 ckks.rotate ×1.2 on the candidate (key switching, 36 ms slices of a few calls each): must be caught
 *   slow5    ntt.forward ×1.05: must never be called a regression (the threshold is 10 %)
 *
 * node apps/lab/scripts/gate-selftest.mjs [--cases aa,kernel20,ckks20,slow5] [--runs 10] [--neighbour]
 * --neighbour runs `stress-ng --cpu 1` beside each gate run, bounded by the run's own time.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HLP = fileURLToPath(new URL('../bin/hlp.js', import.meta.url));
const KERNELS = ['--suite', 'kernels', '--bench-args', '--quick --n 8192 --bits 50 --no-alloc'];
const CKKS = ['--suite', 'ckks', '--bench-args', '--backend native --n 8192 --threads 1 --quick'];
const CASES = {
  aa: { gate: KERNELS, slowdown: null, watch: null, expect: 'pass' },
  'aa-ci': { gate: ['--profile', 'ci'], slowdown: null, watch: null, expect: 'pass' },
  'aa-ckks': { gate: CKKS, slowdown: null, watch: null, expect: 'pass' },
  kernel20: { gate: KERNELS, slowdown: 'ntt.forward:1.2', watch: 'ntt.forward', expect: 'caught' },
  ckks20: { gate: CKKS, slowdown: 'ckks.prompt_encrypt:1.2', watch: 'ckks.prompt_encrypt', expect: 'caught' },
  add20: { gate: CKKS, slowdown: 'ckks.add:1.2', watch: 'ckks.add', expect: 'caught' },
  rotate20: { gate: CKKS, slowdown: 'ckks.rotate:1.2', watch: 'ckks.rotate', expect: 'caught' },
  slow5: { gate: KERNELS, slowdown: 'ntt.forward:1.05', watch: 'ntt.forward', expect: 'never' },
};

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: 'aa,aa-ckks,kernel20,ckks20,slow5' },
    runs: { type: 'string', default: '10' },
    neighbour: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 100) {
  console.error('--runs must be an integer from 1 to 100');
  process.exit(2);
}
const names = values.cases.split(',').filter(Boolean);
for (const n of names)
  if (!(n in CASES)) {
    console.error(`unknown case ${n}; cases: ${Object.keys(CASES).join(', ')}`);
    process.exit(2);
  }

function run(cmd, args, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr = (stderr + c).slice(-4000)));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** JSON reports on stdout, one per gated suite (pretty-printed, concatenated). */
function reportsOf(text) {
  const out = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === '}') {
      depth--;
      if (depth === 0 && start >= 0) out.push(JSON.parse(text.slice(start, i + 1)));
    }
  }
  return out.filter((r) => r.schema === 'hlp.gate/1');
}

const tally = [];
for (const name of names) {
  const c = CASES[name];
  const t = {
    name,
    neighbour: values.neighbour,
    runs: 0,
    fail: 0,
    caught: 0,
    falseRegressions: 0,
    falseImprovements: 0,
    series: 0,
    inconclusive: 0,
    seconds: [],
    pairSd: [],
    mde: [],
  };
  for (let i = 1; i <= runs; i++) {
    const dir = await mkdtemp(join(tmpdir(), 'hlp-selftest-'));
    const env = { ...process.env, HLP_RUNS_DIR: dir };
    if (c.slowdown) env.HLP_BENCH_SLOWDOWN = c.slowdown;
    else delete env.HLP_BENCH_SLOWDOWN;
    const neighbour = values.neighbour ? spawn('stress-ng', ['--cpu', '1', '--timeout', '900s', '--quiet'], { stdio: 'ignore' }) : null;
    const t0 = performance.now();
    const r = await run(process.execPath, [HLP, 'gate', '--against', 'self', ...c.gate, '--json', '--no-history', '--no-targets'], env);
    neighbour?.kill('SIGTERM');
    const seconds = (performance.now() - t0) / 1000;
    await rm(dir, { recursive: true, force: true });
    let reports;
    try {
      reports = reportsOf(r.stdout);
    } catch {
      reports = [];
    }
    if (reports.length === 0) {
      console.error(`${name} ${i}/${runs}: no report (exit ${r.code}):\n${r.stderr}`);
      continue;
    }
    const comparisons = reports.flatMap((x) => x.comparisons);
    const regressed = comparisons.filter((x) => x.verdict === 'regression');
    // nothing is ever made faster here: every improvement is a false one
    const improved = comparisons.filter((x) => x.verdict === 'improvement');
    const watched = c.watch ? comparisons.filter((x) => x.name === c.watch) : [];
    t.runs++;
    t.seconds.push(seconds);
    if (r.code === 1) t.fail++;
    t.series += comparisons.length;
    t.inconclusive += comparisons.filter((x) => x.verdict === 'inconclusive').length;
    for (const x of comparisons) {
      if (x.paired && Number.isFinite(x.paired.pairSd)) t.pairSd.push(x.paired.pairSd);
      if (x.paired?.mde != null) t.mde.push(x.paired.mde);
    }
    if (c.expect === 'caught' && watched.length > 0 && watched.every((x) => x.verdict === 'regression')) t.caught++;
    t.falseRegressions += regressed.filter((x) => c.expect === 'pass' || c.expect === 'never' || x.name !== c.watch).length;
    t.falseImprovements += improved.length;
    const label = (x) =>
      `${x.name}{${Object.entries(x.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}}`;
    const ci = (x) => (x.ci ? ` [${x.ci[0].toFixed(3)}, ${x.ci[1].toFixed(3)}]` : '');
    const falseOnes = [...regressed.filter((x) => c.expect === 'pass' || c.expect === 'never' || x.name !== c.watch), ...improved];
    console.error(
      `${name} ${i}/${runs}: exit ${r.code} in ${seconds.toFixed(0)} s; ${comparisons.length} series, ${regressed.length} regression(s), ${improved.length} improvement(s)` +
        `${watched.length ? `; ${c.watch}: ${watched.map((x) => `${x.verdict} ×${x.ratio?.toFixed(3)}`).join(', ')}` : ''}` +
        `${falseOnes.length ? `; FALSE: ${falseOnes.map((x) => `${x.verdict} ${label(x)} ×${x.ratio?.toFixed(3)}${ci(x)} (pair σ ${(x.paired?.pairSd * 100).toFixed(1)} %)`).join('; ')}` : ''}`,
    );
  }
  tally.push(t);
}

const med = (xs) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
const pct = (x) => `${(x * 100).toFixed(1)} %`;
console.log(`gate self-test${values.neighbour ? ' with a stress-ng --cpu 1 neighbour' : ''}`);
console.log('case      runs  gate failed  caught  false regressions  false improvements  inconclusive series  median pair σ  median detects ≥  median s');
for (const t of tally)
  console.log(
    [
      t.name.padEnd(8),
      String(t.runs).padStart(4),
      `${t.fail}/${t.runs}`.padStart(11),
      (CASES[t.name].expect === 'caught' ? `${t.caught}/${t.runs}` : '–').padStart(6),
      String(t.falseRegressions).padStart(17),
      String(t.falseImprovements).padStart(18),
      `${t.inconclusive}/${t.series} (${t.series ? pct(t.inconclusive / t.series) : '–'})`.padStart(19),
      pct(med(t.pairSd)).padStart(13),
      pct(med(t.mde)).padStart(16),
      med(t.seconds).toFixed(0).padStart(8),
    ].join('  '),
  );
