import { test } from 'node:test';
import assert from 'node:assert/strict';

import { byteAlignment, CkksCore } from '@hlp/kernels';
import { encryptValues } from '../src/index.js';
import { NativeBackend } from '../src/native/index.js';
import { publicKeyWords, secretKeyWords } from '../src/native/keys.js';
import { KswitchKeys } from '../src/native/kswitch-keys.js';
import { expandSeedStream } from '../src/native/randomness.js';
import { presetParams } from '../src/params.js';
import { parmsIdChain, parseKSwitchKeys } from '../src/seal-format.js';
import { createSealBackend } from '../src/seal/index.js';

// Where a process's keys happened to start once decided its hoisted rotations' speed by 12–20 %
// (and the merge gate's verdicts with it): what the native side reads again and again is
// on a cache line, wherever it came from.
test('native backend: received ciphertexts and imported keys start on a cache line', async () => {
  const params = presetParams(8192);
  const backend = new NativeBackend(params, await createSealBackend(params));
  try {
    backend.generateKeys({ relin: true, galoisSteps: [1, 2, 3] });
    const values = Float64Array.from({ length: 64 }, (_, i) => i / 64);
    // A receiver without a result pool: every ciphertext it reads gets memory of its own.
    const receiver = new NativeBackend(params, await createSealBackend(params), { resultPoolBytes: 0 });
    try {
      for (const symmetric of [false, true]) {
        const sent = encryptValues(backend, values, { symmetric });
        const bytes = sent.serialize();
        sent.dispose();
        const received = Array.from({ length: 8 }, () => receiver.deserialize(bytes));
        for (const ct of received) assert.equal(byteAlignment((ct as unknown as { data(): BigUint64Array }).data()), 0, symmetric ? 'seeded' : 'full');
        for (const ct of received) ct.dispose();
      }
    } finally {
      receiver.dispose();
    }
    const chain = parmsIdChain(params.n, params.coeffModulus.map(BigInt))[0]!;
    assert.deepEqual(parseKSwitchKeys(backend.exportKey('galois')).parmsId, chain.parmsId, 'the key level');
    assert.equal(byteAlignment(secretKeyWords(backend.exportKey('secret'), params, chain)), 0, 'secret key');
    assert.equal(byteAlignment(publicKeyWords(backend.exportKey('public'), params, chain)), 0, 'public key');

    const core = new CkksCore(params.n, params.coeffModulus.map(BigInt));
    try {
      const keys = new KswitchKeys({
        core,
        params,
        keyParmsId: chain.parmsId,
        native: (_what, fn) => fn(),
        expand: expandSeedStream,
        random: (bytes) => new Uint8Array(bytes),
      });
      keys.importRelin(backend.exportKey('relin'));
      keys.importGalois(backend.exportKey('galois'));
      assert.equal(byteAlignment(keys.relin!.data), 0, 'relinearization key');
      for (const steps of [1, 2, 3]) {
        const elt = keys.elementOf(steps);
        assert.equal(byteAlignment(keys.galoisKey(elt)!.data), 0, `Galois key of ${steps}`);
        assert.equal(byteAlignment(keys.hoistingKey(elt)!), 0, `hoisting key of ${steps}`);
      }
    } finally {
      core.dispose();
    }
  } finally {
    backend.dispose();
  }
});
