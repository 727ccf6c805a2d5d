/**
 * The native backend's batched encode + encrypt (NativeBackend.encodeEncryptManyOn): one fused
 * call for the whole batch on the libuv pool, so nothing per ciphertext runs on the event loop.
 * Public key: on the CPU or, where chosen, the GPU. Secret key: seeded (SEAL's method and
 * format), every seed expanded into its c1 on the worker thread.
 */
import { randomFillSync } from 'node:crypto';
import { KernelError, type CkksCore, type CudaEncryptor } from '@hlp/kernels';
import type { CiphertextHandle } from '../backend.js';
import { CkksError } from '../errors.js';
import { PRNG_SEED_BYTES } from '../seal-prng.js';
import { deviceError, type BatchDevice } from './device.js';
import type { GpuEncryptors } from './gpu-encryptors.js';
import type { NativeCiphertext } from './handles.js';
import { translateKernelError } from './kernel-errors.js';
import type { EncryptManyOptions, SymmetricPrng } from './options.js';
import { fillRandomAsync } from './randomness.js';
import { pooledCapacity, type ResultPool } from './result-pool.js';

export interface BatchEncryptDeps {
  readonly core: CkksCore;
  readonly n: number;
  readonly check: { readonly checkInput: boolean };
  /** CSPRNG buffers kept for reuse; a buffer goes back once the call has read it. */
  readonly randomness: ResultPool<Buffer>;
  readonly gpu: GpuEncryptors;
  readonly symmetricPrng: SymmetricPrng;
  publicKey(): BigUint64Array;
  secretKey(): BigUint64Array;
  wrap(data: BigUint64Array, level: number, scale: number, seed: NativeCiphertext['seed']): CiphertextHandle;
}

export interface EncryptedBatch {
  readonly ciphertexts: CiphertextHandle[];
  readonly device: BatchDevice;
}

/** `values` holds whole vectors of `valuesPerPlain` (checked by the caller); one ciphertext each at `level`. */
export async function encodeEncryptBatch(
  deps: BatchEncryptDeps,
  values: Float64Array,
  valuesPerPlain: number,
  scale: number,
  level: number,
  options: EncryptManyOptions,
): Promise<EncryptedBatch> {
  const count = values.length / valuesPerPlain;
  const words = 2 * (level + 1) * deps.n;
  if (options.out !== undefined && options.out.length !== count * words) {
    throw new CkksError('INVALID_ARGUMENT', `out must hold ${count * words} words (${count} ciphertexts), got ${options.out.length}`);
  }
  if (options.key === 'secret') {
    const stream = options.seedStream ?? deps.symmetricPrng;
    const { data, seeds } = await encryptSeeded(deps, stream, values, valuesPerPlain, scale, level, options.out);
    const ciphertexts = seeds.map((bytes, c) => deps.wrap(data.subarray(c * words, (c + 1) * words), level, scale, { prng: stream, bytes }));
    return { ciphertexts, device: 'cpu' };
  }
  const { data, device } = await encryptPublic(deps, values, valuesPerPlain, scale, level, options);
  const ciphertexts: CiphertextHandle[] = [];
  for (let c = 0; c < count; c++) ciphertexts.push(deps.wrap(data.subarray(c * words, (c + 1) * words), level, scale, null));
  return { ciphertexts, device };
}

