import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADDON_PATH, availableVariants, variants } from '@hlp/kernels';
import { RunResult, readRun } from '@hlp/results';
import { runHlp, type HlpRun } from './hlp-child.js';

const ADDON = existsSync(ADDON_PATH);
const NO_ADDON = ADDON ? false : `native addon not built (${ADDON_PATH})`;

let runsDir: string;

function hlp(args: readonly string[], env: Record<string, string> = {}): Promise<HlpRun> {
  return runHlp(args, { env: { HLP_RUNS_DIR: runsDir, HLP_DEBUG: '', ...env } });
}

before(async () => {
  runsDir = await mkdtemp(join(tmpdir(), 'hlp-lab-'));
});
after(async () => {
  await rm(runsDir, { recursive: true, force: true });
});

describe('hlp bench kernels', () => {
  it('--json prints a valid hlp.run/1 document and writes it to HLP_RUNS_DIR', { skip: NO_ADDON }, async () => {
    const r = await hlp(['bench', 'kernels', '--quick', '--n', '1024', '--bits', '50', '--time', '20', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = RunResult.parse(JSON.parse(r.stdout)); // stdout holds the document and nothing else
    assert.equal(doc.schema, 'hlp.run/1');
    assert.equal(doc.suite, 'kernels');
    assert.ok(doc.machine.machineClass.length > 0);

    const expected = availableVariants();
    assert.ok(expected.length > 0);
    for (const variant of expected) {
      for (const name of ['ntt.forward', 'ntt.inverse', 'eltwise.mul_mod']) {
        const m = doc.metrics.find((x) => x.name === name && x.labels['variant'] === variant);
        assert.ok(m, `${name} for ${variant} missing`);
        assert.deepEqual(m.labels, { variant, n: 1024, bits: 50 });
        assert.equal(m.unit, 'ns');
        assert.equal(m.better, 'lower');
        assert.ok(m.summary.median > 0, `${name}/${variant} median ${m.summary.median}`);
        assert.ok(m.summary.ci95[0] <= m.summary.median && m.summary.median <= m.summary.ci95[1]);
        assert.ok(m.samples.length > 0 && m.samples.length <= 2000);
        assert.ok(m.summary.n >= m.samples.length);
      }
    }
    for (const allocator of ['pool', 'malloc']) {
      const m = doc.metrics.find((x) => x.name === 'alloc.churn' && x.labels['allocator'] === allocator);
      assert.ok(m, `alloc.churn ${allocator} missing`);
      assert.equal(m.labels['per'], 'round');
      assert.ok(m.summary.median > 0);
    }
    // no metric for a variant that is not available
    const unavailable = variants()
      .filter((v) => !v.available)
      .map((v) => v.name as string);
    assert.ok(!doc.metrics.some((m) => unavailable.includes(String(m.labels['variant']))));

    const files = await readdir(runsDir);
    const file = files.find((f) => f.endsWith('-kernels.json'));
    assert.ok(file, `no run file in ${runsDir}: ${files.join(', ')}`);
    assert.ok(r.stderr.includes(`wrote ${join(runsDir, file)}`), r.stderr);
    assert.deepEqual(await readRun(join(runsDir, file)), doc);
    assert.match(r.stderr, /\[\s*1\/\d+\] ntt\.forward/); // progress on stderr
    assert.match(r.stderr, /vs scalar/); // the table goes to stderr under --json
  });

  it('without --json prints the table on stdout; --out writes that file; --no-alloc skips alloc.churn', { skip: NO_ADDON }, async () => {
    const out = join(runsDir, 'nested', 'scalar.json');
    const r = await hlp([
      'bench',
      'kernels',
      '--variant',
      'scalar',
      '--n',
      '8192,16384',
      '--n',
      '32768',
      '--bits',
      '50',
      '--time',
      '5',
      '--no-alloc',
      '--out',
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ntt\.forward\s+variant=scalar n=8192 bits=50/);
    assert.match(r.stdout, /N·log N scaling/);
    assert.match(r.stdout, /ntt\.forward scalar bits=50 n=32768 .* ratio \d+\.\d\d/);
    const doc = await readRun(out);
    assert.deepEqual(
      doc.metrics.filter((m) => m.name === 'ntt.forward').map((m) => m.labels['n']),
      [8192, 16384, 32768],
    );
    assert.ok(!doc.metrics.some((m) => m.name === 'alloc.churn'));
    assert.deepEqual(doc.config['variants'], ['scalar']);
  });

  it('a requested variant that is unavailable is skipped with a note; none left is an INFRA error (exit 2)', { skip: NO_ADDON }, async () => {
    const missing = variants().find((v) => !v.available);
    if (!missing) return; // every variant runs here
    const r = await hlp(['bench', 'kernels', '--variant', missing.name, '--n', '1024']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`note: skipping variant ${missing.name}`));
    assert.match(r.stderr, /hlp: error \[INFRA\]: none of the requested variants/);
    assert.equal(r.stdout, '');
  });
});

describe('usage errors exit 2 with a clear message', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['unknown subcommand', ['bench', 'nope'], /unknown command 'nope'/],
    ['n not a power of two', ['bench', 'kernels', '--n', '1000'], /'1000': n must be a power of two/],
    ['n not a number', ['bench', 'kernels', '--n', '1024,abc'], /'abc': expected a positive integer/],
    ['unknown variant', ['bench', 'kernels', '--variant', 'foo'], /'foo': unknown variant \(expected one of scalar, avx2, avx512, cuda\)/],
    ['bits out of range', ['bench', 'kernels', '--bits', '61'], /'61': bits must be between 20 and 60/],
    ['bad time', ['bench', 'kernels', '--time', '0'], /--time <ms>.*must be at least 1 ms/],
    ['unknown option', ['bench', 'kernels', '--fast'], /unknown option '--fast'/],
    ['missing option value', ['bench', 'kernels', '--n'], /option '--n <list>' argument missing/],
    ['no command', [], /Usage: hlp/],
  ];
  for (const [title, args, message] of cases) {
    it(title, async () => {
      const r = await hlp(args);
      assert.equal(r.code, 2, `exit code for ${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
      assert.equal(r.stdout, '');
    });
  }

  it('--help exits 0 and lists the commands', async () => {
    const r = await hlp(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /bench/);
    const k = await hlp(['bench', 'kernels', '--help']);
    assert.equal(k.code, 0);
    assert.match(k.stdout, /--variant <list>/);
  });

  it('an unwritable --out is an INFRA error before measuring, stack only with HLP_DEBUG=1', async () => {
    const args = ['bench', 'kernels', '--out', '/dev/null/run.json'];
    const r = await hlp(args);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^hlp: error \[INFRA\]: cannot create \/dev\/null/m);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
    const d = await hlp(args, { HLP_DEBUG: '1' });
    assert.equal(d.code, 2);
    assert.match(d.stderr, /^\s+at /m);
  });
});

describe('the run file is readable with @hlp/results', () => {
  it('files in HLP_RUNS_DIR validate', { skip: NO_ADDON }, async () => {
    // A directory of its own, written here, so the loop below cannot pass on no files
    // when run alone or after the other tests wrote nothing.
    const dir = await mkdtemp(join(runsDir, 'runs-'));
    const r = await hlp(['bench', 'kernels', '--variant', 'scalar', '--n', '1024', '--bits', '50', '--time', '5', '--no-alloc'], { HLP_RUNS_DIR: dir });
    assert.equal(r.code, 0, r.stderr);
    const files = (await readdir(dir)).filter((x) => x.endsWith('.json'));
    assert.ok(files.length > 0, `no run file in ${dir}`);
    for (const f of files) {
      RunResult.parse(JSON.parse(await readFile(join(dir, f), 'utf8')));
    }
  });
});
