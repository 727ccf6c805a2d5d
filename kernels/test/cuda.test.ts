import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomFillSync } from 'node:crypto';

import { CkksCore, CudaEncryptor, KernelError, cudaAvailable, cudaPoolStats, cudaPoolTrim, cudaUnavailableReason, variants } from '../src/index.js';
import { presetModuli } from './helpers.js';

// The CUDA paths in two halves: what must hold on a machine without a device (typed
// errors, zero pool counters), and, only where a device exists, that the device encryptor
// reproduces the CPU's ciphertexts bit for bit.

const N = 8192;
const MODULI = presetModuli(N);
const SCALE = 2 ** 40;

const reason = cudaUnavailableReason();
const noDevice = reason === '' ? false : `no CUDA device: ${reason}`;
const withoutDevice = reason === '' ? 'a CUDA device is present' : false;

function bytes(count: number): Uint8Array {
  const out = new Uint8Array(count);
  for (let off = 0; off < count; off += 65536) randomFillSync(out, off, Math.min(65536, count - off));
  return out;
}

function expectCode(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof KernelError, `expected KernelError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

interface Keys {
  core: CkksCore;
  sk: BigUint64Array;
  pk: BigUint64Array;
}

let shared: Keys | undefined;
function keys(): Keys {
  if (shared) return shared;
  const core = new CkksCore(N, MODULI);
  const k = core.dataPrimeCount;
  const sk = core.generateSecretKey(bytes(core.randomnessBytes('secretKey')));
  const pk = core.generatePublicKey(sk, bytes(core.randomnessBytes('uniform', k + 1)), bytes(core.randomnessBytes('noise')));
  shared = { core, sk, pk };
  return shared;
}

test('cudaUnavailableReason is a string, empty exactly when the cuda variant is available', () => {
  assert.equal(typeof reason, 'string');
  const cuda = variants().find((v) => v.name === 'cuda');
  assert.ok(cuda, 'the cuda variant is listed');
  assert.equal(cudaAvailable(), reason === '');
  assert.equal(cuda.available, reason === '', `variants() says available=${cuda.available}, reason ${JSON.stringify(reason)}`);
});

test('without a device: the reason says why, the encryptor refuses with VARIANT_UNAVAILABLE', { skip: withoutDevice }, () => {
  assert.ok(reason.length > 0);
  assert.match(reason, /^cuda: /);
  const { core, pk } = keys();
  // The reason travels in the message, so a log line says why the GPU was not used.
  const escaped = reason.slice(0, 40).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  expectCode(() => new CudaEncryptor(core, pk, core.dataPrimeCount), 'VARIANT_UNAVAILABLE', new RegExp(escaped));
});

test('without a device: pool statistics are zeros with efficiency null, trim is VARIANT_UNAVAILABLE', { skip: withoutDevice }, () => {
  const s = cudaPoolStats();
  assert.deepEqual(s, {
    available: false,
    allocations: 0,
    frees: 0,
    hits: 0,
    misses: 0,
    bytesInUse: 0,
    bytesReserved: 0,
    peakBytesInUse: 0,
    peakBytesReserved: 0,
    efficiency: null,
  });
  expectCode(() => cudaPoolTrim(), 'VARIANT_UNAVAILABLE');
});

test('the encryptor checks its arguments before touching the device', () => {
  const { core, pk } = keys();
  expectCode(() => new CudaEncryptor({} as CkksCore, pk, 1), 'INVALID_ARGUMENT');
  expectCode(() => new CudaEncryptor(core, pk, 0), 'INVALID_ARGUMENT');
  expectCode(() => new CudaEncryptor(core, pk, core.dataPrimeCount + 1), 'INVALID_ARGUMENT');
  const other = new CkksCore(N, MODULI);
  other.dispose();
  expectCode(() => new CudaEncryptor(other, pk, 1), 'INVALID_ARGUMENT');
});

test('GPU encryption equals the CPU bit for bit for the same randomness, and decrypts', { skip: noDevice }, async () => {
  const { core, sk, pk } = keys();
  const count = 5;
  for (const level of [core.dataPrimeCount, 1]) {
    const enc = new CudaEncryptor(core, pk, level);
    try {
      const values: Float64Array[] = [];
      const plains = new BigUint64Array(count * level * N);
      for (let c = 0; c < count; c++) {
        const v = new Float64Array(core.slots).map((_, i) => Math.sin(c + i / 7));
        values.push(v);
        plains.set(core.encode(v, SCALE, level), c * level * N);
      }
      const rand = bytes(count * core.randomnessBytes('encryptPublic'));
      const cpu = core.encryptPublic(pk, plains, count, level, rand);
      const gpu = enc.encryptPublic(plains, count, rand);
      assert.deepEqual(gpu, cpu, `level ${level}: GPU and CPU ciphertexts differ`);
      const gpuAsync = await enc.encryptPublicAsync(plains, count, rand);
      assert.deepEqual(gpuAsync, cpu, `level ${level}: async GPU and CPU ciphertexts differ`);
      const flat = new Float64Array(count * core.slots);
      values.forEach((v, c) => flat.set(v, c * core.slots));
      assert.deepEqual(core.encodeEncryptPublic(pk, flat, core.slots, count, SCALE, level, rand), cpu, `level ${level}: CPU fused path differs`);
      assert.deepEqual(enc.encodeEncryptPublic(flat, core.slots, count, SCALE, rand), cpu, `level ${level}: GPU encode+encrypt differs`);
      assert.deepEqual(await enc.encodeEncryptPublicAsync(flat, core.slots, count, SCALE, rand), cpu, `level ${level}: async GPU encode+encrypt differs`);
      const zeros = enc.encryptPublic(null, count, rand);
      assert.deepEqual(zeros, core.encryptPublic(pk, null, count, level, rand), `level ${level}: encryptions of zero differ`);
      const words = 2 * level * N;
      for (let c = 0; c < count; c++) {
        const pt = core.decrypt(sk, gpu.subarray(c * words, (c + 1) * words), level);
        const back = core.decode(pt, SCALE);
        let worst = 0;
        for (let i = 0; i < back.length; i++) worst = Math.max(worst, Math.abs(back[i]! - values[c]![i]!));
        assert.ok(worst < 1e-5, `level ${level} ciphertext ${c}: max error ${worst}`);
      }
      expectCode(() => enc.encryptPublic(plains, count, rand.subarray(0, rand.length - 1)), 'RANDOMNESS_EXHAUSTED');
      expectCode(() => enc.encryptPublic(plains, count + 1, bytes((count + 1) * core.randomnessBytes('encryptPublic'))), 'LENGTH_MISMATCH');
    } finally {
      enc.dispose();
    }
  }
});

test('GPU pool statistics: something reserved after use, efficiency in [0, 1], trim restarts the window', { skip: noDevice }, () => {
  const { core, pk } = keys();
  const enc = new CudaEncryptor(core, pk, core.dataPrimeCount);
  try {
    enc.encryptPublic(null, 4, bytes(4 * core.randomnessBytes('encryptPublic')));
    const s = cudaPoolStats();
    assert.equal(s.available, true);
    assert.ok(s.bytesReserved > 0, JSON.stringify(s));
    assert.ok(s.bytesInUse <= s.bytesReserved, JSON.stringify(s));
    assert.ok(s.efficiency !== null && s.efficiency >= 0 && s.efficiency <= 1, JSON.stringify(s));
  } finally {
    enc.dispose();
  }
  cudaPoolTrim();
  const after = cudaPoolStats();
  assert.ok(after.bytesReserved <= after.peakBytesReserved, JSON.stringify(after));
});

test('a disposed encryptor refuses work with a typed error', { skip: noDevice }, () => {
  const { core, pk } = keys();
  const enc = new CudaEncryptor(core, pk, 1);
  enc.dispose();
  enc.dispose();
  expectCode(() => enc.encryptPublic(null, 1, bytes(core.randomnessBytes('encryptPublic'))), 'INVALID_ARGUMENT');
});