async function encryptPublic(
  deps: BatchEncryptDeps,
  values: Float64Array,
  valuesPerPlain: number,
  scale: number,
  level: number,
  options: EncryptManyOptions,
): Promise<{ data: BigUint64Array; device: BatchDevice }> {
  const { core, gpu } = deps;
  const count = values.length / valuesPerPlain;
  const pk = deps.publicKey();
  // A buffer of this call's own (not Node's shared pool): concurrent calls must not share
  // bytes. It goes back to the pool once the encryption has read it, so a busy server
  // reuses warm memory instead of a fresh megabyte per batch; allocUnsafe skips zeroing
  // what the CSPRNG overwrites at once. The asynchronous fill runs on the libuv pool, so the
  // event loop does not spend about 0.1 ms per ciphertext generating randomness.
  const { whole: randomnessWhole, bytes: randomness } = await freshRandomness(deps.randomness, count * core.randomnessBytes('encryptPublic'));
  const choice = options.device ?? gpu.choice;
  let device = gpu.resolve(choice);
  let encryptor: CudaEncryptor | null = null;
  if (device === 'cuda') {
    try {
      encryptor = gpu.at(core, pk, level + 1, deps.check);
    } catch (error) {
      // Forced: a clear error. Auto: the CPU from now on, with the reason kept.
      if (choice === 'cuda') {
        deps.randomness.give(randomnessWhole);
        throw deviceError('GPU batch encryption (device cuda)', error);
      }
      gpu.fallBack(`GPU encryptor setup failed: ${error instanceof Error ? error.message : String(error)}`);
      device = 'cpu';
    }
  }
  try {
    // The device path returns its own buffer (copied back from the GPU), `out` or not.
    const data = encryptor
      ? await encryptor.encodeEncryptPublicAsync(values, valuesPerPlain, count, scale, randomness, deps.check)
      : await core.encodeEncryptPublicAsync(pk, values, valuesPerPlain, count, scale, level + 1, randomness, {
          ...deps.check,
          ...(options.out ? { out: options.out } : {}),
        });
    return { data, device };
  } catch (error) {
    if (encryptor && error instanceof KernelError && (error.code === 'VARIANT_UNAVAILABLE' || error.code === 'NO_DEVICE')) {
      throw deviceError('GPU encode+encrypt', error);
    }
    throw translateKernelError(encryptor ? 'GPU encode+encrypt' : 'encode+encrypt', error);
  } finally {
    deps.randomness.give(randomnessWhole);
  }
}

async function encryptSeeded(
  deps: BatchEncryptDeps,
  stream: SymmetricPrng,
  values: Float64Array,
  valuesPerPlain: number,
  scale: number,
  level: number,
  out: BigUint64Array | undefined,
): Promise<{ data: BigUint64Array; seeds: Uint8Array[] }> {
  const { core } = deps;
  const count = values.length / valuesPerPlain;
  const sk = deps.secretKey();
  // Seeds for this batch alone (never reused): each stands for its ciphertext's c1.
  const seedBytes = randomFillSync(new Uint8Array(count * PRNG_SEED_BYTES));
  const { whole: noiseWhole, bytes: noise } = await freshRandomness(deps.randomness, count * core.randomnessBytes('noise'));
  try {
    const data = await core.encodeEncryptSeededAsync(sk, values, valuesPerPlain, count, scale, level + 1, seedBytes, noise, {
      ...deps.check,
      seedStream: stream,
      ...(out ? { out } : {}),
    });
    const seeds: Uint8Array[] = [];
    for (let c = 0; c < count; c++) seeds.push(seedBytes.subarray(c * PRNG_SEED_BYTES, (c + 1) * PRNG_SEED_BYTES));
    return { data, seeds };
  } catch (error) {
    throw translateKernelError('seeded encode+encrypt', error);
  } finally {
    deps.randomness.give(noiseWhole);
  }
}

/**
 * `bytes` fresh CSPRNG bytes, filled on the libuv pool, in a pooled buffer that may be longer
 * (batches differ in size: an exact-size pool rarely had one): give `whole` back once read.
 */
async function freshRandomness(pool: ResultPool<Buffer>, bytes: number): Promise<{ whole: Buffer; bytes: Buffer }> {
  const whole = pool.takeAtLeast(bytes) ?? Buffer.allocUnsafeSlow(pooledCapacity(bytes));
  return { whole, bytes: await fillRandomAsync(whole.subarray(0, bytes)) };
}
