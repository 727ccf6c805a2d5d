import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSealBackend, presetParams, type CkksBackend } from '@hlp/ckks';
import { KeyFileError, provisionKeys, uploadSet } from '../src/index.js';

let dir: string;
let be: CkksBackend;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hlp-keys-'));
  be = await createSealBackend(presetParams(8192));
});
after(async () => {
  be.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('key provisioning', () => {
  it('writes a 0600 key file, reloads the same keys, and uploads no secret key', async () => {
    const file = join(dir, 'a.keys');
    const first = await provisionKeys(be, { relin: true, galoisSteps: [1, -3] }, file);
    assert.equal(first.fromFile, false);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const set1 = uploadSet(be, { relin: true, galoisSteps: [1, -3] }, first.galoisSteps);
    assert.deepEqual(set1.kinds, ['public', 'relin', 'galois']);
    const other = await createSealBackend(presetParams(8192));
    try {
      const again = await provisionKeys(other, { relin: true, galoisSteps: [1, -3] }, file);
      assert.equal(again.fromFile, true);
      assert.equal(again.wroteFile, false);
      assert.equal(uploadSet(other, { relin: true, galoisSteps: [1, -3] }, again.galoisSteps).keyId, set1.keyId);
      // More rotation steps needed later: Galois keys are regenerated from the secret key and the file rewritten.
      const more = await provisionKeys(other, { relin: true, galoisSteps: [1, -3, 7] }, file);
      assert.equal(more.wroteFile, true);
      assert.deepEqual(more.galoisSteps, [-3, 1, 7]);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
    } finally {
      other.dispose();
    }
  });

  it('refuses a key file readable by others, one for other parameters, and garbage', async () => {
    const file = join(dir, 'b.keys');
    await provisionKeys(be, { relin: false, galoisSteps: [] }, file);
    await chmod(file, 0o644);
    await assert.rejects(provisionKeys(be, { relin: false, galoisSteps: [] }, file), (e: unknown) => e instanceof KeyFileError && /chmod 600/.test(e.message));
    const small = await createSealBackend({ n: 8192, coeffModulusBits: [50, 30, 30, 50], scaleBits: 30 });
    try {
      const f2 = join(dir, 'c.keys');
      await provisionKeys(small, { relin: false, galoisSteps: [] }, f2);
      await assert.rejects(
        provisionKeys(be, { relin: false, galoisSteps: [] }, f2),
        (e: unknown) => e instanceof KeyFileError && /other|holds keys/.test(e.message),
      );
    } finally {
      small.dispose();
    }
    const f3 = join(dir, 'd.keys');
    await writeFile(f3, 'not keys', { mode: 0o600 });
    await assert.rejects(provisionKeys(be, { relin: false, galoisSteps: [] }, f3), KeyFileError);
  });
});
