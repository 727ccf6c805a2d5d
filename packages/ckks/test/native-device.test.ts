import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';

import { CkksCore, CudaEncryptor } from '@hlp/kernels';
import { CkksError, decryptValues } from '../src/index.js';
import {
  NativeBackend,
  createNativeBackend,
  cudaStatus,
  deviceChoiceFromEnv,
  encryptBatch,
  encryptBatchOn,
  gpuPoolStats,
  type NativeBackendOptions,
} from '../src/native/index.js';
import { presetParams } from '../src/params.js';
import { parsePublicKey } from '../src/seal-format.js';
import { rng } from './helpers.js';

// Which device batched public-key encryption runs on. Without a GPU: the default stays on
// the CPU, and forcing cuda is a typed error that says why. With a GPU (skipped here):
// the device batch decrypts and equals the CPU bit for bit for the same randomness.

const BOUND = 1e-6;
const status = cudaStatus();
const noDevice = status.usable ? false : `no CUDA device: ${status.reason}`;
const withoutDevice = status.usable ? 'a CUDA device is present' : false;

function values(count: number, seed: number): Float64Array {
  const next = rng(seed);
  return Float64Array.from({ length: count }, () => next() * 2 - 1);
}

function maxError(a: ArrayLike<number>, b: ArrayLike<number>, count: number): number {
  let worst = 0;
  for (let i = 0; i < count; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

async function backend(options: NativeBackendOptions = {}): Promise<NativeBackend> {
  const native = await createNativeBackend(presetParams(8192), options);
  native.generateKeys({ relin: false });
  return native;
}

/** Creates a backend with HLP_KERNEL set to `value` (restored afterwards). */
async function backendWithEnv(value: string): Promise<NativeBackend> {
  const saved = process.env['HLP_KERNEL'];
  process.env['HLP_KERNEL'] = value;
  try {
    return await backend();
  } finally {
    if (saved === undefined) delete process.env['HLP_KERNEL'];
    else process.env['HLP_KERNEL'] = saved;
  }
}

function checkDecrypts(native: NativeBackend, bytes: readonly Uint8Array[], vectors: readonly Float64Array[]): void {
  assert.equal(bytes.length, vectors.length);
  bytes.forEach((b, i) => {
    const ct = native.deserialize(b);
    try {
      const err = maxError(decryptValues(native, ct), vectors[i]!, vectors[i]!.length);
      assert.ok(err <= BOUND, `vector ${i}: max error ${err}`);
    } finally {
      ct.dispose();
    }
  });
}

test('HLP_KERNEL maps to a device choice: cuda forces the GPU, CPU variants keep the CPU, otherwise auto', () => {
  assert.equal(deviceChoiceFromEnv({ HLP_KERNEL: 'cuda' }), 'cuda');
  assert.equal(deviceChoiceFromEnv({ HLP_KERNEL: 'CUDA ' }), 'cuda');
  for (const v of ['scalar', 'avx2', 'avx512']) assert.equal(deviceChoiceFromEnv({ HLP_KERNEL: v }), 'cpu');
  assert.equal(deviceChoiceFromEnv({}), 'auto');
  assert.equal(deviceChoiceFromEnv({ HLP_KERNEL: 'auto' }), 'auto');
});

test(
  'without a device: the default batch runs on the CPU and says so; forcing cuda is DEVICE_UNAVAILABLE with the reason',
  { skip: withoutDevice },
  async () => {
    assert.ok(status.reason.length > 0);
    const vectors = Array.from({ length: 3 }, (_, i) => values(4096 - i, 7 + i));

    const auto = await backend({ device: 'auto' });
    try {
      assert.equal(auto.batchDevice, 'cpu');
      assert.equal(auto.gpuUnavailableReason, status.reason);
      const r = await encryptBatchOn(auto, vectors, { threads: 2 });
      assert.equal(r.device, 'cpu');
      checkDecrypts(auto, r.ciphertexts, vectors);
      // A per-call override reaches the same typed error as the backend option.
      await assert.rejects(encryptBatch(auto, vectors, { device: 'cuda' }), (e: unknown) => e instanceof CkksError && e.code === 'DEVICE_UNAVAILABLE');
    } finally {
      auto.dispose();
    }

    const forced = await backendWithEnv('cuda');
    try {
      assert.equal(forced.deviceChoice, 'cuda');
      assert.equal(forced.batchDevice, 'cuda');
      await assert.rejects(encryptBatch(forced, vectors, { threads: 2 }), (e: unknown) => {
        assert.ok(e instanceof CkksError, `expected CkksError, got ${String(e)}`);
        assert.equal(e.code, 'DEVICE_UNAVAILABLE', e.message);
        assert.match(e.message, /GPU batch encryption/);
        assert.ok(e.message.includes(status.reason), `the reason is in the message: ${e.message}`);
        return true;
      });
      // Secret-key batches never go to the GPU, so they still work.
      const seeded = await encryptBatchOn(forced, vectors.slice(0, 1), { symmetric: true });
      assert.equal(seeded.device, 'cpu');
      checkDecrypts(forced, seeded.ciphertexts, vectors.slice(0, 1));
    } finally {
      forced.dispose();
    }

    assert.deepEqual(
      { available: gpuPoolStats().available, efficiency: gpuPoolStats().efficiency, reserved: gpuPoolStats().bytesReserved },
      { available: false, efficiency: null, reserved: 0 },
    );
  },
);

test('HLP_KERNEL=avx2 (or device cpu) keeps batch encryption on the CPU', async () => {
  const native = await backendWithEnv('avx2');
  try {
    assert.equal(native.deviceChoice, 'cpu');
    assert.equal(native.batchDevice, 'cpu');
    assert.match(native.gpuUnavailableReason ?? '', /CPU was chosen/);
    const vectors = [values(100, 1), values(4096, 2)];
    const r = await encryptBatchOn(native, vectors);
    assert.equal(r.device, 'cpu');
    checkDecrypts(native, r.ciphertexts, vectors);
  } finally {
    native.dispose();
  }
});

test('with a GPU: the device batch decrypts, and equals the CPU bit for bit for the same randomness', { skip: noDevice }, async () => {
  const native = await backend({ device: 'cuda' });
  try {
    assert.equal(native.batchDevice, 'cuda');
    const vectors = Array.from({ length: 7 }, (_, i) => values(native.slotCount - 3 * i, 40 + i));
    for (const threads of [1, 3]) {
      const r = await encryptBatchOn(native, vectors, { threads });
      assert.equal(r.device, 'cuda');
      checkDecrypts(native, r.ciphertexts, vectors);
    }
    const cpu = await encryptBatchOn(native, vectors, { device: 'cpu' });
    assert.equal(cpu.device, 'cpu');
    const pool = gpuPoolStats();
    assert.equal(pool.available, true);
    assert.ok(pool.bytesReserved > 0, JSON.stringify(pool));

    // The same bytes through both paths, with this backend's (SEAL-made) public key.
    const params = native.params;
    const pk = parsePublicKey(native.exportKey('public')).data;
    const core = new CkksCore(params.n, params.coeffModulus);
    const level = params.maxLevel + 1;
    const enc = new CudaEncryptor(core, pk, level);
    try {
      const count = vectors.length;
      const packed = new Float64Array(count * native.slotCount);
      vectors.forEach((v, i) => packed.set(v, i * native.slotCount));
      const rand = new Uint8Array(count * core.randomnessBytes('encryptPublic'));
      for (let off = 0; off < rand.length; off += 65536) randomFillSync(rand, off, Math.min(65536, rand.length - off));
      const onCpu = await core.encodeEncryptPublicAsync(pk, packed, native.slotCount, count, params.scale, level, rand);
      const onGpu = await enc.encodeEncryptPublicAsync(packed, native.slotCount, count, params.scale, rand);
      assert.deepEqual(onGpu, onCpu);
    } finally {
      enc.dispose();
      core.dispose();
    }
  } finally {
    native.dispose();
  }
});
