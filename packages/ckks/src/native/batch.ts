/**
 * Prompt-scale encryption: many vectors encoded, encrypted and serialized in one go. On the
 * native backend, public-key batches run as fused native calls on libuv worker threads
 * (`threads` chunks in flight at once), so a long prompt spreads over the cores and the
 * event loop stays free; other cases run one vector at a time.
 */
import type { CkksBackend } from '../backend.js';
import { CkksError } from '../errors.js';
import { NativeBackend } from './backend.js';

export interface EncryptBatchOptions {
  /** Secret-key (seeded) encryption instead of public-key. */
  readonly symmetric?: boolean;
  /** Native public-key batches: how many chunks run concurrently on the libuv pool (default 1). */
  readonly threads?: number;
}

/** Encode + encrypt + serialize every vector (each at most slotCount values); SEAL bytes out, in order. */
export async function encryptBatch(
  backend: CkksBackend,
  vectors: readonly Float64Array[],
  options: EncryptBatchOptions = {},
): Promise<Uint8Array[]> {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new CkksError('INVALID_ARGUMENT', `threads must be an integer in [1, 256], got ${threads}`);
  }
  for (const [i, v] of vectors.entries()) {
    if (v.length > backend.slotCount) throw new CkksError('INVALID_ARGUMENT', `vector ${i} has ${v.length} values, more than ${backend.slotCount} slots`);
  }
  if (vectors.length === 0) return [];
  if (backend instanceof NativeBackend && !options.symmetric) {
    const slots = backend.slotCount;
    const chunks = Math.min(threads, vectors.length);
    const per = Math.ceil(vectors.length / chunks);
    const jobs: Promise<Uint8Array[]>[] = [];
    for (let start = 0; start < vectors.length; start += per) {
      const part = vectors.slice(start, start + per);
      const packed = new Float64Array(part.length * slots);
      part.forEach((v, i) => packed.set(v, i * slots));
      jobs.push(
        backend.encodeEncryptMany(packed, slots).then((cts) => {
          try {
            return cts.map((ct) => ct.serialize());
          } finally {
            for (const ct of cts) ct.dispose();
          }
        }),
      );
    }
    return (await Promise.all(jobs)).flat();
  }
  const out: Uint8Array[] = [];
  for (const v of vectors) {
    const pt = backend.encode(v);
    try {
      const ct = options.symmetric ? backend.encryptSymmetric(pt) : backend.encrypt(pt);
      try {
        out.push(ct.serialize());
      } finally {
        ct.dispose();
      }
    } finally {
      pt.dispose();
    }
  }
  return out;
}
