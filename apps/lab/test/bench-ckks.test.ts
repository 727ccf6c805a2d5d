import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ckks from '@hlp/ckks';
import {
  createSealBackend,
  decryptValues,
  encryptValues,
  presetParams,
  type CiphertextHandle,
  type CkksBackend,
  type CkksParams,
  type PresetDegree,
} from '@hlp/ckks';
import { parseRun, readRun, type RunResult } from '@hlp/results';
import { measureAsync, nativeBackendFactory, promptVectors, renderCkksReport, runCkksBench, seededValues } from '../src/bench/ckks.js';
import { LabError } from '../src/errors.js';
import { runHlp, type HlpRun } from './hlp-child.js';

/** The real native backend, when this build of @hlp/ckks has it. */
const HAS_NATIVE = nativeBackendFactory() !== undefined;

let runsDir: string;

function hlp(args: readonly string[], env: Record<string, string> = {}): Promise<HlpRun> {
  return runHlp(args, { env: { HLP_RUNS_DIR: runsDir, HLP_DEBUG: '', ...env }, timeoutMs: 180_000 });
}

before(async () => {
  runsDir = await mkdtemp(join(tmpdir(), 'hlp-lab-ckks-'));
});
after(async () => {
  await rm(runsDir, { recursive: true, force: true });
});

const OPS_WITHOUT_KEY = [
  'ckks.encode',
  'ckks.decrypt',
  'ckks.decode',
  'ckks.serialize',
  'ckks.add',
  'ckks.add_inplace',
  'ckks.multiply_plain',
  'ckks.rescale',
  'ckks.affine',
];
const OPS_WITH_KEY = ['ckks.encrypt', 'ckks.encode_encrypt'];

function assertOpMetrics(doc: RunResult, backend: string, n: number): void {
  for (const [name, extra] of [
    ['ckks.relinearize', {}],
    ['ckks.rotate', {}],
    ['ckks.mul_relin_rescale', {}],
    ['ckks.rotate_hoisted', { rotations: 8 }],
  ] as const) {
    const m = doc.metrics.find((x) => x.name === name && x.labels['backend'] === backend && x.labels['n'] === n);
    assert.ok(m, `${name} ${backend} n=${n} missing`);
    assert.deepEqual(m.labels, { backend, n, ...extra });
    assert.equal(m.unit, 'ns');
    assert.ok(m.summary.median > 0, `${name} median ${m.summary.median}`);
  }
  // The service's projection, timed at its preset only (checked against the plaintext reference first).
  const matvec = doc.metrics.filter((x) => x.name === 'ckks.matvec' && x.labels['backend'] === backend && x.labels['n'] === n);
  if (n === 8192) {
    assert.equal(matvec.length, 1, `ckks.matvec ${backend}: the quick run times the default projection`);
    assert.deepEqual(matvec[0]!.labels, { backend, n, shape: '768x64' });
    assert.equal(matvec[0]!.unit, 'ms');
    assert.ok(matvec[0]!.summary.median > 0);
  } else {
    assert.equal(matvec.length, 0, `ckks.matvec runs at n = 8192 only, not ${n}`);
  }
  for (const name of OPS_WITHOUT_KEY) {
    const m = doc.metrics.find((x) => x.name === name && x.labels['backend'] === backend && x.labels['n'] === n);
    assert.ok(m, `${name} ${backend} n=${n} missing`);
    assert.deepEqual(m.labels, { backend, n });
    assert.equal(m.unit, 'ns');
    assert.equal(m.better, 'lower');
    assert.ok(m.summary.median > 0, `${name} median ${m.summary.median}`);
  }
  for (const name of [...OPS_WITH_KEY, 'ckks.ciphertext_bytes']) {
    for (const key of ['public', 'secret']) {
      const m = doc.metrics.find((x) => x.name === name && x.labels['backend'] === backend && x.labels['n'] === n && x.labels['key'] === key);
      assert.ok(m, `${name} ${backend} n=${n} key=${key} missing`);
      assert.deepEqual(m.labels, { backend, n, key });
      assert.equal(m.unit, name === 'ckks.ciphertext_bytes' ? 'bytes' : 'ns');
      assert.equal(m.better, 'lower');
      assert.ok(m.summary.median > 0, `${name} ${key} median ${m.summary.median}`);
      assert.ok(m.summary.ci95[0] <= m.summary.median && m.summary.median <= m.summary.ci95[1]);
    }
  }
  const bytes = (key: string) =>
    doc.metrics.find((x) => x.name === 'ckks.ciphertext_bytes' && x.labels['backend'] === backend && x.labels['n'] === n && x.labels['key'] === key)!.summary
      .median;
  // 2 polynomials × data primes × n coefficients × 8 bytes, plus headers; seeded: about half
  const body = 2 * (presetParams(n as PresetDegree).maxLevel + 1) * n * 8;
  assert.ok(bytes('public') > body && bytes('public') < body + 4096, `public bytes ${bytes('public')}`);
  assert.ok(bytes('secret') < bytes('public') * 0.6, `secret bytes ${bytes('secret')}`);
}

