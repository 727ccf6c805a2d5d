/**
 * The proxy's answer path in `hlp bench ckks` (`ckks.decrypt_decode_batch`): a batch of
 * serialized ciphertexts one rescale below the top, as the `affine` workload answers, parsed,
 * decrypted and decoded by `decryptDecodeFrames` on the libuv pool — what the proxy does with
 * every reply of the inference service. Native backend only: node-seal has no batch path (the
 * proxy decrypts one ciphertext at a time there, which `ckks.decrypt` and `ckks.decode` time).
 *
 * The merge gate pairs it too (gate/pair-cases.ts), so a slower answer path fails a merge
 * like a slower kernel does.
 */
import type { CkksBackend } from '@hlp/ckks';
import type { RunMetricName } from '@hlp/results';
import { LabError } from '../errors.js';
import type { Fixture } from './ckks-fixtures.js';

export const ANSWERS_METRIC = 'ckks.decrypt_decode_batch' as const satisfies RunMetricName;
/** Ciphertexts per batch: three 32-token requests of the `affine` workload at n = 8192. */
export const ANSWER_CIPHERTEXTS = 24;
/** Timed batches per case, and untimed warm-up batches before them. */
export const ANSWERS_ITERATIONS = { full: 60, quick: 20 } as const;
export const ANSWERS_WARMUP = { full: 3, quick: 1 } as const;
/** Largest difference allowed between the batch path's values and decrypt + decode of the same ciphertext. */
const MAX_PATH_DIFFERENCE = 1e-9;

export interface AnswersCase {
  readonly kind: 'answers';
  readonly name: typeof ANSWERS_METRIC;
  readonly ciphertexts: number;
}

export function answersCases(backend: string): AnswersCase[] {
  return backend === 'native' ? [{ kind: 'answers', name: ANSWERS_METRIC, ciphertexts: ANSWER_CIPHERTEXTS }] : [];
}

interface FramesDecoder {
  decryptDecodeFrames(frames: readonly Uint8Array[], valuesPerCiphertext?: number): Promise<Float64Array[]>;
}

export function hasFramesDecoder(b: CkksBackend): b is CkksBackend & FramesDecoder {
  return typeof (b as Partial<FramesDecoder>).decryptDecodeFrames === 'function';
}

/**
 * The timed call of the case on `fixture` (its product, rescaled, serialized `count` times into
 * separate buffers, as answers arrive), after checking once that the batch path decodes what
 * decrypt + decode of the same ciphertext does: a broken path is refused, not timed.
 */
export async function answersFunction(backend: CkksBackend, fixture: Fixture, count: number, what: string): Promise<() => Promise<unknown>> {
  if (!hasFramesDecoder(backend)) throw new LabError('INFRA', `${what}: this backend has no decryptDecodeFrames, so ${ANSWERS_METRIC} cannot run`);
  const answer = backend.rescaleToNext(fixture.product);
  let frames: Uint8Array[];
  let want: Float64Array;
  try {
    const bytes = answer.serialize();
    frames = Array.from({ length: count }, () => Uint8Array.from(bytes));
    const plain = backend.decrypt(answer);
    try {
      want = Float64Array.from(backend.decode(plain));
    } finally {
      plain.dispose();
    }
  } finally {
    answer.dispose();
  }
  const got = await backend.decryptDecodeFrames(frames);
  got.forEach((values, i) => {
    const worst = values.reduce((m, v, k) => Math.max(m, Math.abs(v - want[k]!)), values.length === want.length ? 0 : Infinity);
    if (!(worst <= MAX_PATH_DIFFERENCE)) {
      throw new LabError('INTERNAL', `${what}: decryptDecodeFrames answer ${i} differs from decrypt + decode by ${worst} (limit ${MAX_PATH_DIFFERENCE})`);
    }
  });
  return () => backend.decryptDecodeFrames(frames);
}
