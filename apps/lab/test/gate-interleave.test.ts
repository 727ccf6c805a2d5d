import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADDON_PATH } from '@hlp/kernels';
import { comparePairedRounds, resolveConfig } from '@hlp/gate';
import { findRepoRoot } from '@hlp/results';
import { NativeBackend } from '@hlp/ckks';
import { measureInterleaved, type PairCase } from '../src/gate/interleave.js';
import { KEY_MOVE_PAIRS } from '../src/gate/fresh-inputs.js';
import { PLACEMENTS } from '../src/gate/placements.js';
import { candidateSide, ckksPairCases, kernelPairCases, loadSide, pageAlignedViews } from '../src/gate/pair-cases.js';
import { parseCaseSelectors, readPairs, selectorOf } from '../src/gate/pairs.js';
import { matchesSelector } from '../src/bench/measure.js';
import { KSWITCH_METRIC_ORDER } from '../src/bench/ckks-kswitch.js';
import { LabError } from '../src/errors.js';
import { runHlp, type HlpRun } from './hlp-child.js';

const NO_ADDON = existsSync(ADDON_PATH) ? false : `native addon not built (${ADDON_PATH})`;

/** Reports each call of `method` on any NativeBackend to `seen` (with its arguments); returns what undoes it. */
function spyOnNative(method: 'encrypt' | 'dispose' | 'trimResultPool' | 'importKey' | 'generateKeys', seen: (args: unknown[]) => void): () => void {
  const proto = NativeBackend.prototype as unknown as Record<typeof method, (...a: unknown[]) => unknown>;
  const original = proto[method];
  proto[method] = function (this: unknown, ...a: unknown[]) {
    seen(a);
    return original.apply(this, a);
  };
  return () => {
    proto[method] = original;
  };
}

/** A fake clock: every reading advances it by `tick` ns; the cases advance it by their cost. */
function fakeClock(tick = 10n): { clock: () => bigint; spend: (ns: bigint) => void } {
  let t = 0n;
  return { clock: () => (t += tick), spend: (ns) => void (t += ns) };
}

/** A chunked case's part per side: records `<side><chunk>` and spends 5 ms of the fake clock. */
function fakeParts(order: string[], spend: (ns: bigint) => void): (side: string) => (chunk: number) => Promise<void> {
  return (side) => (chunk) => {
    order.push(`${side}${chunk}`);
    spend(5_000_000n);
    return Promise.resolve();
  };
}

