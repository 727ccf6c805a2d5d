import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADDON_PATH } from '@hlp/kernels';
import { PASS_RECORD, recordPass, resolveReference } from '../src/gate/reference.js';
import { narrowCkksArgs, sideEnv } from '../src/gate/paired-run.js';
import { makeMetric } from '@hlp/results';
import { runHlp, type HlpRun } from './hlp-child.js';

const NO_ADDON = existsSync(ADDON_PATH) ? false : `native addon not built (${ADDON_PATH})`;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
  }).trim();
}

describe('the reference of --against auto', () => {
  let repo: string;
  const commits: string[] = [];
  before(async () => {
    repo = await mkdtemp(join(tmpdir(), 'hlp-ref-'));
    git(repo, 'init', '-q');
    await mkdir(join(repo, 'baselines'), { recursive: true });
    for (const n of [1, 2, 3]) {
      await writeFile(join(repo, 'f.txt'), `v${n}\n`);
      git(repo, 'add', 'f.txt');
      git(repo, 'commit', '-q', '-m', `c${n}`);
      commits.push(git(repo, 'rev-parse', 'HEAD'));
    }
  });
  after(async () => rm(repo, { recursive: true, force: true }));

  it('is the first parent without a recorded pass, HEAD with uncommitted changes', async () => {
    assert.equal((await resolveReference(repo, 'auto')).commit, commits[1]);
    await writeFile(join(repo, 'f.txt'), 'dirty\n');
    assert.equal((await resolveReference(repo, 'auto')).commit, commits[2]);
    git(repo, 'checkout', '-q', 'f.txt');
  });
  it('is the recorded pass when it is an ancestor of HEAD, and ignores one that is not', async () => {
    await recordPass(repo, commits[0]!, ['kernels']);
    const ref = await resolveReference(repo, 'auto');
    assert.equal(ref.commit, commits[0]);
    assert.match(ref.why, /last commit that passed the gate/);
    await writeFile(join(repo, PASS_RECORD), JSON.stringify({ schema: 'hlp.gate-pass/1', commit: 'f'.repeat(40), date: 'x', suites: [] }));
    assert.equal((await resolveReference(repo, 'auto')).commit, commits[1]);
    await writeFile(join(repo, PASS_RECORD), 'not json');
    assert.equal((await resolveReference(repo, 'auto')).commit, commits[1]);
  });
  it('names a commit, or refuses what is none', async () => {
    assert.equal((await resolveReference(repo, 'HEAD~2')).commit, commits[0]);
    await assert.rejects(resolveReference(repo, 'no-such-ref'), /not a commit/);
  });
});

describe('paired runner helpers', () => {
  it('keeps a known slowdown off the reference side', () => {
    const env = { HLP_BENCH_SLOWDOWN: 'ntt.forward:1.2', PATH: '/bin' };
    assert.equal(sideEnv(env, 'baseline')['HLP_BENCH_SLOWDOWN'], undefined);
    assert.equal(sideEnv(env, 'current')['HLP_BENCH_SLOWDOWN'], 'ntt.forward:1.2');
  });
  it('drops the prompt case when no undecided series needs it', () => {
    const op = makeMetric({ name: 'ckks.add', unit: 'ns', better: 'lower', labels: {}, samples: [1, 2, 3] });
    const prompt = makeMetric({ name: 'ckks.prompt_encrypt', unit: 'ms', better: 'lower', labels: {}, samples: [1, 2, 3] });
    assert.deepEqual(narrowCkksArgs(['--quick'], [op]), ['--quick', '--no-prompt']);
    assert.deepEqual(narrowCkksArgs(['--quick'], [op, prompt]), ['--quick']);
  });
});

function hlp(args: readonly string[], env: Record<string, string>, runs: string): Promise<HlpRun> {
  return runHlp(args, { env: { HLP_RUNS_DIR: runs, HLP_BENCH_SLOWDOWN: '', GITHUB_STEP_SUMMARY: '', ...env }, timeoutMs: 300_000 });
}

describe('hlp gate --against self, end to end', { skip: NO_ADDON }, () => {
  let runs: string;
  before(async () => {
    runs = await mkdtemp(join(tmpdir(), 'hlp-paired-'));
  });
  after(async () => rm(runs, { recursive: true, force: true }));
  const base = [
    'gate',
    '--against',
    'self',
    '--suite',
    'kernels',
    '--bench-args',
    '--variant scalar --n 1024 --bits 50 --no-alloc --time 40',
    '--no-history',
    '--no-targets',
    '--json',
  ];
  type Report = { mode: string; comparisons: { name: string; verdict: string; paired?: { pairs: number; mde: number | null; method?: string } }[] };
  const check = (report: Report, pairs: number, method: string): void => {
    assert.equal(report.mode, 'same-job');
    const fwd = report.comparisons.find((c) => c.name === 'ntt.forward');
    assert.equal(fwd?.verdict, 'regression');
    for (const c of report.comparisons) {
      assert.equal(c.paired?.pairs, pairs);
      assert.equal(c.paired?.method, method);
      assert.ok(c.paired?.mde !== null && (c.paired?.mde ?? 0) > 0);
      if (c.name !== 'ntt.forward') assert.notEqual(c.verdict, 'regression', `${c.name} regressed in an A/A comparison`);
    }
  };

  it('in one process (the default): a 3× slower ntt.forward is a regression, the others are not, every series quotes its power', async () => {
    const r = await hlp([...base, '--rounds', '12', '--max-rounds', '12'], { HLP_BENCH_SLOWDOWN: 'ntt.forward:3' }, runs);
    assert.equal(r.code, 1, r.stderr);
    check(JSON.parse(r.stdout) as Report, 12, 'signed-rank');
    assert.match(r.stderr, /kernels 12 in-process pairs/);
    assert.match(r.stderr, /detects ≥/);
  });

  it('in fresh processes (--pairing processes): the same verdicts from 4 pairs of processes, A B then B A', async () => {
    const r = await hlp([...base, '--pairing', 'processes', '--rounds', '4', '--max-rounds', '4'], { HLP_BENCH_SLOWDOWN: 'ntt.forward:3' }, runs);
    assert.equal(r.code, 1, r.stderr);
    check(JSON.parse(r.stdout) as Report, 4, 't');
    assert.match(r.stderr, /pair 4 \(B A\)/);
  });

  it('refuses load suites and mixed options with a usage error', async () => {
    const a = await hlp(['gate', '--against', 'self', '--suite', 'load'], {}, runs);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /benchmark suites \(kernels, ckks\)/);
    const b = await hlp(['gate', '--against', 'self', '--profile', 'ci', '--suite', 'kernels'], {}, runs);
    assert.equal(b.code, 2);
    const c = await hlp(['gate', '--profile', 'ci'], {}, runs);
    assert.equal(c.code, 2);
    assert.match(c.stderr, /only apply with --against/);
  });
});
