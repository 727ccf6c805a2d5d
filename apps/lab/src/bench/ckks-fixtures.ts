/**
 * What the timed functions of `hlp bench ckks` work on: seeded values, the prompt's vectors, the
 * live objects of one (backend, n), the checks that a backend is sound before it is timed, and
 * the async measurement of the prompt benchmark.
 */
import { decryptValues, encryptValues, type CiphertextHandle, type CkksBackend, type PlaintextHandle } from '@hlp/ckks';
import { CountingEvaluator, rescaledScale } from '@hlp/evaluator';
import { Bench } from 'tinybench';
import { LabError } from '../errors.js';
import { MAX_ROUND_TRIP_ERROR, PROMPT_DIM, PROMPT_TOKENS, VALUES_SEED, type CkksCase, type KeyKindLabel } from './ckks-cases.js';
import { MAX_SLOWDOWN, spendSlowdown } from './measure.js';

/** Deterministic values in [−1, 1] (mulberry32). */
export function seededValues(count: number, seed: number = VALUES_SEED): Float64Array {
  const out = new Float64Array(count);
  let a = seed >>> 0;
  for (let i = 0; i < count; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    out[i] = 2 * u - 1;
  }
  return out;
}

/** The prompt's tokens × dim values packed densely into ⌈tokens·dim / slots⌉ vectors of `slots` values. */
export function promptVectors(slots: number, tokens: number = PROMPT_TOKENS, dim: number = PROMPT_DIM): Float64Array[] {
  const all = seededValues(tokens * dim, VALUES_SEED ^ 0x0bad_f00d);
  const vectors: Float64Array[] = [];
  for (let off = 0; off < all.length; off += slots) vectors.push(all.slice(off, Math.min(off + slots, all.length)));
  return vectors;
}

function maxError(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs((actual[i] ?? Number.NaN) - (expected[i] ?? 0));
    if (!(e <= worst)) worst = e; // NaN sticks
  }
  return worst;
}

export function checkRoundTrip(backend: CkksBackend, values: Float64Array, key: KeyKindLabel, what: string): number {
  const ct = encryptValues(backend, values, { symmetric: key === 'secret' });
  let err: number;
  try {
    err = maxError(values, decryptValues(backend, ct));
  } finally {
    ct.dispose();
  }
  if (!(err <= MAX_ROUND_TRIP_ERROR)) {
    throw new LabError(
      'INTERNAL',
      `${what}: encrypt/decrypt round trip (key ${key}) has max error ${err.toExponential(2)} > ${MAX_ROUND_TRIP_ERROR.toExponential()}; ` +
        'refusing to benchmark a broken backend',
    );
  }
  return err;
}

/** Deserialize, decrypt and compare serialized ciphertexts of `vectors` (a few indices). */
export function checkSerialized(backend: CkksBackend, bytes: readonly Uint8Array[], vectors: readonly Float64Array[], what: string): number {
  if (bytes.length !== vectors.length) {
    throw new LabError('INTERNAL', `${what}: ${bytes.length} ciphertexts for ${vectors.length} vectors`);
  }
  let worst = 0;
  for (const i of new Set([0, vectors.length - 1])) {
    const ct = backend.deserialize(bytes[i]!);
    let err: number;
    try {
      err = maxError(vectors[i]!, decryptValues(backend, ct));
    } finally {
      ct.dispose();
    }
    if (!(err <= MAX_ROUND_TRIP_ERROR)) {
      throw new LabError('INTERNAL', `${what}: ciphertext ${i} decrypts with max error ${err.toExponential(2)} > ${MAX_ROUND_TRIP_ERROR.toExponential()}`);
    }
    worst = Math.max(worst, err);
  }
  return worst;
}

// -- async measurement (the prompt benchmark) ---------------------------------------------

/**
 * Runs the async `fn` exactly `iterations` times under tinybench after `warmupIterations`
 * untimed calls and returns the per-call samples in nanoseconds (same timer as measure()).
 */
export async function measureAsync(fn: () => Promise<unknown>, iterations: number, warmupIterations: number, slowdown = 1): Promise<number[]> {
  if (!(slowdown >= 1 && slowdown <= MAX_SLOWDOWN)) throw new LabError('USAGE', `slowdown factor must be within [1, ${MAX_SLOWDOWN}], got ${slowdown}`);
  const samples: number[] = [];
  let recording = false;
  const bench = new Bench({
    time: 0,
    warmup: warmupIterations > 0,
    warmupTime: 0,
    warmupIterations,
    iterations,
    throws: true,
    timestampProvider: 'hrtimeNow',
  });
  bench.add(
    'case',
    async () => {
      const t0 = process.hrtime.bigint();
      await fn();
      const t1 = spendSlowdown(t0, process.hrtime.bigint(), slowdown);
      const elapsed = Number(t1 - t0);
      if (recording) samples.push(elapsed);
      return { overriddenDuration: elapsed / 1e6 };
    },
    {
      beforeAll(mode) {
        recording = mode === 'run';
        samples.length = 0;
      },
    },
  );
  const [task] = await bench.run();
  const result = task?.result;
  if (!result || result.state === 'errored') throw result?.state === 'errored' ? result.error : new Error('tinybench produced no result');
  if (result.state !== 'completed') throw new Error(`tinybench task ended in state ${result.state}`);
  return samples;
}