describe('measureInterleaved', () => {
  it('alternates the sides pair by pair (A B, B A, …) and slows only the candidate', async () => {
    const { clock, spend } = fakeClock();
    const order: string[] = [];
    const timed: PairCase = {
      kind: 'timed',
      name: 'test.op',
      labels: { k: 1 },
      unit: 'ns',
      async: false,
      run: {
        baseline: () => {
          order.push('A');
          spend(1000n);
        },
        current: () => {
          order.push('B');
          spend(1000n);
        },
      },
    };
    const size: PairCase = { kind: 'size', name: 'test.bytes', labels: {}, unit: 'bytes', value: { baseline: () => 100, current: () => 120 } };
    const out = await measureInterleaved([timed, size], {
      pairs: 4,
      sliceMs: 0.005,
      minCalls: 2,
      warmupCalls: 1,
      clock,
      slowdown: (name) => (name === 'test.op' ? 1.5 : 1),
    });
    assert.equal(out.rounds.length, 4);
    // warm-up A, B; then slices of ≥ 2 calls in the order A B | B A | A B | B A: runs of A and B alternate 5 times
    assert.deepEqual(order.slice(0, 2), ['A', 'B']);
    assert.equal(
      order
        .slice(2)
        .join('')
        .replace(/(.)\1+/g, '$1'),
      'ABABA',
    );
    assert.ok(order.length - 2 >= 4 * 2 * 2, 'every slice holds at least minCalls calls');
    for (const r of out.rounds) {
      const a = r.baseline.find((m) => m.name === 'test.op')!;
      const b = r.current.find((m) => m.name === 'test.op')!;
      assert.ok(
        a.samples.every((x) => x === 1010),
        `A: ${a.samples.join(', ')}`,
      );
      assert.ok(
        b.samples.every((x) => x >= 1515 && x < 1525),
        `B: ${b.samples.join(', ')}`,
      );
      assert.equal(r.current.find((m) => m.name === 'test.bytes')!.summary.median, 120);
    }
    const { comparisons } = comparePairedRounds(out.rounds, resolveConfig());
    const op = comparisons.find((c) => c.name === 'test.op')!;
    assert.equal(op.verdict, 'regression');
    assert.ok(Math.abs(op.ratio! - 1515 / 1010) < 0.01, `${op.ratio}`);
    assert.equal(comparisons.find((c) => c.name === 'test.bytes')!.verdict, 'regression'); // 120 vs 100 bytes
    assert.equal(
      out.current.find((m) => m.name === 'test.op')!.samples.length,
      out.rounds.reduce((n, r) => n + r.current[0]!.samples.length, 0),
    );
  });

  it('a chunked case (a prompt in parts): parts alternate A B, B A, …; a pair is one whole call per side, the sum of its parts', async () => {
    const { clock, spend } = fakeClock();
    const order: string[] = [];
    const part = fakeParts(order, spend);
    const c: PairCase = { kind: 'chunked', name: 'test.prompt', labels: {}, unit: 'ms', chunks: 3, pairs: 2, run: { baseline: part('A'), current: part('B') } };
    const out = await measureInterleaved([c], { pairs: 6, sliceMs: 10, minCalls: 3, warmupCalls: 8, clock, slowdown: () => 2 });
    assert.deepEqual(order, ['A0', 'B0', 'A0', 'B0', 'B1', 'A1', 'A2', 'B2', 'B0', 'A0', 'A1', 'B1', 'B2', 'A2']);
    assert.equal(out.rounds.filter((r) => r.current.length > 0).length, 2, 'the case gets its own number of pairs');
    const [r0] = out.rounds;
    assert.deepEqual(r0!.baseline[0]!.samples, [3 * 5.00001]);
    assert.ok(Math.abs(r0!.current[0]!.samples[0]! / r0!.baseline[0]!.samples[0]! - 2) < 1e-5, 'the slowdown applies to every part of the candidate');
    assert.equal(out.current[0]!.samples.length, 2);
  });

  it('beforeSlice runs before every slice of its side, and it and the call after it are not timed', async () => {
    const { clock, spend } = fakeClock();
    const events: string[] = [];
    const fresh = { baseline: false, current: false };
    const side = (s: 'baseline' | 'current') => () => {
      events.push(s === 'baseline' ? 'a' : 'b');
      // the first call after a refresh is slow (a fresh allocation): it must not be a sample
      spend(fresh[s] ? 1_000_000n : 1000n);
      fresh[s] = false;
    };
    const refresh = (s: 'baseline' | 'current') => () => {
      events.push(s === 'baseline' ? 'A' : 'B');
      spend(5_000_000n);
      fresh[s] = true;
    };
    const c: PairCase = {
      kind: 'timed',
      name: 'test.fresh',
      labels: {},
      unit: 'ns',
      async: false,
      run: { baseline: side('baseline'), current: side('current') },
      beforeSlice: { baseline: refresh('baseline'), current: refresh('current') },
    };
    const out = await measureInterleaved([c], { pairs: 4, sliceMs: 0.005, minCalls: 2, warmupCalls: 1, clock });
    // warm-up a b; then every slice: refresh, one untimed call, the timed calls (slices A B | B A | …)
    const slices = events
      .slice(2)
      .join('')
      .match(/[AB][ab]+/g)!;
    assert.equal(slices.length, 8);
    assert.deepEqual(
      slices.map((s) => s[0]),
      ['A', 'B', 'B', 'A', 'A', 'B', 'B', 'A'],
    );
    assert.ok(slices.every((s) => s.slice(1) === s[0]!.toLowerCase().repeat(s.length - 1) && s.length >= 4));
    for (const r of out.rounds)
      for (const m of [...r.baseline, ...r.current])
        assert.ok(
          m.samples.every((x) => x === 1010),
          `${m.samples.join(', ')}`,
        );
  });

  it('refuses fewer than 2 pairs and an out-of-range slowdown', async () => {
    await assert.rejects(
      measureInterleaved([], { pairs: 1, sliceMs: 1, minCalls: 1, warmupCalls: 0 }),
      (e: unknown) => e instanceof LabError && e.code === 'USAGE',
    );
    const c: PairCase = { kind: 'timed', name: 'x', labels: {}, unit: 'ns', async: false, run: { baseline: () => 0, current: () => 0 } };
    await assert.rejects(measureInterleaved([c], { pairs: 2, sliceMs: 1, minCalls: 1, warmupCalls: 0, slowdown: () => 0.5 }), /slowdown factor/);
  });
});

