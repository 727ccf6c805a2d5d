#!/usr/bin/env node
/**
 * Evaluates the gate on this machine, for real (A/A and A/B):
 *   1. records a baseline of a short kernels run (in a temporary baselines directory);
 *   2. A/A: N times, `hlp bench kernels` of the unchanged code, then `hlp gate` on it;
 *   3. A/B: N times each with HLP_BENCH_SLOWDOWN=<metric>:<factor> (default ntt.forward at
 *      1.2 and 1.03) — a known slowdown made on purpose by the benchmark harness, for
 *      testing the gate — set for the bench run and for the gate's re-measurement;
 * and prints the tally: how often the gate failed, per scenario and per metric, before and
 * after re-measurement. Acceptance: A/A fails at most 1 of 10; 1.2 is flagged 10 of 10;
 * 1.03 is never called a regression.
 *
 *   node packages/gate/scripts/evaluate.mjs [--runs 10] [--factors 1.2,1.03] [--metric ntt.forward]
 *        [--bench-args "--variant avx512,scalar --n 8192 --bits 50 --quick --no-alloc"] [--out summary.json]
 *
 * Needs the monorepo built (npm run build) and the native kernels addon.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(here, '..', '..', '..', 'apps', 'lab', 'bin', 'hlp.js');

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    factors: { type: 'string', default: '1.2,1.03' },
    metric: { type: 'string', default: 'ntt.forward' },
    'bench-args': { type: 'string', default: '--variant avx512,scalar --n 8192 --bits 50 --quick --no-alloc' },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const factors = values.factors.split(',').map(Number);
const benchArgs = values['bench-args'].split(/\s+/).filter(Boolean);

/** Runs hlp; retries while the shared kernels addon is being rebuilt by someone else (exit 2, ADDON_NOT_BUILT). */
async function hlp(args, env) {
  for (let attempt = 1; ; attempt++) {
    const r = await hlpOnce(args, env);
    if (!(r.code === 2 && r.stderr.includes('ADDON_NOT_BUILT')) || attempt >= 30) return r;
    console.log(`  (kernels addon missing — being rebuilt? retrying in 10 s, attempt ${attempt})`);
    await new Promise((ok) => setTimeout(ok, 10_000));
  }
}

function hlpOnce(args, env) {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', fail);
    child.on('close', (code) => ok({ code: code ?? 1, stdout, stderr }));
  });
}

const tmp = await mkdtemp(join(tmpdir(), 'hlp-gate-eval-'));
const env = { HLP_BASELINES_DIR: join(tmp, 'baselines'), HLP_RUNS_DIR: join(tmp, 'runs'), HLP_BENCH_SLOWDOWN: '' };
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const t0 = Date.now();
console.log(`gate evaluation: ${runs} runs per scenario; bench args: ${benchArgs.join(' ')}; load average ${load()}`);

try {
  const rec = await hlp(['baseline', 'record', 'kernels', ...benchArgs], env);
  if (rec.code !== 0) {
    throw new Error(`baseline record failed (exit ${rec.code}):\n${rec.stderr}`);
  }
  console.log(rec.stdout.trim());

  const scenarios = [{ name: 'A/A', slowdown: '' }, ...factors.map((f) => ({ name: `A/B ${values.metric}×${f}`, slowdown: `${values.metric}:${f}` }))];
  const summary = { machineLoadStart: load(), benchArgs, scenarios: [] };
  for (const s of scenarios) {
    const result = { name: s.name, slowdown: s.slowdown || null, runs: [], fails: 0, flaggedTarget: 0, firstFlaggedTarget: 0, falseOther: 0, exitCodes: {} };
    for (let i = 1; i <= runs; i++) {
      const out = join(tmp, `run-${s.name.replace(/\W+/g, '_')}-${i}.json`);
      const e = { ...env, HLP_BENCH_SLOWDOWN: s.slowdown };
      const b = await hlp(['bench', 'kernels', ...benchArgs, '--out', out], e);
      if (b.code !== 0) throw new Error(`bench failed: ${b.stderr}`);
      const g = await hlp(['gate', out, '--json'], e);
      if (g.code === 2) throw new Error(`gate usage/infra error: ${g.stderr}`);
      const report = JSON.parse(g.stdout);
      result.exitCodes[g.code] = (result.exitCodes[g.code] ?? 0) + 1;
      if (report.outcome === 'fail') result.fails++;
      const line = [];
      let target = false;
      let firstTarget = false;
      let other = false;
      for (const c of report.comparisons) {
        const isTarget = s.slowdown && c.name === values.metric;
        const first = c.first?.verdict ?? c.verdict;
        if (isTarget && c.verdict === 'regression') target = true;
        if (isTarget && first === 'regression') firstTarget = true;
        if (!isTarget && c.verdict === 'regression') other = true;
        line.push(
          `${c.name.replace('eltwise.', '')}/${c.labels.variant}=${c.ratio.toFixed(3)}${c.verdict === 'unchanged' ? '' : `:${c.verdict}${c.remeasure ? `(${c.remeasure})` : ''}`}`,
        );
      }
      if (target) result.flaggedTarget++;
      if (firstTarget) result.firstFlaggedTarget++;
      if (other) result.falseOther++;
      result.runs.push({
        exit: g.code,
        outcome: report.outcome,
        machineState: report.machineState,
        comparisons: report.comparisons.map((c) => ({
          key: c.key,
          ratio: c.ratio,
          ci: c.ci,
          verdict: c.verdict,
          first: c.first?.verdict ?? null,
          remeasure: c.remeasure,
        })),
      });
      const ms = report.machineState ? `  machine ×${report.machineState.factor.toFixed(2)}${report.machineState.busy ? ' BUSY' : ''}` : '';
      console.log(`${s.name.padEnd(24)} #${String(i).padStart(2)} exit ${g.code}  ${line.join('  ')}${ms}`);
    }
    summary.scenarios.push(result);
  }
  summary.machineLoadEnd = load();
  summary.seconds = Math.round((Date.now() - t0) / 1000);

  console.log('\nscenario                  gate failed  target flagged (first measurement)  other metrics flagged');
  for (const r of summary.scenarios)
    console.log(
      `${r.name.padEnd(24)}  ${`${r.fails}/${runs}`.padStart(11)}  ${r.slowdown ? `${r.flaggedTarget}/${runs} (${r.firstFlaggedTarget}/${runs})`.padStart(32) : '–'.padStart(32)}  ${`${r.falseOther}/${runs}`.padStart(21)}`,
    );
  console.log(`load average ${summary.machineLoadStart} → ${summary.machineLoadEnd}; ${summary.seconds} s`);
  if (values.out) await writeFile(values.out, `${JSON.stringify(summary, null, 2)}\n`);
  const history = await readFile(join(env.HLP_BASELINES_DIR, 'history.jsonl'), 'utf8').catch(() => '');
  console.log(`history: ${history.split('\n').filter(Boolean).length} lines appended`);
} finally {
  if (!values.keep) await rm(tmp, { recursive: true, force: true });
  else console.log(`kept ${tmp}`);
}
