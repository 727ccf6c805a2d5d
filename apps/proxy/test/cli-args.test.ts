import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError, parseProxyArgs } from '../src/index.js';
import { ProtocolError, type ServiceInfo } from '@hlp/protocol';
import { encryptionOf, seedStreamOf } from '../src/config.js';

const BASE = ['--upstream', 'http://127.0.0.1:8081'];

describe('hlp-proxy arguments', () => {
  it('--worker-nice: an integer in [0, 19], absent means the default', () => {
    assert.equal(parseProxyArgs([...BASE, '--worker-nice', '0'], {})?.workerNice, 0);
    assert.equal(parseProxyArgs([...BASE, '--worker-nice', '19'], {})?.workerNice, 19);
    assert.equal(parseProxyArgs(BASE, {})?.workerNice, undefined);
    for (const bad of ['-1', '20', '2.5', 'high', '']) {
      assert.throws(
        () => parseProxyArgs([...BASE, '--worker-nice', bad], {}),
        (e: unknown) => e instanceof UsageError && /--worker-nice/.test(e.message),
        bad,
      );
    }
  });

  it('--encryption: symmetric or public, absent leaves the choice to encryptionOf (seeded secret key, public where batches run on a GPU)', () => {
    assert.equal(parseProxyArgs([...BASE, '--encryption', 'public'], {})?.encryption, 'public');
    assert.equal(parseProxyArgs([...BASE, '--encryption', 'symmetric'], {})?.encryption, 'symmetric');
    const absent = parseProxyArgs(BASE, {});
    assert.ok(absent);
    assert.equal(absent.encryption, undefined);
    assert.equal(encryptionOf(absent, 'cpu'), 'symmetric');
    assert.equal(encryptionOf(absent, 'cuda'), 'public');
    assert.equal(encryptionOf({ ...absent, encryption: 'symmetric' }, 'cuda'), 'symmetric');
    assert.equal(encryptionOf({ ...absent, encryption: 'public' }, 'cpu'), 'public');
    for (const bad of ['aes', 'PUBLIC', '']) {
      assert.throws(
        () => parseProxyArgs([...BASE, '--encryption', bad], {}),
        (e: unknown) => e instanceof UsageError && /--encryption/.test(e.message),
        bad,
      );
    }
  });

  it('--seed-stream: aes256ctr or shake256; absent, AES-256-CTR where the service reads it, else SHAKE256; one it cannot read fails start-up', () => {
    assert.equal(parseProxyArgs([...BASE, '--seed-stream', 'shake256'], {})?.seedStream, 'shake256');
    const absent = parseProxyArgs(BASE, {});
    assert.ok(absent);
    assert.equal(absent.seedStream, undefined);
    const info = (seedStreams?: ServiceInfo['seedStreams']): ServiceInfo => ({
      service: 'hlp-inference',
      version: '1',
      params: { n: 8192, coeffModulusBits: [60, 40, 60], scaleBits: 40 },
      workloads: [],
      limits: { maxBodyBytes: 1, maxCiphertexts: 1 },
      ...(seedStreams ? { seedStreams } : {}),
    });
    assert.equal(seedStreamOf(absent, info(['shake256', 'blake2xb', 'aes256ctr'])), 'aes256ctr');
    assert.equal(seedStreamOf(absent, info(['shake256', 'blake2xb'])), 'shake256');
    assert.equal(seedStreamOf(absent, info()), 'shake256', "an older service lists none: SEAL's");
    assert.equal(seedStreamOf({ ...absent, seedStream: 'shake256' }, info(['shake256', 'aes256ctr'])), 'shake256');
    assert.throws(
      () => seedStreamOf({ ...absent, seedStream: 'aes256ctr' }, info()),
      (e: unknown) => e instanceof ProtocolError && e.code === 'PARAMETER_MISMATCH' && /aes256ctr/.test(e.message),
    );
    for (const bad of ['aes', 'blake2xb', '']) {
      assert.throws(
        () => parseProxyArgs([...BASE, '--seed-stream', bad], {}),
        (e: unknown) => e instanceof UsageError && /--seed-stream/.test(e.message),
        bad,
      );
    }
  });

  it('--no-embed-thread: the dense path embeds on the event loop; absent leaves the thread on', () => {
    assert.equal(parseProxyArgs([...BASE, '--no-embed-thread'], {})?.embedThread, false);
    assert.equal(parseProxyArgs(BASE, {})?.embedThread, undefined);
  });

  it('--upstream-thread: the upstream client runs on a thread of its own; absent leaves it on the event loop', () => {
    assert.equal(parseProxyArgs([...BASE, '--upstream-thread'], {})?.upstreamThread, true);
    assert.equal(parseProxyArgs(BASE, {})?.upstreamThread, undefined);
  });
});