describe('measureInterleaved: operations per call', () => {
  it('perCall: a sample is a call’s time over the operations it performs', async () => {
    const { clock, spend } = fakeClock(0n);
    const c: PairCase = {
      kind: 'timed',
      name: 'test.batch',
      labels: {},
      unit: 'ns',
      async: false,
      perCall: 8,
      run: { baseline: () => spend(8000n), current: () => spend(16_000n) },
    };
    const out = await measureInterleaved([c], { pairs: 2, sliceMs: 0.02, minCalls: 2, warmupCalls: 0, clock });
    for (const r of out.rounds) {
      assert.ok(r.baseline[0]!.samples.every((x) => x === 1000));
      assert.ok(r.current[0]!.samples.every((x) => x === 2000));
    }
  });
});

describe('--only selectors', () => {
  it('round-trip a series through selectorOf, match by name and labels, refuse malformed ones', () => {
    const labels = { backend: 'native', tokens: 1024, threads: 1, key: 'secret' };
    const [sel] = parseCaseSelectors(selectorOf('ckks.prompt_encrypt', labels));
    assert.ok(matchesSelector(sel!, 'ckks.prompt_encrypt', labels));
    assert.ok(!matchesSelector(sel!, 'ckks.prompt_encrypt', { ...labels, key: 'public' }));
    assert.ok(!matchesSelector(sel!, 'ckks.encrypt', labels));
    const two = parseCaseSelectors('ntt.forward{variant=avx2;n=8192},eltwise.*');
    assert.equal(two.length, 2);
    assert.ok(matchesSelector(two[1]!, 'eltwise.mul_mod', {}));
    for (const bad of ['ntt forward', 'x{variant}', 'x{=1}'])
      assert.throws(
        () => parseCaseSelectors(bad),
        (e: unknown) => e instanceof LabError && e.code === 'USAGE' && /--only/.test(e.message),
        bad,
      );
  });
});