describe('hlp bench ckks', () => {
  it('--backend seal --n 8192 --quick --no-prompt --json: a valid document with every seal metric', async () => {
    const r = await hlp(['bench', 'ckks', '--backend', 'seal', '--n', '8192', '--quick', '--no-prompt', '--time', '50', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = parseRun(JSON.parse(r.stdout)); // stdout holds the document and nothing else
    assert.equal(doc.schema, 'hlp.run/1');
    assert.equal(doc.suite, 'ckks');
    assertOpMetrics(doc, 'seal', 8192);
    for (const key of ['public', 'secret']) {
      const m = doc.metrics.find((x) => x.name === 'ckks.encode_encrypt' && x.labels['key'] === key);
      assert.ok(m && m.summary.median > 0, `ckks.encode_encrypt key=${key}`);
    }
    assert.ok(!doc.metrics.some((m) => m.name === 'ckks.prompt_encrypt'), '--no-prompt');
    assert.ok(!doc.metrics.some((m) => m.labels['backend'] !== 'seal'));
    assert.equal(doc.config['prompt'], null);
    assert.deepEqual(doc.config['backends'], ['seal']);
    assert.deepEqual(doc.config['n'], [8192]);

    const files = await readdir(runsDir);
    const file = files.find((f) => f.endsWith('-ckks.json'));
    assert.ok(file, `no run file in ${runsDir}: ${files.join(', ')}`);
    assert.ok(r.stderr.includes(`wrote ${join(runsDir, file)}`), r.stderr);
    assert.deepEqual(await readRun(join(runsDir, file)), doc);
    assert.match(r.stderr, /\[\s*1\/20\] ckks\.encode backend=seal n=8192/); // progress on stderr
    assert.match(r.stderr, /vs seal/); // the table goes to stderr under --json
    assert.match(r.stderr, /native vs seal, ckks\.encode_encrypt key=public/);
  });

  it('--backend native runs the native backend when @hlp/ckks has it, else is an INFRA error (exit 2)', async () => {
    if (!HAS_NATIVE) {
      const r = await hlp(['bench', 'ckks', '--backend', 'native', '--quick']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /note: skipping backend native: this build of @hlp\/ckks does not export createNativeBackend/);
      assert.match(r.stderr, /hlp: error \[INFRA\]: none of the requested backends \(native\) is available/);
      assert.equal(r.stdout, '');
      return;
    }
    const out = join(runsDir, 'native.json');
    const r = await hlp(['bench', 'ckks', '--backend', 'native', '--n', '8192', '--quick', '--time', '50', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ckks\.encode_encrypt\s+backend=native n=8192 key=public/);
    const doc = await readRun(out);
    assertOpMetrics(doc, 'native', 8192);
    const prompts = doc.metrics.filter((m) => m.name === 'ckks.prompt_encrypt');
    assert.ok(prompts.length >= 2, 'prompt_encrypt for both keys');
    for (const m of prompts) {
      assert.equal(m.unit, 'ms');
      assert.equal(m.labels['tokens'], 1024);
      assert.ok(m.summary.median > 0);
    }
  });

  it('without --json prints the table and the headline on stdout', async () => {
    const out = join(runsDir, 'nested', 'seal.json');
    const r = await hlp(['bench', 'ckks', '--backend', 'seal', '--quick', '--no-prompt', '--no-key-switching', '--time', '5', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(
      !(await readRun(out)).metrics.some((m) => m.name === 'ckks.rotate' || m.name === 'ckks.relinearize' || m.name === 'ckks.matvec'),
      '--no-key-switching',
    );
    assert.match(r.stdout, /ckks\.encode_encrypt\s+backend=seal n=8192 key=public/);
    assert.match(r.stdout, /ckks\.ciphertext_bytes\s+backend=seal n=8192 key=secret/);
    assert.match(r.stdout, /one serialized ciphertext/);
    assert.match(r.stdout, /ckks\.prompt_encrypt: not run/);
    assert.deepEqual((await readRun(out)).config['n'], [8192]); // --quick implies --n 8192
  });
});

describe('hlp bench ckks: usage errors exit 2 with a clear message', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown backend', ['bench', 'ckks', '--backend', 'foo'], /'foo': unknown backend \(expected one of seal, native\)/],
    ['n not a preset', ['bench', 'ckks', '--n', '4096'], /'4096': n must be a CKKS preset \(8192, 16384, 32768\)/],
    ['n not a number', ['bench', 'ckks', '--n', '8192,x'], /'x': expected a positive integer/],
    ['threads 0', ['bench', 'ckks', '--threads', '0'], /'0': threads must be at least 1/],
    ['threads too many', ['bench', 'ckks', '--threads', '1,100000'], /'100000': threads must be at most 256/],
    ['bad time', ['bench', 'ckks', '--time', '0'], /--time <ms>.*must be at least 1 ms/],
    ['unknown option', ['bench', 'ckks', '--fast'], /unknown option '--fast'/],
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

  it('--help describes the options and the cost of n = 32768', async () => {
    const r = await hlp(['bench', 'ckks', '--help']);
    assert.equal(r.code, 0);
    for (const option of ['--backend <list>', '--n <list>', '--threads <list>', '--time <ms>', '--json', '--out <file>', '--no-prompt', '--quick']) {
      assert.ok(r.stdout.includes(option), option);
    }
    assert.match(r.stdout, /32768 only when asked/);
  });
});

// -- the native code paths, with a stand-in for the native backend --------------------------

/** The seal backend under the name 'native' (what the lab sees of a backend is its interface). */
function disguise(backend: CkksBackend, name: string, tweak: Readonly<Record<string, unknown>> = {}): CkksBackend {
  return new Proxy(backend, {
    get(target, prop, receiver) {
      if (prop === 'name') return name;
      if (typeof prop === 'string' && prop in tweak) return tweak[prop];
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A stand-in @hlp/ckks module with createNativeBackend and encryptBatch (outputs cached after the first call). */
function standIn(options: { broken?: 'decode' | 'batch' | 'frames' | 'seeded'; gpu?: 'usable' | 'unusable'; frames?: false; seededBatch?: false } = {}): {
  module: object;
  calls: { threads: number; symmetric: boolean; device?: string }[];
} {
  const calls: { threads: number; symmetric: boolean; device?: string }[] = [];
  const cache = new Map<boolean, Uint8Array[]>();
  // The real GPU hooks would make the outcome depend on this machine: stand-ins or none.
  const { cudaStatus: _status, gpuPoolStats: _stats, gpuPoolTrim: _trim, ...rest } = ckks;
  let peak = 0;
  const gpu =
    options.gpu === undefined
      ? {}
      : {
          cudaStatus: () => (options.gpu === 'usable' ? { usable: true, reason: '' } : { usable: false, reason: 'cuda: stand-in without a device' }),
          gpuPoolStats: () => ({ peakBytesInUse: 3 * ++peak, peakBytesReserved: 4 * peak }),
          gpuPoolTrim: () => {
            peak = 0;
          },
        };
  const module = {
    ...rest,
    ...gpu,
    createNativeBackend: async (params: CkksParams): Promise<CkksBackend> => {
      const seal = await createSealBackend(params);
      // The batch answer path, one frame at a time on node-seal (off by 1e-6 when broken).
      const off = options.broken === 'frames' ? 1e-6 : 0;
      const decryptDecodeFrames = (frames: readonly Uint8Array[]): Promise<Float64Array[]> =>
        Promise.resolve(frames.map((f) => decryptValues(seal, seal.deserialize(f)).map((v) => v + off)));
      // The proxy's seeded batch, one vector at a time on node-seal (one vector negated when broken).
      const encodeEncryptMany = (values: Float64Array, slots: number, o: { level?: number }): Promise<CiphertextHandle[]> =>
        Promise.resolve(
          Array.from({ length: values.length / slots }, (_, i) => {
            const v = values.subarray(i * slots, (i + 1) * slots).map((x) => (options.broken === 'seeded' && i === 1 ? -x : x));
            const pt = seal.encode(v, o.level === undefined ? {} : { level: o.level });
            try {
              return seal.encryptSymmetric(pt);
            } finally {
              pt.dispose();
            }
          }),
        );
      const seeded = options.seededBatch === false ? {} : { encodeEncryptMany, ciphertextWords: (level: number) => 2 * (level + 1) * params.n };
      const frames = { ...seeded, ...(options.frames === false ? {} : { decryptDecodeFrames }) };
      if (options.broken !== 'decode') return disguise(seal, 'native', frames);
      return disguise(seal, 'native', {
        ...frames,
        decode: (pt: Parameters<CkksBackend['decode']>[0]) => seal.decode(pt).map((v) => v + 1e-3),
      });
    },
    encryptBatch: (backend: CkksBackend, values: Float64Array[], o: { symmetric?: boolean; threads?: number; device?: string }): Promise<Uint8Array[]> => {
      const symmetric = o.symmetric === true;
      calls.push({ threads: o.threads ?? 1, symmetric, ...(o.device === undefined ? {} : { device: o.device }) });
      let out = cache.get(symmetric);
      if (!out) {
        out = values.map((v, i) => {
          const ct = encryptValues(backend, options.broken === 'batch' && i === values.length - 1 ? v.map((x) => -x) : v, { symmetric });
          try {
            return ct.serialize();
          } finally {
            ct.dispose();
          }
        });
        cache.set(symmetric, out);
      }
      return Promise.resolve(out);
    },
  };
  return { module, calls };
}

describe('runCkksBench with a stand-in native backend', () => {
  it('times both backends, the prompt per threads and key, and prints the headline comparisons', async () => {
    const { module, calls } = standIn();
    const notes: string[] = [];
    const { result, backendsRun } = await runCkksBench({
      backends: ['seal', 'native'],
      ns: [8192],
      quick: true,
      timeMs: 5,
      promptIterations: { seal: 1, native: 3 },
      ckksModule: module,
      note: (line) => notes.push(line),
    });
    const doc = parseRun(result);
    assert.deepEqual(backendsRun, ['seal', 'native']);
    assert.deepEqual(notes, []);
    assertOpMetrics(doc, 'seal', 8192);
    assertOpMetrics(doc, 'native', 8192);
    const answers = doc.metrics.filter((m) => m.name === 'ckks.decrypt_decode_batch');
    assert.deepEqual(
      answers.map((m) => [m.labels, m.unit, m.summary.n]),
      [[{ backend: 'native', n: 8192, ciphertexts: 24 }, 'ms', 20]],
      'the answer path: native only, 20 timed batches in quick mode',
    );
    const batches = doc.metrics.filter((m) => m.name === 'ckks.encode_encrypt_batch');
    assert.deepEqual(
      batches.map((m) => [m.labels, m.unit, m.summary.n]),
      [[{ backend: 'native', n: 8192, key: 'secret', ciphertexts: 16 }, 'ms', 20]],
      "the proxy's seeded batch: native only, 20 timed chunks in quick mode",
    );
    const prompts = doc.metrics.filter((m) => m.name === 'ckks.prompt_encrypt');
    assert.deepEqual(
      prompts.map((m) => [m.labels['backend'], m.labels['threads'], m.labels['key'], m.summary.n]),
      [
        ['seal', 1, 'public', 1],
        ['seal', 1, 'secret', 1],
        ['native', 1, 'public', 3],
        ['native', 1, 'secret', 3],
        ['native', 2, 'public', 3],
        ['native', 2, 'secret', 3],
      ],
    );
    for (const m of prompts) {
      assert.deepEqual(Object.keys(m.labels).sort(), ['backend', 'key', 'threads', 'tokens']);
      assert.equal(m.unit, 'ms');
    }
    // the batch API got the threads asked for (check run + warm-up + timed runs)
    assert.deepEqual(new Set(calls.map((c) => c.threads)), new Set([1, 2]));
    assert.equal(calls.length, 4 * (1 + 1 + 3));
    const prompt = doc.config['prompt'] as Record<string, unknown>;
    assert.equal(prompt['n'], 8192);
    assert.equal(prompt['vectors'], 192);

    const report = renderCkksReport(doc);
    assert.match(report, /ckks\.encode_encrypt\s+backend=native n=8192 key=public .* ×\d+\.\d\d/);
    assert.match(report, /n=8192 {3}seal [\d.]+ .s {2}native [\d.]+ .s {2}→ native ×\d+\.\d\d/);
    assert.match(report, /worker-pool speed-up \(native ckks\.prompt_encrypt\):\n {2}key=public threads 2 vs 1: ×\d+\.\d\d/);
    assert.match(report, /native vs seal \(threads 1, key=secret\): ×\d+\.\d\d/);
  });

  it('without encryptBatch the native prompt runs a plain loop with threads = 1 and says so', async () => {
    const { module } = standIn();
    const { encryptBatch: _dropped, ...withoutBatch } = module as Record<string, unknown>;
    const notes: string[] = [];
    const { result } = await runCkksBench({
      backends: ['native'],
      ns: [8192],
      threads: [1, 2, 4],
      quick: true,
      timeMs: 5,
      promptIterations: { native: 1 },
      ckksModule: withoutBatch,
      note: (line) => notes.push(line),
    });
    assert.ok(
      notes.some((n) => /does not export encryptBatch/.test(n)),
      notes.join('\n'),
    );
    const prompts = result.metrics.filter((m) => m.name === 'ckks.prompt_encrypt');
    assert.deepEqual(
      prompts.map((m) => m.labels['threads']),
      [1, 1],
    );
  });

  it('refuses to time a backend whose round trip is wrong', async () => {
    const { module } = standIn({ broken: 'decode' });
    await assert.rejects(
      runCkksBench({ backends: ['native'], ns: [8192], quick: true, timeMs: 5, prompt: false, ckksModule: module }),
      (error: unknown) =>
        error instanceof LabError &&
        error.code === 'INTERNAL' &&
        /native backend at n = 8192: encrypt\/decrypt round trip \(key public\) has max error 1\.00e-3 > 1e-5/.test(error.message),
    );
  });

  it('refuses to time a batch answer path that decodes other values than decrypt + decode, and skips it with a note where there is none', async () => {
    const opsOnly = { backends: ['native'], ns: [8192], quick: true, timeMs: 5, prompt: false, keySwitching: false } as const;
    await assert.rejects(
      runCkksBench({ ...opsOnly, ckksModule: standIn({ broken: 'frames' }).module }),
      (error: unknown) =>
        error instanceof LabError &&
        error.code === 'INTERNAL' &&
        /native backend at n = 8192: decryptDecodeFrames answer 0 differs from decrypt \+ decode/.test(error.message),
    );
    const notes: string[] = [];
    const { result } = await runCkksBench({ ...opsOnly, ckksModule: standIn({ frames: false }).module, note: (line) => notes.push(line) });
    assert.deepEqual(notes, [
      'ckks.decrypt_decode_batch skipped on the native backend at n = 8192: this build of @hlp/ckks has no batch decrypt + decode (decryptDecodeFrames)',
    ]);
    assert.ok(!result.metrics.some((m) => m.name === 'ckks.decrypt_decode_batch'));
    assert.ok(
      result.metrics.some((m) => m.name === 'ckks.rescale' && m.labels['backend'] === 'native'),
      'the other cases still run',
    );
  });

  it('refuses to time a seeded batch that does not decrypt to its inputs, and skips it with a note where there is none', async () => {
    const opsOnly = { backends: ['native'], ns: [8192], quick: true, timeMs: 5, prompt: false, keySwitching: false } as const;
    await assert.rejects(
      runCkksBench({ ...opsOnly, ckksModule: standIn({ broken: 'seeded' }).module }),
      (error: unknown) =>
        error instanceof LabError &&
        error.code === 'INTERNAL' &&
        /native backend at n = 8192: seeded batch ciphertext 1 decrypts [0-9.e-]+ off its input/.test(error.message),
    );
    const notes: string[] = [];
    const { result } = await runCkksBench({ ...opsOnly, ckksModule: standIn({ seededBatch: false }).module, note: (line) => notes.push(line) });
    assert.deepEqual(notes, [
      'ckks.encode_encrypt_batch skipped on the native backend at n = 8192: this build of @hlp/ckks has no batch encode + encrypt (encodeEncryptMany)',
    ]);
    assert.ok(!result.metrics.some((m) => m.name === 'ckks.encode_encrypt_batch'));
    assert.ok(
      result.metrics.some((m) => m.name === 'ckks.decrypt_decode_batch'),
      'the other cases still run',
    );
  });

  it('refuses to time an encryptBatch whose ciphertexts do not decrypt to the prompt', async () => {
    const { module } = standIn({ broken: 'batch' });
    await assert.rejects(
      runCkksBench({ backends: ['native'], ns: [8192], quick: true, timeMs: 1, promptIterations: { native: 1 }, ckksModule: module }),
      (error: unknown) =>
        error instanceof LabError && error.code === 'INTERNAL' && /encryptBatch .* ciphertext 191 decrypts with max error/.test(error.message),
    );
  });
});

describe('prompt values', () => {
  it('pack 1024 × 768 deterministic values in [−1, 1] densely', () => {
    const v = promptVectors(4096);
    assert.equal(v.length, 192);
    assert.ok(v.every((x) => x.length === 4096));
    assert.equal(promptVectors(8192).length, 96);
    assert.deepEqual(promptVectors(4096)[7], v[7]);
    const all = seededValues(100_000);
    assert.ok(all.every((x) => x >= -1 && x <= 1));
    assert.ok(Math.min(...all) < -0.99 && Math.max(...all) > 0.99);
  });
});

describe('HLP_BENCH_SLOWDOWN in the CKKS benchmark (for testing the gate)', () => {
  it('measureAsync spends the factor on every call: each slowed sample is at least factor × the call', async () => {
    const callNs = 2e6;
    const spin = async (): Promise<void> => {
      await new Promise((r) => setImmediate(r));
      const until = process.hrtime.bigint() + BigInt(callNs);
      while (process.hrtime.bigint() < until) {
        /* a call that takes at least 2 ms */
      }
    };
    const slowed = await measureAsync(spin, 5, 1, 2);
    assert.equal(slowed.length, 5);
    assert.ok(Math.min(...slowed) >= 2 * callNs, `${Math.min(...slowed)} ns`);
    await assert.rejects(measureAsync(spin, 1, 0, 0.5), /slowdown factor must be within/);
  });

  it('hlp bench ckks records the slowdown in the run and refuses a malformed one (exit 2)', { skip: HAS_NATIVE ? false : 'no native backend' }, async () => {
    const bad = await hlp(['bench', 'ckks', '--backend', 'native', '--n', '8192', '--quick', '--no-prompt'], { HLP_BENCH_SLOWDOWN: 'ckks.add' });
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /HLP_BENCH_SLOWDOWN: cannot parse 'ckks\.add'/);
    const ok = await hlp(['bench', 'ckks', '--backend', 'native', '--n', '8192', '--quick', '--no-prompt', '--time', '30', '--json'], {
      HLP_BENCH_SLOWDOWN: 'ckks.add:1.5',
    });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /HLP_BENCH_SLOWDOWN=ckks\.add:1\.5: matching cases are made slower on purpose/);
    assert.equal(parseRun(JSON.parse(ok.stdout)).config['slowdown'], 'ckks.add:1.5');
  });
});

describe('runCkksBench GPU cases', () => {
  it('without a usable GPU: one note with the reason, no device=cuda metrics', async () => {
    const { module, calls } = standIn({ gpu: 'unusable' });
    const notes: string[] = [];
    const { result } = await runCkksBench({
      backends: ['native'],
      ns: [8192],
      threads: [1],
      quick: true,
      timeMs: 5,
      promptIterations: { native: 1 },
      ckksModule: module,
      note: (line) => notes.push(line),
    });
    assert.deepEqual(notes, ['GPU cases of ckks.prompt_encrypt skipped: the cuda variant is not usable here (cuda: stand-in without a device)']);
    assert.ok(result.metrics.every((m) => m.labels['device'] === undefined && m.name !== 'ckks.gpu_pool_efficiency'));
    assert.ok(
      calls.every((c) => c.device === undefined),
      'no device option without GPU cases',
    );
  });

  it('with a usable GPU: device=cuda prompt cases (public key) and the pool efficiency, CPU cases pinned to the CPU', async () => {
    const { module, calls } = standIn({ gpu: 'usable' });
    const notes: string[] = [];
    const { result } = await runCkksBench({
      backends: ['native'],
      ns: [8192],
      threads: [1, 2],
      quick: true,
      timeMs: 5,
      promptIterations: { native: 2 },
      ckksModule: module,
      note: (line) => notes.push(line),
    });
    const doc = parseRun(result);
    assert.deepEqual(notes, []);
    const gpuPrompts = doc.metrics.filter((m) => m.name === 'ckks.prompt_encrypt' && m.labels['device'] === 'cuda');
    assert.deepEqual(
      gpuPrompts.map((m) => [m.labels['threads'], m.labels['key']]),
      [
        [1, 'public'],
        [2, 'public'],
      ],
    );
    const eff = doc.metrics.filter((m) => m.name === 'ckks.gpu_pool_efficiency');
    assert.equal(eff.length, 2);
    for (const m of eff) {
      assert.equal(m.unit, 'ratio');
      assert.equal(m.better, 'higher');
      assert.equal(m.labels['device'], 'cuda');
      assert.ok(Math.abs(m.summary.median - 0.75) < 1e-12, String(m.summary.median));
    }
    assert.ok(calls.filter((c) => c.device === 'cuda').every((c) => !c.symmetric));
    assert.ok(
      calls.some((c) => c.device === 'cpu'),
      'CPU cases name the CPU',
    );
    assert.match(renderCkksReport(doc), /threads=1 {2}GPU/);
  });
});
