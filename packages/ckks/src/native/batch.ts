/**
 * Prompt-scale encryption: many vectors encoded, encrypted and serialized in one go. On the
 * native backend, public-key batches run as fused native calls on libuv worker threads
 * (`threads` chunks in flight at once), so a long prompt spreads over the cores and the
 * event loop stays free; with a usable GPU (or HLP_KERNEL=cuda) each chunk is encoded on
 * its worker and encrypted on the device. Other cases run one vector at a time on the CPU.
 */
import { alignedWords } from '@hlp/kernels';
import type { CkksBackend } from '../backend.js';
import { CkksError } from '../errors.js';
import { NativeBackend } from './backend.js';
import type { BatchDevice, DeviceChoice } from './device.js';
import type { EncryptManyOptions } from './options.js';
import { ResultPool, pooledCapacity } from './result-pool.js';

export interface EncryptBatchOptions {
  /** Secret-key (seeded) encryption instead of public-key. */
  readonly symmetric?: boolean;
  /** Native public-key batches: how many chunks run concurrently on the libuv pool (default 1). */
  readonly threads?: number;
  /** Native public-key batches: overrides the backend's device choice (see NativeBackendOptions.device). */
  readonly device?: DeviceChoice;
}

export interface EncryptBatchResult {
  /** SEAL bytes, one per vector, in order. */
  readonly ciphertexts: Uint8Array[];
  /** The device that encrypted them. */
  readonly device: BatchDevice;
}

/**
 * Per backend, the packed values and the ciphertext words of the chunks in flight, reused from
 * call to call: serialization copies the ciphertexts out, so a chunk's buffers are free again
 * when it returns. Fresh ones per call (6 MB for 16 vectors at n = 8192) cost a page fault per
 * 4 KiB each time. Bounded to a GPT-2 prompt's 192 ciphertexts at n = 8192.
 */
interface ChunkPools {
  readonly packed: ResultPool<Float64Array>;
  readonly words: ResultPool;
}
const chunkPoolsOf = new WeakMap<NativeBackend, ChunkPools>();
const CHUNK_WORDS_BYTES = 80 * 1024 * 1024;
const CHUNK_PACKED_BYTES = 8 * 1024 * 1024;

function chunkPools(backend: NativeBackend): ChunkPools {
  let pools = chunkPoolsOf.get(backend);
  if (!pools) {
    pools = {
      packed: new ResultPool<Float64Array>(CHUNK_PACKED_BYTES, { evictOldest: true }),
      words: new ResultPool(CHUNK_WORDS_BYTES, { evictOldest: true }),
    };
    chunkPoolsOf.set(backend, pools);
  }
  return pools;
}

/** Encode + encrypt + serialize every vector (each at most slotCount values); SEAL bytes out, in order. */
export async function encryptBatch(backend: CkksBackend, vectors: readonly Float64Array[], options: EncryptBatchOptions = {}): Promise<Uint8Array[]> {
  return (await encryptBatchOn(backend, vectors, options)).ciphertexts;
}

/** {@link encryptBatch}, also saying which device did the work. */
export async function encryptBatchOn(backend: CkksBackend, vectors: readonly Float64Array[], options: EncryptBatchOptions = {}): Promise<EncryptBatchResult> {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new CkksError('INVALID_ARGUMENT', `threads must be an integer in [1, 256], got ${threads}`);
  }
  for (const [i, v] of vectors.entries()) {
    if (v.length > backend.slotCount) throw new CkksError('INVALID_ARGUMENT', `vector ${i} has ${v.length} values, more than ${backend.slotCount} slots`);
  }
  if (vectors.length === 0) return { ciphertexts: [], device: 'cpu' };
  // Secret-key vectors go one at a time (below): in a process whose result pool was full, the
  // seeded batch measured slower than that loop (×1.10–1.38 in the merge gate's pairing).
  if (backend instanceof NativeBackend && !options.symmetric) {
    const slots = backend.slotCount;
    const chunks = Math.min(threads, vectors.length);
    const per = Math.ceil(vectors.length / chunks);
    const manyOptions: EncryptManyOptions = options.device === undefined ? {} : { device: options.device };
    const pools = chunkPools(backend);
    const ctWords = backend.ciphertextWords(backend.params.maxLevel);
    const jobs: Promise<{ bytes: Uint8Array[]; device: BatchDevice }>[] = [];
    for (let start = 0; start < vectors.length; start += per) {
      const part = vectors.slice(start, start + per);
      const packedWhole = pools.packed.takeAtLeast(part.length * slots) ?? new Float64Array(pooledCapacity(part.length) * slots);
      const outWhole = pools.words.takeAtLeast(part.length * ctWords) ?? alignedWords(pooledCapacity(part.length) * ctWords);
      const packed = packedWhole.subarray(0, part.length * slots);
      part.forEach((v, i) => {
        packed.set(v, i * slots);
        packed.fill(0, i * slots + v.length, (i + 1) * slots);
      });
      const out = outWhole.subarray(0, part.length * ctWords);
      jobs.push(
        backend
          .encodeEncryptManyOn(packed, slots, { ...manyOptions, out })
          .then(({ ciphertexts, device }) => {
            try {
              return { bytes: ciphertexts.map((ct) => ct.serialize()), device };
            } finally {
              for (const ct of ciphertexts) ct.dispose();
            }
          })
          .finally(() => {
            pools.packed.give(packedWhole);
            pools.words.give(outWhole);
          }),
      );
    }
    const done = await Promise.all(jobs);
    // Chunks agree unless `auto` fell back to the CPU part-way; then the GPU did not do it all.
    const device: BatchDevice = done.every((d) => d.device === 'cuda') ? 'cuda' : 'cpu';
    return { ciphertexts: done.flatMap((d) => d.bytes), device };
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
  return { ciphertexts: out, device: 'cpu' };
}