describe('pair cases', () => {
  it('page-aligned views share one buffer at 4 KiB strides', () => {
    const vs = pageAlignedViews(4, 1000);
    assert.equal(vs.length, 4);
    assert.ok(vs.every((v) => v.buffer === vs[0]!.buffer && v.length === 1000 && v.byteOffset % 4096 === 0));
    assert.deepEqual(
      vs.map((v) => v.byteOffset),
      [0, 8192, 16384, 24576],
    );
  });

  it('builds every kernel case on both sides, inputs equal, buffers distinct', { skip: NO_ADDON }, async () => {
    const root = findRepoRoot()!;
    const side = await loadSide(root);
    const built = kernelPairCases({ baseline: side, current: candidateSide(root) }, { variants: ['scalar', 'nonesuch'], ns: [1024], bits: [50], alloc: true });
    try {
      assert.deepEqual(
        built.cases.map((c) => c.name),
        ['ntt.forward', 'ntt.inverse', 'eltwise.mul_mod', 'alloc.churn', 'alloc.churn'],
      );
      assert.match(built.notes.join('\n'), /variant nonesuch not paired/);
      for (const c of built.cases) if (c.kind === 'timed') for (const s of ['baseline', 'current'] as const) c.run[s]();
    } finally {
      built.dispose();
    }
  });

  it('a CKKS operation case takes new inputs before each slice (a bias of one run’s inputs becomes scatter between pairs)', { skip: NO_ADDON }, async () => {
    const root = findRepoRoot()!;
    const side = await loadSide(root);
    const built = await ckksPairCases(
      { baseline: side, current: candidateSide(root) },
      { backends: ['native'], ns: [8192], threads: [1], prompt: false, symmetricPrng: 'shake256', promptChunks: 12, keySwitching: false },
    );
    let encrypts = 0;
    const unspyEncrypt = spyOnNative('encrypt', () => encrypts++);
    try {
      const add = built.cases.find((c) => c.name === 'ckks.add');
      assert.ok(add?.kind === 'timed' && add.beforeSlice, 'ckks.add refreshes its inputs');
      for (let i = 0; i < 3; i++)
        for (const s of ['baseline', 'current'] as const) {
          const before = encrypts;
          add.beforeSlice[s]();
          // a fixture encrypts two ciphertexts
          assert.equal(encrypts - before, 2);
          // the new inputs work and the replaced ones were not disposed under the timed call
          add.run[s]();
        }
      // an operation that reads a key moves the side's keys every KEY_MOVE_PAIRS slices; add reads none
      const imports: unknown[] = [];
      const unspyImport = spyOnNative('importKey', (a) => imports.push(a[0]));
      try {
        const decrypt = built.cases.find((c) => c.name === 'ckks.decrypt');
        assert.ok(decrypt?.kind === 'timed' && decrypt.beforeSlice && add.beforeSlice);
        for (let i = 0; i < 2 * KEY_MOVE_PAIRS + 1; i++) {
          decrypt.beforeSlice.current();
          decrypt.run.current();
        }
        assert.deepEqual(imports, ['secret', 'public', 'secret', 'public'], 'moved before slices KEY_MOVE_PAIRS and 2 KEY_MOVE_PAIRS');
        imports.length = 0;
        for (let i = 0; i < 2 * KEY_MOVE_PAIRS + 1; i++) add.beforeSlice.baseline();
        assert.deepEqual(imports, []);
      } finally {
        unspyImport();
      }
      for (const c of built.cases)
        if (c.kind === 'timed' && c.beforeSlice)
          for (const s of ['baseline', 'current'] as const) {
            c.beforeSlice[s]();
            c.run[s]();
          }
      // the proxy's answer path: a batch of 24 answers decrypted and decoded on the pool, per side
      const answers = built.cases.find((c) => c.name === 'ckks.decrypt_decode_batch');
      assert.ok(answers?.kind === 'timed' && answers.async && answers.unit === 'ms');
      assert.deepEqual(answers.labels, { backend: 'native', n: 8192, ciphertexts: 24 });
      for (const s of ['baseline', 'current'] as const) {
        const decoded = (await answers.run[s]()) as Float64Array[];
        assert.equal(decoded.length, 24);
      }
      // the proxy's encryption path: a chunk of 16 vectors encrypted seeded in one call, per side
      const seeded = built.cases.find((c) => c.name === 'ckks.encode_encrypt_batch');
      assert.ok(seeded?.kind === 'timed' && seeded.async && seeded.unit === 'ms');
      assert.deepEqual(seeded.labels, { backend: 'native', n: 8192, key: 'secret', ciphertexts: 16 });
      for (const s of ['baseline', 'current'] as const) await seeded.run[s]();
    } finally {
      unspyEncrypt();
      built.dispose();
    }
  });

  it('refuses a checkout that is not built, as an infrastructure error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hlp-unbuilt-'));
    try {
      await assert.rejects(loadSide(dir), (e: unknown) => e instanceof LabError && e.code === 'INFRA' && /not built/.test(e.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('key-switching pair cases', () => {
  it(
    'key switching: the cases are built on both sides with the bench’s names and labels, refresh their inputs before each slice, run, and are disposed',
    { skip: NO_ADDON },
    async () => {
      const root = findRepoRoot()!;
      const side = await loadSide(root);
      const calls = { encrypt: 0, dispose: 0, trimResultPool: 0 };
      const unspy = (['encrypt', 'dispose', 'trimResultPool'] as const).map((k) => spyOnNative(k, () => calls[k]++));
      try {
        const built = await ckksPairCases(
          { baseline: side, current: candidateSide(root) },
          { backends: ['native'], ns: [8192], threads: [1], prompt: false, symmetricPrng: 'shake256', promptChunks: 12, keySwitching: true },
        );
        let disposed = false;
        try {
          const ks = built.cases.filter((c) => KSWITCH_METRIC_ORDER.some((name) => name === c.name));
          assert.deepEqual(
            ks.map((c) => selectorOf(c.name, c.labels)),
            [
              'ckks.relinearize{backend=native;n=8192}',
              'ckks.rotate{backend=native;n=8192}',
              'ckks.mul_relin_rescale{backend=native;n=8192}',
              'ckks.rotate_hoisted{backend=native;n=8192;rotations=8}',
            ],
          );
          assert.deepEqual(built.notes, []);
          for (const c of ks) {
            assert.ok(c.kind === 'timed' && c.beforeSlice, `${c.name} refreshes its inputs`);
            assert.equal(c.perCall ?? 1, c.name === 'ckks.rotate_hoisted' ? 8 : 1);
            for (let i = 0; i < 2; i++)
              for (const s of ['baseline', 'current'] as const) {
                const before = { ...calls };
                c.beforeSlice[s]();
                // two fresh ciphertexts a slice, and the side's result pool dropped
                assert.equal(calls.encrypt - before.encrypt, 2, c.name);
                assert.equal(calls.trimResultPool - before.trimResultPool, 1, c.name);
                c.run[s]();
                c.run[s]();
              }
          }
          // both sides' measurement works end to end (perCall: a hoisted sample is per rotation)
          const out = await measureInterleaved(ks, { pairs: 2, sliceMs: 1, minCalls: 1, warmupCalls: 1 });
          assert.equal(out.current.length, 4);
          for (const m of out.current) assert.ok(m.summary.median > 0, m.name);
          const before = calls.dispose;
          built.dispose();
          disposed = true;
          // the op cases' placements, the key-switching backend and the matrix product's backend of each side
          assert.equal(calls.dispose - before, 2 * (PLACEMENTS + 2));
        } finally {
          if (!disposed) built.dispose();
        }
      } finally {
        for (const undo of unspy) undo();
      }
    },
  );

  it('key switching: a side without native key switching is left out with a note; --no-key-switching and --only build none', { skip: NO_ADDON }, async () => {
    const root = findRepoRoot()!;
    const current = candidateSide(root);
    // a reference from before native key switching: its native backend lacks keySwitchingMemory
    const createNativeBackend: typeof current.ckks.createNativeBackend = async (...a) => {
      const real = await current.ckks.createNativeBackend(...a);
      return new Proxy(real, {
        has: (t, k) => k !== 'keySwitchingMemory' && k in t,
        get: (t, k) => {
          const v: unknown = Reflect.get(t, k, t);
          return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(t) : v;
        },
      });
    };
    const old = { ...current, ckks: { ...current.ckks, createNativeBackend } };
    const base = { backends: ['native'], ns: [8192], threads: [1], prompt: false, symmetricPrng: 'shake256', promptChunks: 12 } as const;
    const isKs = (c: PairCase): boolean => KSWITCH_METRIC_ORDER.some((name) => name === c.name);
    const keygens: unknown[] = [];
    const unspyKeygen = spyOnNative('generateKeys', (a) => keygens.push(a[0]));
    try {
      const skipped = await ckksPairCases({ baseline: old, current }, { ...base, keySwitching: true });
      try {
        assert.equal(skipped.cases.filter(isKs).length, 0);
        assert.ok(
          skipped.cases.some((c) => c.name === 'ckks.add'),
          'the other cases are still paired',
        );
        assert.equal(skipped.notes.length, 2);
        assert.match(
          skipped.notes[0]!,
          /ckks\.relinearize, ckks\.rotate, ckks\.mul_relin_rescale, ckks\.rotate_hoisted not paired at n = 8192: the reference's native backend has no native key switching/,
        );
        assert.match(skipped.notes[1]!, /ckks\.matvec not paired at n = 8192: the reference's native backend has no native key switching/);
        assert.ok(!skipped.cases.some((c) => c.name === 'ckks.matvec'));
      } finally {
        skipped.dispose();
      }
      for (const o of [{ keySwitching: false }, { keySwitching: true, wanted: (name: string) => name === 'ckks.add' }]) {
        keygens.length = 0;
        const built = await ckksPairCases({ baseline: await loadSide(root), current }, { ...base, ...o });
        try {
          assert.equal(built.cases.filter(isKs).length, 0);
          assert.deepEqual(built.notes, []);
          assert.deepEqual(keygens, [{ relin: false }, { relin: false }], 'no key-switching keys made');
        } finally {
          built.dispose();
        }
      }
    } finally {
      unspyKeygen();
    }
  });
});

function hlp(args: readonly string[], env: Record<string, string> = {}): Promise<HlpRun> {
  return runHlp(args, { env: { HLP_BENCH_SLOWDOWN: '', ...env } });
}

describe('hlp bench kernels --pair-with', { skip: NO_ADDON }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hlp-pairs-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('writes an hlp.pairs/1 document of the pairs and the candidate run', async () => {
    const out = join(dir, 'pairs.json');
    const r = await hlp(
      ['bench', 'kernels', '--variant', 'scalar', '--n', '1024', '--bits', '50', '--no-alloc', '--pair-with', findRepoRoot()!, '--pairs', '3', '--out', out],
      { HLP_BENCH_SLOWDOWN: 'ntt.inverse:2' },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /made slower on purpose/);
    const doc = await readPairs(out);
    assert.equal(doc.rounds.length, 3);
    assert.deepEqual(
      doc.current.metrics.map((m) => m.name),
      ['ntt.forward', 'ntt.inverse', 'eltwise.mul_mod'],
    );
    assert.ok(doc.rounds.every((r) => r.baseline.length === 3 && r.current.length === 3));
    assert.deepEqual((doc.current.config['pairedWith'] as { root: string }).root, findRepoRoot());
  });

  it('usage errors: no --out, --pairs alone, a checkout that is not built; a bad document is refused', async () => {
    const noOut = await hlp(['bench', 'kernels', '--pair-with', '.']);
    assert.equal(noOut.code, 2);
    assert.match(noOut.stderr, /name it with --out/);
    const pairsAlone = await hlp(['bench', 'kernels', '--pairs', '4', '--out', join(dir, 'x.json')]);
    assert.equal(pairsAlone.code, 2);
    assert.match(pairsAlone.stderr, /--pairs and --only only apply with --pair-with/);
    const tooFew = await hlp(['bench', 'ckks', '--pair-with', '.', '--pairs', '1', '--out', join(dir, 'x.json')]);
    assert.equal(tooFew.code, 2);
    const unbuilt = await hlp(['bench', 'kernels', '--n', '1024', '--pair-with', dir, '--out', join(dir, 'x.json')]);
    assert.equal(unbuilt.code, 2);
    assert.match(unbuilt.stderr, /not built/);
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"schema":"hlp.pairs/1"}');
    await assert.rejects(readPairs(bad), (e: unknown) => e instanceof LabError && e.code === 'INFRA');
  });
});

describe('measureInterleaved: a chunked case’s placements', () => {
  it('a chunked case: beforePair runs before every pair for both sides, untimed', async () => {
    const { clock, spend } = fakeClock();
    const order: string[] = [];
    const part = fakeParts(order, spend);
    const move = (side: string) => (): Promise<void> => {
      order.push(`move${side}`);
      spend(50_000_000n); // a placement's untimed first part: ten parts' time, in no sample
      return Promise.resolve();
    };
    const c: PairCase = {
      kind: 'chunked',
      name: 'test.prompt',
      labels: {},
      unit: 'ms',
      chunks: 2,
      run: { baseline: part('A'), current: part('B') },
      beforePair: { baseline: move('A'), current: move('B') },
    };
    const out = await measureInterleaved([c], { pairs: 2, sliceMs: 10, minCalls: 3, warmupCalls: 8, clock });
    assert.deepEqual(order, ['A0', 'B0', 'moveA', 'moveB', 'A0', 'B0', 'B1', 'A1', 'moveB', 'moveA', 'A0', 'B0', 'B1', 'A1']);
    for (const r of out.rounds) for (const side of ['baseline', 'current'] as const) assert.deepEqual(r[side][0]!.samples, [2 * 5.00001]);
  });
});