/** The @hlp/ckks helpers a fixture calls (another checkout's, when the gate pairs two builds in one process). */
export interface CkksHelpers {
  readonly encryptValues: typeof encryptValues;
}

/** Live objects of one (backend, n): pre-made inputs of the timed functions. */
export interface Fixture {
  readonly helpers: CkksHelpers;
  readonly backend: CkksBackend;
  readonly values: Float64Array;
  readonly pt: PlaintextHandle;
  readonly ctPub: CiphertextHandle;
  readonly ctPub2: CiphertextHandle;
  readonly ptDec: PlaintextHandle;
  readonly product: CiphertextHandle;
  /** ckks.add_inplace's accumulator (ctPub + ctPub2, then every addition's sum). */
  readonly acc: CiphertextHandle;
  /** ckks.affine's b: the values at the level and scale of `product` rescaled. */
  readonly shift: PlaintextHandle;
}

export function makeFixture(backend: CkksBackend, values: Float64Array, helpers: CkksHelpers = { encryptValues }): Fixture {
  const pt = backend.encode(values);
  const ctPub = backend.encrypt(pt);
  const ctPub2 = helpers.encryptValues(backend, seededValues(values.length, VALUES_SEED + 1));
  const ptDec = backend.decrypt(ctPub);
  const product = backend.multiplyPlain(ctPub, pt);
  const acc = backend.add(ctPub, ctPub2);
  const shift = backend.encode(values, { scale: rescaledScale(backend.params, ctPub.scale, pt.scale, product.level), level: product.level - 1 });
  return { helpers, backend, values, pt, ctPub, ctPub2, ptDec, product, acc, shift };
}

/** Frees a fixture's handles (not its backend). */
export function disposeFixture(f: Fixture): void {
  for (const h of [f.pt, f.ctPub, f.ctPub2, f.ptDec, f.product, f.acc, f.shift]) h.dispose();
}

/** Drops the backend's pooled result buffers, where it has a pool (a checkout built before `trimResultPool`: a no-op). */
export function trimResultPool(backend: CkksBackend): void {
  const b = backend as { trimResultPool?: unknown };
  if (typeof b.trimResultPool === 'function') (b.trimResultPool as () => void).call(backend);
}

export function opFunction(c: CkksCase & { kind: 'op' }, f: Fixture): () => void {
  const b = f.backend;
  switch (c.name) {
    case 'ckks.encode':
      return () => b.encode(f.values).dispose();
    case 'ckks.encrypt':
      return c.key === 'secret' ? () => b.encryptSymmetric(f.pt).dispose() : () => b.encrypt(f.pt).dispose();
    case 'ckks.encode_encrypt': {
      const symmetric = c.key === 'secret';
      return () => f.helpers.encryptValues(b, f.values, { symmetric }).dispose();
    }
    case 'ckks.decrypt':
      return () => b.decrypt(f.ctPub).dispose();
    case 'ckks.decode':
      return () => void b.decode(f.ptDec);
    case 'ckks.serialize':
      return () => void f.ctPub.serialize();
    case 'ckks.add':
      return () => b.add(f.ctPub, f.ctPub2).dispose();
    case 'ckks.add_inplace':
      return () => b.addInPlace(f.acc, f.ctPub2);
    case 'ckks.multiply_plain':
      return () => b.multiplyPlain(f.ctPub, f.pt).dispose();
    case 'ckks.rescale':
      return () => b.rescaleToNext(f.product).dispose();
    case 'ckks.affine': {
      // y = pt ⊙ x + shift as the affine workload evaluates it: one call where the backend fuses the three, the three calls on one that does not
      const ev = new CountingEvaluator(b);
      return () => ev.multiplyPlainRescale(f.ctPub, f.pt, f.shift).dispose();
    }
  }
}

export function serializedSize(f: Fixture, key: KeyKindLabel): number {
  if (key === 'public') return f.ctPub.serialize().length;
  const ct = f.helpers.encryptValues(f.backend, f.values, { symmetric: true });
  try {
    return ct.serialize().length;
  } finally {
    ct.dispose();
  }
}

/** encode + encrypt + serialize of every vector on the calling thread. */
export function encryptLoop(
  backend: CkksBackend,
  vectors: readonly Float64Array[],
  symmetric: boolean,
  helpers: CkksHelpers = { encryptValues },
): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const v of vectors) {
    const ct = helpers.encryptValues(backend, v, { symmetric });
    try {
      out.push(ct.serialize());
    } finally {
      ct.dispose();
    }
  }
  return out;
}
