/**
 * The proxy's encryption path in `hlp bench ckks` (`ckks.encode_encrypt_batch`): one chunk of
 * vectors encoded and encrypted with the secret key, seeded, in one `encodeEncryptMany` call on
 * the libuv pool, written into one reused buffer and serialized as views — what the proxy does
 * with every batch of prompts (pipeline/encrypt.ts). Native backend only: node-seal has no batch
 * path (one vector at a time there, which `ckks.encode_encrypt key=secret` times).
 *
 * The merge gate pairs it too (gate/pair-cases.ts): `ckks.prompt_encrypt key=secret` times the
 * one-vector-at-a-time loop, so without this series a slower seeded batch would pass a merge.
 */
import type { CiphertextHandle, CkksBackend, EncodeOptions } from '@hlp/ckks';
import type { RunMetricName } from '@hlp/results';
import { LabError } from '../errors.js';

export const SEEDED_BATCH_METRIC = 'ckks.encode_encrypt_batch' as const satisfies RunMetricName;
/** Ciphertexts per call: a 64-token request at four tokens per ciphertext, one proxy chunk. */
export const SEEDED_BATCH_CIPHERTEXTS = 16;
/** The level the proxy encrypts `affine` and `projection` inputs at (the lowest that evaluates). */
export const SEEDED_BATCH_LEVEL = 1;
/** Timed calls per case, and untimed warm-up calls before them. */
export const SEEDED_BATCH_ITERATIONS = { full: 60, quick: 20 } as const;
export const SEEDED_BATCH_WARMUP = { full: 3, quick: 1 } as const;
/** Largest decryption error accepted from the checked first call (values in [−1, 1] at a 2^40 scale). */
const MAX_ERROR = 1e-5;

export interface SeededBatchCase {
  readonly kind: 'seeded-batch';
  readonly name: typeof SEEDED_BATCH_METRIC;
  readonly key: 'secret';
  readonly ciphertexts: number;
}

export function seededBatchCases(backend: string): SeededBatchCase[] {
  return backend === 'native' ? [{ kind: 'seeded-batch', name: SEEDED_BATCH_METRIC, key: 'secret', ciphertexts: SEEDED_BATCH_CIPHERTEXTS }] : [];
}

interface SeededBatchEncoder {
  ciphertextWords(level: number): number;
  encodeEncryptMany(
    values: Float64Array,
    valuesPerPlain: number,
    options: EncodeOptions & { readonly key?: 'public' | 'secret'; readonly out?: BigUint64Array },
  ): Promise<CiphertextHandle[]>;
}

export function hasSeededBatch(b: CkksBackend): b is CkksBackend & SeededBatchEncoder {
  const e = b as Partial<SeededBatchEncoder>;
  return typeof e.encodeEncryptMany === 'function' && typeof e.ciphertextWords === 'function';
}

/** `count` vectors of the backend's slot count, back to back, values in [−1, 1]. */
function batchValues(slots: number, count: number): Float64Array {
  return Float64Array.from({ length: slots * count }, (_, i) => Math.sin(0.001 * i + 0.3));
}

/**
 * The timed call of the case, after checking once that the batch decrypts to its inputs and
 * serializes seeded (a broken or unseeded path is refused, not timed).
 */
export async function seededBatchFunction(backend: CkksBackend, count: number, what: string): Promise<() => Promise<unknown>> {
  if (!hasSeededBatch(backend)) throw new LabError('INFRA', `${what}: this backend has no encodeEncryptMany, so ${SEEDED_BATCH_METRIC} cannot run`);
  const slots = backend.slotCount;
  const values = batchValues(slots, count);
  const out = new BigUint64Array(count * backend.ciphertextWords(SEEDED_BATCH_LEVEL));
  const options = { level: SEEDED_BATCH_LEVEL, key: 'secret' as const, out };
  const first = await backend.encodeEncryptMany(values, slots, options);
  try {
    first.forEach((ct, i) => {
      const bytes = ct.serialize();
      const full = 2 * (SEEDED_BATCH_LEVEL + 1) * backend.params.n * 8;
      if (!(bytes.length < full)) throw new LabError('INTERNAL', `${what}: ciphertext ${i} serializes to ${bytes.length} bytes, not seeded (full ${full})`);
      const plain = backend.decrypt(ct);
      let worst = 0;
      try {
        const got = backend.decode(plain);
        for (let k = 0; k < slots; k++) worst = Math.max(worst, Math.abs((got[k] as number) - (values[i * slots + k] as number)));
      } finally {
        plain.dispose();
      }
      if (!(worst <= MAX_ERROR)) throw new LabError('INTERNAL', `${what}: seeded batch ciphertext ${i} decrypts ${worst} off its input (limit ${MAX_ERROR})`);
    });
  } finally {
    for (const ct of first) ct.dispose();
  }
  // As the proxy: pieces viewing the shared buffer (what goes to the socket), then dispose.
  return () =>
    backend.encodeEncryptMany(values, slots, options).then((cts) => {
      for (const ct of cts) {
        ct.serializeParts();
        ct.dispose();
      }
    });
}
