import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNativeBackend, createSealBackend, presetParams } from '@hlp/ckks';

import { encryptPoolBounds, inFlightPoolBytes } from '../src/pipeline/encrypt.js';

const MB = 1024 * 1024;

test('inFlightPoolBytes: the budget’s ciphertexts plus pooledCapacity’s quarter of rounding', () => {
  assert.equal(inFlightPoolBytes(384, 393_216), 480 * 393_216);
  assert.equal(inFlightPoolBytes(1, 1000), 2000);
  assert.equal(inFlightPoolBytes(4, 8), 40);
});

test('encryptPoolBounds: a native proxy with a budget keeps every upload buffer its ciphertexts in flight use', async () => {
  const params = presetParams(8192);
  const backend = await createNativeBackend(params);
  try {
    const words = backend.ciphertextWords(params.maxLevel);
    const bounds = encryptPoolBounds(backend, 384);
    // 384 fresh ciphertexts at n = 8192, three primes: ~151 MB, rounded up by a quarter
    assert.equal(bounds.upload, 480 * words * 8);
    assert.ok(bounds.upload > 64 * MB, `${bounds.upload} bytes`);
    // their packed values (4096 slots a ciphertext), four times over: they come in more sizes
    assert.equal(bounds.packed, 4 * 480 * 4096 * 8);
    assert.ok(bounds.packed > 32 * MB, `${bounds.packed} bytes`);
    // no budget: the defaults
    assert.deepEqual(encryptPoolBounds(backend, undefined), { upload: 64 * MB, packed: 32 * MB });
    // a small budget never shrinks them below the defaults
    assert.deepEqual(encryptPoolBounds(backend, 8), { upload: 64 * MB, packed: 32 * MB });
  } finally {
    backend.dispose();
  }
});

test('encryptPoolBounds: the seal backend has no upload buffers to pool, only packed values', async () => {
  const backend = await createSealBackend(presetParams(8192));
  try {
    assert.deepEqual(encryptPoolBounds(backend, 384), { upload: 64 * MB, packed: 4 * 480 * 4096 * 8 });
  } finally {
    backend.dispose();
  }
});
